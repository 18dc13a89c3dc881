user-notice-salutation = Geachte klant,
user-notice-subject = Belangrijke beveiligingsinformatie over { $product }
user-notice-intro = Wij informeren u over een beveiligingslek in een product dat u gebruikt: { $product }, versies { $versions }.
user-notice-todo = Wat u moet doen:
user-notice-basis = Wij verstrekken deze informatie overeenkomstig { $legal_basis }.
user-notice-recommendation = Deze kennisgeving is een aanbevolen voorzorgsmaatregel. Als importeur of distributeur zijn wij op grond van Verordening (EU) 2024/2847 (verordening cyberweerbaarheid) niet verplicht gebruikers te informeren, maar wij vinden het belangrijk dat u van dit risico op de hoogte bent.
user-notice-questions = Met vragen kunt u contact met ons opnemen.
user-notice-closing = Met vriendelijke groet,
