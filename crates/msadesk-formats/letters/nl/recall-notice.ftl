recall-notice-subject = Terugroeping van { $product } (kenmerk { $recall_reference })
recall-notice-intro = Wij roepen het hieronder beschreven product terug, dat wij aan u hebben geleverd. Wij verzoeken u onverwijld gevolg te geven aan deze kennisgeving.
recall-notice-report = Gelieve uiterlijk op { $deadline_date } de ontvangst van deze kennisgeving te bevestigen en via de volgende link te melden hoeveel eenheden u nog in voorraad hebt, hebt teruggezonden, hebt bijgewerkt en hebt vernietigd: { $ack_link }
recall-notice-sub-recipients = Indien u het product aan andere ondernemingen hebt geleverd, verzoeken wij u ons hun namen en adressen mee te delen en deze kennisgeving onverwijld aan hen door te sturen.
