-- The names each speaker of a scope is addressed by, as the SQLite store's migration 0020
-- has it (asem.write.addressed, asem.read.aliases).
CREATE TABLE IF NOT EXISTS name_uses (
    user_id   text NOT NULL,
    agent_id  text NOT NULL DEFAULT '',
    speaker   text NOT NULL,
    name      text NOT NULL,
    addressed integer NOT NULL DEFAULT 0,
    said      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, agent_id, speaker, name)
);
