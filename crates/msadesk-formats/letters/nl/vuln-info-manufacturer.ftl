vuln-info-manufacturer-subject = Informatie over een kwetsbaarheid in { $product }
vuln-info-manufacturer-intro = Overeenkomstig { $legal_basis } delen wij u mee dat wij kennis hebben gekregen van een kwetsbaarheid in een van uw producten die wij op de markt aanbieden.
vuln-info-manufacturer-request = Wij verzoeken u ons mee te delen of de genoemde versies getroffen zijn, welke versies de kwetsbaarheid verhelpen en welke corrigerende of risicobeperkende maatregelen u aanbeveelt, zodat wij zelf de nodige maatregelen kunnen nemen.
