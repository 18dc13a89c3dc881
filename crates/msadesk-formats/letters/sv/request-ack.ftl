request-ack-subject = Mottagningsbekräftelse av er begäran { $their_reference }
request-ack-intro = Vi bekräftar att vi den { $received_date } har tagit emot er begäran med referens { $their_reference } och tackar för den.
request-ack-provide = Vi kommer att lämna följande information och dokumentation:
request-ack-deadline = Vi skickar vårt fullständiga svar senast den { $due_date }. Om någon del skulle kräva mer tid meddelar vi er detta före det datumet och anger skälen.
request-ack-contact = Er kontaktperson för denna begäran är { $contact_name } ({ $contact_email }).
