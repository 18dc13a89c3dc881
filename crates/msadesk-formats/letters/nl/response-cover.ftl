response-cover-subject = Ons antwoord op uw verzoek { $their_reference }
response-cover-intro = In antwoord op uw verzoek met kenmerk { $their_reference } zenden wij u de hieronder vermelde informatie en documentatie.
response-cover-enclosures = De volgende bestanden zijn bijgevoegd:
response-cover-integrity = Elk bijgevoegd bestand staat met zijn SHA-256-controlegetal in het bestand manifest.json, dat wij elektronisch hebben ondertekend, zodat u kunt nagaan dat er niets is gewijzigd.
response-cover-basis = Wij verstrekken deze informatie overeenkomstig { $legal_basis }.
response-cover-offer = Voor nadere informatie staan wij u graag ter beschikking en wij werken met u samen aan alle maatregelen om de risico's van het product weg te nemen.
