-- Every note carries a row version: 1 when inserted, one more with each change to it (its
-- content, attributes, vectors, tier or provenance; deleting or restoring it). A write decided
-- on a note names the version it read, and the store refuses the write when the note has
-- moved on since (stores.base.WriteBatch.expected): two writers never overwrite each other.
-- Feedback (utility, usage) leaves it as it is: it changes what is ranked, not what is said.
ALTER TABLE notes ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
