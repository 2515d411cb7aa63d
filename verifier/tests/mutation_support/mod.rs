//! Fresh, fully valid bundles for the mutation and advisory tests, built from parts we
//! hold every key of: a CA with its CT log (`pki`), a Rekor v1 log key (ECDSA P-256) and a
//! Rekor v2 log key (Ed25519, C2SP checkpoints), a TSA (`tsa`), and the signer's key.
//!
//! A bundle is kept as [`Parts`] (decoded fields, before JSON) so that a test can change
//! exactly one input and re-sign everything downstream of it with [`World::seal`] (proof,
//! checkpoint, SET) or the body/content builders, so that only the check guarding that
//! input can fail. [`Scene::run`] parses and verifies, and names the failure by the typed
//! error's variant path (e.g. `Tlog/CheckpointMismatch`).
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

mod parts;
pub mod pki;
mod scene;
pub mod tree;
pub mod tsa;
mod world;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::json;
use signet_ca_core::san::{CertIdentity, FulcioExtension, SubjectAltName};
use signet_verifier::identity::IdentityPolicy;
use signet_verifier::verify::SignerPolicy;

pub use parts::*;
pub use pki::Pki;
pub use scene::*;
pub use tsa::Tsa;
pub use world::*;

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// 2025-06-01T12:00:00Z: the leaf's notBefore (it is valid ten minutes).
pub const T0: u64 = 1_748_779_200;
/// The integrated time of every fresh entry.
pub const INTEGRATED: u64 = T0 + 60;
/// The genTime of every fresh RFC 3161 timestamp.
pub const GEN_TIME: u64 = T0 + 120;
/// The verifier's clock.
pub const NOW: u64 = T0 + 3600;
pub const LOG_HOST: &str = "log.signet.test";
pub const LOG_V2_HOST: &str = "log2.signet.test";
pub const TREE_ID: u64 = 4242;
/// The entry sits at index 5 of a 7-leaf tree (a proof with both left and right siblings).
pub const TREE_SIZE: u64 = 7;
pub const TREE_INDEX: u64 = 5;
/// The entry's global (virtual) log index, which the SET signs.
pub const LOG_INDEX: u64 = 1_000_005;
pub const EMAIL: &str = "alice@example.com";
pub const ISSUER: &str = "https://accounts.example.com";
pub const ARTEFACT: &[u8] = b"the artefact, version 1\n";
pub const MEDIA_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const MEDIA_V02: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
pub const MEDIA_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";

pub fn unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

pub fn rfc3339(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap())
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// PAE(type, body) (DSSE protocol.md), written out as the spec gives it.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// An in-toto v1 statement naming `artefact` by SHA-256.
pub fn statement(artefact: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artefact", "digest": {"sha256": hex::encode(sha256(artefact))}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
    }))
    .unwrap()
}

pub fn identity(san: SubjectAltName) -> CertIdentity {
    CertIdentity {
        san,
        extensions: vec![
            FulcioExtension {
                arc: 1,
                value: ISSUER.into(),
            },
            FulcioExtension {
                arc: 8,
                value: ISSUER.into(),
            },
        ],
    }
}

pub fn email_policy() -> SignerPolicy {
    SignerPolicy::Identity(IdentityPolicy::exact(EMAIL, ISSUER))
}
