-- Signet transparency log schema (PostgreSQL). Same shape as the SQLite schema.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE entries (
    idx             BIGINT PRIMARY KEY,
    leaf_hash       BYTEA  NOT NULL UNIQUE,
    body            BYTEA  NOT NULL,
    integrated_time BIGINT NOT NULL
);

CREATE TABLE nodes (
    id   BIGINT PRIMARY KEY,
    hash BYTEA  NOT NULL
);

CREATE TABLE checkpoints (
    tree_size BIGINT PRIMARY KEY,
    root      BYTEA  NOT NULL,
    note      TEXT   NOT NULL
);

CREATE TABLE index_keys (
    key TEXT   NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (key, idx)
);
