-- Which notes hold a turn id, indexed: recognising a turn given again (ingesting a file a
-- second time changes nothing) asked every note of the user for its turn ids, a scan that
-- grew with the memory (20 ms a write at 10,000 notes). Triggers keep the table in step with
-- notes.turn_ids on every path that writes it (insert, merge, update, import).
CREATE TABLE IF NOT EXISTS note_turns (
    note_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    UNIQUE (note_id, turn_id)
);
CREATE INDEX IF NOT EXISTS note_turns_by_turn ON note_turns (user_id, turn_id);
INSERT OR IGNORE INTO note_turns (note_id, user_id, turn_id)
    SELECT n.id, n.user_id, t.value FROM notes n, json_each(n.turn_ids) t;
CREATE TRIGGER IF NOT EXISTS note_turns_on_insert AFTER INSERT ON notes BEGIN
    INSERT OR IGNORE INTO note_turns (note_id, user_id, turn_id)
        SELECT NEW.id, NEW.user_id, t.value FROM json_each(NEW.turn_ids) t;
END;
CREATE TRIGGER IF NOT EXISTS note_turns_on_update AFTER UPDATE OF turn_ids ON notes BEGIN
    DELETE FROM note_turns WHERE note_id = OLD.id;
    INSERT OR IGNORE INTO note_turns (note_id, user_id, turn_id)
        SELECT NEW.id, NEW.user_id, t.value FROM json_each(NEW.turn_ids) t;
END;
CREATE TRIGGER IF NOT EXISTS note_turns_on_delete AFTER DELETE ON notes BEGIN
    DELETE FROM note_turns WHERE note_id = OLD.id;
END;
