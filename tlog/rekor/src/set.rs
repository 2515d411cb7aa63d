//! Signed Entry Timestamp, the Rekor v1 inclusion promise (PROTOCOL.md §4.3, §12 item 6).
//!
//! The SET is the log key's ECDSA P-256 / SHA-256 ASN.1 DER signature over the
//! RFC 8785 (JCS) canonical JSON of exactly four keys:
//! `{"body":<b64 string>,"integratedTime":<int>,"logID":<hex string>,"logIndex":<int>}`.

use serde::Serialize;
use signet_tlog_core::keys::{EcdsaP256Signer, EcdsaP256Verifier, KeyError};

/// Errors from building, signing or verifying a signed entry timestamp.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    /// The payload could not be canonicalised (RFC 8785).
    #[error("canonicalising the SET payload")]
    Canonicalize(#[source] serde_json::Error),
    /// The log key failed to sign.
    #[error("signing the SET")]
    Sign(#[source] KeyError),
    /// The SET does not verify with the log key over this entry.
    #[error("signed entry timestamp does not verify")]
    InvalidSignature(#[source] KeyError),
}

/// The four SET payload fields. JCS sorts the keys, so field order here does not
/// matter; the names are the exact JSON keys of PROTOCOL.md §4.3.
#[derive(Serialize)]
struct SetPayload<'a> {
    /// Base64 of the canonical entry body: the same string as `LogEntry.body`.
    body: &'a str,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    /// Lowercase hex SHA-256 of the log key's DER SPKI (PROTOCOL.md §4.2).
    #[serde(rename = "logID")]
    log_id: &'a str,
    /// The global (virtual) log index.
    #[serde(rename = "logIndex")]
    log_index: u64,
}

/// RFC 8785 (JCS) bytes of
/// `{"body":<b64 string>,"integratedTime":<int>,"logID":<hex string>,"logIndex":<int>}`
/// (PROTOCOL.md §4.3).
///
/// # Errors
/// [`SetError::Canonicalize`] if canonicalisation fails.
pub fn set_payload(
    body_b64: &str,
    integrated_time: i64,
    log_id_hex: &str,
    log_index: u64,
) -> Result<Vec<u8>, SetError> {
    let payload = SetPayload {
        body: body_b64,
        integrated_time,
        log_id: log_id_hex,
        log_index,
    };
    serde_json_canonicalizer::to_vec(&payload).map_err(SetError::Canonicalize)
}

/// Signs the SET for an entry with the log key; `logID` = hex(`signer.key_id()`).
/// Returns the ASN.1 DER ECDSA signature (bundles carry it base64-encoded).
///
/// # Errors
/// [`SetError::Canonicalize`], [`SetError::Sign`].
pub fn sign_set(
    signer: &EcdsaP256Signer,
    body_b64: &str,
    integrated_time: i64,
    log_index: u64,
) -> Result<Vec<u8>, SetError> {
    let log_id = hex::encode(signer.key_id());
    let payload = set_payload(body_b64, integrated_time, &log_id, log_index)?;
    signer.sign(&payload).map_err(SetError::Sign)
}

/// Verifies a SET (ASN.1 DER ECDSA) for an entry against the log key; `logID` =
/// hex(`verifier.key_id()`) and `log_index` is the global index.
///
/// # Errors
/// [`SetError::Canonicalize`], [`SetError::InvalidSignature`].
pub fn verify_set(
    verifier: &EcdsaP256Verifier,
    body_b64: &str,
    integrated_time: i64,
    log_index: u64,
    set: &[u8],
) -> Result<(), SetError> {
    let log_id = hex::encode(verifier.key_id());
    let payload = set_payload(body_b64, integrated_time, &log_id, log_index)?;
    verifier
        .verify(&payload, set)
        .map_err(SetError::InvalidSignature)
}
