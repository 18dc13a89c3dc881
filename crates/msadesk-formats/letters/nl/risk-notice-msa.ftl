risk-notice-msa-subject = Melding van een significant cyberbeveiligingsrisico: { $product }
risk-notice-msa-intro = Overeenkomstig { $legal_basis } stellen wij u als markttoezichtautoriteit ervan in kennis dat het hieronder beschreven product, dat wij in uw lidstaat op de markt hebben aangeboden, een significant cyberbeveiligingsrisico vormt.
risk-notice-msa-measures = Wij hebben de volgende corrigerende maatregelen genomen:
risk-notice-msa-offer = Voor nadere informatie staan wij u graag ter beschikking en wij werken met u samen aan alle verdere maatregelen.
