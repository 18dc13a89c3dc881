request-ack-subject = Potwierdzenie otrzymania wniosku { $their_reference }
request-ack-intro = Potwierdzamy otrzymanie w dniu { $received_date } Państwa wniosku o znaku { $their_reference } i dziękujemy za jego przesłanie.
request-ack-provide = Przekażemy Państwu następujące informacje i dokumentację:
request-ack-deadline = Pełną odpowiedź prześlemy Państwu najpóźniej do dnia { $due_date }. Jeżeli którakolwiek część będzie wymagała więcej czasu, poinformujemy Państwa o tym przed tą datą, podając przyczyny.
request-ack-contact = Osobą do kontaktu w sprawie tego wniosku jest { $contact_name } ({ $contact_email }).
