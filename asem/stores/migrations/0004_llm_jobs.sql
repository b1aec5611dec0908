-- The durable queue of LLM work (enrichment, linking and evolution of a new note). A note is
-- stored and searchable before its job runs; a job left 'running' by a worker that died is
-- claimed again once its lease runs out, so no input is lost to a crash or an outage.
CREATE TABLE llm_jobs (
    id          INTEGER PRIMARY KEY,
    note_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',  -- pending, running, done, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    claimed_at  TEXT,
    finished_at TEXT
);
CREATE INDEX llm_jobs_status ON llm_jobs (status, id);
CREATE INDEX llm_jobs_note ON llm_jobs (note_id);
