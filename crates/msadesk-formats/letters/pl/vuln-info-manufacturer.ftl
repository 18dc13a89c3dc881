vuln-info-manufacturer-subject = Informacja o podatności w produkcie { $product }
vuln-info-manufacturer-intro = Zgodnie z { $legal_basis } informujemy Państwa, że powzięliśmy wiadomość o podatności w jednym z Państwa produktów, który udostępniamy na rynku.
vuln-info-manufacturer-request = Prosimy o informację, czy wymienione wersje są podatne, które wersje usuwają podatność oraz jakie działania naprawcze lub łagodzące Państwo zalecają, abyśmy mogli sami podjąć niezbędne działania.
