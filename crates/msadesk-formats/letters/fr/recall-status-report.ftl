recall-status-report-subject = Rapport d'avancement du rappel de { $product } (référence { $recall_reference })
recall-status-report-intro = Nous vous rendons compte de l'avancement du rappel du produit décrit ci-dessous à la date du { $letter_date }.
recall-status-report-next = Nous poursuivons les relances auprès des destinataires n'ayant pas répondu et vous adresserons un nouveau rapport au plus tard le { $completion_date }, ou plus tôt si la situation évolue.
