request-ack-subject = Acuse de recibo de su solicitud { $their_reference }
request-ack-intro = Acusamos recibo, el { $received_date }, de su solicitud con la referencia { $their_reference } y le agradecemos su envío.
request-ack-provide = Le facilitaremos la siguiente información y documentación:
request-ack-deadline = Le enviaremos nuestra respuesta completa a más tardar el { $due_date }. Si alguna parte requiriera más tiempo, se lo comunicaremos antes de esa fecha indicando los motivos.
request-ack-contact = Su persona de contacto para esta solicitud es { $contact_name } ({ $contact_email }).
