user-notice-salutation = Sehr geehrte Kundin, sehr geehrter Kunde,
user-notice-subject = Wichtige Sicherheitsinformation zu { $product }
user-notice-intro = Wir informieren Sie über eine Sicherheitslücke in einem Produkt, das Sie verwenden: { $product }, Versionen { $versions }.
user-notice-todo = Was Sie tun sollten:
user-notice-basis = Wir stellen Ihnen diese Information gemäß { $legal_basis } zur Verfügung.
user-notice-recommendation = Diese Mitteilung ist eine empfohlene Vorsichtsmaßnahme. Als Einführer oder Händler sind wir nach der Verordnung (EU) 2024/2847 (Cyberresilienzverordnung) nicht verpflichtet, Nutzer zu informieren, halten es aber für wichtig, dass Sie von diesem Risiko wissen.
user-notice-questions = Bei Fragen wenden Sie sich bitte an uns.
user-notice-closing = Mit freundlichen Grüßen
