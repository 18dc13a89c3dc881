-- Letter templates the operator overrides: Fluent text per (letter kind, language). The built-in
-- templates live in the binary; a row here replaces the messages it defines.
CREATE TABLE letter_templates (
    kind       TEXT NOT NULL,
    lang       TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (kind, lang)
);
