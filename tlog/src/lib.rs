//! Signet's transparency log server.
//!
//! * [`log::Log`]: the domain API (append, read, prove); the only thing handlers call.
//! * `sequencer`: group commit — one transaction and one checkpoint signature per batch.
//! * [`storage`]: SQLite (default) or PostgreSQL through `sqlx`; the only module that knows SQL.
//! * [`http`]: axum handlers for the Rekor v1 API, the C2SP tlog-tiles read API and the
//!   Signet entry-metadata bundles auditors read beside the tiles.
//!
//! The pure protocol code lives in `signet-tlog-core` (Merkle math, tiles, checkpoints)
//! and `signet-rekor` (entry canonicalisation, SET, wire DTOs).

pub mod error;
pub mod http;
pub mod log;
pub mod nodes;
pub mod ratelimit;
mod search_index;
mod sequencer;
pub mod state;
pub mod storage;
pub mod wire;

pub use error::LogError;
pub use log::{IfMissing, Log, LogConfig, LogFlavor};
