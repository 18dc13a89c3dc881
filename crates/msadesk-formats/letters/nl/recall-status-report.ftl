recall-status-report-subject = Voortgangsverslag over de terugroeping van { $product } (kenmerk { $recall_reference })
recall-status-report-intro = Wij brengen u verslag uit over de voortgang van de terugroeping van het hieronder beschreven product per { $letter_date }.
recall-status-report-next = Wij blijven de ontvangers die niet hebben gereageerd opvolgen en brengen u uiterlijk op { $completion_date } opnieuw verslag uit, of eerder als de situatie verandert.
