//! Rekor v1 proposed entries: validation and canonicalisation (PROTOCOL.md §4.1, §4.2).
//!
//! `POST /api/v1/log/entries` answers 201 only for an entry that is in the log forever, so
//! a `ProposedEntry` is checked strictly: known kind and version, no unknown fields, valid
//! base64/hex, sizes within [`EntryLimits`], and every signature verified with the
//! submitted key or certificate chain ([`crate::pki`]). The result is the canonical body —
//! what Rekor's `types.CanonicalizeEntry` would store: the go-swagger model re-marshalled
//! and passed through RFC 8785 JSON canonicalisation — its RFC 6962 leaf hash, and the
//! search-index keys Rekor's `IndexKeys()` derives.
//!
//! Supported kinds: `hashedrekord` 0.0.1 and `dsse` 0.0.1 ([`EntryKind`]).

mod dsse;
mod hashedrekord;
mod json;

pub use json::{FieldPath, JsonType};

use serde::Serialize;
use serde_json::Value;
use signet_tlog_core::hash::{leaf_hash, Hash};

use crate::pki::{HashAlgorithm, PkiError};

/// Size limits applied to proposed entries. The server publishes them; each is a
/// denial-of-service bound, not a protocol rule.
#[derive(Clone, Debug)]
pub struct EntryLimits {
    /// Largest accepted `ProposedEntry` JSON document, in bytes (default 128 KiB).
    /// Exceeding it is [`EntryError::BodyTooLarge`] (HTTP 413).
    pub max_proposed_entry_bytes: usize,
    /// Largest canonical body, in bytes (default 65535): every body must fit the `u16`
    /// length prefix of a C2SP tlog-tiles entry bundle.
    pub max_canonical_body_bytes: usize,
    /// Largest DSSE envelope (the `proposedContent.envelope` string), in bytes
    /// (default 100 KiB).
    pub max_envelope_bytes: usize,
    /// Most signatures in one DSSE envelope, and most DSSE verifiers (default 16).
    pub max_dsse_signatures: usize,
    /// Most certificates in one submitted PEM chain (default 10, as Rekor).
    pub max_chain_certificates: usize,
}

impl Default for EntryLimits {
    fn default() -> Self {
        Self {
            max_proposed_entry_bytes: 128 * 1024,
            max_canonical_body_bytes: usize::from(u16::MAX),
            max_envelope_bytes: 100 * 1024,
            max_dsse_signatures: 16,
            max_chain_certificates: crate::pki::DEFAULT_MAX_CHAIN_CERTIFICATES,
        }
    }
}

/// A supported entry type (Rekor `kind` + `apiVersion`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind {
    /// `hashedrekord` 0.0.1: a signature over a digest.
    HashedRekord,
    /// `dsse` 0.0.1: a DSSE envelope, stored as hashes plus signatures.
    Dsse,
}

impl EntryKind {
    /// The wire `kind`.
    #[must_use]
    pub fn kind_str(self) -> &'static str {
        match self {
            Self::HashedRekord => "hashedrekord",
            Self::Dsse => "dsse",
        }
    }

    /// The only supported `apiVersion` of this kind.
    #[must_use]
    pub fn api_version(self) -> &'static str {
        "0.0.1"
    }

    fn from_kind(kind: &str) -> Option<Self> {
        match kind {
            "hashedrekord" => Some(Self::HashedRekord),
            "dsse" => Some(Self::Dsse),
            _ => None,
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind_str())
    }
}

/// A validated entry ready to be logged.
#[derive(Clone, Debug)]
pub struct CanonicalEntry {
    /// Its kind.
    pub kind: EntryKind,
    /// Canonical JSON body bytes: what is hashed into the tree and served (base64) as
    /// `body`.
    pub body: Vec<u8>,
    /// `leaf_hash(&body)` (RFC 6962 §2.1); hex of it is the entry UUID (PROTOCOL.md §4.2).
    pub leaf_hash: Hash,
    /// Lookup keys for `POST /api/v1/index/retrieve`, lowercased and deduplicated. For
    /// dsse this also holds the in-toto subject digests found in the envelope payload,
    /// which [`index_keys_of_body`] cannot recover from the stored body.
    pub index_keys: Vec<String>,
    /// Stored beside the leaf, not hashed into the tree: for dsse, the submitted envelope
    /// text (`spec.proposedContent.envelope`, UTF-8 JSON, byte for byte as submitted),
    /// whose SHA-256 is the body's `envelopeHash`, so that an auditor can re-verify the
    /// DSSE signatures from the log; `None` for hashedrekord (its body holds everything).
    pub extra: Option<Vec<u8>>,
    /// Who signed, for per-signer rate limits: the fingerprint of the signing key or
    /// certificate (`SubmittedKey::signer_identity`; for dsse, the first verifier in
    /// canonical order). Only the key's holder can produce an entry under it, so nobody
    /// spends another signer's quota; the CA limits certificates per OIDC identity. Not
    /// stored.
    pub signer: String,
}

/// Why a proposed entry (or a stored body) was rejected. The `Display` texts are written for
/// API clients: every variant is a client error (HTTP 400) except
/// [`EntryError::BodyTooLarge`] (413) and [`EntryError::Serialize`] (500, a bug).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The proposed entry document is over [`EntryLimits::max_proposed_entry_bytes`].
    #[error("proposed entry exceeds {limit} bytes (got {got})")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
        /// The document's size.
        got: usize,
    },
    /// Not JSON.
    #[error("malformed JSON: {0}")]
    MalformedJson(#[source] serde_json::Error),
    /// A field of the wrong JSON type.
    #[error("{field}: expected {expected}")]
    WrongType {
        /// Where.
        field: FieldPath,
        /// The required type.
        expected: JsonType,
    },
    /// A required field is absent or null.
    #[error("missing field \"{field}\"")]
    MissingField {
        /// Which.
        field: FieldPath,
    },
    /// A field the schema does not define.
    #[error("unknown field \"{}\"", .parent.child(.name))]
    UnknownField {
        /// The object holding it.
        parent: FieldPath,
        /// Its name.
        name: String,
    },
    /// A field that must not be empty is.
    #[error("{field}: must not be empty")]
    EmptyField {
        /// Which.
        field: FieldPath,
    },
    /// A `kind` other than `hashedrekord` or `dsse`.
    #[error("unknown entry kind \"{kind}\" (supported: hashedrekord, dsse)")]
    UnknownKind {
        /// The submitted kind.
        kind: String,
    },
    /// An `apiVersion` other than 0.0.1.
    #[error("unsupported apiVersion \"{version}\" for kind {kind} (supported: 0.0.1)")]
    UnsupportedApiVersion {
        /// The entry kind.
        kind: EntryKind,
        /// The submitted version.
        version: String,
    },
    /// Not valid base64.
    #[error("{field}: invalid base64")]
    InvalidBase64 {
        /// Which field.
        field: FieldPath,
    },
    /// Not valid hex.
    #[error("{field}: invalid hex")]
    InvalidHex {
        /// Which field.
        field: FieldPath,
    },
    /// A hash algorithm other than sha256, sha384 or sha512 (sha256 only for dsse).
    #[error("{field}: unsupported hash algorithm \"{algorithm}\"")]
    UnsupportedHashAlgorithm {
        /// Which field.
        field: FieldPath,
        /// The submitted name.
        algorithm: String,
    },
    /// A digest whose length does not match its algorithm.
    #[error("{field}: {algorithm} digest must be {expected} bytes, got {got}")]
    DigestLength {
        /// Which field.
        field: FieldPath,
        /// The declared algorithm.
        algorithm: HashAlgorithm,
        /// Its digest length.
        expected: usize,
        /// The submitted length.
        got: usize,
    },
    /// A submitted key or certificate chain is unusable.
    #[error("{field}: {source}")]
    InvalidKey {
        /// Which field.
        field: FieldPath,
        /// What is wrong with it.
        #[source]
        source: PkiError,
    },
    /// The hashedrekord signature does not verify (or the key type cannot verify digests).
    #[error("{0}")]
    Signature(#[source] PkiError),
    /// The DSSE envelope string is over [`EntryLimits::max_envelope_bytes`].
    #[error("spec.proposedContent.envelope: DSSE envelope exceeds {limit} bytes (got {got})")]
    EnvelopeTooLarge {
        /// The limit.
        limit: usize,
        /// The envelope's size.
        got: usize,
    },
    /// The DSSE envelope string is not JSON.
    #[error("spec.proposedContent.envelope: malformed DSSE envelope JSON: {0}")]
    MalformedEnvelope(#[source] serde_json::Error),
    /// A DSSE envelope without signatures.
    #[error("spec.proposedContent.envelope: DSSE envelope has no signatures")]
    NoEnvelopeSignatures,
    /// More envelope signatures than [`EntryLimits::max_dsse_signatures`].
    #[error("spec.proposedContent.envelope: DSSE envelope has {got} signatures, at most {limit} are allowed")]
    TooManySignatures {
        /// The limit.
        limit: usize,
        /// How many were submitted.
        got: usize,
    },
    /// More verifiers than [`EntryLimits::max_dsse_signatures`].
    #[error("spec.proposedContent.verifiers: {got} verifiers, at most {limit} are allowed")]
    TooManyVerifiers {
        /// The limit.
        limit: usize,
        /// How many were submitted.
        got: usize,
    },
    /// An envelope signature that none of the verifiers verifies over PAE.
    #[error("DSSE envelope signature {index} does not verify with any of the supplied verifiers")]
    UnverifiedEnvelopeSignature {
        /// Zero-based position in the envelope.
        index: usize,
    },
    /// A verifier that verifies none of the envelope signatures (Rekor rejects these too).
    #[error("spec.proposedContent.verifiers[{index}] does not verify any DSSE envelope signature")]
    UnusedVerifier {
        /// Zero-based position in `verifiers`.
        index: usize,
    },
    /// A field the log computes itself (dsse `envelopeHash`, `payloadHash`, `signatures`).
    #[error(
        "spec.{field}: computed by the log, must not be submitted (send spec.proposedContent)"
    )]
    ServerComputedField {
        /// Which.
        field: &'static str,
    },
    /// The canonical body is over [`EntryLimits::max_canonical_body_bytes`].
    #[error("canonical entry body would be {got} bytes, at most {limit} are allowed")]
    CanonicalBodyTooLarge {
        /// The limit.
        limit: usize,
        /// The body's size.
        got: usize,
    },
    /// Serialising the canonical body failed (a bug, never caused by input).
    #[error("internal error serialising the canonical body: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// Parses and validates a Rekor v1 ProposedEntry JSON document (bytes of the request
/// body) and canonicalises it.
///
/// # Errors
/// An [`EntryError`] naming the first problem found.
pub fn canonicalize(
    proposed_json: &[u8],
    limits: &EntryLimits,
) -> Result<CanonicalEntry, EntryError> {
    check_proposed_size(proposed_json.len(), limits)?;
    let value: Value = serde_json::from_slice(proposed_json).map_err(EntryError::MalformedJson)?;
    canonicalize_parsed(&value, limits)
}

/// Same as [`canonicalize`], from an already-parsed JSON value (the `entries` array of
/// `/api/v1/log/entries/retrieve`). The size limit applies to its compact serialisation.
///
/// # Errors
/// An [`EntryError`] naming the first problem found.
pub fn canonicalize_value(
    proposed: &Value,
    limits: &EntryLimits,
) -> Result<CanonicalEntry, EntryError> {
    let size = serde_json::to_vec(proposed)
        .map_err(EntryError::Serialize)?
        .len();
    check_proposed_size(size, limits)?;
    canonicalize_parsed(proposed, limits)
}

/// Derives the index keys from a stored canonical body, so the index can be rebuilt from
/// the log alone. Signatures are not re-verified. For dsse this cannot include in-toto
/// subject digests (the envelope is not in the body, only in [`CanonicalEntry::extra`]),
/// so it may be a subset of [`CanonicalEntry::index_keys`].
///
/// # Errors
/// An [`EntryError`] if the body is not a canonical hashedrekord or dsse 0.0.1 body.
pub fn index_keys_of_body(body: &[u8]) -> Result<Vec<String>, EntryError> {
    let value: Value = serde_json::from_slice(body).map_err(EntryError::MalformedJson)?;
    let (kind, spec) = kind_and_spec(&value)?;
    let limits = EntryLimits::default();
    let keys = match kind {
        EntryKind::HashedRekord => hashedrekord::index_keys_of_spec(spec, &limits)?,
        EntryKind::Dsse => dsse::index_keys_of_spec(spec, &limits)?,
    };
    Ok(normalize_keys(keys))
}

fn check_proposed_size(got: usize, limits: &EntryLimits) -> Result<(), EntryError> {
    if got > limits.max_proposed_entry_bytes {
        return Err(EntryError::BodyTooLarge {
            limit: limits.max_proposed_entry_bytes,
            got,
        });
    }
    Ok(())
}

fn canonicalize_parsed(value: &Value, limits: &EntryLimits) -> Result<CanonicalEntry, EntryError> {
    let (kind, spec) = kind_and_spec(value)?;
    let (body, index_keys, extra, signer) = match kind {
        EntryKind::HashedRekord => {
            let (body, keys, signer) = hashedrekord::canonicalize_spec(spec, limits)?;
            (body, keys, None, signer)
        }
        EntryKind::Dsse => {
            let dsse = dsse::canonicalize_spec(spec, limits)?;
            (dsse.body, dsse.index_keys, Some(dsse.envelope), dsse.signer)
        }
    };
    if body.len() > limits.max_canonical_body_bytes {
        return Err(EntryError::CanonicalBodyTooLarge {
            limit: limits.max_canonical_body_bytes,
            got: body.len(),
        });
    }
    Ok(CanonicalEntry {
        kind,
        leaf_hash: leaf_hash(&body),
        body,
        index_keys: normalize_keys(index_keys),
        extra,
        signer,
    })
}

/// Checks the `ProposedEntry` envelope (openapi.yaml: `kind` discriminator, `apiVersion`,
/// `spec`) and returns the kind and the spec.
fn kind_and_spec(value: &Value) -> Result<(EntryKind, &Value), EntryError> {
    let root = json::object(value, FieldPath::ROOT)?;
    json::only_keys(root, &["kind", "apiVersion", "spec"], FieldPath::ROOT)?;
    let kind_field = FieldPath::new("kind");
    let kind_str = json::string(json::member(root, "kind", kind_field)?, kind_field)?;
    let kind = EntryKind::from_kind(kind_str).ok_or_else(|| EntryError::UnknownKind {
        kind: kind_str.to_owned(),
    })?;
    let version_field = FieldPath::new("apiVersion");
    let version = json::string(
        json::member(root, "apiVersion", version_field)?,
        version_field,
    )?;
    if version != kind.api_version() {
        return Err(EntryError::UnsupportedApiVersion {
            kind,
            version: version.to_owned(),
        });
    }
    let spec = json::member(root, "spec", FieldPath::new("spec"))?;
    Ok((kind, spec))
}

/// Rekor's index storage lowercases every key on write and on lookup
/// (`pkg/indexstorage/redis`); duplicates add nothing.
fn normalize_keys(keys: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.to_lowercase();
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// The `{"apiVersion", "kind", "spec"}` wrapper of every canonical body.
#[derive(Serialize)]
struct Body<S: Serialize> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    spec: S,
}

/// Serialises a canonical body: RFC 8785 (JCS) over the model, as Rekor's
/// `types.CanonicalizeEntry` runs `jsoncanonicalizer.Transform` on `json.Marshal` output.
fn serialize_body<S: Serialize>(kind: EntryKind, spec: S) -> Result<Vec<u8>, EntryError> {
    let body = Body {
        api_version: kind.api_version(),
        kind: kind.kind_str(),
        spec,
    };
    serde_json_canonicalizer::to_vec(&body).map_err(EntryError::Serialize)
}

/// A `{"algorithm", "value"}` hash object, as in hashedrekord `data.hash` and dsse
/// `envelopeHash`/`payloadHash`.
#[derive(Serialize)]
struct HashValue {
    algorithm: &'static str,
    value: String,
}

/// `"<alg>:<hex>"`, the index key of a digest.
fn hash_key(algorithm: &str, hex_value: &str) -> String {
    format!("{algorithm}:{hex_value}")
}
