-- The PostgreSQL schema of the same contract the SQLite store keeps (asem.stores.base):
-- notes with their vectors (pgvector) and lexical index (full-text search), links, history,
-- retrievals and feedback, the order of conversation, the LLM job queue and API keys.
-- Times are naive UTC (timestamp without time zone), to the second, as SQLite keeps them.
CREATE EXTENSION IF NOT EXISTS vector;

-- One text search configuration for the notes and the queries, so both always agree: English
-- stemming without a stop-word list, as the SQLite store's FTS5 (porter) tokenizes; BM25's
-- IDF already weighs common words down.
CREATE TEXT SEARCH DICTIONARY asem_stem (TEMPLATE = snowball, language = english);
CREATE TEXT SEARCH CONFIGURATION asem_text (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION asem_text
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH asem_stem;

CREATE TABLE notes (
    seq              bigserial PRIMARY KEY,   -- insertion order (the vector index's rows)
    id               text NOT NULL UNIQUE,
    user_id          text NOT NULL,
    agent_id         text NOT NULL DEFAULT '',
    session_id       text NOT NULL DEFAULT '',
    content          text NOT NULL,
    content_hash     text NOT NULL,
    created_at       timestamp NOT NULL,
    observed_at      timestamp NOT NULL,
    event_time       timestamp NOT NULL,
    updated_at       timestamp,
    keywords         text[] NOT NULL DEFAULT '{}',
    tags             text[] NOT NULL DEFAULT '{}',
    context          text NOT NULL DEFAULT '',
    entities         text[] NOT NULL DEFAULT '{}',
    dates            text NOT NULL DEFAULT '[]',   -- JSON: [[phrase, iso date, granularity]]
    -- Untyped, so one database may hold notes of several embedders; each dimension in use
    -- gets its own HNSW index over (embedding::vector(dim)) when a store opens with it.
    embedding        vector NOT NULL,
    intent_embedding vector NOT NULL,
    embedder         text NOT NULL,
    utility          double precision NOT NULL,
    usage_count      integer NOT NULL DEFAULT 0,
    last_used        timestamp,
    tier             text NOT NULL DEFAULT 'long_term',
    source_id        text,
    turn_ids         text[] NOT NULL DEFAULT '{}',
    writer           text NOT NULL DEFAULT 'user',
    channel          text NOT NULL DEFAULT 'api',
    deleted_at       timestamp,
    delete_reason    text,
    valid_from       timestamp,
    valid_until      timestamp,
    superseded_by    text,
    version          integer NOT NULL DEFAULT 1,
    -- Weighted as SQLite's BM25 columns: content A (1.0), keywords and entities B (0.6),
    -- context C (0.4), tags D (0.3); lexical_len is the note's length in tokens (BM25 |D|).
    lexical          tsvector NOT NULL DEFAULT ''::tsvector,
    lexical_len      integer NOT NULL DEFAULT 0
);
-- The same content twice in one scope makes one note (deleted and superseded notes aside).
CREATE UNIQUE INDEX notes_scope_hash ON notes (user_id, agent_id, session_id, content_hash)
    WHERE deleted_at IS NULL AND valid_until IS NULL;
CREATE INDEX notes_user ON notes (user_id, deleted_at) INCLUDE (lexical_len);
CREATE INDEX notes_lexical ON notes USING gin (lexical) WHERE deleted_at IS NULL;
CREATE INDEX notes_list ON notes (user_id, created_at, id);

CREATE FUNCTION asem_lexical() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.lexical :=
        setweight(to_tsvector('asem_text', NEW.content), 'A')
        || setweight(to_tsvector('asem_text', array_to_string(NEW.keywords || NEW.entities, ' ')), 'B')
        || setweight(to_tsvector('asem_text', NEW.context), 'C')
        || setweight(to_tsvector('asem_text', array_to_string(NEW.tags, ' ')), 'D');
    NEW.lexical_len := coalesce((SELECT sum(array_length(u.positions, 1))
                                 FROM unnest(NEW.lexical) u), 0);
    RETURN NEW;
END $$;
CREATE TRIGGER notes_lexical BEFORE INSERT OR UPDATE OF content, keywords, entities, context, tags
    ON notes FOR EACH ROW EXECUTE FUNCTION asem_lexical();

-- Which notes hold a turn id (a turn given again is recognised by one indexed lookup).
CREATE TABLE note_turns (
    note_id text NOT NULL,
    user_id text NOT NULL,
    turn_id text NOT NULL,
    UNIQUE (note_id, turn_id)
);
CREATE INDEX note_turns_by_turn ON note_turns (user_id, turn_id);
CREATE FUNCTION asem_note_turns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.turn_ids = OLD.turn_ids THEN RETURN NEW; END IF;
        DELETE FROM note_turns WHERE note_id = OLD.id;
    END IF;
    INSERT INTO note_turns (note_id, user_id, turn_id)
        SELECT NEW.id, NEW.user_id, t FROM unnest(NEW.turn_ids) t ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER notes_turns AFTER INSERT OR UPDATE OF turn_ids ON notes
    FOR EACH ROW EXECUTE FUNCTION asem_note_turns();

CREATE TABLE links (
    src        text NOT NULL,
    dst        text NOT NULL,
    relation   text NOT NULL,
    strength   double precision NOT NULL DEFAULT 0,
    created_at timestamp NOT NULL,
    PRIMARY KEY (src, dst)
);
CREATE INDEX links_dst ON links (dst);

CREATE TABLE history (
    id      bigserial PRIMARY KEY,
    note_id text NOT NULL,
    op      text NOT NULL,
    old     text,            -- JSON, as written (exactly what SQLite keeps)
    new     text,
    at      timestamp NOT NULL,
    reason  text NOT NULL DEFAULT '',
    actor   text NOT NULL DEFAULT 'system'
);
CREATE INDEX history_note ON history (note_id, id);

CREATE TABLE retrievals (
    seq             bigserial,
    id              text PRIMARY KEY,
    user_id         text NOT NULL,
    agent_id        text NOT NULL DEFAULT '',
    session_id      text NOT NULL DEFAULT '',
    query           text NOT NULL,
    note_ids        text[] NOT NULL,
    created_at      timestamp NOT NULL,
    query_embedding vector
);
CREATE INDEX retrievals_user ON retrievals (user_id, seq);

CREATE TABLE feedback (
    id           bigserial PRIMARY KEY,
    retrieval_id text NOT NULL REFERENCES retrievals (id),
    reward       double precision NOT NULL,
    note_ids     text[] NOT NULL,
    at           timestamp NOT NULL
);
CREATE INDEX feedback_retrieval ON feedback (retrieval_id);

CREATE TABLE note_feedback (
    id             bigserial PRIMARY KEY,
    note_id        text NOT NULL,
    retrieval_id   text NOT NULL REFERENCES retrievals (id),
    reward         double precision NOT NULL,
    learning_rate  double precision NOT NULL,
    utility_before double precision NOT NULL,
    at             timestamp NOT NULL
);
CREATE INDEX note_feedback_note ON note_feedback (note_id, id);

CREATE TABLE turns (
    seq      bigserial PRIMARY KEY,
    user_id  text NOT NULL,
    agent_id text NOT NULL DEFAULT '',
    thread   text NOT NULL DEFAULT '',
    speaker  text NOT NULL DEFAULT '',
    note_id  text NOT NULL
);
CREATE INDEX turns_user ON turns (user_id, seq);

-- One row per tenant, bumped by every transaction that changes what its vector index
-- holds: a process compares it with the value its cached index was loaded at.
CREATE TABLE tenant_changes (
    user_id text PRIMARY KEY,
    changes bigint NOT NULL DEFAULT 0
);

CREATE TABLE llm_jobs (
    id          bigserial PRIMARY KEY,
    note_id     text NOT NULL,
    user_id     text NOT NULL,
    status      text NOT NULL DEFAULT 'pending',  -- pending, running, done, failed
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamp NOT NULL,
    claimed_at  timestamp,
    finished_at timestamp
);
CREATE INDEX llm_jobs_status ON llm_jobs (status, id);
CREATE INDEX llm_jobs_note ON llm_jobs (note_id);

CREATE TABLE api_keys (
    seq         bigserial,
    id          text PRIMARY KEY,
    secret_hash text NOT NULL,
    user_id     text,
    admin       boolean NOT NULL DEFAULT false,
    name        text NOT NULL DEFAULT '',
    created_at  timestamp NOT NULL,
    revoked_at  timestamp,
    CHECK ((admin AND user_id IS NULL) OR (NOT admin AND user_id IS NOT NULL))
);
