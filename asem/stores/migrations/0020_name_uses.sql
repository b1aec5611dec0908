-- The names each speaker of a scope is addressed by (asem.write.addressed): per speaker and
-- name, how often the name addressed them and how often they said it themselves. A search
-- reads a user's rows to resolve the names a question uses (asem.read.aliases).
CREATE TABLE IF NOT EXISTS name_uses (
    user_id   TEXT NOT NULL,
    agent_id  TEXT NOT NULL DEFAULT '',
    speaker   TEXT NOT NULL,
    name      TEXT NOT NULL,
    addressed INTEGER NOT NULL DEFAULT 0,
    said      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, agent_id, speaker, name)
);
