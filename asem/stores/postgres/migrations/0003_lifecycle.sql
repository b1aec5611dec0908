-- Memory over months (SPEC section 2; asem.lifecycle), as the SQLite store's migration 0011
-- has it. A short-term note carries the time it expires (expires_at, NULL for a long-term
-- note): a search never returns it once that time has passed, and maintenance archives it
-- unless it was rewarded, restated or confirmed first. An archived note (archived_at) left
-- the memory for maintenance: like a soft-deleted note it keeps deleted_at set (out of
-- search, listings and the lexical index), and restoring it clears both.
ALTER TABLE notes ADD COLUMN IF NOT EXISTS expires_at timestamp;
ALTER TABLE notes ADD COLUMN IF NOT EXISTS archived_at timestamp;
CREATE INDEX IF NOT EXISTS notes_expiry ON notes (user_id, expires_at)
    WHERE expires_at IS NOT NULL AND deleted_at IS NULL;
-- What each maintenance run did: stats report the latest of a tenant.
CREATE TABLE IF NOT EXISTS maintenance_runs (
    id       bigserial PRIMARY KEY,
    user_id  text NOT NULL,
    at       timestamp NOT NULL,
    dry_run  boolean NOT NULL,
    expired  integer NOT NULL,
    archived integer NOT NULL,
    report   text NOT NULL     -- JSON
);
CREATE INDEX IF NOT EXISTS maintenance_runs_user ON maintenance_runs (user_id, id);
-- The audit row 'forget' leaves of a note removed for good: who, when, why; no content.
CREATE TABLE IF NOT EXISTS forgotten (
    id      bigserial PRIMARY KEY,
    note_id text NOT NULL,
    user_id text NOT NULL,
    at      timestamp NOT NULL,
    actor   text NOT NULL,
    reason  text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS forgotten_user ON forgotten (user_id, id);
