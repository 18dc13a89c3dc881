risk-notice-msa-subject = Signalement d'un risque important en matière de cybersécurité : { $product }
risk-notice-msa-intro = Conformément à l'{ $legal_basis }, nous vous informons, en votre qualité d'autorité de surveillance du marché, que le produit décrit ci-dessous, que nous avons mis à disposition sur le marché de votre État membre, présente un risque important en matière de cybersécurité.
risk-notice-msa-measures = Nous avons pris les mesures correctives suivantes :
risk-notice-msa-offer = Nous restons à votre disposition pour toute information complémentaire et coopérerons avec vous à toute autre mesure.
