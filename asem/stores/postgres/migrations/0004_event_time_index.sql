-- As the SQLite store's migration 0014: the notes of a user whose event time falls in a
-- period a query names (asem.read.when), without reading every note of the user.
CREATE INDEX IF NOT EXISTS notes_event ON notes (user_id, event_time) WHERE deleted_at IS NULL;
