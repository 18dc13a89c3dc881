response-cover-subject = Notre réponse à votre demande { $their_reference }
response-cover-intro = En réponse à votre demande portant la référence { $their_reference }, nous vous adressons les informations et documents énumérés ci-dessous.
response-cover-enclosures = Les fichiers suivants sont joints :
response-cover-integrity = Chaque fichier joint figure avec son empreinte SHA-256 dans le fichier manifest.json, que nous avons signé électroniquement, ce qui vous permet de vérifier qu'aucun fichier n'a été modifié.
response-cover-basis = Nous vous communiquons ces informations conformément à l'{ $legal_basis }.
response-cover-offer = Nous restons à votre disposition pour toute information complémentaire et coopérerons avec vous à toute mesure visant à éliminer les risques présentés par le produit.
