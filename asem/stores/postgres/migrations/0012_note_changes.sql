-- Which notes changed, by the tenant's change counter at the write, so a process holding a
-- tenant's vectors in memory (the write path's matrix) brings them up to date by reading
-- only what changed since it last looked: another worker's write used to reload the whole
-- matrix (about 3 s at 100,000 notes). Every write of a tenant's notes holds the tenant's
-- write lock and bumps its row of tenant_changes first, in its transaction, so the counter
-- orders the tenant's changes as they committed. Triggers log every path that touches
-- what the matrix holds: inserts, vectors, deletes, archiving and restores, validity,
-- expiry, hard deletes, turns. Old entries are pruned; a reader too far behind reloads.
CREATE TABLE IF NOT EXISTS note_changes (
    user_id text NOT NULL,
    changes bigint NOT NULL,
    note_id text NOT NULL,
    removed boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS note_changes_user ON note_changes (user_id, changes);

CREATE OR REPLACE FUNCTION asem_note_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tenant text;
    note text;
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'turns' THEN
        tenant := OLD.user_id; note := OLD.note_id;
    ELSIF TG_OP = 'DELETE' THEN
        tenant := OLD.user_id; note := OLD.id;
    ELSIF TG_TABLE_NAME = 'turns' THEN
        tenant := NEW.user_id; note := NEW.note_id;
    ELSE
        tenant := NEW.user_id; note := NEW.id;
    END IF;
    INSERT INTO note_changes (user_id, changes, note_id, removed)
    VALUES (tenant, coalesce((SELECT changes FROM tenant_changes WHERE user_id = tenant), 0),
            note, TG_OP = 'DELETE');
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER note_changes_on_insert AFTER INSERT ON notes
    FOR EACH ROW EXECUTE FUNCTION asem_note_changed();
CREATE OR REPLACE TRIGGER note_changes_on_update
    AFTER UPDATE OF embedding, intent_embedding, deleted_at, valid_from, valid_until,
        expires_at, agent_id, session_id, user_id, embedder ON notes
    FOR EACH ROW EXECUTE FUNCTION asem_note_changed();
CREATE OR REPLACE TRIGGER note_changes_on_delete AFTER DELETE ON notes
    FOR EACH ROW EXECUTE FUNCTION asem_note_changed();
CREATE OR REPLACE TRIGGER note_changes_on_turn AFTER INSERT ON turns
    FOR EACH ROW EXECUTE FUNCTION asem_note_changed();
CREATE OR REPLACE TRIGGER note_changes_on_turn_delete AFTER DELETE ON turns
    FOR EACH ROW EXECUTE FUNCTION asem_note_changed();
