-- A search reads the speakers of a tenant's turns (asem.stores.postgres.pool): the distinct
-- speakers, one index probe each, and the notes a named speaker said.
CREATE INDEX IF NOT EXISTS turns_speaker ON turns (user_id, speaker);
