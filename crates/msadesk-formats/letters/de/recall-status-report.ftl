recall-status-report-subject = Sachstandsbericht zum Rückruf von { $product } (Zeichen { $recall_reference })
recall-status-report-intro = Wir berichten Ihnen über den Stand des Rückrufs des nachstehend beschriebenen Produkts zum { $letter_date }.
recall-status-report-next = Wir fassen bei den Empfängern ohne Rückmeldung weiter nach und berichten Ihnen spätestens bis zum { $completion_date } erneut, bei veränderter Lage auch früher.
