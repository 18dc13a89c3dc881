vuln-info-manufacturer-subject = Information über eine Schwachstelle in { $product }
vuln-info-manufacturer-intro = Gemäß { $legal_basis } teilen wir Ihnen mit, dass uns eine Schwachstelle in einem Ihrer Produkte bekannt geworden ist, das wir auf dem Markt bereitstellen.
vuln-info-manufacturer-request = Bitte teilen Sie uns mit, ob die genannten Versionen betroffen sind, welche Versionen die Schwachstelle beheben und welche Korrektur- oder Abhilfemaßnahmen Sie empfehlen, damit wir die erforderlichen Maßnahmen unsererseits ergreifen können.
