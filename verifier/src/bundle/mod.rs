//! A Sigstore bundle (PROTOCOL.md §6), parsed and shape-checked into typed data so that
//! the verification steps after it never see malformed input.
//!
//! [`Bundle::from_json`] accepts the four media types sigstore-python accepts (§6.1),
//! decodes every base64 field, accepts `int64` as strings or numbers (§1), and applies
//! the strictest client's structural rules (§6.1, §6.2, §8.1, §8.2):
//!
//! * exactly one of `certificate` / `x509CertificateChain` / `publicKey`; v0.3 must not
//!   use a chain; a chain is not empty;
//! * 1 to [`MAX_TLOG_ENTRIES`](crate::common::MAX_TLOG_ENTRIES) log entries, no two with the same (log ID, index);
//!   `kindVersion` and `canonicalizedBody` present; hashes and log IDs 32 bytes;
//! * v0.1: every entry has an inclusion promise; v0.2 and v0.3: every entry has an
//!   inclusion proof with a checkpoint, and an inclusion promise or the bundle an RFC 3161
//!   timestamp;
//! * at most [`MAX_RFC3161_TIMESTAMPS`](crate::common::MAX_RFC3161_TIMESTAMPS) timestamps, no duplicates;
//! * exactly one of `messageSignature` / `dsseEnvelope`; a DSSE envelope has exactly one
//!   signature; a message digest has its algorithm's length;
//! * the size and count limits in [`crate::common`], each failing with
//!   [`BundleError::LimitExceeded`] naming the limit.
//!
//! Nothing here is cryptographic: no certificate, signature, SET, proof or checkpoint is
//! checked; those are later steps. Parsing never panics.

mod error;
mod parse;
#[cfg(test)]
mod tests;
mod wire;

pub use error::{BundleError, Oneof};
use signet_tlog_core::hash::Hash;

use crate::common::{HashAlgorithm, LogId};

/// The media type Signet emits (PROTOCOL.md §6.1).
pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The accepted media types (sigstore-python's exact list, PROTOCOL.md §6.1).
const MEDIA_TYPES: [(&str, BundleVersion); 4] = [
    (MEDIA_TYPE_V0_3, BundleVersion::V0_3),
    (
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        BundleVersion::V0_3,
    ),
    (
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        BundleVersion::V0_2,
    ),
    (
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        BundleVersion::V0_1,
    ),
];

/// The bundle format version named by `mediaType`. Ordered: `V0_1 < V0_2 < V0_3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum BundleVersion {
    /// v0.1: inclusion promise required, proof optional.
    V0_1,
    /// v0.2: inclusion proof with checkpoint required.
    V0_2,
    /// v0.3: as v0.2, and the leaf is a single `certificate`.
    V0_3,
}

impl BundleVersion {
    /// The version a media type names; `None` unless it is one of the accepted four.
    #[must_use]
    pub fn from_media_type(media_type: &str) -> Option<BundleVersion> {
        MEDIA_TYPES
            .iter()
            .find(|(m, _)| *m == media_type)
            .map(|(_, v)| *v)
    }
}

impl std::fmt::Display for BundleVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BundleVersion::V0_1 => "v0.1",
            BundleVersion::V0_2 => "v0.2",
            BundleVersion::V0_3 => "v0.3",
        })
    }
}

/// A shape-checked bundle. Only [`Bundle::from_json`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bundle {
    /// The format version from `mediaType`.
    pub version: BundleVersion,
    /// Who signed (certificate or key hint), log entries, timestamps.
    pub verification_material: VerificationMaterial,
    /// What was signed.
    pub content: Content,
}

/// `verificationMaterial`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerificationMaterial {
    /// The signer's certificate(s) or key hint.
    pub signer: Signer,
    /// 1 to [`MAX_TLOG_ENTRIES`](crate::common::MAX_TLOG_ENTRIES) transparency-log entries.
    pub tlog_entries: Vec<TlogEntry>,
    /// DER `TimeStampResp`s (`rfc3161Timestamps[].signedTimestamp`), at most
    /// [`MAX_RFC3161_TIMESTAMPS`](crate::common::MAX_RFC3161_TIMESTAMPS), pairwise distinct.
    pub rfc3161_timestamps: Vec<Vec<u8>>,
}

/// `verificationMaterial.content`: how the signer is identified.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signer {
    /// `certificate.rawBytes`: the DER leaf (v0.3; also allowed in v0.1/v0.2).
    Certificate(Vec<u8>),
    /// `x509CertificateChain.certificates[].rawBytes`: DER, leaf first, non-empty
    /// (v0.1/v0.2 only).
    CertificateChain(Vec<Vec<u8>>),
    /// `publicKey.hint`: an unauthenticated hint naming an out-of-band key.
    PublicKeyHint(String),
}

/// `TransparencyLogEntry` (`sigstore_rekor.proto`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlogEntry {
    /// `logIndex`: the global (possibly virtual, sharded) index (PROTOCOL.md §4.2).
    pub log_index: u64,
    /// `logId.keyId`.
    pub log_id: LogId,
    /// `kindVersion.kind`, e.g. `hashedrekord` (non-empty, not yet checked against the body).
    pub kind: String,
    /// `kindVersion.version`, e.g. `0.0.1` (non-empty).
    pub kind_version: String,
    /// `integratedTime` in Unix seconds; `None` when absent or 0 (Rekor v2).
    pub integrated_time: Option<u64>,
    /// `inclusionPromise.signedEntryTimestamp`: the SET bytes (DER signature).
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// `inclusionProof`.
    pub inclusion_proof: Option<InclusionProof>,
    /// `canonicalizedBody`: the log entry body bytes.
    pub canonicalized_body: Vec<u8>,
}

/// `InclusionProof` (RFC 9162 inclusion proof plus the checkpoint it is against).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InclusionProof {
    /// `logIndex`: the index in the tree that holds the entry (tree-local when sharded).
    pub log_index: u64,
    /// `treeSize`; greater than `log_index`.
    pub tree_size: u64,
    /// `rootHash`.
    pub root_hash: Hash,
    /// `hashes`, bottom-up; at most [`crate::common::MAX_PROOF_HASHES`].
    pub hashes: Vec<Hash>,
    /// `checkpoint.envelope`: the signed-note text (unparsed). Always present in v0.2+.
    pub checkpoint: Option<String>,
}

/// The bundle's `content`: what was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Content {
    /// `messageSignature`: a signature over an artifact (digest).
    MessageSignature(MessageSignature),
    /// `dsseEnvelope`: a DSSE envelope with exactly one signature.
    Dsse(DsseEnvelope),
}

/// `MessageSignature`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageSignature {
    /// `messageDigest`, if given: identifies the artifact; never used to verify.
    pub message_digest: Option<MessageDigest>,
    /// `signature`: the raw signature bytes.
    pub signature: Vec<u8>,
}

/// `HashOutput`: a digest whose length matches its algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageDigest {
    /// `algorithm`.
    pub algorithm: HashAlgorithm,
    /// `digest`: exactly `algorithm.digest_len()` bytes.
    pub digest: Vec<u8>,
}

/// `io.intoto.Envelope`, reduced to its single signature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DsseEnvelope {
    /// `payload`, decoded; at most [`crate::common::MAX_DSSE_PAYLOAD_BYTES`].
    pub payload: Vec<u8>,
    /// `payloadType`, e.g. `application/vnd.in-toto+json` (non-empty).
    pub payload_type: String,
    /// `signatures[0].sig`: the signature over PAE(payloadType, payload).
    pub signature: Vec<u8>,
    /// `signatures[0].keyid` (often empty).
    pub keyid: String,
}

impl Bundle {
    /// Parses and shape-checks a bundle (the JSON document, at most
    /// [`crate::common::MAX_BUNDLE_BYTES`]).
    ///
    /// # Errors
    /// The first [`BundleError`] found, checking in order: size, JSON, media type,
    /// verification material, timestamps, log entries, content.
    pub fn from_json(json: &[u8]) -> Result<Bundle, BundleError> {
        parse::bundle(json)
    }

    /// The signer's leaf certificate (DER): `certificate`, or the first of the chain.
    /// `None` for a public-key bundle.
    #[must_use]
    pub fn leaf_certificate(&self) -> Option<&[u8]> {
        match &self.verification_material.signer {
            Signer::Certificate(der) => Some(der),
            Signer::CertificateChain(chain) => chain.first().map(Vec::as_slice),
            Signer::PublicKeyHint(_) => None,
        }
    }

    /// The signature bytes: the message signature, or the DSSE envelope's one signature.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        match &self.content {
            Content::MessageSignature(m) => &m.signature,
            Content::Dsse(d) => &d.signature,
        }
    }
}
