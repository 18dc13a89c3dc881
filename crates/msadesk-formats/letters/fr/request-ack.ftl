request-ack-subject = Accusé de réception de votre demande { $their_reference }
request-ack-intro = Nous accusons réception, le { $received_date }, de votre demande portant la référence { $their_reference } et vous en remercions.
request-ack-provide = Nous vous communiquerons les informations et documents suivants :
request-ack-deadline = Nous vous adresserons notre réponse complète au plus tard le { $due_date }. Si une partie de la réponse devait nécessiter davantage de temps, nous vous en informerions avant cette date en vous en indiquant les raisons.
request-ack-contact = Votre interlocuteur pour cette demande est { $contact_name } ({ $contact_email }).
