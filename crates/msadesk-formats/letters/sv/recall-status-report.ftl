recall-status-report-subject = Lägesrapport om återkallelsen av { $product } (referens { $recall_reference })
recall-status-report-intro = Vi rapporterar om hur återkallelsen av den produkt som beskrivs nedan fortskrider per den { $letter_date }.
recall-status-report-next = Vi fortsätter att följa upp de mottagare som inte har svarat och rapporterar till er igen senast den { $completion_date }, eller tidigare om läget förändras.
