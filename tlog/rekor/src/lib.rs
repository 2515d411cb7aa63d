//! Rekor v1 protocol types, pure and synchronous.
//!
//! * [`entry`]: a `ProposedEntry` (hashedrekord 0.0.1, dsse 0.0.1) is validated — the
//!   signature must verify with the submitted key or certificate — and reduced to the
//!   canonical body that is hashed into the log (PROTOCOL.md §4.1).
//! * [`pki`]: submitted PEM keys and certificates, and their canonical re-encoding.
//! * [`set`]: the signed entry timestamp (PROTOCOL.md §4.3).
//! * [`uuid`]: entry UUIDs, 64-hex leaf hash or 80-hex entry ID (PROTOCOL.md §4.2).
//! * [`api`]: the REST wire DTOs (PROTOCOL.md §4.1, §4.4) and Signet's entry-metadata
//!   extension, kept apart from domain types.
//!
//! No I/O: no HTTP, no database, no async runtime.

pub mod api;
pub mod entry;
pub mod pki;
pub mod set;
pub mod uuid;
