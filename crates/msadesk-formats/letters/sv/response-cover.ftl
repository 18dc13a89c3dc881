response-cover-subject = Vårt svar på er begäran { $their_reference }
response-cover-intro = Som svar på er begäran med referens { $their_reference } översänder vi den information och dokumentation som förtecknas nedan.
response-cover-enclosures = Följande filer bifogas:
response-cover-integrity = Varje bifogad fil förtecknas med sin SHA-256-kontrollsumma i filen manifest.json, som vi har signerat elektroniskt, så att ni kan kontrollera att ingenting har ändrats.
response-cover-basis = Vi lämnar denna information i enlighet med { $legal_basis }.
response-cover-offer = Vi står gärna till förfogande med ytterligare information och samarbetar med er om alla åtgärder för att undanröja de risker som produkten medför.
