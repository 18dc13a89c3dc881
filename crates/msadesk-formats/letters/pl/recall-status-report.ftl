recall-status-report-subject = Sprawozdanie z przebiegu wycofania produktu { $product } (znak { $recall_reference })
recall-status-report-intro = Przedstawiamy Państwu stan wycofania opisanego poniżej produktu na dzień { $letter_date }.
recall-status-report-next = Nadal monitorujemy odbiorców, którzy nie odpowiedzieli, i przedstawimy Państwu kolejne sprawozdanie najpóźniej do dnia { $completion_date } lub wcześniej, jeżeli sytuacja się zmieni.
