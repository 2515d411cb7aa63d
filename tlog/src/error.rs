//! The log's error type. Status codes are chosen in one place (`http.rs`), from these variants.

use signet_rekor::entry::EntryError;
use signet_tlog_core::{checkpoint::CheckpointError, proof::ProofError};

use crate::{
    ratelimit::{Rate, RetryAfter},
    storage::StorageError,
};

/// Everything a log operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The proposed entry is malformed or does not verify (400, or 413 when too large).
    #[error(transparent)]
    InvalidEntry(#[from] EntryError),
    /// A request parameter is malformed or out of range (400).
    #[error("{0}")]
    BadRequest(String),
    /// Too many items requested at once (422).
    #[error("{0}")]
    TooManyItems(String),
    /// Nothing with that key (404).
    #[error("{0}")]
    NotFound(String),
    /// The sequencer queue is full; retry later (503 with Retry-After).
    #[error("log is overloaded; retry later")]
    Overloaded,
    /// A rate limit refused the request; retry after the given time (429 with
    /// Retry-After).
    #[error("rate limit of {rate} per {limit} exceeded; retry in {} s", retry_after.header_secs())]
    RateLimited {
        /// What the limit is keyed by (`signer`, `address`).
        limit: &'static str,
        /// The configured rate.
        rate: Rate,
        /// How long until the next request may pass.
        retry_after: RetryAfter,
    },
    /// The log is shutting down (503).
    #[error("log is shutting down")]
    ShuttingDown,
    /// Storage failed; nothing of the request was written (503).
    #[error("storage unavailable: {0}")]
    Storage(#[from] StorageError),
    /// A batch could not be committed; nothing of it was written (503).
    #[error("storage refused the write, nothing was written: {reason}")]
    WriteFailed {
        /// The storage error, as text (shared by every entry of the batch).
        reason: String,
    },
    /// Stored state contradicts itself (refuse to serve; 500).
    #[error("log state is inconsistent: {0}")]
    Inconsistent(String),
    /// Signing a checkpoint or SET failed (500).
    #[error("signing failed: {0}")]
    Signing(String),
    /// A proof could not be built from stored nodes (500).
    #[error("proof construction failed: {0}")]
    Proof(#[from] ProofError),
    /// A stored checkpoint does not parse or verify (500).
    #[error("stored checkpoint invalid: {0}")]
    Checkpoint(#[from] CheckpointError),
}
