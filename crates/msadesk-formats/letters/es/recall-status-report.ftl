recall-status-report-subject = Informe de situación sobre la recuperación de { $product } (referencia { $recall_reference })
recall-status-report-intro = Le informamos del avance de la recuperación del producto descrito a continuación a fecha de { $letter_date }.
recall-status-report-next = Seguimos realizando el seguimiento de los destinatarios que no han respondido y le enviaremos un nuevo informe a más tardar el { $completion_date }, o antes si la situación cambia.
