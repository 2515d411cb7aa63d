-- Signet transparency log schema (SQLite).
-- Invariant: every row of one batch (entries, nodes, index keys, checkpoint) is
-- written in one transaction, so the tree in storage always matches its newest checkpoint.

-- Log identity: tree ID, origin. Written once at creation.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Leaves. idx is the tree index (= global log index, single shard).
CREATE TABLE entries (
    idx             INTEGER PRIMARY KEY,
    leaf_hash       BLOB    NOT NULL UNIQUE,
    body            BLOB    NOT NULL,
    integrated_time INTEGER NOT NULL
);

-- Complete interior Merkle nodes (level >= 1), keyed by id = level << 56 | index.
-- Level-0 nodes are entries.leaf_hash.
CREATE TABLE nodes (
    id   INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

-- Every checkpoint the log ever signed, so any served checkpoint can be re-proved.
CREATE TABLE checkpoints (
    tree_size INTEGER PRIMARY KEY,
    root      BLOB    NOT NULL,
    note      TEXT    NOT NULL
);

-- Search index for POST /api/v1/index/retrieve.
CREATE TABLE index_keys (
    key TEXT    NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (key, idx)
) WITHOUT ROWID;
