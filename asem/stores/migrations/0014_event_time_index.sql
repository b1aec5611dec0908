-- A search whose query names a date or a period (asem.read.when) asks for the user's notes
-- whose event time falls in it: an index on (user, event time) answers that without
-- reading every note of the user.
CREATE INDEX IF NOT EXISTS notes_event ON notes (user_id, event_time) WHERE deleted_at IS NULL;
