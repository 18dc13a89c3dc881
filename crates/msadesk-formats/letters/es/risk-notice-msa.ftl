risk-notice-msa-subject = Notificación de un riesgo de ciberseguridad significativo: { $product }
risk-notice-msa-intro = De conformidad con el { $legal_basis }, comunicamos a esa autoridad de vigilancia del mercado que el producto descrito a continuación, que hemos comercializado en su Estado miembro, presenta un riesgo de ciberseguridad significativo.
risk-notice-msa-measures = Hemos adoptado las siguientes medidas correctoras:
risk-notice-msa-offer = Quedamos a su disposición para cualquier información adicional y cooperaremos con usted en cualquier otra medida.
