-- A log of which notes changed, in commit order, so a process holding a user's vectors in
-- memory brings them up to date by reading only what changed since it last looked (a
-- write from another process used to drop every cached index: a 2 s reload at 100,000
-- notes). Triggers keep it on every path that touches what the vector index holds:
-- inserts, vectors, deletes, archiving and restores, validity, expiry, hard deletes. Old entries are pruned;
-- a reader that finds its last position pruned reloads.
CREATE TABLE IF NOT EXISTS note_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    note_id TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER IF NOT EXISTS note_changes_on_insert AFTER INSERT ON notes BEGIN
    INSERT INTO note_changes (user_id, note_id) VALUES (NEW.user_id, NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS note_changes_on_update
AFTER UPDATE OF embedding, intent_embedding, deleted_at, valid_from, valid_until, expires_at,
    agent_id, session_id, user_id, embedder ON notes BEGIN
    INSERT INTO note_changes (user_id, note_id) VALUES (NEW.user_id, NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS note_changes_on_delete AFTER DELETE ON notes BEGIN
    INSERT INTO note_changes (user_id, note_id, removed) VALUES (OLD.user_id, OLD.id, 1);
END;
CREATE TRIGGER IF NOT EXISTS note_changes_on_turn AFTER INSERT ON turns BEGIN
    INSERT INTO note_changes (user_id, note_id) VALUES (NEW.user_id, NEW.note_id);
END;
CREATE TRIGGER IF NOT EXISTS note_changes_on_turn_delete AFTER DELETE ON turns BEGIN
    INSERT INTO note_changes (user_id, note_id, removed) VALUES (OLD.user_id, OLD.note_id, 1);
END;
