//! Signet's certificate authority service: the Fulcio v2 API over the pure pieces in
//! `signet-ca-core` (certificate profile, SCTs, key checks), `signet-ca-identity`
//! (issuers, identity mapping, policy), `signet-oidc` (token verification) and
//! `signet-hsm` (PKCS#11 custody), with a certificate-transparency log on
//! `signet-tlog` ([`ct`]) and its RFC 6962 §4 read API ([`ct_api`]).
//!
//! `PROTOCOL.md` §2 (Fulcio v2), §3 (profile) and §7 (trust configuration) are the
//! reference.

pub mod ct;
pub mod ct_api;
pub mod error;
pub mod http;
pub mod issuance;
pub mod keys;
pub mod trust;
pub mod wire;

pub use error::CaError;
pub use issuance::Ca;
