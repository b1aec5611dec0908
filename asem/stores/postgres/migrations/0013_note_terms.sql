-- BM25's postings: one row per live note and lexeme of its tsvector, with the lexeme's
-- weighted term frequency (content 1.0, keywords and entities 0.6, context 0.4, tags 0.3)
-- and the note's length. A search scored every note matching a query term by unnesting its
-- whole tsvector: 110 ms a search at 100,000 notes, where the matches of common words run
-- to tens of thousands. Read from this index instead, the same scores take a range scan
-- per query lexeme. A trigger keeps the rows in step with every write of a note's
-- lexical column, length, tenant or deletion, whichever path makes it.
CREATE TABLE IF NOT EXISTS note_terms (
    user_id text NOT NULL,
    lexeme text NOT NULL,
    seq bigint NOT NULL REFERENCES notes (seq) ON DELETE CASCADE,
    len integer NOT NULL,
    tf double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS note_terms_lexeme ON note_terms (user_id, lexeme)
    INCLUDE (seq, len, tf);
CREATE INDEX IF NOT EXISTS note_terms_seq ON note_terms (seq);

CREATE OR REPLACE FUNCTION asem_note_terms(note notes) RETURNS TABLE (
    user_id text, lexeme text, seq bigint, len integer, tf double precision
) LANGUAGE sql STABLE AS $$
    SELECT note.user_id, x.lexeme, note.seq, note.lexical_len,
           coalesce((SELECT sum(CASE w WHEN 'A' THEN 1.0 WHEN 'B' THEN 0.6
                                       WHEN 'C' THEN 0.4 ELSE 0.3 END)
                     FROM unnest(x.weights) w), 0)::float8
    FROM unnest(note.lexical) x
    WHERE note.deleted_at IS NULL
$$;

CREATE OR REPLACE FUNCTION asem_note_terms_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM note_terms WHERE note_terms.seq = OLD.seq;
    END IF;
    INSERT INTO note_terms SELECT * FROM asem_note_terms(NEW);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER note_terms_on_insert AFTER INSERT ON notes
    FOR EACH ROW EXECUTE FUNCTION asem_note_terms_changed();
CREATE OR REPLACE TRIGGER note_terms_on_update
    AFTER UPDATE OF lexical, lexical_len, deleted_at, user_id ON notes
    FOR EACH ROW
    WHEN (OLD.lexical IS DISTINCT FROM NEW.lexical
          OR OLD.lexical_len IS DISTINCT FROM NEW.lexical_len
          OR (OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL)
          OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION asem_note_terms_changed();

INSERT INTO note_terms
SELECT t.* FROM notes n, asem_note_terms(n) t
WHERE n.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM note_terms WHERE note_terms.seq = n.seq);
