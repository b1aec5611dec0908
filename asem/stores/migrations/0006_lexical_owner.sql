-- The lexical index again, with its owner column, for every file.
-- Files made before the owner column joined 0001 have notes_fts without it, and every search
-- of theirs fails ("no such column: owner"). The index is rebuilt from the live notes with
-- the values codec.fts_values writes; on a file that has the column, the result is the same
-- index. asem_owner_token is codec.owner_token, registered on every connection.
DROP TABLE notes_fts;
CREATE VIRTUAL TABLE notes_fts USING fts5 (
    content, keywords, tags, context, entities, owner,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO notes_fts (rowid, content, keywords, tags, context, entities, owner)
SELECT n.rowid, n.content,
       coalesce((SELECT group_concat(value, ' ') FROM json_each(n.keywords)), ''),
       coalesce((SELECT group_concat(value, ' ') FROM json_each(n.tags)), ''),
       n.context,
       coalesce((SELECT group_concat(value, ' ') FROM json_each(n.entities)), ''),
       asem_owner_token(n.user_id)
FROM notes n WHERE n.deleted_at IS NULL ORDER BY n.rowid;
