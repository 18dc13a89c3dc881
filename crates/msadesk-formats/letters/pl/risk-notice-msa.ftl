risk-notice-msa-subject = Zgłoszenie znaczącego ryzyka w zakresie cyberbezpieczeństwa: { $product }
risk-notice-msa-intro = Zgodnie z { $legal_basis } informujemy Państwa jako organ nadzoru rynku, że opisany poniżej produkt, który udostępniliśmy na rynku w Państwa państwie członkowskim, stwarza znaczące ryzyko w zakresie cyberbezpieczeństwa.
risk-notice-msa-measures = Podjęliśmy następujące działania naprawcze:
risk-notice-msa-offer = Pozostajemy do Państwa dyspozycji w celu udzielenia dalszych informacji i będziemy współpracować z Państwem przy wszelkich dalszych działaniach.
