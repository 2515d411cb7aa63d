-- Signet transparency log search index (SQLite), in a file beside the log's database.
-- Derived data: every row can be re-filed from entries.keys in the log's database.

-- Search index for POST /api/v1/index/retrieve.
CREATE TABLE index_keys (
    key TEXT    NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (key, idx)
) WITHOUT ROWID;

-- Every entry with idx below indexed_through is in index_keys; it moves in the same
-- transaction as the keys it covers.
CREATE TABLE index_state (
    id              INTEGER PRIMARY KEY CHECK (id = 0),
    indexed_through INTEGER NOT NULL
);
INSERT INTO index_state (id, indexed_through) VALUES (0, 0);
