recall-notice-subject = Rappel de { $product } (référence { $recall_reference })
recall-notice-intro = Nous procédons au rappel du produit décrit ci-dessous, que nous vous avons livré. Nous vous prions de donner suite au présent avis sans délai.
recall-notice-report = Nous vous prions de confirmer la réception du présent avis au plus tard le { $deadline_date } et de nous indiquer, au moyen du lien suivant, le nombre d'unités que vous détenez encore, que vous avez retournées, mises à jour et détruites : { $ack_link }
recall-notice-sub-recipients = Si vous avez fourni le produit à d'autres entreprises, nous vous prions de nous communiquer leurs noms et adresses et de leur transmettre le présent avis sans délai.
