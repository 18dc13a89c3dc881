recall-notice-subject = Wycofanie produktu { $product } (znak { $recall_reference })
recall-notice-intro = Wycofujemy opisany poniżej produkt, który Państwu dostarczyliśmy. Prosimy o niezwłoczne podjęcie działań zgodnie z niniejszym powiadomieniem.
recall-notice-report = Prosimy o potwierdzenie otrzymania niniejszego powiadomienia do dnia { $deadline_date } oraz o podanie za pomocą poniższego linku, ile sztuk Państwo nadal posiadają, zwrócili, zaktualizowali i zniszczyli: { $ack_link }
recall-notice-sub-recipients = Jeżeli dostarczyli Państwo produkt innym przedsiębiorstwom, prosimy o podanie ich nazw i adresów oraz o niezwłoczne przekazanie im niniejszego powiadomienia.
