recall-notice-subject = Recuperación de { $product } (referencia { $recall_reference })
recall-notice-intro = Procedemos a la recuperación del producto descrito a continuación, que le suministramos. Le rogamos que actúe sin demora conforme a este aviso.
recall-notice-report = Le rogamos que, a más tardar el { $deadline_date }, confirme la recepción de este aviso y nos indique, mediante el siguiente enlace, cuántas unidades conserva todavía, ha devuelto, ha actualizado y ha destruido: { $ack_link }
recall-notice-sub-recipients = Si ha suministrado el producto a otras empresas, le rogamos que nos facilite sus nombres y direcciones y les transmita este aviso sin demora.
