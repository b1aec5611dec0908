-- Poisoning defence (SPEC §2): every note records the trust of its source, derived from its
-- writer and channel when it was written (asem.guard.trust), and whether the injection
-- detector quarantined it (kept and listed, never returned by a default search, never
-- promoted by feedback) with the detector's score. Notes stored before keep what their
-- writer says: the writers ASEM itself gives are user, import and the chat roles.
ALTER TABLE notes ADD COLUMN trust TEXT NOT NULL DEFAULT 'user_said';
ALTER TABLE notes ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notes ADD COLUMN quarantine_score REAL;
UPDATE notes SET trust = CASE lower(writer)
    WHEN 'import' THEN 'imported'
    WHEN 'assistant' THEN 'assistant_said' WHEN 'agent' THEN 'assistant_said'
    WHEN 'system' THEN 'assistant_said'
    WHEN 'tool' THEN 'tool_output' WHEN 'function' THEN 'tool_output'
    WHEN 'document' THEN 'document' WHEN 'web' THEN 'document'
    ELSE 'user_said' END;
-- A search asks for the few quarantined notes of a user on every call: a partial index
-- holds only them.
CREATE INDEX IF NOT EXISTS notes_quarantined ON notes (user_id) WHERE quarantined = 1;
