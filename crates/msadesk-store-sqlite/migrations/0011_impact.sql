-- What each product version was supplied to each country: the quantity and the number of events,
-- summed over the `supplied` events. Kept exactly up to date in the same transactions as the
-- supply import (adds) and the retention job (subtracts, and removes rows that reach no event), so
-- that a vulnerability's impact (affected versions -> Member States) costs one row per version and
-- country instead of one per event. The conformance suite checks it against the events.
CREATE TABLE supplied_by_country (
    product_version INTEGER NOT NULL REFERENCES product_versions(id),
    country         TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    events          INTEGER NOT NULL,
    PRIMARY KEY (product_version, country)
) WITHOUT ROWID;

INSERT INTO supplied_by_country (product_version, country, quantity, events)
SELECT e.product_version, s.country, SUM(e.quantity), COUNT(*)
FROM supply_events e JOIN operator_snapshots s ON s.id = e.counterparty
WHERE e.direction = 'supplied'
GROUP BY e.product_version, s.country;
