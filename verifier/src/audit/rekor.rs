//! Re-verifying one Rekor v1 entry of a replayed log (PROTOCOL.md §4.1, §4.3).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::Deserialize;
use signet_ca_core::profile;
use signet_rekor::pki::{key_fingerprint, HashAlgorithm, SubmittedKey};
use signet_rekor::set::set_payload;

use super::{
    describe_tbs, parse_tbs, AuditError, AuditedEntry, AuditedSigner, Auditor, CheckedCertificate,
    EntryKind, LogRole, LoggedEntry, CERTIFICATE_CACHE_CAPACITY,
};
use crate::common::LogId;
use crate::verify::body::{self, EntryBody};
use crate::verify::content::pae;
use crate::{chain, sct};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The kind and version a body names.
#[derive(Deserialize)]
struct KindOf<'a> {
    kind: &'a str,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
}

/// A DSSE envelope as submitted (the text stored beside a dsse leaf).
#[derive(Deserialize)]
struct StoredEnvelope {
    payload: String,
    #[serde(rename = "payloadType")]
    payload_type: String,
    signatures: Vec<StoredEnvelopeSignature>,
}

#[derive(Deserialize)]
struct StoredEnvelopeSignature {
    sig: String,
}

impl Auditor {
    /// Re-verifies entry `entry` of the trusted log `log_id` (see the module
    /// documentation of [`crate::audit`] for the checks, in order).
    ///
    /// # Errors
    /// The first failing check's [`AuditError`].
    pub fn rekor_entry(
        &self,
        log_id: &LogId,
        entry: &LoggedEntry<'_>,
    ) -> Result<AuditedEntry, AuditError> {
        let integrated_time = self.check_promise(log_id, entry)?;

        let KindOf { kind, api_version } =
            serde_json::from_slice(entry.body).map_err(|e| AuditError::Body {
                reason: e.to_string(),
            })?;
        let parsed = body::parse(kind, api_version, entry.body).map_err(|e| AuditError::Body {
            reason: e.to_string(),
        })?;
        match parsed {
            EntryBody::HashedRekordV001(h) => {
                let (algorithm, digest_hex, signature_b64, key_b64) = h.parts();
                let algorithm =
                    HashAlgorithm::from_name(algorithm).ok_or_else(|| AuditError::Body {
                        reason: format!("unknown hash algorithm {algorithm:?}"),
                    })?;
                let digest = hex::decode(digest_hex).map_err(|e| AuditError::Body {
                    reason: format!("digest is not hex: {e}"),
                })?;
                let signature = decode_b64(signature_b64, "signature")?;
                let (key, signer) = self.signer(key_b64, integrated_time)?;
                key.verify_digest(algorithm, &digest, &signature)
                    .map_err(|e| AuditError::Signature {
                        reason: e.to_string(),
                    })?;
                Ok(AuditedEntry {
                    kind: EntryKind::HashedRekord,
                    integrated_time,
                    signers: vec![signer],
                })
            }
            EntryBody::DsseV001(d) => {
                let envelope_text = entry.extra.ok_or_else(|| AuditError::Envelope {
                    reason: "the log stores no envelope beside this entry".to_owned(),
                })?;
                check_hash(d.envelope_hash(), envelope_text, "envelope")?;
                let envelope: StoredEnvelope =
                    serde_json::from_slice(envelope_text).map_err(|e| AuditError::Envelope {
                        reason: format!("not a DSSE envelope: {e}"),
                    })?;
                let payload = decode_b64(&envelope.payload, "payload")?;
                check_hash(Some(d.payload_hash()), &payload, "payload")?;
                let pae = pae(&envelope.payload_type, &payload);
                let mut signers = Vec::new();
                let mut recorded = 0usize;
                for (signature_b64, verifier_b64) in d.signatures() {
                    recorded += 1;
                    if !envelope.signatures.iter().any(|s| s.sig == signature_b64) {
                        return Err(AuditError::Envelope {
                            reason: "a recorded signature is not in the stored envelope".to_owned(),
                        });
                    }
                    let signature = decode_b64(signature_b64, "signature")?;
                    let (key, signer) = self.signer(verifier_b64, integrated_time)?;
                    key.verify_message(&pae, &signature)
                        .map_err(|e| AuditError::Signature {
                            reason: e.to_string(),
                        })?;
                    signers.push(signer);
                }
                if recorded == 0 {
                    return Err(AuditError::Body {
                        reason: "dsse entry records no signature".to_owned(),
                    });
                }
                Ok(AuditedEntry {
                    kind: EntryKind::Dsse,
                    integrated_time,
                    signers,
                })
            }
            EntryBody::HashedRekordV002(_) => Err(AuditError::Body {
                reason: "hashedrekord 0.0.2 is a Rekor v2 kind, not a Rekor v1 log's".to_owned(),
            }),
        }
    }

    /// The SET by the log's key over `{body, integratedTime, logID, logIndex}` (PROTOCOL.md
    /// §4.3), and the integrated time inside the key's validity.
    fn check_promise(
        &self,
        log_id: &LogId,
        entry: &LoggedEntry<'_>,
    ) -> Result<SystemTime, AuditError> {
        let (log, key) = self
            .logs(LogRole::Signatures)
            .find(|(log, _)| log.log_id == *log_id)
            .ok_or(AuditError::UnknownLog { log_id: *log_id })?;
        let key = key.as_ref().map_err(|reason| AuditError::UnusableLogKey {
            log_id: *log_id,
            reason: reason.clone(),
        })?;
        let set = entry
            .signed_entry_timestamp
            .ok_or(AuditError::MissingSignedEntryTimestamp)?;
        let bad = AuditError::SignedEntryTimestamp {
            integrated_time: entry.integrated_time,
        };
        if !key.is_ecdsa() {
            return Err(bad);
        }
        let payload = set_payload(
            &B64.encode(entry.body),
            entry.integrated_time,
            &hex::encode(log_id.as_bytes()),
            entry.index,
        )
        .map_err(|_| AuditError::SignedEntryTimestamp {
            integrated_time: entry.integrated_time,
        })?;
        if !key.verify(&payload, set) {
            return Err(bad);
        }
        let at = u64::try_from(entry.integrated_time)
            .ok()
            .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
            .ok_or_else(|| AuditError::IntegratedTime {
                integrated_time: entry.integrated_time,
                reason: "not a representable time".to_owned(),
            })?;
        if !log.valid_for.contains(at) {
            return Err(AuditError::IntegratedTime {
                integrated_time: entry.integrated_time,
                reason: format!("outside the log key's validity {}", log.valid_for),
            });
        }
        Ok(at)
    }

    /// The signer a body names (base64 of a PEM certificate or public key), and for a
    /// certificate its chain at `at` and its embedded SCT.
    fn signer(
        &self,
        pem_b64: &str,
        at: SystemTime,
    ) -> Result<(Arc<SubmittedKey>, AuditedSigner), AuditError> {
        // Only certificates are cached, so a hit needs neither the base64 nor the PEM
        // decoded again.
        let cache_key = super::sha256(pem_b64.as_bytes());
        let cached = self
            .certificates
            .lock()
            .ok()
            .and_then(|c| c.get(&cache_key).cloned());
        let checked = match cached {
            Some(c) => {
                chain::check_chain_times_of(c.validity, self.cas(), c.ca_index, at).map_err(
                    |source| AuditError::Chain {
                        at,
                        source: Box::new(source),
                    },
                )?;
                c
            }
            None => {
                let pem = decode_b64(pem_b64, "public key")?;
                if !pem.starts_with(b"-----BEGIN CERTIFICATE-----") {
                    let key = SubmittedKey::from_pem(&pem).map_err(|e| AuditError::SignerKey {
                        reason: e.to_string(),
                    })?;
                    let fingerprint = key_fingerprint(key.canonical_pem_bytes());
                    return Ok((Arc::new(key), AuditedSigner::Key { fingerprint }));
                }
                let c = Arc::new(self.check_certificate(&pem, at)?);
                if let Ok(mut cache) = self.certificates.lock() {
                    if cache.len() >= CERTIFICATE_CACHE_CAPACITY {
                        cache.clear();
                    }
                    cache.insert(cache_key, Arc::clone(&c));
                }
                c
            }
        };
        Ok((
            Arc::clone(&checked.key),
            AuditedSigner::Certificate(Box::new(checked.described.clone())),
        ))
    }

    /// A certificate's full check at `at`: chain to a trusted CA, embedded SCT, identity.
    fn check_certificate(
        &self,
        pem: &[u8],
        at: SystemTime,
    ) -> Result<CheckedCertificate, AuditError> {
        let signer_key = |e: &dyn std::fmt::Display| AuditError::SignerKey {
            reason: e.to_string(),
        };
        // The leaf is the first certificate; the path is built from the trusted root only.
        let (label, leaf_der) =
            x509_cert::der::pem::decode_vec(first_pem_block(pem)).map_err(|e| signer_key(&e))?;
        if label != "CERTIFICATE" {
            return Err(AuditError::SignerKey {
                reason: format!("PEM block {label:?} is not a certificate"),
            });
        }
        let key = SubmittedKey::from_certificate_der(&leaf_der).map_err(|e| signer_key(&e))?;
        let verified =
            chain::verify_chain(&leaf_der, self.cas(), at).map_err(|source| AuditError::Chain {
                at,
                source: Box::new(source),
            })?;
        sct::verify_embedded_scts(&leaf_der, verified.issuer_der(), self.ct_keys())
            .map_err(|e| AuditError::Sct(Box::new(e)))?;
        let precert_tbs =
            profile::precert_tbs_from_final(&leaf_der).map_err(|e| AuditError::Certificate {
                reason: e.to_string(),
            })?;
        let described = describe_tbs(&parse_tbs(&precert_tbs)?, &precert_tbs)?;
        let validity = chain::LeafValidity::of(&leaf_der).map_err(|source| AuditError::Chain {
            at,
            source: Box::new(source),
        })?;
        Ok(CheckedCertificate {
            key: Arc::new(key),
            ca_index: verified.ca_index,
            validity,
            described,
        })
    }
}

/// The first PEM block of a (possibly multi-certificate) PEM text.
fn first_pem_block(pem: &[u8]) -> &[u8] {
    const END: &[u8] = b"-----END CERTIFICATE-----";
    pem.windows(END.len())
        .position(|w| w == END)
        .map_or(pem, |at| &pem[..at + END.len()])
}

fn decode_b64(text: &str, what: &'static str) -> Result<Vec<u8>, AuditError> {
    B64.decode(text).map_err(|e| AuditError::Body {
        reason: format!("{what} is not base64: {e}"),
    })
}

/// `(algorithm, hex)` must be SHA-256 of `bytes`.
fn check_hash(
    recorded: Option<(&str, &str)>,
    bytes: &[u8],
    what: &'static str,
) -> Result<(), AuditError> {
    let Some((algorithm, value)) = recorded else {
        return Err(AuditError::Body {
            reason: format!("dsse body has no {what} hash"),
        });
    };
    if algorithm != "sha256" {
        return Err(AuditError::Body {
            reason: format!("{what} hash algorithm {algorithm:?} is not sha256"),
        });
    }
    if !value.eq_ignore_ascii_case(&hex::encode(super::sha256(bytes))) {
        return Err(AuditError::Envelope {
            reason: format!("the stored {what} does not hash to the recorded {what}Hash"),
        });
    }
    Ok(())
}
