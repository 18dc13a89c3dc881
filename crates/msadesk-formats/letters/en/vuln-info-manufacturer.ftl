vuln-info-manufacturer-subject = Information on a vulnerability in { $product }
vuln-info-manufacturer-intro = In accordance with { $legal_basis }, we inform you that we have become aware of a vulnerability in a product of yours that we make available on the market.
vuln-info-manufacturer-request = Please let us know whether the versions concerned are affected, which versions fix the vulnerability and which corrective or mitigating measures you recommend, so that we can take the necessary measures ourselves.
