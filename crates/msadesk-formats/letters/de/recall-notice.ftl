recall-notice-subject = Rückruf von { $product } (Zeichen { $recall_reference })
recall-notice-intro = Wir rufen das nachstehend beschriebene Produkt zurück, das wir an Sie geliefert haben. Bitte handeln Sie unverzüglich gemäß diesem Schreiben.
recall-notice-report = Bitte bestätigen Sie bis zum { $deadline_date } den Erhalt dieses Schreibens und melden Sie uns über den folgenden Link, wie viele Einheiten Sie noch auf Lager haben, zurückgesandt, aktualisiert und vernichtet haben: { $ack_link }
recall-notice-sub-recipients = Falls Sie das Produkt an andere Unternehmen weitergeliefert haben, nennen Sie uns bitte deren Namen und Anschriften und leiten Sie dieses Schreiben unverzüglich an sie weiter.
