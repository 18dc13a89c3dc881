recall-notice-subject = Recall of { $product } (reference { $recall_reference })
recall-notice-intro = We are recalling the product described below, which we supplied to you. Please act on this notice without delay.
recall-notice-report = By { $deadline_date }, please confirm receipt of this notice and report how many units you still hold, have returned, have updated and have destroyed, using this link: { $ack_link }
recall-notice-sub-recipients = If you have supplied the product to other businesses, please give us their names and addresses and forward this notice to them without delay.
