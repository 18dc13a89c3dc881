response-cover-subject = Our response to your request { $their_reference }
response-cover-intro = In response to your request with the reference { $their_reference }, we send you the information and documentation listed below.
response-cover-enclosures = The following files are enclosed:
response-cover-integrity = Every enclosed file is listed with its SHA-256 checksum in the file manifest.json, which we have signed electronically, so that you can verify that nothing has been altered.
response-cover-basis = We provide this information in accordance with { $legal_basis }.
response-cover-offer = We remain at your disposal for any further information and will cooperate with you on any measures to eliminate the risks posed by the product.
