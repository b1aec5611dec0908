-- API keys of the server. Only the SHA-256 of a key's secret is kept: the key itself is
-- shown once, when it is created. A key grants one tenant (user_id), or every tenant when
-- admin = 1 (user_id NULL). A revoked key stays listed, with the time it was revoked.
CREATE TABLE IF NOT EXISTS api_keys (
    id          TEXT PRIMARY KEY,       -- public key id, part of the key and of `asem keys list`
    secret_hash TEXT NOT NULL,          -- hex SHA-256 of the key's secret part
    user_id     TEXT,                   -- the tenant the key grants; NULL for an admin key
    admin       INTEGER NOT NULL DEFAULT 0,
    name        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    CHECK ((admin = 1 AND user_id IS NULL) OR (admin = 0 AND user_id IS NOT NULL))
);
