vuln-info-manufacturer-subject = Informazioni su una vulnerabilità in { $product }
vuln-info-manufacturer-intro = Ai sensi dell'{ $legal_basis }, La informiamo che siamo venuti a conoscenza di una vulnerabilità in un Suo prodotto che mettiamo a disposizione sul mercato.
vuln-info-manufacturer-request = La preghiamo di comunicarci se le versioni indicate sono interessate, quali versioni correggono la vulnerabilità e quali misure correttive o di mitigazione raccomanda, affinché possiamo adottare a nostra volta le misure necessarie.
