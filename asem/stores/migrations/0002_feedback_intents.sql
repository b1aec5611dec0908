-- Intent-conditioned utility (ReadConfig.intent_utility): the query embedding of each
-- retrieval, and one row per note each feedback call changed, with the utility before it
-- and the rate used, so a note's utility can be replayed weighted by query similarity.
ALTER TABLE retrievals ADD COLUMN query_embedding BLOB;

CREATE TABLE note_feedback (
    id             INTEGER PRIMARY KEY,
    note_id        TEXT NOT NULL,
    retrieval_id   TEXT NOT NULL REFERENCES retrievals (id),
    reward         REAL NOT NULL,
    learning_rate  REAL NOT NULL,
    utility_before REAL NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX note_feedback_note ON note_feedback (note_id, id);
