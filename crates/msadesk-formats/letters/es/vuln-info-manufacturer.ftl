vuln-info-manufacturer-subject = Información sobre una vulnerabilidad en { $product }
vuln-info-manufacturer-intro = De conformidad con el { $legal_basis }, le comunicamos que hemos tenido conocimiento de una vulnerabilidad en uno de sus productos que comercializamos.
vuln-info-manufacturer-request = Le rogamos que nos indique si las versiones mencionadas están afectadas, qué versiones corrigen la vulnerabilidad y qué medidas correctoras o de mitigación recomienda, para que podamos adoptar por nuestra parte las medidas necesarias.
