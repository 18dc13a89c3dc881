recall-status-report-subject = Relazione sullo stato del richiamo di { $product } (riferimento { $recall_reference })
recall-status-report-intro = Le riferiamo sullo stato di avanzamento del richiamo del prodotto descritto di seguito alla data del { $letter_date }.
recall-status-report-next = Continuiamo a sollecitare i destinatari che non hanno risposto e Le trasmetteremo una nuova relazione entro il { $completion_date }, o prima se la situazione cambia.
