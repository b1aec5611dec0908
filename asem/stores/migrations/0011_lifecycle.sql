-- Memory over months (SPEC section 2, bounded memory; asem.lifecycle).
-- A short-term note carries the time it expires (expires_at, NULL for a long-term note):
-- a search never returns it once that time has passed, and maintenance archives it, unless
-- it was rewarded, restated or confirmed first (it is then long-term, expires_at NULL).
-- An archived note (archived_at) left the memory for maintenance (expiry or the tenant's
-- budget): like a soft-deleted note it keeps deleted_at set (out of search, listings and
-- the lexical index), and restoring it clears both.
ALTER TABLE notes ADD COLUMN expires_at TEXT;
ALTER TABLE notes ADD COLUMN archived_at TEXT;
CREATE INDEX IF NOT EXISTS notes_expiry ON notes (user_id, expires_at)
    WHERE expires_at IS NOT NULL AND deleted_at IS NULL;
-- What each maintenance run did: stats report the latest of a tenant.
CREATE TABLE IF NOT EXISTS maintenance_runs (
    id       INTEGER PRIMARY KEY,
    user_id  TEXT NOT NULL,
    at       TEXT NOT NULL,
    dry_run  INTEGER NOT NULL,
    expired  INTEGER NOT NULL,
    archived INTEGER NOT NULL,
    report   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS maintenance_runs_user ON maintenance_runs (user_id, id);
-- The audit row 'forget' leaves of a note removed for good: who, when, why; no content.
CREATE TABLE IF NOT EXISTS forgotten (
    id      INTEGER PRIMARY KEY,
    note_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS forgotten_user ON forgotten (user_id, id);
