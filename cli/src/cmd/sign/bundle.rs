//! The bundle Signet writes: v0.3 (`application/vnd.dev.sigstore.bundle.v0.3+json`,
//! PROTOCOL.md §6), proto-JSON with camelCase keys, `int64` as strings (§1), always the
//! fields strict parsers need even at their default (`inclusionProof.logIndex`,
//! `hashes`: Appendix A §2.4).
//!
//! Before a bundle is written it is parsed back with the verifier's strict parser
//! ([`signet_verifier::bundle::Bundle::from_json`]) and, when a trusted root is known,
//! verified as `signet verify` would ([`self_check`]); a bundle that fails either is an
//! error and is not written. Files are written to a temporary file beside the target and
//! renamed into place, so a failure never leaves half a bundle.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    time::SystemTime,
};

use anyhow::{anyhow, bail, Context as _, Result};
use serde::Serialize;
use signet_verifier::{
    bundle::{Bundle, MEDIA_TYPE_V0_3},
    identity::{signer_identity, IdentityPolicy},
    verify::{Artifact, SignerPolicy, Verifier},
};

/// `Bundle` (v0.3).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleJson {
    media_type: &'static str,
    verification_material: VerificationMaterialJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_signature: Option<MessageSignatureJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dsse_envelope: Option<DsseEnvelopeJson>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VerificationMaterialJson {
    certificate: RawBytes,
    tlog_entries: Vec<TlogEntryJson>,
}

/// `{"rawBytes": b64}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: String,
}

/// `TransparencyLogEntry` (§6.2), filled from a Rekor v1 `LogEntry` (§4.4.1).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlogEntryJson {
    /// Global log index (int64 as a string).
    pub log_index: String,
    /// `{"keyId": b64(32 bytes)}`.
    pub log_id: KeyIdJson,
    /// The body's kind and apiVersion.
    pub kind_version: KindVersionJson,
    /// Unix seconds (int64 as a string).
    pub integrated_time: String,
    /// The SET.
    pub inclusion_promise: InclusionPromiseJson,
    /// Proof, root and checkpoint.
    pub inclusion_proof: InclusionProofJson,
    /// b64 of the canonical body.
    pub canonicalized_body: String,
}

/// `LogId`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyIdJson {
    /// b64 of the 32-byte log ID.
    pub key_id: String,
}

/// `KindVersion`.
#[derive(Debug, Serialize)]
pub struct KindVersionJson {
    /// `hashedrekord`, `dsse`.
    pub kind: String,
    /// `0.0.1`.
    pub version: String,
}

/// `InclusionPromise`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromiseJson {
    /// b64 DER signature.
    pub signed_entry_timestamp: String,
}

/// `InclusionProof`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProofJson {
    /// Tree-local index (string).
    pub log_index: String,
    /// b64 root hash.
    pub root_hash: String,
    /// Tree size (string).
    pub tree_size: String,
    /// b64 sibling hashes, leaf to root; present even when empty.
    pub hashes: Vec<String>,
    /// `{"envelope": "<signed note>"}`.
    pub checkpoint: CheckpointJson,
}

/// `Checkpoint`.
#[derive(Debug, Serialize)]
pub struct CheckpointJson {
    /// The signed note text.
    pub envelope: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignatureJson {
    message_digest: MessageDigestJson,
    signature: String,
}

#[derive(Debug, Serialize)]
struct MessageDigestJson {
    algorithm: &'static str,
    digest: String,
}

/// `io.intoto.Envelope` with one signature (the bundle's and the log entry's form).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DsseEnvelopeJson {
    /// b64 payload.
    pub payload: String,
    /// e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// Exactly one signature.
    pub signatures: Vec<DsseSignatureJson>,
}

/// `io.intoto.Signature` (no `keyid`: Fulcio keys have none).
#[derive(Debug, Serialize)]
pub struct DsseSignatureJson {
    /// b64 signature over PAE.
    pub sig: String,
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl BundleJson {
    /// A bundle over an artefact's SHA-256 digest (`messageSignature`).
    pub fn message_signature(
        leaf_der: &[u8],
        entry: TlogEntryJson,
        sha256: &[u8],
        signature: &[u8],
    ) -> Self {
        Self {
            media_type: MEDIA_TYPE_V0_3,
            verification_material: VerificationMaterialJson {
                certificate: RawBytes {
                    raw_bytes: b64(leaf_der),
                },
                tlog_entries: vec![entry],
            },
            message_signature: Some(MessageSignatureJson {
                message_digest: MessageDigestJson {
                    algorithm: "SHA2_256",
                    digest: b64(sha256),
                },
                signature: b64(signature),
            }),
            dsse_envelope: None,
        }
    }

    /// A bundle over a DSSE envelope.
    pub fn dsse(leaf_der: &[u8], entry: TlogEntryJson, envelope: DsseEnvelopeJson) -> Self {
        Self {
            media_type: MEDIA_TYPE_V0_3,
            verification_material: VerificationMaterialJson {
                certificate: RawBytes {
                    raw_bytes: b64(leaf_der),
                },
                tlog_entries: vec![entry],
            },
            message_signature: None,
            dsse_envelope: Some(envelope),
        }
    }

    /// The JSON text, and the bundle parsed back by the verifier's strict parser.
    ///
    /// # Errors
    /// The verifier rejects the bundle's shape (a bug here, or a log answer that passed
    /// the earlier checks but cannot make a bundle).
    pub fn encode(&self) -> Result<(Vec<u8>, Bundle)> {
        let mut json = serde_json::to_vec_pretty(self).context("encoding the bundle")?;
        json.push(b'\n');
        let parsed = Bundle::from_json(&json)
            .map_err(|e| anyhow!("the assembled bundle is malformed: {e}"))?;
        Ok((json, parsed))
    }
}

/// Verifies a freshly made `bundle` for `artifact` as `signet verify` would: with
/// `verifier` (the trusted root), for the identity and issuer its own leaf names (the CA
/// decided those; this proves that what was signed, logged and bundled holds together,
/// chains to the trusted root and carries a valid SCT), at `now`.
///
/// # Errors
/// The verifier's first failing step, or a leaf without a readable identity.
pub fn self_check(
    verifier: &Verifier,
    bundle: &Bundle,
    leaf_der: &[u8],
    artifact: Artifact<'_>,
    now: SystemTime,
) -> Result<()> {
    let identity = signer_identity(leaf_der)
        .map_err(|e| anyhow!("the new certificate names no identity: {e}"))?;
    let san = identity
        .sans
        .first()
        .ok_or_else(|| anyhow!("the new certificate names no identity"))?;
    let policy = SignerPolicy::Identity(IdentityPolicy::exact(
        san_text(san),
        identity.issuer.clone(),
    ));
    verifier
        .verify(bundle, artifact, &policy, now)
        .map_err(|e| anyhow!("the new bundle does not verify against the trusted root: {e}"))?;
    Ok(())
}

/// The identity a SAN names (what `--cert-identity` is compared with).
fn san_text(san: &signet_ca_core::san::SubjectAltName) -> String {
    use signet_ca_core::san::SubjectAltName;
    match san {
        SubjectAltName::Email(v) | SubjectAltName::Uri(v) | SubjectAltName::Username(v) => {
            v.clone()
        }
    }
}

/// Whether an existing bundle may be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    /// An existing file is an error (`signet sign`, `signet attest` without `--overwrite`).
    Refuse,
    /// An existing file is replaced (`--overwrite`, `signet sign-bundle`).
    Replace,
}

/// Checks, before anything is signed, that `path` may be written.
///
/// # Errors
/// `path` exists and `overwrite` is [`Overwrite::Refuse`], or is a directory.
pub fn check_writable(path: &Path, overwrite: Overwrite) -> Result<()> {
    if path.is_dir() {
        bail!("bundle path {} is a directory", path.display());
    }
    if overwrite == Overwrite::Refuse && path.exists() {
        bail!(
            "{} already exists (give --overwrite to replace it)",
            path.display()
        );
    }
    Ok(())
}

/// Writes `json` to `path` through a temporary file in the same directory.
///
/// # Errors
/// I/O errors, or `path` appeared meanwhile and `overwrite` is [`Overwrite::Refuse`].
pub fn write(path: &Path, json: &[u8], overwrite: Overwrite) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let what = || format!("writing bundle {}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).with_context(what)?;
    tmp.write_all(json).with_context(what)?;
    tmp.as_file().sync_all().with_context(what)?;
    match overwrite {
        Overwrite::Replace => tmp.persist(path).map(drop).map_err(|e| e.error),
        Overwrite::Refuse => tmp.persist_noclobber(path).map(drop).map_err(|e| e.error),
    }
    .with_context(what)
}
