user-notice-salutation = Bästa kund,
user-notice-subject = Viktig säkerhetsinformation om { $product }
user-notice-intro = Vi informerar er om en säkerhetsbrist i en produkt som ni använder: { $product }, versioner { $versions }.
user-notice-todo = Vad ni bör göra:
user-notice-basis = Vi lämnar denna information i enlighet med { $legal_basis }.
user-notice-recommendation = Detta meddelande är en rekommenderad försiktighetsåtgärd. Som importör eller distributör har vi ingen skyldighet enligt förordning (EU) 2024/2847 (cyberresiliensförordningen) att informera användare, men vi anser att det är viktigt att ni känner till denna risk.
user-notice-questions = Kontakta oss gärna om ni har frågor.
user-notice-closing = Med vänliga hälsningar
