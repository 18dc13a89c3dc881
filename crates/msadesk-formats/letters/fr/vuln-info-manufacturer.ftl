vuln-info-manufacturer-subject = Information sur une vulnérabilité de { $product }
vuln-info-manufacturer-intro = Conformément à l'{ $legal_basis }, nous vous informons que nous avons eu connaissance d'une vulnérabilité dans l'un de vos produits que nous mettons à disposition sur le marché.
vuln-info-manufacturer-request = Nous vous prions de nous indiquer si les versions concernées sont affectées, quelles versions corrigent la vulnérabilité et quelles mesures correctives ou d'atténuation vous recommandez, afin que nous puissions prendre nous-mêmes les mesures nécessaires.
