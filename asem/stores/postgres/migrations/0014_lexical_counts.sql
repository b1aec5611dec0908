-- BM25's statistics of each tenant, kept by triggers in the transaction of every write:
-- its live notes and their tokens (N and the mean length), and how many of its live notes
-- hold each lexeme (a lexeme's document frequency). Counted from the notes and postings at
-- a search, they cost the first search after every write a scan of the tenant's notes and
-- of each query lexeme's postings: most of a search after a write at a million notes.
CREATE TABLE IF NOT EXISTS tenant_lexical (
    user_id text PRIMARY KEY,
    notes bigint NOT NULL,
    tokens bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS lexeme_notes (
    user_id text NOT NULL,
    lexeme text NOT NULL,
    notes bigint NOT NULL,
    PRIMARY KEY (user_id, lexeme)
);

CREATE OR REPLACE FUNCTION asem_tenant_lexical_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        UPDATE tenant_lexical SET notes = notes - 1, tokens = tokens - OLD.lexical_len
        WHERE user_id = OLD.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
        INSERT INTO tenant_lexical AS t (user_id, notes, tokens)
        VALUES (NEW.user_id, 1, NEW.lexical_len)
        ON CONFLICT (user_id) DO UPDATE SET notes = t.notes + 1,
                                            tokens = t.tokens + excluded.tokens;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER tenant_lexical_on_insert AFTER INSERT ON notes
    FOR EACH ROW EXECUTE FUNCTION asem_tenant_lexical_changed();
CREATE OR REPLACE TRIGGER tenant_lexical_on_update
    AFTER UPDATE OF lexical_len, deleted_at, user_id ON notes
    FOR EACH ROW
    WHEN (OLD.lexical_len IS DISTINCT FROM NEW.lexical_len
          OR (OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL)
          OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION asem_tenant_lexical_changed();
CREATE OR REPLACE TRIGGER tenant_lexical_on_delete AFTER DELETE ON notes
    FOR EACH ROW EXECUTE FUNCTION asem_tenant_lexical_changed();

-- The postings a statement added or removed, counted per lexeme at its end. A count that
-- falls to nothing goes with its row: a forgotten note's words leave no row behind.
CREATE OR REPLACE FUNCTION asem_lexeme_notes_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lexeme_notes AS c (user_id, lexeme, notes)
    SELECT user_id, lexeme, count(*) FROM added GROUP BY user_id, lexeme
    ON CONFLICT (user_id, lexeme) DO UPDATE SET notes = c.notes + excluded.notes;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION asem_lexeme_notes_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE lexeme_notes c SET notes = c.notes - r.n
    FROM (SELECT user_id, lexeme, count(*) AS n FROM removed GROUP BY user_id, lexeme) r
    WHERE c.user_id = r.user_id AND c.lexeme = r.lexeme;
    DELETE FROM lexeme_notes c USING (SELECT DISTINCT user_id, lexeme FROM removed) r
    WHERE c.user_id = r.user_id AND c.lexeme = r.lexeme AND c.notes <= 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER lexeme_notes_on_insert AFTER INSERT ON note_terms
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION asem_lexeme_notes_added();
CREATE OR REPLACE TRIGGER lexeme_notes_on_delete AFTER DELETE ON note_terms
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION asem_lexeme_notes_removed();

INSERT INTO tenant_lexical (user_id, notes, tokens)
SELECT user_id, count(*), coalesce(sum(lexical_len), 0) FROM notes
WHERE deleted_at IS NULL GROUP BY user_id
ON CONFLICT (user_id) DO NOTHING;
INSERT INTO lexeme_notes (user_id, lexeme, notes)
SELECT user_id, lexeme, count(*) FROM note_terms GROUP BY user_id, lexeme
ON CONFLICT (user_id, lexeme) DO NOTHING;
