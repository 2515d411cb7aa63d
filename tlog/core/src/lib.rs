//! Pure transparency-log core shared by the log server, the verifier and the auditor.
//!
//! What is here: RFC 6962 / RFC 9162 Merkle hashing ([`hash`]), the append-only
//! compact range that lets a log integrate new leaves while holding only
//! O(log n) hashes ([`tree`]), inclusion and consistency proofs, both building
//! them from stored node hashes and verifying them ([`proof`]), C2SP tlog-tiles
//! coordinates and paths ([`tile`]), C2SP signed notes and checkpoints
//! ([`note`], [`checkpoint`]), and the log's signing keys ([`keys`]).
//!
//! What is not here: no I/O, no async runtime, no database, no HTTP. Storage is
//! reached only through the node IDs a proof plan asks for.

pub mod checkpoint;
pub mod hash;
pub mod keys;
pub mod note;
pub mod proof;
pub mod tile;
pub mod tree;
