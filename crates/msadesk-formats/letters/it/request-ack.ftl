request-ack-subject = Conferma di ricevimento della Sua richiesta { $their_reference }
request-ack-intro = Confermiamo di aver ricevuto in data { $received_date } la Sua richiesta con riferimento { $their_reference } e La ringraziamo.
request-ack-provide = Le forniremo le seguenti informazioni e la seguente documentazione:
request-ack-deadline = Le invieremo la nostra risposta completa entro e non oltre il { $due_date }. Qualora una parte richiedesse più tempo, Gliene daremo comunicazione prima di tale data, indicandone i motivi.
request-ack-contact = Il Suo referente per questa richiesta è { $contact_name } ({ $contact_email }).
