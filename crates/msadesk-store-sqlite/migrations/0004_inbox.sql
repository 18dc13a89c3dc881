-- The MSA cooperation inbox: the authority directory, the holiday lists the working-day clock
-- uses, and the requests with their timelines. Authorities and requests are stored as the JSON of
-- the core's types (`body`), with the columns queries filter on beside it. The directory and the
-- holidays are seeded with msadesk's defaults by the migration step that applies this file.
CREATE TABLE authorities (
    id      TEXT PRIMARY KEY,
    country TEXT NOT NULL,
    body    TEXT NOT NULL
);

CREATE TABLE holidays (
    country TEXT NOT NULL,
    day     TEXT NOT NULL,
    name    TEXT NOT NULL,
    PRIMARY KEY (country, day)
);

CREATE TABLE msa_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    status       TEXT NOT NULL,
    due          TEXT NOT NULL,
    body         TEXT NOT NULL
);
