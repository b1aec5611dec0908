-- The order of conversation: one row per input stored (a chat turn, a text), in the order
-- said, with the note that holds it. A turn the manager recorded on an older note (NOOP) or
-- merged into one (UPDATE) is held by that note; a discarded turn leaves no row.
-- Conversational context reads its neighbours from here, so consolidation keeps the turn a
-- reply was answering.
CREATE TABLE turns (
    seq      INTEGER PRIMARY KEY,
    user_id  TEXT NOT NULL,
    agent_id TEXT NOT NULL DEFAULT '',
    thread   TEXT NOT NULL DEFAULT '',  -- provenance source, else scope session
    speaker  TEXT NOT NULL DEFAULT '',
    note_id  TEXT NOT NULL
);
CREATE INDEX turns_user ON turns (user_id, seq);

-- Notes written before this table existed: one turn each, in the order they were stored
-- (what conversational context read until now). The speaker is the head of the context
-- line "<speaker>, on <date>; ..." (types.speaker_of).
INSERT INTO turns (user_id, agent_id, thread, speaker, note_id)
SELECT user_id, agent_id, COALESCE(NULLIF(source_id, ''), session_id, ''),
       CASE WHEN instr(context, ', on ') > 0
            THEN trim(substr(context, 1, instr(context, ', on ') - 1)) ELSE '' END,
       id
FROM notes ORDER BY rowid;
