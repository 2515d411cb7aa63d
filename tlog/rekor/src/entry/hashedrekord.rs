//! `hashedrekord` 0.0.1 (PROTOCOL.md §4.1; Rekor `pkg/types/hashedrekord/v0.0.1`).
//!
//! Proposed and stored spec have the same shape:
//! `{"data":{"hash":{"algorithm","value"}},"signature":{"content","publicKey":{"content"}}}`.
//! The signature must verify over the digest with the key (or chain leaf). The stored
//! body keeps the digest (lowercase hex), the signature bytes re-encoded in standard
//! base64 and the key as base64 of its canonical PEM (PROTOCOL.md §12 item 10).

use serde::Serialize;
use serde_json::Value;

use super::json::{self, base64_encode};
use super::{hash_key, serialize_body, EntryError, EntryKind, EntryLimits, FieldPath, HashValue};
use crate::pki::{key_fingerprint, HashAlgorithm, SubmittedKey};

const SPEC: FieldPath = FieldPath::new("spec");
const DATA: FieldPath = FieldPath::new("spec.data");
const HASH: FieldPath = FieldPath::new("spec.data.hash");
const HASH_ALGORITHM: FieldPath = FieldPath::new("spec.data.hash.algorithm");
const HASH_VALUE: FieldPath = FieldPath::new("spec.data.hash.value");
const SIGNATURE: FieldPath = FieldPath::new("spec.signature");
const SIGNATURE_CONTENT: FieldPath = FieldPath::new("spec.signature.content");
const PUBLIC_KEY: FieldPath = FieldPath::new("spec.signature.publicKey");
const PUBLIC_KEY_CONTENT: FieldPath = FieldPath::new("spec.signature.publicKey.content");

/// A parsed (not yet verified) hashedrekord spec.
struct Spec {
    algorithm: HashAlgorithm,
    digest: Vec<u8>,
    signature: Vec<u8>,
    key: SubmittedKey,
}

/// Validates a proposed spec, verifies its signature and returns the canonical body, its
/// index keys and the signer's identity.
pub(super) fn canonicalize_spec(
    spec: &Value,
    limits: &EntryLimits,
) -> Result<(Vec<u8>, Vec<String>, String), EntryError> {
    let spec = parse(spec, limits)?;
    // Rekor `validate()`: verify over the digest with the digest's algorithm.
    spec.key
        .verify_digest(spec.algorithm, &spec.digest, &spec.signature)
        .map_err(EntryError::Signature)?;
    let body = serialize_body(
        EntryKind::HashedRekord,
        CanonicalSpec {
            data: CanonicalData {
                hash: HashValue {
                    algorithm: spec.algorithm.name(),
                    value: hex::encode(&spec.digest),
                },
            },
            signature: CanonicalSignature {
                content: base64_encode(&spec.signature),
                public_key: CanonicalPublicKey {
                    content: base64_encode(spec.key.canonical_pem_bytes()),
                },
            },
        },
    )?;
    Ok((body, spec.index_keys(), spec.key.signer_identity()))
}

/// Index keys of a stored spec (same shape as the proposed one; not re-verified).
pub(super) fn index_keys_of_spec(
    spec: &Value,
    limits: &EntryLimits,
) -> Result<Vec<String>, EntryError> {
    Ok(parse(spec, limits)?.index_keys())
}

impl Spec {
    /// Rekor `V001Entry.IndexKeys()`: the key fingerprint, the certificate subjects, then
    /// `"<alg>:<hex digest>"`.
    fn index_keys(&self) -> Vec<String> {
        let mut keys = vec![key_fingerprint(self.key.canonical_pem_bytes())];
        keys.extend(self.key.subjects());
        keys.push(hash_key(self.algorithm.name(), &hex::encode(&self.digest)));
        keys
    }
}

fn parse(spec: &Value, limits: &EntryLimits) -> Result<Spec, EntryError> {
    let spec = json::object(spec, SPEC)?;
    json::only_keys(spec, &["data", "signature"], SPEC)?;

    let data = json::object(json::member(spec, "data", DATA)?, DATA)?;
    json::only_keys(data, &["hash"], DATA)?;
    let hash = json::object(json::member(data, "hash", HASH)?, HASH)?;
    json::only_keys(hash, &["algorithm", "value"], HASH)?;
    let algorithm_name = json::nonempty_string(hash, "algorithm", HASH_ALGORITHM)?;
    let algorithm = HashAlgorithm::from_name(algorithm_name).ok_or_else(|| {
        EntryError::UnsupportedHashAlgorithm {
            field: HASH_ALGORITHM,
            algorithm: algorithm_name.to_owned(),
        }
    })?;
    let value = json::nonempty_string(hash, "value", HASH_VALUE)?;
    // Upper-case hex is accepted and stored lowercase (the schema documents lowercase).
    let digest = hex::decode(value).map_err(|_| EntryError::InvalidHex { field: HASH_VALUE })?;
    if digest.len() != algorithm.digest_len() {
        return Err(EntryError::DigestLength {
            field: HASH_VALUE,
            algorithm,
            expected: algorithm.digest_len(),
            got: digest.len(),
        });
    }

    let signature = json::object(json::member(spec, "signature", SIGNATURE)?, SIGNATURE)?;
    json::only_keys(signature, &["content", "publicKey"], SIGNATURE)?;
    let content = json::nonempty_string(signature, "content", SIGNATURE_CONTENT)?;
    let signature_bytes = json::base64_std(content, SIGNATURE_CONTENT)?;
    let public_key = json::object(
        json::member(signature, "publicKey", PUBLIC_KEY)?,
        PUBLIC_KEY,
    )?;
    json::only_keys(public_key, &["content"], PUBLIC_KEY)?;
    let pem_b64 = json::nonempty_string(public_key, "content", PUBLIC_KEY_CONTENT)?;
    let pem = json::base64_std(pem_b64, PUBLIC_KEY_CONTENT)?;
    let key =
        SubmittedKey::from_pem_limited(&pem, limits.max_chain_certificates).map_err(|source| {
            EntryError::InvalidKey {
                field: PUBLIC_KEY_CONTENT,
                source,
            }
        })?;
    Ok(Spec {
        algorithm,
        digest,
        signature: signature_bytes,
        key,
    })
}

/// go-swagger `HashedrekordV001Schema` as canonicalised (fields in JCS order).
#[derive(Serialize)]
struct CanonicalSpec {
    data: CanonicalData,
    signature: CanonicalSignature,
}

#[derive(Serialize)]
struct CanonicalData {
    hash: HashValue,
}

#[derive(Serialize)]
struct CanonicalSignature {
    content: String,
    #[serde(rename = "publicKey")]
    public_key: CanonicalPublicKey,
}

#[derive(Serialize)]
struct CanonicalPublicKey {
    content: String,
}
