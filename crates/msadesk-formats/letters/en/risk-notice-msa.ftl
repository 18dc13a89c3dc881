risk-notice-msa-subject = Notification of a significant cybersecurity risk: { $product }
risk-notice-msa-intro = In accordance with { $legal_basis }, we inform you that the product described below, which we have made available on the market in your Member State, presents a significant cybersecurity risk.
risk-notice-msa-measures = We have taken the following corrective measures:
risk-notice-msa-offer = We remain at your disposal for any further information and will cooperate with you on any further measures.
