-- Supersession (bi-temporal validity): a note holds from valid_from until valid_until
-- (NULL: open at that end), and superseded_by names the note that holds the fact since.
-- A superseded note stays live and searchable for questions about the past; only open
-- notes (valid_until NULL) must be unique per content in a scope, so a fact that held
-- before can be said again once it was superseded.
ALTER TABLE notes ADD COLUMN valid_from TEXT;
ALTER TABLE notes ADD COLUMN valid_until TEXT;
ALTER TABLE notes ADD COLUMN superseded_by TEXT;
DROP INDEX notes_scope_hash;
CREATE UNIQUE INDEX notes_scope_hash
    ON notes (user_id, agent_id, session_id, content_hash)
    WHERE deleted_at IS NULL AND valid_until IS NULL;
