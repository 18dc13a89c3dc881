request-ack-subject = Acknowledgement of receipt of your request { $their_reference }
request-ack-intro = We acknowledge receipt on { $received_date } of your request with the reference { $their_reference } and thank you for it.
request-ack-provide = We will provide the following information and documentation:
request-ack-deadline = We will send our complete response by { $due_date } at the latest. Should any part require more time, we will inform you before that date and state the reasons.
request-ack-contact = Your contact person for this request is { $contact_name } ({ $contact_email }).
