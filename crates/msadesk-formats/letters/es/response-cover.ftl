response-cover-subject = Nuestra respuesta a su solicitud { $their_reference }
response-cover-intro = En respuesta a su solicitud con la referencia { $their_reference }, le remitimos la información y la documentación que se enumeran a continuación.
response-cover-enclosures = Se adjuntan los siguientes archivos:
response-cover-integrity = Cada archivo adjunto figura con su suma de comprobación SHA-256 en el archivo manifest.json, que hemos firmado electrónicamente, de modo que usted puede comprobar que no se ha modificado nada.
response-cover-basis = Le facilitamos esta información de conformidad con el { $legal_basis }.
response-cover-offer = Quedamos a su disposición para cualquier información adicional y cooperaremos con usted en cualquier medida destinada a eliminar los riesgos que presente el producto.
