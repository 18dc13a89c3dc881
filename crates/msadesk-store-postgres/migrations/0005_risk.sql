-- Vulnerability intake and risk decisions (issue 5). JSON columns hold lists the engine only keeps.
CREATE TABLE sboms (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  TEXT NOT NULL,
    version     TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    source_file TEXT NOT NULL,
    format      TEXT NOT NULL,
    digest      TEXT NOT NULL,
    is_current  boolean NOT NULL DEFAULT true
);
CREATE INDEX sboms_by_version ON sboms (product_id, version, is_current);

CREATE TABLE sbom_components (
    sbom_id bigint NOT NULL REFERENCES sboms (id),
    purl    TEXT NOT NULL,
    name    TEXT NOT NULL,
    version TEXT,
    cpe     TEXT,
    PRIMARY KEY (sbom_id, purl)
);

-- One record per id and feed: the same CVE from NVD and from a vendor's CSAF advisory are two
-- records (each with its own date), unified by their aliases when assessed.
CREATE TABLE vulnerabilities (
    id         TEXT NOT NULL,
    aliases    TEXT NOT NULL,
    format     TEXT NOT NULL,
    feed       TEXT NOT NULL,
    feed_date  TEXT NOT NULL,
    file       TEXT NOT NULL,
    summary    TEXT,
    cvss       TEXT NOT NULL,
    match_data TEXT NOT NULL,
    PRIMARY KEY (id, feed)
);

CREATE TABLE known_exploited (
    id         TEXT NOT NULL,
    source     TEXT NOT NULL,
    date_added TEXT NOT NULL,
    due_date   TEXT,
    ransomware boolean,
    PRIMARY KEY (id, source)
);

CREATE TABLE deployments (
    product_id      TEXT NOT NULL,
    version         TEXT NOT NULL,
    member_state    TEXT NOT NULL,
    critical_sector TEXT NOT NULL DEFAULT '',
    instances       bigint NOT NULL CHECK (instances >= 0),
    PRIMARY KEY (product_id, version, member_state, critical_sector)
);

CREATE TABLE risk_decisions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id     TEXT NOT NULL,
    version        TEXT NOT NULL,
    vulnerability  TEXT NOT NULL,
    significant    boolean NOT NULL,
    policy_version TEXT NOT NULL,
    decided_at     TEXT NOT NULL,
    decided_by     TEXT NOT NULL,
    assessment     TEXT NOT NULL
);
CREATE INDEX risk_decisions_by_pair ON risk_decisions (product_id, version, vulnerability);
