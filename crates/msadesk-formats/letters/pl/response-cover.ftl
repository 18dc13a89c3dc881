response-cover-subject = Odpowiedź na Państwa wniosek { $their_reference }
response-cover-intro = W odpowiedzi na Państwa wniosek o znaku { $their_reference } przekazujemy informacje i dokumentację wymienione poniżej.
response-cover-enclosures = W załączeniu przesyłamy następujące pliki:
response-cover-integrity = Każdy załączony plik jest wymieniony wraz z sumą kontrolną SHA-256 w pliku manifest.json, który podpisaliśmy elektronicznie, dzięki czemu mogą Państwo sprawdzić, że nic nie zostało zmienione.
response-cover-basis = Informacje te przekazujemy zgodnie z { $legal_basis }.
response-cover-offer = Pozostajemy do Państwa dyspozycji w celu udzielenia dalszych informacji i będziemy współpracować z Państwem przy wszelkich działaniach mających na celu wyeliminowanie ryzyka stwarzanego przez produkt.
