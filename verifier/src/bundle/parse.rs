//! From the wire form ([`super::wire`]) to the checked model, one rule at a time.

use signet_tlog_core::hash::Hash;

use super::{
    wire::{
        RawBundle, RawEnvelope, RawInclusionProof, RawMessageSignature,
        RawTimestampVerificationData, RawTlogEntry, RawVerificationMaterial,
    },
    Bundle, BundleError, BundleVersion, Content, DsseEnvelope, InclusionProof, MessageDigest,
    MessageSignature, Oneof, Signer, TlogEntry, VerificationMaterial,
};
use crate::common::{
    clip, decode_b64, decode_b64_fixed, Bounded, FieldProblem, HashAlgorithm, JsonInt, Limit,
    LogId, RawCertificate, RawCertificateChain, MAX_BUNDLE_BYTES, MAX_DSSE_PAYLOAD_BYTES,
};

fn missing(field: impl Into<String>) -> BundleError {
    BundleError::MissingField {
        field: field.into(),
    }
}

fn invalid(field: impl Into<String>, problem: FieldProblem) -> BundleError {
    BundleError::InvalidField {
        field: field.into(),
        problem,
    }
}

/// A required, non-empty string.
fn required_str(
    value: Option<String>,
    field: impl FnOnce() -> String,
) -> Result<String, BundleError> {
    value
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing(field()))
}

/// A required `bytes` field: present, non-empty, base64.
fn required_b64(value: Option<String>, field: impl Fn() -> String) -> Result<Vec<u8>, BundleError> {
    let text = required_str(value, &field)?;
    decode_b64(&text).map_err(|p| invalid(field(), p))
}

/// A required `bytes` field of exactly `N` bytes.
fn required_fixed<const N: usize>(
    value: Option<String>,
    field: impl Fn() -> String,
) -> Result<[u8; N], BundleError> {
    let text = required_str(value, &field)?;
    decode_b64_fixed(&text).map_err(|p| invalid(field(), p))
}

/// A non-negative `int64`; absent means 0 (proto3 default).
fn unsigned(value: Option<JsonInt>, field: impl FnOnce() -> String) -> Result<u64, BundleError> {
    value.map_or(Ok(0), |v| v.to_u64().map_err(|p| invalid(field(), p)))
}

/// The kept items of a bounded array, or the limit error.
fn within<T, const N: usize>(
    list: Option<Bounded<T, N>>,
    limit: Limit,
    field: impl FnOnce() -> String,
) -> Result<Vec<T>, BundleError> {
    let list = list.unwrap_or_default();
    if list.total > limit.max() {
        return Err(BundleError::LimitExceeded {
            field: field(),
            limit,
            actual: list.total,
        });
    }
    Ok(list.items)
}

pub(super) fn bundle(json: &[u8]) -> Result<Bundle, BundleError> {
    if json.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::LimitExceeded {
            field: "bundle".to_owned(),
            limit: Limit::BundleBytes,
            actual: json.len(),
        });
    }
    let raw: RawBundle = serde_json::from_slice(json).map_err(|e| BundleError::Json {
        reason: e.to_string(),
    })?;
    let media_type = required_str(raw.media_type, || "mediaType".to_owned())?;
    let version =
        BundleVersion::from_media_type(&media_type).ok_or(BundleError::UnsupportedMediaType {
            media_type: clip(&media_type),
        })?;
    let material = raw
        .verification_material
        .ok_or_else(|| missing("verificationMaterial"))?;
    let verification_material = verification_material(version, material)?;
    let content = content(raw.message_signature, raw.dsse_envelope)?;
    Ok(Bundle {
        version,
        verification_material,
        content,
    })
}

fn verification_material(
    version: BundleVersion,
    raw: RawVerificationMaterial,
) -> Result<VerificationMaterial, BundleError> {
    let signer = signer(
        version,
        raw.certificate,
        raw.x509_certificate_chain,
        raw.public_key.map(|k| k.hint),
    )?;
    let rfc3161_timestamps = timestamps(raw.timestamp_verification_data)?;
    let entries = within(raw.tlog_entries, Limit::TlogEntries, || {
        "verificationMaterial.tlogEntries".to_owned()
    })?;
    if entries.is_empty() {
        return Err(BundleError::NoTlogEntries);
    }
    let has_timestamps = !rfc3161_timestamps.is_empty();
    let tlog_entries = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| tlog_entry(version, i, e, has_timestamps))
        .collect::<Result<Vec<_>, _>>()?;
    for (second, b) in tlog_entries.iter().enumerate() {
        if let Some(first) = tlog_entries[..second]
            .iter()
            .position(|a| (a.log_id, a.log_index) == (b.log_id, b.log_index))
        {
            return Err(BundleError::DuplicateTlogEntry { first, second });
        }
    }
    Ok(VerificationMaterial {
        signer,
        tlog_entries,
        rfc3161_timestamps,
    })
}

/// The `verificationMaterial.content` oneof (PROTOCOL.md §6.1, §6.2).
fn signer(
    version: BundleVersion,
    certificate: Option<RawCertificate>,
    chain: Option<RawCertificateChain>,
    public_key_hint: Option<Option<String>>,
) -> Result<Signer, BundleError> {
    let found = [
        certificate.is_some(),
        chain.is_some(),
        public_key_hint.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count();
    if found != 1 {
        return Err(BundleError::NotExactlyOne {
            oneof: Oneof::VerificationMaterial,
            found,
        });
    }
    if let Some(cert) = certificate {
        let der = required_b64(cert.raw_bytes, || {
            "verificationMaterial.certificate.rawBytes".to_owned()
        })?;
        return Ok(Signer::Certificate(der));
    }
    if let Some(chain) = chain {
        if version >= BundleVersion::V0_3 {
            return Err(BundleError::CertificateChainInV03);
        }
        let certs = within(chain.certificates, Limit::CertificateChainLen, || {
            "verificationMaterial.x509CertificateChain.certificates".to_owned()
        })?;
        if certs.is_empty() {
            return Err(BundleError::EmptyCertificateChain);
        }
        let ders = certs
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                required_b64(c.raw_bytes, || {
                    format!("verificationMaterial.x509CertificateChain.certificates[{i}].rawBytes")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Signer::CertificateChain(ders));
    }
    Ok(Signer::PublicKeyHint(
        public_key_hint.flatten().unwrap_or_default(),
    ))
}

fn timestamps(raw: Option<RawTimestampVerificationData>) -> Result<Vec<Vec<u8>>, BundleError> {
    let list = within(
        raw.and_then(|d| d.rfc3161_timestamps),
        Limit::Rfc3161Timestamps,
        || "verificationMaterial.timestampVerificationData.rfc3161Timestamps".to_owned(),
    )?;
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(list.len());
    for (second, ts) in list.into_iter().enumerate() {
        let der = required_b64(ts.signed_timestamp, || {
            format!(
                "verificationMaterial.timestampVerificationData.rfc3161Timestamps[{second}].signedTimestamp"
            )
        })?;
        if let Some(first) = out.iter().position(|earlier| *earlier == der) {
            return Err(BundleError::DuplicateTimestamp { first, second });
        }
        out.push(der);
    }
    Ok(out)
}

fn tlog_entry(
    version: BundleVersion,
    i: usize,
    raw: RawTlogEntry,
    has_timestamps: bool,
) -> Result<TlogEntry, BundleError> {
    let at = |field: &str| format!("verificationMaterial.tlogEntries[{i}].{field}");
    let log_index = unsigned(raw.log_index, || at("logIndex"))?;
    let log_id = raw.log_id.ok_or_else(|| missing(at("logId")))?;
    let log_id = LogId(required_fixed(log_id.key_id, || at("logId.keyId"))?);
    let kind_version = raw.kind_version.ok_or_else(|| missing(at("kindVersion")))?;
    let kind = required_str(kind_version.kind, || at("kindVersion.kind"))?;
    let kind_version = required_str(kind_version.version, || at("kindVersion.version"))?;
    let integrated_time = unsigned(raw.integrated_time, || at("integratedTime"))?;
    let signed_entry_timestamp = raw
        .inclusion_promise
        .map(|p| {
            required_b64(p.signed_entry_timestamp, || {
                at("inclusionPromise.signedEntryTimestamp")
            })
        })
        .transpose()?;
    let inclusion_proof = raw
        .inclusion_proof
        .map(|p| inclusion_proof(i, p, &at))
        .transpose()?;
    let canonicalized_body = required_b64(raw.canonicalized_body, || at("canonicalizedBody"))?;

    // PROTOCOL.md §6.1 and sigstore-python's `Bundle._verify` (§8.1).
    if version == BundleVersion::V0_1 {
        if signed_entry_timestamp.is_none() {
            return Err(BundleError::MissingInclusionPromise { entry: i });
        }
    } else {
        let Some(proof) = &inclusion_proof else {
            return Err(BundleError::MissingInclusionProof { entry: i, version });
        };
        if proof.checkpoint.is_none() {
            return Err(BundleError::MissingCheckpoint { entry: i, version });
        }
        if signed_entry_timestamp.is_none() && !has_timestamps {
            return Err(BundleError::NoSignedTime { entry: i });
        }
    }
    Ok(TlogEntry {
        log_index,
        log_id,
        kind,
        kind_version,
        integrated_time: (integrated_time != 0).then_some(integrated_time),
        signed_entry_timestamp,
        inclusion_proof,
        canonicalized_body,
    })
}

fn inclusion_proof(
    entry: usize,
    raw: RawInclusionProof,
    at: &dyn Fn(&str) -> String,
) -> Result<InclusionProof, BundleError> {
    let log_index = unsigned(raw.log_index, || at("inclusionProof.logIndex"))?;
    let tree_size = unsigned(raw.tree_size, || at("inclusionProof.treeSize"))?;
    let root_hash = Hash(required_fixed(raw.root_hash, || {
        at("inclusionProof.rootHash")
    })?);
    let hashes = within(raw.hashes, Limit::ProofHashes, || {
        at("inclusionProof.hashes")
    })?
    .into_iter()
    .enumerate()
    .map(|(j, h)| {
        decode_b64_fixed(&h)
            .map(Hash)
            .map_err(|p| invalid(at(&format!("inclusionProof.hashes[{j}]")), p))
    })
    .collect::<Result<Vec<_>, _>>()?;
    if log_index >= tree_size {
        return Err(BundleError::ProofIndexOutOfRange {
            entry,
            log_index,
            tree_size,
        });
    }
    let checkpoint = raw
        .checkpoint
        .and_then(|c| c.envelope)
        .filter(|e| !e.is_empty());
    Ok(InclusionProof {
        log_index,
        tree_size,
        root_hash,
        hashes,
        checkpoint,
    })
}

/// The bundle's `content` oneof.
fn content(
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<RawEnvelope>,
) -> Result<Content, BundleError> {
    match (message_signature, dsse_envelope) {
        (Some(m), None) => Ok(Content::MessageSignature(self::message_signature(m)?)),
        (None, Some(e)) => Ok(Content::Dsse(dsse(e)?)),
        (m, e) => Err(BundleError::NotExactlyOne {
            oneof: Oneof::Content,
            found: usize::from(m.is_some()) + usize::from(e.is_some()),
        }),
    }
}

fn message_signature(raw: RawMessageSignature) -> Result<MessageSignature, BundleError> {
    let message_digest = match raw.message_digest {
        None => None,
        Some(d) => {
            let name = required_str(d.algorithm, || {
                "messageSignature.messageDigest.algorithm".to_owned()
            })?;
            let algorithm = HashAlgorithm::from_proto_name(&name).ok_or_else(|| {
                invalid(
                    "messageSignature.messageDigest.algorithm",
                    FieldProblem::UnknownEnumValue(clip(&name)),
                )
            })?;
            let field = || "messageSignature.messageDigest.digest".to_owned();
            let digest = required_b64(d.digest, field)?;
            if digest.len() != algorithm.digest_len() {
                return Err(invalid(
                    field(),
                    FieldProblem::WrongLength {
                        expected: algorithm.digest_len(),
                        actual: digest.len(),
                    },
                ));
            }
            Some(MessageDigest { algorithm, digest })
        }
    };
    let signature = required_b64(raw.signature, || "messageSignature.signature".to_owned())?;
    Ok(MessageSignature {
        message_digest,
        signature,
    })
}

fn dsse(raw: RawEnvelope) -> Result<DsseEnvelope, BundleError> {
    let payload = required_b64(raw.payload, || "dsseEnvelope.payload".to_owned())?;
    if payload.len() > MAX_DSSE_PAYLOAD_BYTES {
        return Err(BundleError::LimitExceeded {
            field: "dsseEnvelope.payload".to_owned(),
            limit: Limit::DssePayloadBytes,
            actual: payload.len(),
        });
    }
    let payload_type = required_str(raw.payload_type, || "dsseEnvelope.payloadType".to_owned())?;
    let signatures = raw.signatures.unwrap_or_default();
    let Some(only) = signatures
        .items
        .into_iter()
        .next()
        .filter(|_| signatures.total == 1)
    else {
        return Err(BundleError::DsseSignatureCount {
            count: signatures.total,
        });
    };
    let signature = required_b64(only.sig, || "dsseEnvelope.signatures[0].sig".to_owned())?;
    Ok(DsseEnvelope {
        payload,
        payload_type,
        signature,
        keyid: only.keyid.unwrap_or_default(),
    })
}
