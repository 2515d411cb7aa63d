//! The Rekor v1 client: record an entry (`POST {rekor}/api/v1/log/entries`, PROTOCOL.md
//! §4.1), check the log's answer, and turn it into a bundle's tlog entry (§4.4.1).
//!
//! The answer must be `201 Created`, a `LogEntry` map holding the entry named by the
//! `ETag` header (sigstore-go reads `resp[ETag]`; without the header, the map's only
//! entry). Before it goes into a bundle:
//! * its body must be the entry that was sent: same kind and version, same signature,
//!   same digest (hashedrekord) or payload hash (dsse);
//! * with a trusted root, the log must be one of its `tlogs` valid at the integrated
//!   time, and the entry ID, signed entry timestamp, inclusion proof and checkpoint
//!   signature must verify with that log's key ([`signet_verifier::rekor_v1`]).

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context as _, Result};
use base64::Engine as _;
use reqwest_tls::{Method, StatusCode};
use serde::Deserialize;
use signet_rekor::api::{LogEntry, LogEntryAnon};
use signet_tlog_core::keys::EcdsaP256Verifier;
use signet_verifier::{common::LogId, rekor_v1::verify_log_entry, trusted_root::TrustedRoot};

use super::{
    bundle::{
        CheckpointJson, InclusionPromiseJson, InclusionProofJson, KeyIdJson, KindVersionJson,
        TlogEntryJson,
    },
    config::Endpoints,
    http::{Body, Http},
};

/// A log answer larger than this is refused.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// What the entry that was sent records, to compare the log's body with.
#[derive(Clone, Copy, Debug)]
pub enum Expected<'a> {
    /// hashedrekord 0.0.1: the artefact's SHA-256 and the signature over it.
    HashedRekord {
        /// SHA-256 of the artefact.
        sha256: &'a [u8],
        /// DER signature.
        signature: &'a [u8],
    },
    /// dsse 0.0.1: the payload's SHA-256 and the envelope's one signature.
    Dsse {
        /// SHA-256 of the decoded payload.
        payload_sha256: &'a [u8],
        /// DER signature over PAE.
        signature: &'a [u8],
    },
}

impl Expected<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Expected::HashedRekord { .. } => "hashedrekord",
            Expected::Dsse { .. } => "dsse",
        }
    }
}

/// A checked log entry.
#[derive(Debug)]
pub struct Logged {
    /// The entry ID (80 hex: tree ID ‖ leaf hash).
    pub entry_id: String,
    /// The entry.
    pub entry: LogEntryAnon,
}

/// Records `proposal` (a `ProposedEntry`) and checks the answer against `expected` and,
/// when given, `root`.
///
/// # Errors
/// One line: the connection, the log's refusal with its message, or the failed check.
pub fn record(
    http: &Http,
    endpoints: &Endpoints,
    proposal: &serde_json::Value,
    expected: Expected<'_>,
    root: Option<&TrustedRoot>,
) -> Result<Logged> {
    let url = endpoints.log_entries_url();
    let body = serde_json::to_vec(proposal)?;
    let reply = http
        .send(
            Method::POST,
            &url,
            Body::Json(&body),
            None,
            MAX_RESPONSE_BYTES,
        )
        .map_err(|e| anyhow!("recording the signature in the transparency log: {e}"))?;
    match reply.status {
        StatusCode::CREATED => {}
        StatusCode::CONFLICT => bail!(
            "the transparency log at {} already holds this entry: {}",
            endpoints.rekor,
            reply.error_message()
        ),
        status if status.is_client_error() => bail!(
            "the transparency log at {} refused the entry ({}): {}",
            endpoints.rekor,
            reply.status_text(),
            reply.error_message()
        ),
        _ => bail!(
            "the transparency log at {} failed to record the entry ({}): {}",
            endpoints.rekor,
            reply.status_text(),
            reply.error_message()
        ),
    }
    let mut map: LogEntry = serde_json::from_slice(&reply.body).with_context(|| {
        format!("the transparency log at {url} answered 201, but not with a log entry")
    })?;
    let (entry_id, entry) = match &reply.etag {
        Some(etag) => map.remove_entry(etag).ok_or_else(|| {
            anyhow!("the transparency log's answer has no entry for its ETag {etag}")
        })?,
        None if map.len() == 1 => map
            .pop_first()
            .ok_or_else(|| anyhow!("the transparency log answered without an entry"))?,
        None => bail!(
            "the transparency log answered {} entries and no ETag naming one",
            map.len()
        ),
    };
    let logged = Logged { entry_id, entry };
    check(&logged, expected, root).with_context(|| {
        format!(
            "the entry the transparency log at {} recorded",
            endpoints.rekor
        )
    })?;
    Ok(logged)
}

/// The module documentation's checks.
fn check(logged: &Logged, expected: Expected<'_>, root: Option<&TrustedRoot>) -> Result<()> {
    let body = decode_body(&logged.entry)?;
    check_body(&body, expected)?;
    let Some(root) = root else {
        return Ok(());
    };
    let log_id = log_id(&logged.entry)?;
    let integrated = u64::try_from(logged.entry.integrated_time).map_err(|_| {
        anyhow!(
            "integratedTime {} is negative",
            logged.entry.integrated_time
        )
    })?;
    let log = root
        .tlog_at(&log_id, UNIX_EPOCH + Duration::from_secs(integrated))
        .map_err(|e| anyhow!("the log is not trusted: {e}"))?;
    // The note key name is not compared (the signature line is picked by key hint).
    let key = EcdsaP256Verifier::from_spki_der(&log.public_key, "rekor")
        .map_err(|e| anyhow!("the trusted root's key for log {log_id}: {e}"))?;
    verify_log_entry(&logged.entry_id, &logged.entry, &key)
        .map_err(|e| anyhow!("it does not verify with the log's key: {e}"))?;
    Ok(())
}

fn decode_body(entry: &LogEntryAnon) -> Result<serde_json::Value> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&entry.body)
        .map_err(|_| anyhow!("its body is not base64"))?;
    serde_json::from_slice(&bytes).map_err(|_| anyhow!("its body is not JSON"))
}

fn log_id(entry: &LogEntryAnon) -> Result<LogId> {
    let bytes: [u8; 32] = hex::decode(&entry.log_id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("logID {:?} is not 32-byte hex", entry.log_id))?;
    Ok(LogId(bytes))
}

/// The body's `kind`/`apiVersion` and the fields that bind it to what was sent.
fn check_body(body: &serde_json::Value, expected: Expected<'_>) -> Result<()> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        kind: String,
        api_version: String,
    }
    let head: Head = serde_json::from_value(body.clone())
        .map_err(|_| anyhow!("its body has no kind/apiVersion"))?;
    if head.kind != expected.kind() || head.api_version != "0.0.1" {
        bail!(
            "its body is a {} {} entry, not the {} 0.0.1 entry that was sent",
            head.kind,
            head.api_version,
            expected.kind()
        );
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = |pointer: &str| body.pointer(pointer).and_then(|v| v.as_str());
    let (digest_field, digest, want_digest, sig_field, signature, want_signature) = match expected {
        Expected::HashedRekord { sha256, signature } => (
            "spec.data.hash",
            (text("/spec/data/hash/algorithm") == Some("sha256"))
                .then(|| text("/spec/data/hash/value"))
                .flatten()
                .and_then(|h| hex::decode(h).ok()),
            sha256,
            "spec.signature.content",
            text("/spec/signature/content").and_then(|s| b64.decode(s).ok()),
            signature,
        ),
        Expected::Dsse {
            payload_sha256,
            signature,
        } => {
            let signatures = body
                .pointer("/spec/signatures")
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            if signatures != 1 {
                bail!("its body has {signatures} signatures, not the one that was sent");
            }
            (
                "spec.payloadHash",
                (text("/spec/payloadHash/algorithm") == Some("sha256"))
                    .then(|| text("/spec/payloadHash/value"))
                    .flatten()
                    .and_then(|h| hex::decode(h).ok()),
                payload_sha256,
                "spec.signatures[0].signature",
                text("/spec/signatures/0/signature").and_then(|s| b64.decode(s).ok()),
                signature,
            )
        }
    };
    if digest.as_deref() != Some(want_digest) {
        bail!("its body's {digest_field} is not the sha256 that was sent");
    }
    if signature.as_deref() != Some(want_signature) {
        bail!("its body's {sig_field} is not the signature that was sent");
    }
    Ok(())
}

impl Logged {
    /// The bundle's `TransparencyLogEntry` for this entry (§4.4.1).
    ///
    /// # Errors
    /// A hex field that is not hex, or a body without kind/apiVersion (already checked by
    /// [`record`], so only for a log answer that changed shape).
    pub fn to_bundle_entry(&self) -> Result<TlogEntryJson> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let e = &self.entry;
        let body = decode_body(e)?;
        let field = |name: &str| {
            body.get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("the log entry body has no {name}"))
        };
        let hex32 = |h: &str, what: &str| -> Result<String> {
            let bytes = hex::decode(h).map_err(|_| anyhow!("the log entry's {what} is not hex"))?;
            Ok(b64.encode(bytes))
        };
        let proof = &e.verification.inclusion_proof;
        Ok(TlogEntryJson {
            log_index: e.log_index.to_string(),
            log_id: KeyIdJson {
                key_id: b64.encode(log_id(e)?.0),
            },
            kind_version: KindVersionJson {
                kind: field("kind")?,
                version: field("apiVersion")?,
            },
            integrated_time: e.integrated_time.to_string(),
            inclusion_promise: InclusionPromiseJson {
                signed_entry_timestamp: e.verification.signed_entry_timestamp.clone(),
            },
            inclusion_proof: InclusionProofJson {
                log_index: proof.log_index.to_string(),
                root_hash: hex32(&proof.root_hash, "rootHash")?,
                tree_size: proof.tree_size.to_string(),
                hashes: proof
                    .hashes
                    .iter()
                    .map(|h| hex32(h, "proof hash"))
                    .collect::<Result<_>>()?,
                checkpoint: CheckpointJson {
                    envelope: proof.checkpoint.clone(),
                },
            },
            canonicalized_body: e.body.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashedrekord(alg: &str, digest: &[u8], sig: &[u8]) -> serde_json::Value {
        let b64 = base64::engine::general_purpose::STANDARD;
        serde_json::json!({
            "apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": alg, "value": hex::encode(digest)}},
                "signature": {"content": b64.encode(sig), "publicKey": {"content": "eA=="}}
            }
        })
    }

    #[test]
    fn hashedrekord_bodies_must_record_what_was_sent() {
        let expected = Expected::HashedRekord {
            sha256: &[1; 32],
            signature: b"sig",
        };
        check_body(&hashedrekord("sha256", &[1; 32], b"sig"), expected).unwrap();
        for (body, what) in [
            (hashedrekord("sha256", &[2; 32], b"sig"), "spec.data.hash"),
            (hashedrekord("sha512", &[1; 32], b"sig"), "spec.data.hash"),
            (hashedrekord("sha256", &[1; 32], b"other"), "spec.signature"),
        ] {
            let err = check_body(&body, expected).unwrap_err().to_string();
            assert!(err.contains(what), "{err}");
        }
        let mut other_kind = hashedrekord("sha256", &[1; 32], b"sig");
        other_kind["kind"] = "dsse".into();
        let err = check_body(&other_kind, expected).unwrap_err().to_string();
        assert!(
            err.contains("dsse 0.0.1 entry, not the hashedrekord"),
            "{err}"
        );
    }

    #[test]
    fn dsse_bodies_must_record_what_was_sent() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let body = |hash: &[u8], sigs: &[&[u8]]| {
            serde_json::json!({
                "apiVersion": "0.0.1", "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": hex::encode([9; 32])},
                    "payloadHash": {"algorithm": "sha256", "value": hex::encode(hash)},
                    "signatures": sigs.iter().map(|s| serde_json::json!({
                        "signature": b64.encode(s), "verifier": "eA=="
                    })).collect::<Vec<_>>()
                }
            })
        };
        let expected = Expected::Dsse {
            payload_sha256: &[3; 32],
            signature: b"sig",
        };
        check_body(&body(&[3; 32], &[b"sig"]), expected).unwrap();
        assert!(check_body(&body(&[4; 32], &[b"sig"]), expected).is_err());
        assert!(check_body(&body(&[3; 32], &[b"bad"]), expected).is_err());
        let err = check_body(&body(&[3; 32], &[b"sig", b"sig"]), expected)
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 signatures"), "{err}");
    }
}
