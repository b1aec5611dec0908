-- Poisoning defence (SPEC §2), as the SQLite store's migration 0013 has it: every note
-- records the trust of its source, whether the injection detector quarantined it, and the
-- detector's score. Notes stored before keep what their writer says.
ALTER TABLE notes ADD COLUMN IF NOT EXISTS trust text NOT NULL DEFAULT 'user_said';
ALTER TABLE notes ADD COLUMN IF NOT EXISTS quarantined boolean NOT NULL DEFAULT false;
ALTER TABLE notes ADD COLUMN IF NOT EXISTS quarantine_score double precision;
UPDATE notes SET trust = CASE lower(writer)
    WHEN 'import' THEN 'imported'
    WHEN 'assistant' THEN 'assistant_said' WHEN 'agent' THEN 'assistant_said'
    WHEN 'system' THEN 'assistant_said'
    WHEN 'tool' THEN 'tool_output' WHEN 'function' THEN 'tool_output'
    WHEN 'document' THEN 'document' WHEN 'web' THEN 'document'
    ELSE 'user_said' END;
-- A search asks for the few quarantined notes of a user on every call.
CREATE INDEX IF NOT EXISTS notes_quarantined ON notes (user_id) WHERE quarantined;
