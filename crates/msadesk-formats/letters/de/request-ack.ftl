request-ack-subject = Eingangsbestätigung zu Ihrem Ersuchen { $their_reference }
request-ack-intro = Wir bestätigen den Eingang Ihres Ersuchens mit dem Zeichen { $their_reference } am { $received_date } und danken Ihnen dafür.
request-ack-provide = Wir werden Ihnen die folgenden Informationen und Unterlagen übermitteln:
request-ack-deadline = Unsere vollständige Antwort senden wir Ihnen spätestens bis zum { $due_date }. Sollte ein Teil mehr Zeit erfordern, teilen wir Ihnen dies vor diesem Datum unter Angabe der Gründe mit.
request-ack-contact = Ihr Ansprechpartner für dieses Ersuchen ist { $contact_name } ({ $contact_email }).
