-- Letter templates the operator overrides: Fluent text per (letter kind, language). The built-in
-- templates live in the binary; a row here replaces the messages it defines.
CREATE TABLE letter_templates (
    kind       text NOT NULL,
    lang       text NOT NULL,
    body       text NOT NULL,
    updated_at text NOT NULL,
    updated_by text NOT NULL,
    PRIMARY KEY (kind, lang)
);
