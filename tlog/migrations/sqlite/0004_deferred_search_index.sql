-- The search index is filed behind the sequencer, no longer in the batch's transaction:
-- each entry's search keys are stored in its own row (a JSON array of strings), and the
-- index itself lives in a database file of its own (migrations/sqlite-index), which has
-- its own writer and WAL, so filing never holds up a batch's commit. Entries written
-- before this migration keep keys = NULL; their keys are in this file's index_keys
-- table, which the log moves into the index file when it opens and then drops.
ALTER TABLE entries ADD COLUMN keys TEXT;
