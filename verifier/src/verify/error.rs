//! Why a bundle does not verify: one variant per step of [`super::Verifier::verify`], each
//! carrying the step's own typed error.

use std::time::SystemTime;

use signet_tlog_core::{hash::Hash, proof::ProofError};
use time::OffsetDateTime;

use crate::{
    chain::ChainError, common::LogId, identity::IdentityError, sct::SctCheckError,
    trusted_root::LogLookupError, tsa::TimestampError,
};

/// Why a bundle does not verify. The `Display` text names the failed check and why; it is
/// what `signet verify` prints.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The trusted root has a key or CA this verifier cannot use.
    #[error("trusted root: {0}")]
    TrustedRoot(String),
    /// The bundle's signer material does not fit the policy (certificate vs. managed key).
    #[error("signer: {0}")]
    SignerMaterial(&'static str),
    /// The bundle's certificate chain carries a root, or a certificate does not parse.
    #[error("certificate chain in bundle: {0}")]
    BundleChain(#[source] Box<ChainError>),
    /// Not exactly one transparency-log entry (PROTOCOL.md §6.2: strictest client).
    #[error("transparency log: the bundle has {count} log entries; exactly one is required")]
    TlogEntryCount {
        /// Entries in the bundle.
        count: usize,
    },
    /// The transparency-log entry failed a check.
    #[error("transparency log entry: {0}")]
    Tlog(#[from] TlogError),
    /// An RFC 3161 timestamp failed (every timestamp in a bundle must verify).
    #[error("RFC 3161 timestamp {index}: {source}")]
    Timestamp {
        /// Position in `rfc3161Timestamps`.
        index: usize,
        /// Why.
        #[source]
        source: TimestampError,
    },
    /// Neither a verified signed entry timestamp nor a verified RFC 3161 timestamp: the
    /// signing time is not established by a signed source.
    #[error("signing time: no signed entry timestamp or RFC 3161 timestamp establishes when the bundle was signed")]
    NoSigningTime,
    /// The certificate does not chain to a trusted CA at a verified signing time.
    #[error("certificate chain at {}: {source}", fmt_time(*at))]
    Chain {
        /// The signing time checked.
        at: SystemTime,
        /// Why.
        #[source]
        source: Box<ChainError>,
    },
    /// The embedded SCT check failed.
    #[error("certificate transparency: {0}")]
    Sct(#[from] SctCheckError),
    /// The signer's identity or issuer does not match the policy.
    #[error("identity: {0}")]
    Identity(#[from] IdentityError),
    /// The artefact, digest or DSSE signature check failed.
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
    /// The log entry's body does not describe this bundle (CVE-2022-36056 class).
    #[error("transparency log entry does not match the bundle: {0}")]
    Binding(#[from] BindingError),
}

/// A failed transparency-log entry check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlogError {
    /// No trusted log has the entry's log ID.
    #[error("{0}")]
    UnknownLog(#[source] LogLookupError),
    /// The log's key at the signing time is outside its validity window.
    #[error("log key not valid at the integrated time: {0}")]
    LogKeyOutsideValidity(#[source] LogLookupError),
    /// The trusted root's key for this log cannot be used.
    #[error("log {log_id}: unusable key ({reason})")]
    UnusableLogKey {
        /// The log.
        log_id: LogId,
        /// Why.
        reason: String,
    },
    /// `kindVersion` is not one this verifier knows.
    #[error("unsupported entry kind {kind} {version}")]
    UnsupportedKind {
        /// `kindVersion.kind`.
        kind: String,
        /// `kindVersion.version`.
        version: String,
    },
    /// The body is not the JSON entry its `kindVersion` names.
    #[error("canonicalizedBody is not a valid {kind} entry: {reason}")]
    MalformedBody {
        /// The kind named.
        kind: String,
        /// Why.
        reason: String,
    },
    /// The body's `kind`/`apiVersion` differ from `kindVersion`.
    #[error("body is {body_kind} {body_version} but kindVersion says {kind} {version}")]
    KindMismatch {
        /// `kindVersion.kind`.
        kind: String,
        /// `kindVersion.version`.
        version: String,
        /// Body `kind`.
        body_kind: String,
        /// Body `apiVersion`.
        body_version: String,
    },
    /// No inclusion proof (with a checkpoint): required for every bundle version.
    #[error("no inclusion proof with a checkpoint")]
    NoInclusionProof,
    /// The Merkle inclusion proof does not lead to its root.
    #[error("inclusion proof does not verify: {0}")]
    Inclusion(#[source] ProofError),
    /// The checkpoint is malformed or not signed by the log.
    #[error("checkpoint is not validly signed by the log: {reason}")]
    Checkpoint {
        /// Why.
        reason: String,
    },
    /// The checkpoint's size or root differ from the proof's.
    #[error("checkpoint (size {cp_size}, root {cp_root}) does not match the inclusion proof (size {size}, root {root})")]
    CheckpointMismatch {
        /// Checkpoint tree size.
        cp_size: u64,
        /// Checkpoint root.
        cp_root: Hash,
        /// Proof tree size.
        size: u64,
        /// Proof root.
        root: Hash,
    },
    /// A Rekor v2 checkpoint's origin differs from the trusted log's host.
    #[error("checkpoint origin {origin:?} is not the trusted log's host {host:?}")]
    CheckpointOrigin {
        /// Origin line.
        origin: String,
        /// Host of the trusted log's `baseUrl`.
        host: String,
    },
    /// An inclusion promise without an integrated time.
    #[error("inclusion promise without an integrated time")]
    PromiseWithoutTime,
    /// The signed entry timestamp does not verify.
    #[error("signed entry timestamp does not verify with the log's key")]
    SignedEntryTimestamp,
    /// The integrated time is after the verification time.
    #[error("integrated time {} is in the future", fmt_time(*integrated))]
    IntegratedTimeInFuture {
        /// The integrated time.
        integrated: SystemTime,
    },
}

/// A failed artefact, digest or DSSE signature check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signer's key cannot be used.
    #[error("signer key: {0}")]
    SignerKey(#[source] signet_rekor::pki::PkiError),
    /// `messageDigest` is not the artefact's digest.
    #[error("the bundle's message digest is not the artefact's digest")]
    MessageDigestMismatch,
    /// The digest algorithm cannot be checked against what was given.
    #[error("digest algorithm {algorithm} cannot be checked against a SHA-256 digest")]
    DigestAlgorithm {
        /// The bundle's algorithm.
        algorithm: &'static str,
    },
    /// The message signature does not verify over the artefact's digest.
    #[error("the signature does not verify over the artefact with the signer's key")]
    ArtifactSignature,
    /// The DSSE signature does not verify over PAE(payloadType, payload).
    #[error("the DSSE signature does not verify with the signer's key")]
    DsseSignature,
    /// The DSSE payload is not an in-toto statement naming the artefact.
    #[error("DSSE payload: {0}")]
    InToto(String),
    /// No subject of the in-toto statement has the artefact's digest (SHA-256, or
    /// SHA-512 when the artefact's bytes were given).
    #[error("no in-toto subject has the artefact's digest (sha256 {digest})")]
    SubjectNotFound {
        /// The artefact's digest, hex.
        digest: String,
    },
}

/// A log-entry body field that does not match the bundle (PROTOCOL.md §8.1 step 9).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    /// A body field differs from the bundle.
    #[error("the entry's {field} differs from the bundle's")]
    Field {
        /// Which field (JSON path in the body).
        field: &'static str,
    },
    /// The entry kind cannot record this bundle's content (e.g. a dsse entry for a
    /// message signature).
    #[error("a {kind} {version} entry cannot record a {content}")]
    WrongKindForContent {
        /// Entry kind.
        kind: String,
        /// Entry version.
        version: String,
        /// Bundle content type.
        content: &'static str,
    },
    /// The body's key or certificate does not parse.
    #[error("the entry's key: {0}")]
    Key(#[source] signet_rekor::pki::PkiError),
}

pub(crate) fn fmt_time(t: SystemTime) -> String {
    let t = OffsetDateTime::from(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{t}"))
}
