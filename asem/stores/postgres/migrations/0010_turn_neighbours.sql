-- A search reads the conversational neighbours of its candidates from the database
-- (asem.stores.postgres.dense): the turns of given notes, then the turn just before and
-- just after each in its conversation.
CREATE INDEX IF NOT EXISTS turns_note ON turns (user_id, note_id);
CREATE INDEX IF NOT EXISTS turns_thread ON turns (user_id, agent_id, thread, seq);
