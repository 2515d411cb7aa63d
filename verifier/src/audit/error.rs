//! Why a checkpoint or log entry failed re-verification.

use std::time::SystemTime;

use crate::chain::ChainError;
use crate::common::LogId;
use crate::identity::IdentityError;
use crate::sct::SctCheckError;
use crate::verify::error::fmt_time;

use super::LogRole;

/// Why a checkpoint or log entry failed re-verification. [`AuditError::check`] names the
/// check in a stable, machine-readable form (reports use it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The checkpoint is not a signed note holding a checkpoint.
    #[error("checkpoint is malformed: {reason}")]
    CheckpointFormat {
        /// What is wrong.
        reason: String,
    },
    /// No trusted log of that role has the key the checkpoint names.
    #[error("checkpoint is signed by key hint {} which is no trusted {} log's", hex::encode(hint), match role { LogRole::Signatures => "transparency", LogRole::Certificates => "certificate-transparency" })]
    UnknownLogKey {
        /// Which list was searched.
        role: LogRole,
        /// The signature's key hint.
        hint: [u8; 4],
    },
    /// The trusted root's key for this log cannot be used.
    #[error("trusted log {log_id}: key unusable: {reason}")]
    UnusableLogKey {
        /// The log.
        log_id: LogId,
        /// Why.
        reason: String,
    },
    /// The checkpoint signature does not verify with the log's key.
    #[error("checkpoint signature: {reason}")]
    CheckpointSignature {
        /// What failed.
        reason: String,
    },
    /// The entry's log is not in the trusted root.
    #[error("log {log_id} is not in the trusted root")]
    UnknownLog {
        /// The log.
        log_id: LogId,
    },
    /// The log served no signed entry timestamp, so the integrated time is unsigned.
    #[error("no signed entry timestamp: the integrated time is not signed by the log")]
    MissingSignedEntryTimestamp,
    /// The signed entry timestamp does not verify over this body, time, log and index.
    #[error("signed entry timestamp does not verify (body, integrated time {integrated_time}, log ID or index altered)")]
    SignedEntryTimestamp {
        /// The integrated time served.
        integrated_time: i64,
    },
    /// The integrated time is outside the log key's validity.
    #[error("integrated time {integrated_time}: {reason}")]
    IntegratedTime {
        /// The integrated time.
        integrated_time: i64,
        /// Why it is refused.
        reason: String,
    },
    /// The body is not a hashedrekord or dsse 0.0.1 body.
    #[error("entry body: {reason}")]
    Body {
        /// What is wrong.
        reason: String,
    },
    /// The signer's key or certificate in the body is unusable.
    #[error("signer key: {reason}")]
    SignerKey {
        /// What is wrong.
        reason: String,
    },
    /// The signature does not verify.
    #[error("signature: {reason}")]
    Signature {
        /// What failed.
        reason: String,
    },
    /// A dsse entry's stored envelope is missing or does not match the body.
    #[error("DSSE envelope: {reason}")]
    Envelope {
        /// What is wrong.
        reason: String,
    },
    /// A certificate that does not parse.
    #[error("certificate: {reason}")]
    Certificate {
        /// What is wrong.
        reason: String,
    },
    /// The certificate does not chain to a trusted CA at the integrated time.
    #[error("certificate chain at {}: {source}", fmt_time(*at))]
    Chain {
        /// The integrated time.
        at: SystemTime,
        /// Why.
        source: Box<ChainError>,
    },
    /// The certificate's embedded SCT does not verify.
    #[error("embedded SCT: {0}")]
    Sct(#[source] Box<SctCheckError>),
    /// The certificate's identity cannot be read.
    #[error("identity: {0}")]
    Identity(#[source] Box<IdentityError>),
    /// A CT leaf that is not a precertificate entry.
    #[error("CT leaf: {reason}")]
    CtLeaf {
        /// What is wrong.
        reason: String,
    },
    /// The CT entry's issuer is not a trusted CA, or its precertificate does not verify.
    #[error("CT entry issuer: {reason}")]
    CtIssuer {
        /// What is wrong.
        reason: String,
    },
    /// The issuance record beside a CT entry is missing or contradicts the certificate.
    #[error("issuance record: {reason}")]
    IssuanceRecord {
        /// What is wrong.
        reason: String,
    },
}

impl AuditError {
    /// The failed check, as a stable kebab-case name for reports.
    #[must_use]
    pub fn check(&self) -> &'static str {
        match self {
            Self::CheckpointFormat { .. } => "checkpoint-format",
            Self::UnknownLogKey { .. } | Self::UnusableLogKey { .. } | Self::UnknownLog { .. } => {
                "log-key"
            }
            Self::CheckpointSignature { .. } => "checkpoint-signature",
            Self::MissingSignedEntryTimestamp | Self::SignedEntryTimestamp { .. } => {
                "signed-entry-timestamp"
            }
            Self::IntegratedTime { .. } => "integrated-time",
            Self::Body { .. } => "entry-body",
            Self::SignerKey { .. } => "signer-key",
            Self::Signature { .. } => "signature",
            Self::Envelope { .. } => "dsse-envelope",
            Self::Certificate { .. } | Self::Identity(_) => "certificate",
            Self::Chain { .. } => "certificate-chain",
            Self::Sct(_) => "sct",
            Self::CtLeaf { .. } => "ct-leaf",
            Self::CtIssuer { .. } => "ct-issuer",
            Self::IssuanceRecord { .. } => "issuance-record",
        }
    }
}
