-- What each product version was supplied to each country: the quantity and the number of events,
-- summed over the `supplied` events. Kept exactly up to date in the same transactions as the
-- supply import (adds) and the retention job (subtracts, and removes rows that reach no event), so
-- that a vulnerability's impact (affected versions -> Member States) costs one row per version and
-- country instead of one per event. The conformance suite checks it against the events.
CREATE TABLE supplied_by_country (
    version_ref bigint NOT NULL REFERENCES product_versions (id),
    country     text NOT NULL,
    quantity    bigint NOT NULL,
    events      bigint NOT NULL,
    PRIMARY KEY (version_ref, country)
);

INSERT INTO supplied_by_country (version_ref, country, quantity, events)
SELECT e.version_ref, s.country, SUM(e.quantity), COUNT(*)
FROM supply_events e JOIN party_snapshots s ON s.id = e.snapshot_ref
WHERE e.direction = 'supplied'
GROUP BY e.version_ref, s.country;
