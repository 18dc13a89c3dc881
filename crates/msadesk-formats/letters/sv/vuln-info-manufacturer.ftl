vuln-info-manufacturer-subject = Information om en sårbarhet i { $product }
vuln-info-manufacturer-intro = I enlighet med { $legal_basis } meddelar vi er att vi har fått kännedom om en sårbarhet i en av era produkter som vi tillhandahåller på marknaden.
vuln-info-manufacturer-request = Vi ber er meddela oss om de angivna versionerna berörs, vilka versioner som åtgärdar sårbarheten och vilka korrigerande eller riskbegränsande åtgärder ni rekommenderar, så att vi själva kan vidta nödvändiga åtgärder.
