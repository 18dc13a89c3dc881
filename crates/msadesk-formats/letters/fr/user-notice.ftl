user-notice-salutation = Chère cliente, cher client,
user-notice-subject = Information de sécurité importante concernant { $product }
user-notice-intro = Nous vous informons d'une vulnérabilité de sécurité dans un produit que vous utilisez : { $product }, versions { $versions }.
user-notice-todo = Ce que vous devez faire :
user-notice-basis = Nous vous communiquons cette information conformément à l'{ $legal_basis }.
user-notice-recommendation = Le présent avis est une mesure de précaution recommandée. En tant qu'importateur ou distributeur, le règlement (UE) 2024/2847 (règlement sur la cyberrésilience) ne nous oblige pas à informer les utilisateurs, mais nous estimons important que vous ayez connaissance de ce risque.
user-notice-questions = Pour toute question, n'hésitez pas à nous contacter.
user-notice-closing = Nous vous prions d'agréer, chère cliente, cher client, l'expression de nos salutations distinguées.
