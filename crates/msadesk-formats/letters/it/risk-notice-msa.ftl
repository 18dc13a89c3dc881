risk-notice-msa-subject = Notifica di un rischio significativo di cibersicurezza: { $product }
risk-notice-msa-intro = Ai sensi dell'{ $legal_basis }, comunichiamo a codesta autorità di vigilanza del mercato che il prodotto descritto di seguito, da noi messo a disposizione sul mercato del Suo Stato membro, presenta un rischio significativo di cibersicurezza.
risk-notice-msa-measures = Abbiamo adottato le seguenti misure correttive:
risk-notice-msa-offer = Restiamo a Sua disposizione per ogni ulteriore informazione e collaboreremo con Lei a qualsiasi ulteriore misura.
