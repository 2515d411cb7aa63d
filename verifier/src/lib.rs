//! Signet's verifier: decides whether transparency-log evidence is valid. Pure and
//! synchronous: no network, no filesystem, no clock, no async runtime.
//!
//! So far it checks a Rekor v1 log entry as a log returns it ([`rekor_v1`]): body ↔
//! entry ID, log ID, signed entry timestamp, inclusion proof, and the signed
//! checkpoint the proof is against. Bundle verification (certificate chain, SCT,
//! identity policy) builds on these steps.

pub mod rekor_v1;
