//! `dsse` 0.0.1 (PROTOCOL.md §4.1, §7.4; Rekor `pkg/types/dsse/v0.0.1`).
//!
//! Proposed: `{"proposedContent":{"envelope":"<DSSE envelope JSON>","verifiers":[b64 PEM…]}}`.
//! Every envelope signature must verify over PAE with one of the verifiers, and every
//! verifier must verify at least one signature (Rekor's `verifyEnvelope`). Stored:
//! `{"envelopeHash","payloadHash","signatures":[{"signature","verifier"}…]}` with the
//! signatures sorted by their base64 string and the envelope itself dropped from the body.
//! The envelope text is returned beside the body ([`super::CanonicalEntry::extra`]) so the
//! log can keep it outside the tree for auditors.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::json::{self, base64_encode};
use super::{hash_key, serialize_body, EntryError, EntryKind, EntryLimits, FieldPath, HashValue};
use crate::pki::{key_fingerprint, SubmittedKey};

const SPEC: FieldPath = FieldPath::new("spec");
const PROPOSED: FieldPath = FieldPath::new("spec.proposedContent");
const ENVELOPE: FieldPath = FieldPath::new("spec.proposedContent.envelope");
const VERIFIERS: FieldPath = FieldPath::new("spec.proposedContent.verifiers");
const PAYLOAD: FieldPath = FieldPath::new("spec.proposedContent.envelope.payload");
const PAYLOAD_TYPE: FieldPath = FieldPath::new("spec.proposedContent.envelope.payloadType");
const ENV_SIGNATURES: FieldPath = FieldPath::new("spec.proposedContent.envelope.signatures");
const ENVELOPE_HASH: FieldPath = FieldPath::new("spec.envelopeHash");
const PAYLOAD_HASH: FieldPath = FieldPath::new("spec.payloadHash");
const SIGNATURES: FieldPath = FieldPath::new("spec.signatures");

/// in-toto Statement payload type (in-toto attestation spec, envelope.md).
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The only digest algorithm of dsse 0.0.1 `envelopeHash`/`payloadHash`.
const SHA256: &str = "sha256";

/// A canonicalised dsse spec.
pub(super) struct Canonical {
    /// The canonical body.
    pub(super) body: Vec<u8>,
    /// The body's index keys plus in-toto subject/material digests.
    pub(super) index_keys: Vec<String>,
    /// `spec.proposedContent.envelope` exactly as submitted; its SHA-256 is `envelopeHash`.
    pub(super) envelope: Vec<u8>,
    /// The identity of the first verifier in canonical order.
    pub(super) signer: String,
}

/// Validates a proposed spec, verifies every envelope signature and returns the canonical
/// body, its index keys and the envelope text.
pub(super) fn canonicalize_spec(
    spec: &Value,
    limits: &EntryLimits,
) -> Result<Canonical, EntryError> {
    let spec = json::object(spec, SPEC)?;
    // The computed fields may be present as `null`: sigstore-python serialises its whole
    // pydantic model (`model_dump`), unset fields included, and Go's Rekor reads a JSON
    // null as unset. Any other value is refused.
    for field in ["envelopeHash", "payloadHash", "signatures"] {
        if spec.get(field).is_some_and(|v| !v.is_null()) {
            return Err(EntryError::ServerComputedField { field });
        }
    }
    json::only_keys(
        spec,
        &[
            "proposedContent",
            "envelopeHash",
            "payloadHash",
            "signatures",
        ],
        SPEC,
    )?;
    let proposed = json::object(json::member(spec, "proposedContent", PROPOSED)?, PROPOSED)?;
    json::only_keys(proposed, &["envelope", "verifiers"], PROPOSED)?;

    let envelope_text = json::nonempty_string(proposed, "envelope", ENVELOPE)?;
    if envelope_text.len() > limits.max_envelope_bytes {
        return Err(EntryError::EnvelopeTooLarge {
            limit: limits.max_envelope_bytes,
            got: envelope_text.len(),
        });
    }
    let verifiers = parse_verifiers(proposed, limits)?;
    let envelope = Envelope::parse(envelope_text, limits)?;

    // DSSE protocol.md / PROTOCOL.md §7.4: signatures are over PAE(payloadType, payload).
    let pae = pae(&envelope.payload_type, &envelope.payload);
    let mut verifier_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (vi, verifier) in verifiers.iter().enumerate() {
        let mut accepted = false;
        for (text, bytes) in &envelope.signatures {
            if verifier.verify_message(&pae, bytes).is_ok() {
                // Rekor keeps the last verifier that accepts a signature.
                verifier_of.insert(text.as_str(), vi);
                accepted = true;
            }
        }
        if !accepted {
            return Err(EntryError::UnusedVerifier { index: vi });
        }
    }
    if let Some(index) = envelope
        .signatures
        .iter()
        .position(|(text, _)| !verifier_of.contains_key(text.as_str()))
    {
        return Err(EntryError::UnverifiedEnvelopeSignature { index });
    }

    // BTreeMap iteration is the byte order of the base64 strings (Go `sort.Strings`);
    // identical signature strings collapse, as in Rekor's map.
    let signatures: Vec<(String, &SubmittedKey)> = verifier_of
        .iter()
        .filter_map(|(text, vi)| verifiers.get(*vi).map(|k| ((*text).to_owned(), k)))
        .collect();
    let payload_hash = hex::encode(Sha256::digest(&envelope.payload));
    let envelope_hash = hex::encode(Sha256::digest(envelope_text.as_bytes()));
    let body = serialize_body(
        EntryKind::Dsse,
        CanonicalSpec {
            envelope_hash: HashValue {
                algorithm: SHA256,
                value: envelope_hash.clone(),
            },
            payload_hash: HashValue {
                algorithm: SHA256,
                value: payload_hash.clone(),
            },
            signatures: signatures
                .iter()
                .map(|(text, key)| CanonicalSignature {
                    signature: text.clone(),
                    verifier: base64_encode(key.canonical_pem_bytes()),
                })
                .collect(),
        },
    )?;
    let keys_of: Vec<&SubmittedKey> = signatures.iter().map(|(_, k)| *k).collect();
    let signer = keys_of
        .first()
        .map(|k| k.signer_identity())
        .unwrap_or_default();
    let mut keys = body_keys(&keys_of, &payload_hash, &envelope_hash);
    if envelope.payload_type == IN_TOTO_PAYLOAD_TYPE {
        keys.extend(in_toto_digest_keys(&envelope.payload));
    }
    Ok(Canonical {
        body,
        index_keys: keys,
        envelope: envelope_text.as_bytes().to_vec(),
        signer,
    })
}

/// Index keys of a stored dsse spec (signatures are not re-verified).
pub(super) fn index_keys_of_spec(
    spec: &Value,
    limits: &EntryLimits,
) -> Result<Vec<String>, EntryError> {
    let spec = json::object(spec, SPEC)?;
    json::only_keys(spec, &["envelopeHash", "payloadHash", "signatures"], SPEC)?;
    let envelope_hash = stored_hash(spec, "envelopeHash", ENVELOPE_HASH)?;
    let payload_hash = stored_hash(spec, "payloadHash", PAYLOAD_HASH)?;
    let signatures = json::array(json::member(spec, "signatures", SIGNATURES)?, SIGNATURES)?;
    if signatures.is_empty() {
        return Err(EntryError::EmptyField { field: SIGNATURES });
    }
    let mut keys = Vec::with_capacity(signatures.len());
    for (i, item) in signatures.iter().enumerate() {
        let at = SIGNATURES.at(i);
        let item = json::object(item, at)?;
        json::only_keys(item, &["signature", "verifier"], at)?;
        json::nonempty_string(item, "signature", at.then("signature"))?;
        let field = at.then("verifier");
        let pem = json::base64_std(json::nonempty_string(item, "verifier", field)?, field)?;
        let key = SubmittedKey::from_pem_limited(&pem, limits.max_chain_certificates)
            .map_err(|source| EntryError::InvalidKey { field, source })?;
        keys.push(key);
    }
    let refs: Vec<&SubmittedKey> = keys.iter().collect();
    Ok(body_keys(&refs, &payload_hash, &envelope_hash))
}

/// Rekor dsse `IndexKeys()` over what the body holds: per signature
/// `"sha256:" + fingerprint` and the subjects, then the payload and envelope hash keys.
/// The bare fingerprint is added too, so that a `publicKey` search (which looks up the
/// bare fingerprint, PROTOCOL.md §4.4) also finds dsse entries.
fn body_keys(verifiers: &[&SubmittedKey], payload_hash: &str, envelope_hash: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for key in verifiers {
        let fingerprint = key_fingerprint(key.canonical_pem_bytes());
        keys.push(hash_key(SHA256, &fingerprint));
        keys.push(fingerprint);
        keys.extend(key.subjects());
    }
    keys.push(hash_key(SHA256, payload_hash));
    keys.push(hash_key(SHA256, envelope_hash));
    keys
}

/// A stored `{"algorithm":"sha256","value":"<64 hex>"}`; returns the lowercase hex.
fn stored_hash(
    spec: &Map<String, Value>,
    key: &str,
    field: FieldPath,
) -> Result<String, EntryError> {
    let obj = json::object(json::member(spec, key, field)?, field)?;
    json::only_keys(obj, &["algorithm", "value"], field)?;
    let algorithm = json::nonempty_string(obj, "algorithm", field.then("algorithm"))?;
    if algorithm != SHA256 {
        return Err(EntryError::UnsupportedHashAlgorithm {
            field: field.then("algorithm"),
            algorithm: algorithm.to_owned(),
        });
    }
    let value_field = field.then("value");
    let value = json::nonempty_string(obj, "value", value_field)?;
    let digest = hex::decode(value).map_err(|_| EntryError::InvalidHex { field: value_field })?;
    if digest.len() != 32 {
        return Err(EntryError::DigestLength {
            field: value_field,
            algorithm: crate::pki::HashAlgorithm::Sha256,
            expected: 32,
            got: digest.len(),
        });
    }
    Ok(hex::encode(digest))
}

fn parse_verifiers(
    proposed: &Map<String, Value>,
    limits: &EntryLimits,
) -> Result<Vec<SubmittedKey>, EntryError> {
    let items = json::array(json::member(proposed, "verifiers", VERIFIERS)?, VERIFIERS)?;
    if items.is_empty() {
        return Err(EntryError::EmptyField { field: VERIFIERS });
    }
    if items.len() > limits.max_dsse_signatures {
        return Err(EntryError::TooManyVerifiers {
            limit: limits.max_dsse_signatures,
            got: items.len(),
        });
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = VERIFIERS.at(i);
            let pem = json::base64_std(json::string(item, field)?, field)?;
            SubmittedKey::from_pem_limited(&pem, limits.max_chain_certificates)
                .map_err(|source| EntryError::InvalidKey { field, source })
        })
        .collect()
}

/// A parsed DSSE envelope (DSSE envelope.md).
struct Envelope {
    payload_type: String,
    payload: Vec<u8>,
    /// (base64 text as submitted, decoded bytes), in envelope order.
    signatures: Vec<(String, Vec<u8>)>,
}

impl Envelope {
    fn parse(text: &str, limits: &EntryLimits) -> Result<Self, EntryError> {
        let value: Value = serde_json::from_str(text).map_err(EntryError::MalformedEnvelope)?;
        let obj = json::object(&value, ENVELOPE)?;
        json::only_keys(obj, &["payload", "payloadType", "signatures"], ENVELOPE)?;
        let payload_type = json::string(
            json::member(obj, "payloadType", PAYLOAD_TYPE)?,
            PAYLOAD_TYPE,
        )?;
        let payload_b64 = json::string(json::member(obj, "payload", PAYLOAD)?, PAYLOAD)?;
        let payload = json::base64_std_or_url(payload_b64, PAYLOAD)?;
        let items = json::array(
            json::member(obj, "signatures", ENV_SIGNATURES)?,
            ENV_SIGNATURES,
        )?;
        if items.is_empty() {
            return Err(EntryError::NoEnvelopeSignatures);
        }
        if items.len() > limits.max_dsse_signatures {
            return Err(EntryError::TooManySignatures {
                limit: limits.max_dsse_signatures,
                got: items.len(),
            });
        }
        let mut signatures = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = ENV_SIGNATURES.at(i);
            let item = json::object(item, at)?;
            json::only_keys(item, &["sig", "keyid"], at)?;
            if let Some(keyid) = item.get("keyid").filter(|v| !v.is_null()) {
                json::string(keyid, at.then("keyid"))?;
            }
            let field = at.then("sig");
            let text = json::nonempty_string(item, "sig", field)?;
            // Stored verbatim in the body, whose schema requires standard base64.
            let bytes = json::base64_std(text, field)?;
            signatures.push((text.to_owned(), bytes));
        }
        Ok(Self {
            payload_type: payload_type.to_owned(),
            payload,
            signatures,
        })
    }
}

/// DSSE v1 pre-authentication encoding (PROTOCOL.md §7.4):
/// `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in ASCII decimal.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Rekor dsse `IndexKeys()` for in-toto payloads: `"<alg>:<digest>"` of every Statement
/// subject and, for SLSA v0.2 provenance, of every material. Malformed parts are skipped
/// (Rekor logs the entry regardless of what its index derives).
fn in_toto_digest_keys(payload: &[u8]) -> Vec<String> {
    let Ok(statement) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    let mut add_digests = |items: Option<&Value>| {
        for item in items.and_then(Value::as_array).into_iter().flatten() {
            let digests = item.get("digest").and_then(Value::as_object);
            for (alg, value) in digests.into_iter().flatten() {
                if let Some(value) = value.as_str() {
                    keys.push(hash_key(alg, value));
                }
            }
        }
    };
    add_digests(statement.get("subject"));
    add_digests(statement.get("predicate").and_then(|p| p.get("materials")));
    keys
}

/// go-swagger `DSSEV001Schema` as canonicalised (fields in JCS order).
#[derive(Serialize)]
struct CanonicalSpec {
    #[serde(rename = "envelopeHash")]
    envelope_hash: HashValue,
    #[serde(rename = "payloadHash")]
    payload_hash: HashValue,
    signatures: Vec<CanonicalSignature>,
}

#[derive(Serialize)]
struct CanonicalSignature {
    signature: String,
    verifier: String,
}
