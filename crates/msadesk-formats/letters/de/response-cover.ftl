response-cover-subject = Unsere Antwort auf Ihr Ersuchen { $their_reference }
response-cover-intro = Auf Ihr Ersuchen mit dem Zeichen { $their_reference } übermitteln wir Ihnen die nachstehend aufgeführten Informationen und Unterlagen.
response-cover-enclosures = Folgende Dateien liegen bei:
response-cover-integrity = Jede beigefügte Datei ist mit ihrer SHA-256-Prüfsumme in der Datei manifest.json verzeichnet, die wir elektronisch signiert haben; so können Sie prüfen, dass nichts verändert wurde.
response-cover-basis = Wir übermitteln diese Informationen gemäß { $legal_basis }.
response-cover-offer = Für weitere Auskünfte stehen wir Ihnen gern zur Verfügung und arbeiten bei allen Maßnahmen zur Ausräumung der von dem Produkt ausgehenden Risiken mit Ihnen zusammen.
