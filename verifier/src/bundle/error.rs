//! Why a bundle was rejected before any cryptographic check.

use super::BundleVersion;
use crate::common::{FieldProblem, Limit};

/// The members of a protobuf `oneof` of which exactly one must be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Oneof {
    /// `verificationMaterial.content`: `certificate`, `x509CertificateChain` or `publicKey`.
    VerificationMaterial,
    /// The bundle's `content`: `messageSignature` or `dsseEnvelope`.
    Content,
}

impl std::fmt::Display for Oneof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Oneof::VerificationMaterial => {
                "verificationMaterial.{certificate, x509CertificateChain, publicKey}"
            }
            Oneof::Content => "{messageSignature, dsseEnvelope}",
        })
    }
}

/// Why a bundle does not have the shape verification needs. Field paths are JSON paths
/// in camelCase, e.g. `verificationMaterial.tlogEntries[0].inclusionProof.rootHash`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A hard limit (see [`crate::common`]) is exceeded.
    #[error("{field}: {actual} is over the limit {limit}")]
    LimitExceeded {
        /// What was counted or measured (`bundle` for the whole document).
        field: String,
        /// The limit exceeded.
        limit: Limit,
        /// The count or size found.
        actual: usize,
    },
    /// Not JSON, or a field of the wrong JSON type, or a key the format does not have.
    #[error("bundle is not a valid protobuf-JSON bundle: {reason}")]
    Json {
        /// The JSON parser's message (with line and column).
        reason: String,
    },
    /// `mediaType` is none of the four accepted spellings (PROTOCOL.md §6.1).
    #[error(
        "unsupported bundle media type {media_type:?} (accepted: v0.1, v0.2, v0.3 as \
         `application/vnd.dev.sigstore.bundle+json;version=0.X`, and \
         `application/vnd.dev.sigstore.bundle.v0.3+json`)"
    )]
    UnsupportedMediaType {
        /// The media type given (shortened if long).
        media_type: String,
    },
    /// A required field is absent, `null` or empty.
    #[error("{field} is missing")]
    MissingField {
        /// Its path.
        field: String,
    },
    /// A field's value is malformed.
    #[error("{field} is invalid: {problem}")]
    InvalidField {
        /// Its path.
        field: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// Not exactly one member of a oneof is set.
    #[error("exactly one of {oneof} must be set, found {found}")]
    NotExactlyOne {
        /// Which oneof.
        oneof: Oneof,
        /// How many members were set.
        found: usize,
    },
    /// A v0.3 bundle carries `x509CertificateChain`; v0.3 requires the single leaf
    /// `certificate` (PROTOCOL.md §6.1).
    #[error("a v0.3 bundle must use `certificate`, not `x509CertificateChain`")]
    CertificateChainInV03,
    /// `x509CertificateChain.certificates` is empty.
    #[error("verificationMaterial.x509CertificateChain has no certificates")]
    EmptyCertificateChain,
    /// No transparency-log entry (sigstore-python requires one; PROTOCOL.md §6.2).
    #[error("the bundle has no transparency-log entry")]
    NoTlogEntries,
    /// A v0.1 bundle's entry has no inclusion promise (signed entry timestamp).
    #[error("tlog entry {entry}: a v0.1 bundle requires an inclusion promise")]
    MissingInclusionPromise {
        /// Index in `tlogEntries`.
        entry: usize,
    },
    /// A v0.2+ bundle's entry has no inclusion proof.
    #[error("tlog entry {entry}: a {version} bundle requires an inclusion proof")]
    MissingInclusionProof {
        /// Index in `tlogEntries`.
        entry: usize,
        /// The bundle's version.
        version: BundleVersion,
    },
    /// A v0.2+ bundle's inclusion proof has no checkpoint.
    #[error("tlog entry {entry}: a {version} bundle requires a checkpoint in the inclusion proof")]
    MissingCheckpoint {
        /// Index in `tlogEntries`.
        entry: usize,
        /// The bundle's version.
        version: BundleVersion,
    },
    /// A v0.2+ bundle has neither an inclusion promise on this entry nor an RFC 3161
    /// timestamp, so nothing could attest the signing time (sigstore-python).
    #[error(
        "tlog entry {entry}: the bundle has neither an inclusion promise nor an RFC 3161 \
         timestamp"
    )]
    NoSignedTime {
        /// Index in `tlogEntries`.
        entry: usize,
    },
    /// `inclusionProof.logIndex` is not below `treeSize`.
    #[error(
        "tlog entry {entry}: inclusion proof index {log_index} is not below tree size {tree_size}"
    )]
    ProofIndexOutOfRange {
        /// Index in `tlogEntries`.
        entry: usize,
        /// `inclusionProof.logIndex`.
        log_index: u64,
        /// `inclusionProof.treeSize`.
        tree_size: u64,
    },
    /// Two entries name the same (log ID, log index): duplicates could fake a threshold
    /// (sigstore-go).
    #[error("tlog entries {first} and {second} are the same log entry")]
    DuplicateTlogEntry {
        /// The earlier index.
        first: usize,
        /// The later index.
        second: usize,
    },
    /// Two RFC 3161 timestamps are identical (sigstore-python).
    #[error("RFC 3161 timestamps {first} and {second} are identical")]
    DuplicateTimestamp {
        /// The earlier index.
        first: usize,
        /// The later index.
        second: usize,
    },
    /// A DSSE envelope with other than exactly one signature (PROTOCOL.md §6.2, §8).
    #[error("the DSSE envelope has {count} signatures; exactly one is required")]
    DsseSignatureCount {
        /// How many it has.
        count: usize,
    },
}
