recall-status-report-subject = Status report on the recall of { $product } (reference { $recall_reference })
recall-status-report-intro = We report on the progress of the recall of the product described below as of { $letter_date }.
recall-status-report-next = We continue to follow up with the recipients who have not responded and will report to you again by { $completion_date } at the latest, or earlier if the situation changes.
