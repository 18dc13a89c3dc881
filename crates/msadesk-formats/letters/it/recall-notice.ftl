recall-notice-subject = Richiamo di { $product } (riferimento { $recall_reference })
recall-notice-intro = Stiamo richiamando il prodotto descritto di seguito, che Le abbiamo fornito. La preghiamo di dare seguito al presente avviso senza indugio.
recall-notice-report = La preghiamo di confermare entro il { $deadline_date } il ricevimento del presente avviso e di comunicarci, tramite il seguente link, quante unità detiene ancora, ha restituito, ha aggiornato e ha distrutto: { $ack_link }
recall-notice-sub-recipients = Qualora abbia fornito il prodotto ad altre imprese, La preghiamo di comunicarci i loro nomi e indirizzi e di inoltrare loro il presente avviso senza indugio.
