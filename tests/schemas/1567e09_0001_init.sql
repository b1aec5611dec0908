-- Notes, their lexical index, links, history, retrievals and feedback.
CREATE TABLE notes (
    rowid            INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL,
    agent_id         TEXT NOT NULL DEFAULT '',
    session_id       TEXT NOT NULL DEFAULT '',
    content          TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    observed_at      TEXT NOT NULL,
    event_time       TEXT NOT NULL,
    updated_at       TEXT,
    keywords         TEXT NOT NULL DEFAULT '[]',
    tags             TEXT NOT NULL DEFAULT '[]',
    context          TEXT NOT NULL DEFAULT '',
    entities         TEXT NOT NULL DEFAULT '[]',
    dates            TEXT NOT NULL DEFAULT '[]',
    embedding        BLOB NOT NULL,
    intent_embedding BLOB NOT NULL,
    embedder         TEXT NOT NULL,
    utility          REAL NOT NULL,
    usage_count      INTEGER NOT NULL DEFAULT 0,
    last_used        TEXT,
    tier             TEXT NOT NULL DEFAULT 'long_term',
    source_id        TEXT,
    turn_ids         TEXT NOT NULL DEFAULT '[]',
    writer           TEXT NOT NULL DEFAULT 'user',
    channel          TEXT NOT NULL DEFAULT 'api',
    deleted_at       TEXT,
    delete_reason    TEXT
);
-- The same content twice in one scope makes one note (deleted notes do not count).
CREATE UNIQUE INDEX notes_scope_hash
    ON notes (user_id, agent_id, session_id, content_hash) WHERE deleted_at IS NULL;
CREATE INDEX notes_user ON notes (user_id, deleted_at);

CREATE VIRTUAL TABLE notes_fts USING fts5 (
    content, keywords, tags, context, entities,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE links (
    src        TEXT NOT NULL,
    dst        TEXT NOT NULL,
    relation   TEXT NOT NULL,
    strength   REAL NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (src, dst)
) WITHOUT ROWID;
CREATE INDEX links_dst ON links (dst);

CREATE TABLE history (
    id      INTEGER PRIMARY KEY,
    note_id TEXT NOT NULL,
    op      TEXT NOT NULL,
    old     TEXT,
    new     TEXT,
    at      TEXT NOT NULL,
    reason  TEXT NOT NULL DEFAULT '',
    actor   TEXT NOT NULL DEFAULT 'system'
);
CREATE INDEX history_note ON history (note_id, id);

CREATE TABLE retrievals (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    agent_id   TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    query      TEXT NOT NULL,
    note_ids   TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE feedback (
    id           INTEGER PRIMARY KEY,
    retrieval_id TEXT NOT NULL REFERENCES retrievals (id),
    reward       REAL NOT NULL,
    note_ids     TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX feedback_retrieval ON feedback (retrieval_id);
