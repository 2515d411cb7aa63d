-- The search index (index_keys) is filed behind the sequencer, no longer in the batch's
-- transaction: each entry's search keys are stored in its own row (a JSON array of
-- strings), and index_state records how far index_keys is complete. Every entry with idx
-- below indexed_through has its keys in index_keys; after a crash the log re-files
-- entries from indexed_through on from their stored keys before it serves. Entries
-- written before this migration were filed in their batch's transaction: they keep
-- keys = NULL and lie below the watermark set here.
ALTER TABLE entries ADD COLUMN keys TEXT;
CREATE TABLE index_state (
    id              INTEGER PRIMARY KEY CHECK (id = 0),
    indexed_through BIGINT  NOT NULL
);
INSERT INTO index_state (id, indexed_through) SELECT 0, COALESCE(MAX(idx) + 1, 0) FROM entries;
