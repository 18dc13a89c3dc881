user-notice-salutation = Szanowni Państwo,
user-notice-subject = Ważna informacja dotycząca bezpieczeństwa produktu { $product }
user-notice-intro = Informujemy Państwa o luce w zabezpieczeniach produktu, z którego Państwo korzystają: { $product }, wersje { $versions }.
user-notice-todo = Co należy zrobić:
user-notice-basis = Informację tę przekazujemy zgodnie z { $legal_basis }.
user-notice-recommendation = Niniejsze powiadomienie jest zalecanym środkiem ostrożności. Jako importer lub dystrybutor nie mamy na mocy rozporządzenia (UE) 2024/2847 (akt o cyberodporności) obowiązku informowania użytkowników, uważamy jednak, że powinni Państwo wiedzieć o tym ryzyku.
user-notice-questions = W razie pytań prosimy o kontakt.
user-notice-closing = Z poważaniem
