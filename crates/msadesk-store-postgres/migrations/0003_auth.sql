-- Users, sessions and API tokens of the server. Only hashes of secrets are stored.
CREATE TABLE users (
    name          text PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('admin', 'officer', 'viewer', 'inspector')),
    password_hash text NOT NULL,
    created_at    text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false
);

CREATE TABLE sessions (
    id_sha256  text PRIMARY KEY,
    user_name  text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf       text NOT NULL,
    created_at text NOT NULL,
    expires_at text NOT NULL
);

CREATE TABLE api_tokens (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'officer', 'viewer', 'inspector')),
    secret_sha256 text NOT NULL UNIQUE,
    created_at    text NOT NULL,
    expires_at    text,
    revoked       boolean NOT NULL DEFAULT false,
    last_used_at  text
);
