request-ack-subject = Ontvangstbevestiging van uw verzoek { $their_reference }
request-ack-intro = Wij bevestigen dat wij uw verzoek met kenmerk { $their_reference } op { $received_date } hebben ontvangen en danken u daarvoor.
request-ack-provide = Wij zullen u de volgende informatie en documentatie verstrekken:
request-ack-deadline = Wij zenden u ons volledige antwoord uiterlijk op { $due_date }. Mocht een onderdeel meer tijd vergen, dan laten wij u dat vóór die datum weten, met opgave van redenen.
request-ack-contact = Uw contactpersoon voor dit verzoek is { $contact_name } ({ $contact_email }).
