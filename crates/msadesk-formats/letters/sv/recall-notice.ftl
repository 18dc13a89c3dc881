recall-notice-subject = Återkallelse av { $product } (referens { $recall_reference })
recall-notice-intro = Vi återkallar den produkt som beskrivs nedan och som vi har levererat till er. Vi ber er agera på detta meddelande utan dröjsmål.
recall-notice-report = Vi ber er att senast den { $deadline_date } bekräfta mottagandet av detta meddelande och via följande länk rapportera hur många enheter ni fortfarande har i lager, har returnerat, har uppdaterat och har förstört: { $ack_link }
recall-notice-sub-recipients = Om ni har levererat produkten till andra företag ber vi er att meddela oss deras namn och adresser och utan dröjsmål vidarebefordra detta meddelande till dem.
