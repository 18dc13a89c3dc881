risk-notice-msa-subject = Anmälan av en betydande cybersäkerhetsrisk: { $product }
risk-notice-msa-intro = I enlighet med { $legal_basis } underrättar vi er som marknadskontrollmyndighet om att den produkt som beskrivs nedan, och som vi har tillhandahållit på marknaden i er medlemsstat, utgör en betydande cybersäkerhetsrisk.
risk-notice-msa-measures = Vi har vidtagit följande korrigerande åtgärder:
risk-notice-msa-offer = Vi står gärna till förfogande med ytterligare information och samarbetar med er om alla ytterligare åtgärder.
