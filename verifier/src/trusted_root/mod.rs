//! The trust anchors a bundle is verified against: `trusted_root.json` (PROTOCOL.md §7.1),
//! parsed and shape-checked, alone or inside a `ClientTrustConfig` (§7.3, what
//! `signet serve` writes as `trust_config.json`).
//!
//! Accepted media types: `application/vnd.dev.sigstore.trustedroot+json;version=0.1` (what
//! every client accepts and Signet emits) and `application/vnd.dev.sigstore.trustedroot.v0.2+json`
//! (protobuf-specs' newer spelling, which only adds `checkpointKeyId` and `operator`).
//!
//! Shape rules, from the strictest client (§7.1, §12 item 2): every tlog and ctlog has a
//! base URL, `hashAlgorithm` `SHA2_256`, a public key with known `keyDetails` and a
//! `validFor.start`, and a 32-byte log ID unique within its list; every CA and TSA has a
//! non-empty chain and a `validFor.start`; no `validFor` ends before it starts. Key and
//! certificate bytes stay DER, unparsed; nothing cryptographic happens here.
//!
//! Log lookups use the file's `logId` (as sigstore-go and sigstore-js do; sigstore-python
//! recomputes SHA-256(SPKI), which equals `logId` for Rekor v1 and CT logs).

mod parse;
#[cfg(test)]
mod tests;
mod wire;

use std::fmt;
use std::time::SystemTime;

use time::OffsetDateTime;

pub use crate::common::ValidityPeriod;
use crate::common::{FieldProblem, HashAlgorithm, Limit, LogId, PublicKeyDetails};

/// `trusted_root.json` v0.1, the media type Signet emits and every client accepts.
pub const MEDIA_TYPE_V0_1: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// `trusted_root.json` v0.2 (protobuf-specs; not accepted by sigstore-go or sigstore-python).
pub const MEDIA_TYPE_V0_2: &str = "application/vnd.dev.sigstore.trustedroot.v0.2+json";
/// `ClientTrustConfig` v0.1 (PROTOCOL.md §7.3).
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// The trusted-root format version named by `mediaType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum TrustedRootVersion {
    /// [`MEDIA_TYPE_V0_1`].
    V0_1,
    /// [`MEDIA_TYPE_V0_2`].
    V0_2,
}

/// A shape-checked trusted root. Only the `from_*` constructors make one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedRoot {
    /// The format version.
    pub version: TrustedRootVersion,
    /// `tlogs`: Rekor instances (v1 and v2).
    pub tlogs: Vec<TransparencyLog>,
    /// `ctlogs`: certificate-transparency logs whose SCTs the CAs embed.
    pub ctlogs: Vec<TransparencyLog>,
    /// `certificateAuthorities`: Fulcio instances.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// `timestampAuthorities`: RFC 3161 TSAs.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

/// `TransparencyLogInstance`: a transparency or CT log and its key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransparencyLog {
    /// `baseUrl` (for a Rekor v2 log, its host is the checkpoint origin).
    pub base_url: String,
    /// `hashAlgorithm`: always [`HashAlgorithm::Sha2_256`] (sigstore-go accepts no other).
    pub hash_algorithm: HashAlgorithm,
    /// `publicKey.rawBytes`: DER SubjectPublicKeyInfo (PKCS#1 for the legacy
    /// `PKCS1_RSA_PKCS1V5`).
    pub public_key: Vec<u8>,
    /// `publicKey.keyDetails`.
    pub key_details: PublicKeyDetails,
    /// `publicKey.validFor`.
    pub valid_for: ValidityPeriod,
    /// `logId.keyId`.
    pub log_id: LogId,
    /// `checkpointKeyId.keyId` (v0.2), if given.
    pub checkpoint_key_id: Option<LogId>,
    /// `operator` (v0.2); empty if not given.
    pub operator: String,
}

/// `CertificateAuthority`: a CA or a TSA.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateAuthority {
    /// `subject.organization` (may be empty).
    pub organization: String,
    /// `subject.commonName` (may be empty).
    pub common_name: String,
    /// `uri` (may be empty).
    pub uri: String,
    /// `certChain.certificates[].rawBytes`: DER, leaf-most first, trust anchor last;
    /// 1 to [`crate::common::MAX_CERTIFICATE_CHAIN_LEN`].
    pub cert_chain: Vec<Vec<u8>>,
    /// `validFor`.
    pub valid_for: ValidityPeriod,
    /// `operator` (v0.2); empty if not given.
    pub operator: String,
}

/// Which list of logs a lookup searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogKind {
    /// `tlogs`.
    Tlog,
    /// `ctlogs`.
    Ctlog,
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogKind::Tlog => "tlog",
            LogKind::Ctlog => "ctlog",
        })
    }
}

/// Why a log key lookup found no usable key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogLookupError {
    /// No log of that kind has that log ID.
    #[error("no {kind} in the trusted root has log ID {log_id}")]
    Unknown {
        /// The list searched.
        kind: LogKind,
        /// The log ID asked for.
        log_id: LogId,
    },
    /// The log exists, but its key is not valid at that time.
    #[error("{kind} {log_id} has a key valid {valid_for}, not at {at}")]
    OutsideValidity {
        /// The list searched.
        kind: LogKind,
        /// The log ID asked for.
        log_id: LogId,
        /// The time asked about.
        at: OffsetDateTime,
        /// The key's validity.
        valid_for: ValidityPeriod,
    },
}

/// Why a trusted root (or trust config) does not have the shape verification needs.
/// Field paths are JSON paths in camelCase, e.g. `tlogs[0].publicKey.validFor.start`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustedRootError {
    /// A hard limit (see [`crate::common`]) is exceeded.
    #[error("{field}: {actual} is over the limit {limit}")]
    LimitExceeded {
        /// What was counted or measured (`trusted root` for the whole document).
        field: String,
        /// The limit exceeded.
        limit: Limit,
        /// The count or size found.
        actual: usize,
    },
    /// Not JSON, or a field of the wrong JSON type, or a key the format does not have.
    #[error("not a valid protobuf-JSON trusted root: {reason}")]
    Json {
        /// The JSON parser's message (with line and column).
        reason: String,
    },
    /// `mediaType` is not a trusted-root media type this verifier accepts.
    #[error("unsupported trusted root media type {media_type:?} (accepted: {MEDIA_TYPE_V0_1:?}, {MEDIA_TYPE_V0_2:?})")]
    UnsupportedMediaType {
        /// The media type given (shortened if long).
        media_type: String,
    },
    /// The `ClientTrustConfig` wrapper's `mediaType` is not [`CLIENT_TRUST_CONFIG_MEDIA_TYPE`].
    #[error("unsupported trust config media type {media_type:?} (accepted: {CLIENT_TRUST_CONFIG_MEDIA_TYPE:?})")]
    UnsupportedTrustConfigMediaType {
        /// The media type given (shortened if long).
        media_type: String,
    },
    /// A required field is absent, `null` or empty.
    #[error("{field} is missing")]
    MissingField {
        /// Its path.
        field: String,
    },
    /// A field's value is malformed or not accepted.
    #[error("{field} is invalid: {problem}")]
    InvalidField {
        /// Its path.
        field: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// A CA or TSA has no certificates.
    #[error("{field} has no certificates")]
    EmptyCertificateChain {
        /// Path of the chain.
        field: String,
    },
    /// Two logs in the same list share a log ID, which would make lookups ambiguous.
    #[error("{kind}s {first} and {second} have the same log ID {log_id}")]
    DuplicateLogId {
        /// The list.
        kind: LogKind,
        /// The shared ID.
        log_id: LogId,
        /// The earlier index.
        first: usize,
        /// The later index.
        second: usize,
    },
    /// A `validFor` ends before it starts.
    #[error("{field} ends ({end}) before it starts ({start})")]
    ValidityEndsBeforeStart {
        /// Path of the `validFor`.
        field: String,
        /// `start`.
        start: OffsetDateTime,
        /// `end`.
        end: OffsetDateTime,
    },
}

impl TrustedRoot {
    /// Parses and shape-checks a `trusted_root.json` (at most
    /// [`crate::common::MAX_TRUSTED_ROOT_BYTES`]).
    ///
    /// # Errors
    /// The first [`TrustedRootError`] found.
    pub fn from_json(json: &[u8]) -> Result<TrustedRoot, TrustedRootError> {
        parse::trusted_root_document(json)
    }

    /// Parses the `trustedRoot` of a `ClientTrustConfig` (PROTOCOL.md §7.3); the
    /// `signingConfig` beside it is ignored. The whole document is at most
    /// [`crate::common::MAX_TRUSTED_ROOT_BYTES`].
    ///
    /// # Errors
    /// The first [`TrustedRootError`] found; field paths start with `trustedRoot.`.
    pub fn from_client_trust_config_json(json: &[u8]) -> Result<TrustedRoot, TrustedRootError> {
        parse::client_trust_config_document(json)
    }

    /// The transparency log with this log ID, whatever its validity.
    #[must_use]
    pub fn tlog(&self, log_id: &LogId) -> Option<&TransparencyLog> {
        self.tlogs.iter().find(|l| l.log_id == *log_id)
    }

    /// The CT log with this log ID, whatever its validity.
    #[must_use]
    pub fn ctlog(&self, log_id: &LogId) -> Option<&TransparencyLog> {
        self.ctlogs.iter().find(|l| l.log_id == *log_id)
    }

    /// The transparency log with this log ID, if its key is valid at `at`.
    ///
    /// # Errors
    /// [`LogLookupError`]: unknown log, or `at` outside the key's `validFor`.
    pub fn tlog_at(
        &self,
        log_id: &LogId,
        at: impl Into<SystemTime>,
    ) -> Result<&TransparencyLog, LogLookupError> {
        valid_at(LogKind::Tlog, self.tlog(log_id), log_id, at.into())
    }

    /// The CT log with this log ID, if its key is valid at `at`.
    ///
    /// # Errors
    /// [`LogLookupError`]: unknown log, or `at` outside the key's `validFor`.
    pub fn ctlog_at(
        &self,
        log_id: &LogId,
        at: impl Into<SystemTime>,
    ) -> Result<&TransparencyLog, LogLookupError> {
        valid_at(LogKind::Ctlog, self.ctlog(log_id), log_id, at.into())
    }

    /// The certificate authorities whose `validFor` contains `at`.
    pub fn certificate_authorities_at(
        &self,
        at: impl Into<SystemTime>,
    ) -> impl Iterator<Item = &CertificateAuthority> {
        let at = at.into();
        self.certificate_authorities
            .iter()
            .filter(move |ca| ca.valid_for.contains(at))
    }

    /// The timestamp authorities whose `validFor` contains `at`.
    pub fn timestamp_authorities_at(
        &self,
        at: impl Into<SystemTime>,
    ) -> impl Iterator<Item = &CertificateAuthority> {
        let at = at.into();
        self.timestamp_authorities
            .iter()
            .filter(move |tsa| tsa.valid_for.contains(at))
    }
}

fn valid_at<'a>(
    kind: LogKind,
    found: Option<&'a TransparencyLog>,
    log_id: &LogId,
    at: SystemTime,
) -> Result<&'a TransparencyLog, LogLookupError> {
    let log = found.ok_or(LogLookupError::Unknown {
        kind,
        log_id: *log_id,
    })?;
    if !log.valid_for.contains(at) {
        return Err(LogLookupError::OutsideValidity {
            kind,
            log_id: *log_id,
            at: OffsetDateTime::from(at),
            valid_for: log.valid_for,
        });
    }
    Ok(log)
}
