user-notice-salutation = Gentile cliente,
user-notice-subject = Importante informazione di sicurezza su { $product }
user-notice-intro = La informiamo di una vulnerabilità di sicurezza in un prodotto che Lei utilizza: { $product }, versioni { $versions }.
user-notice-todo = Che cosa deve fare:
user-notice-basis = Le forniamo questa informazione ai sensi dell'{ $legal_basis }.
user-notice-recommendation = Il presente avviso è una precauzione raccomandata. In qualità di importatore o distributore non abbiamo l'obbligo, ai sensi del regolamento (UE) 2024/2847 (regolamento sulla ciberresilienza), di informare gli utilizzatori, ma riteniamo importante che Lei sia a conoscenza di questo rischio.
user-notice-questions = Per qualsiasi domanda, non esiti a contattarci.
user-notice-closing = Cordiali saluti,
