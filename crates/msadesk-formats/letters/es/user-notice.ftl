user-notice-salutation = Estimado cliente:
user-notice-subject = Información de seguridad importante sobre { $product }
user-notice-intro = Le informamos de una vulnerabilidad de seguridad en un producto que usted utiliza: { $product }, versiones { $versions }.
user-notice-todo = Qué debe hacer:
user-notice-basis = Le facilitamos esta información de conformidad con el { $legal_basis }.
user-notice-recommendation = Este aviso es una medida de precaución recomendada. Como importador o distribuidor, el Reglamento (UE) 2024/2847 (Reglamento de Ciberresiliencia) no nos obliga a informar a los usuarios, pero consideramos importante que usted conozca este riesgo.
user-notice-questions = Si tiene alguna pregunta, no dude en ponerse en contacto con nosotros.
user-notice-closing = Atentamente,
