user-notice-salutation = Dear customer,
user-notice-subject = Important security information about { $product }
user-notice-intro = We are informing you of a security vulnerability in a product you use: { $product }, versions { $versions }.
user-notice-todo = What you should do:
user-notice-basis = We provide this information in accordance with { $legal_basis }.
user-notice-recommendation = This notice is a recommended precaution. As importer or distributor we have no legal duty under Regulation (EU) 2024/2847 (Cyber Resilience Act) to inform users, but we consider it important that you know about this risk.
user-notice-questions = If you have any questions, please contact us.
user-notice-closing = Yours sincerely,
