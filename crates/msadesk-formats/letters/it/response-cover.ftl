response-cover-subject = Nostra risposta alla Sua richiesta { $their_reference }
response-cover-intro = In risposta alla Sua richiesta con riferimento { $their_reference }, Le trasmettiamo le informazioni e la documentazione elencate di seguito.
response-cover-enclosures = Si allegano i seguenti file:
response-cover-integrity = Ogni file allegato è elencato con la relativa impronta SHA-256 nel file manifest.json, da noi firmato elettronicamente, così che Lei possa verificare che nulla sia stato modificato.
response-cover-basis = Forniamo queste informazioni ai sensi dell'{ $legal_basis }.
response-cover-offer = Restiamo a Sua disposizione per ogni ulteriore informazione e collaboreremo con Lei a qualsiasi misura volta a eliminare i rischi presentati dal prodotto.
