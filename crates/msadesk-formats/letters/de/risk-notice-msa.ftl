risk-notice-msa-subject = Meldung eines erheblichen Cybersicherheitsrisikos: { $product }
risk-notice-msa-intro = Gemäß { $legal_basis } unterrichten wir Sie als zuständige Marktüberwachungsbehörde darüber, dass das nachstehend beschriebene Produkt, das wir in Ihrem Mitgliedstaat auf dem Markt bereitgestellt haben, ein erhebliches Cybersicherheitsrisiko darstellt.
risk-notice-msa-measures = Wir haben die folgenden Korrekturmaßnahmen ergriffen:
risk-notice-msa-offer = Für weitere Auskünfte stehen wir Ihnen gern zur Verfügung und arbeiten bei allen weiteren Maßnahmen mit Ihnen zusammen.
