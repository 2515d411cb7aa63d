//! Signet's verifier: decides whether a Sigstore bundle and its transparency-log evidence
//! are valid. Pure and synchronous: no network, no filesystem, no clock, no async
//! runtime; every time it checks against is given by the caller.
//!
//! Each verification step is a module with its own typed error: the bundle and the
//! trusted root parsed and shape-checked with hard limits ([`bundle`], [`trusted_root`]),
//! a Rekor v1 entry's SET, inclusion proof and checkpoint ([`rekor_v1`]), the certificate
//! chain at the signing time ([`chain`]), embedded SCTs ([`sct`]) and the signer's
//! identity against policy ([`identity`]). Joining them into one `verify` whose only
//! success path is "every required step passed" is the next step (issue 4).

pub mod audit; // re-verifying log contents entry by entry, for auditors (replay)
pub mod bundle; // Sigstore bundle v0.1–v0.3, parsed and shape-checked (PROTOCOL.md §6)
pub mod chain; // leaf → trusted CA path at the signing time (PROTOCOL.md §3.1, §3.2, §8)
pub mod common; // limits, proto enums, log IDs shared by `bundle` and `trusted_root`
pub mod identity; // signer identity and OIDC issuer, identity policy (§3.3–§3.5)
pub mod rekor_v1;
pub mod sct; // embedded SCTs against the trusted CT logs (§3.6, §3.7)
pub mod signing_config; // signing_config.json v0.2: the CA and Rekor v1 log to sign with (§7.2)
pub mod trusted_root; // trusted_root.json / ClientTrustConfig, parsed and shape-checked (§7)
pub mod tsa; // RFC 3161 timestamps against timestampAuthorities (§7.5)
pub mod verify; // the one verification path joining every step (§8)
