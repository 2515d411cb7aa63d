//! Re-verifying what a log holds, one entry at a time: what an auditor replaying a
//! Signet transparency log and its certificate-transparency log checks (issue 5).
//!
//! A bundle verifier ([`crate::verify`]) asks "is this signature over this artefact
//! valid?"; an auditor asks "is every entry this log ever accepted a valid signing event,
//! and is every certificate it names a grant the CA published?". The checks are the same
//! steps on different inputs, so they reuse the same code (`chain`, `sct`, `identity`,
//! the log keys of [`crate::verify`]):
//!
//! * [`Auditor::checkpoint`]: a checkpoint signed by a log of the trusted root, found by
//!   the key hint of its signatures (Rekor v1 origin: only that log's signatures;
//!   PROTOCOL.md §4.5, §5.3);
//! * [`Auditor::rekor_entry`] (`rekor`): the signed entry timestamp by the log's key
//!   (which makes the integrated time the log's signed claim, PROTOCOL.md §4.3), the
//!   signature over the recorded digest (hashedrekord) or over DSSE PAE of the stored
//!   envelope (dsse: the envelope beside the leaf must hash to `envelopeHash`, its payload
//!   to `payloadHash`), and, for a certificate, its chain to a trusted CA at the integrated
//!   time and its embedded SCT;
//! * [`Auditor::ct_entry`] (`ct`): a precertificate leaf (RFC 6962 §3.4) issued by a
//!   trusted CA (issuer key hash, and the stored precertificate's signature), with the
//!   issuance record the CA stored beside it (who, and which policy rule allowed it).
//!
//! The CT cross-check key of a certificate is [`AuditedCertificate::precert_tbs_sha256`]:
//! SHA-256 of the precertificate TBS (RFC 6962 §3.2: the final certificate's TBS without
//! its SCT list), the same for a final certificate found in the transparency log and for
//! its precertificate leaf in the CT log.

mod ct;
mod error;
mod rekor;

use std::time::SystemTime;

use signet_tlog_core::checkpoint::Checkpoint;
use signet_tlog_core::note::Note;
use x509_cert::der::Decode as _;

pub use error::AuditError;

use crate::chain::TrustedCa;
use crate::common::LogId;
use crate::identity::{self, CiClaims, SignerIdentity};
use crate::sct::CtLogKey;
use crate::trusted_root::TransparencyLog;
use crate::verify::log_key::LogKey;
use crate::verify::{tlog, Verifier};

/// Which list of the trusted root a log's key is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogRole {
    /// A transparency log of signatures (`tlogs`).
    Signatures,
    /// A certificate-transparency log (`ctlogs`).
    Certificates,
}

/// A checkpoint whose signature verified with a trusted log's key.
#[derive(Clone, Debug)]
pub struct VerifiedCheckpoint {
    /// The log whose key signed it.
    pub log_id: LogId,
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
}

/// A transparency-log entry as a replay reads it: the leaf and what the log stores beside
/// it (the `/signet/v1/entry-meta` bundle).
#[derive(Clone, Copy, Debug)]
pub struct LoggedEntry<'a> {
    /// Its index.
    pub index: u64,
    /// The leaf: the canonical body.
    pub body: &'a [u8],
    /// The integrated time the log claims (Unix seconds).
    pub integrated_time: i64,
    /// The signed entry timestamp (DER ECDSA), if the log served one.
    pub signed_entry_timestamp: Option<&'a [u8]>,
    /// Data stored beside the leaf (for dsse: the submitted envelope).
    pub extra: Option<&'a [u8]>,
}

/// An entry kind the auditor re-verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// `hashedrekord` 0.0.1.
    HashedRekord,
    /// `dsse` 0.0.1.
    Dsse,
}

/// A transparency-log entry that re-verified.
#[derive(Clone, Debug)]
pub struct AuditedEntry {
    /// Its kind.
    pub kind: EntryKind,
    /// The integrated time, as its signed entry timestamp vouches.
    pub integrated_time: SystemTime,
    /// Who signed (one per DSSE signature; one for hashedrekord).
    pub signers: Vec<AuditedSigner>,
}

/// Who signed an entry.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AuditedSigner {
    /// A certificate, valid at the integrated time.
    Certificate(Box<AuditedCertificate>),
    /// A managed key (no certificate): `hex(SHA-256(canonical PEM))`, Rekor's key index.
    Key {
        /// The key's fingerprint.
        fingerprint: String,
    },
}

/// A signing certificate as an auditor records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedCertificate {
    /// SAN and OIDC issuer.
    pub identity: SignerIdentity,
    /// CI claims (empty for other identities).
    pub ci: CiClaims,
    /// SHA-256 of the precertificate TBS: the key that ties the certificate to its CT
    /// entry.
    pub precert_tbs_sha256: [u8; 32],
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
}

/// A CT log entry that re-verified: a precertificate a trusted CA issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedCtEntry {
    /// The leaf timestamp (the SCT's), milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The certificate it grants.
    pub certificate: AuditedCertificate,
    /// What the CA recorded with the issuance.
    pub issuance: IssuanceRecord,
}

/// The CA's issuance record stored beside a CT entry (`ca/src/ct.rs` `StoredExtra`,
/// version 1): the operator's account of why the certificate was issued. Its identity is
/// checked against the certificate; the rule is the CA's claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuanceRecord {
    /// The configured issuer whose policy allowed it.
    pub allowed_by_issuer: String,
    /// The policy rule's name.
    pub allowed_by_rule: String,
}

/// Most certificates an [`Auditor`] remembers (then it forgets them all and starts over).
pub const CERTIFICATE_CACHE_CAPACITY: usize = 4096;

/// A certificate whose time-independent checks passed (signature by a trusted CA,
/// profile, embedded SCT), keyed by SHA-256 of the body's PEM text.
#[derive(Debug)]
struct CheckedCertificate {
    key: std::sync::Arc<signet_rekor::pki::SubmittedKey>,
    validity: crate::chain::LeafValidity,
    ca_index: usize,
    described: AuditedCertificate,
}

/// A trusted root prepared for re-verifying log contents. Certificates that sign many
/// entries are checked once for what does not depend on the time (chain signatures and
/// profile, SCT) and once per entry for what does (validity at the integrated time).
#[derive(Debug)]
pub struct Auditor {
    verifier: std::sync::Arc<Verifier>,
    /// `ctlogs` keys as checkpoint/note keys, in trusted-root order.
    ct_note_keys: Vec<Result<LogKey, String>>,
    certificates:
        std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Arc<CheckedCertificate>>>,
}

impl Auditor {
    /// An auditor checking against `verifier`'s trusted root. One auditor is meant to be
    /// shared (it is `Sync`) by every thread of a replay, so that its certificate cache
    /// serves them all.
    #[must_use]
    pub fn new(verifier: std::sync::Arc<Verifier>) -> Self {
        let ct_note_keys = verifier
            .trusted_root()
            .ctlogs
            .iter()
            .map(|l| LogKey::new(&l.public_key, l.key_details))
            .collect();
        Self {
            verifier,
            ct_note_keys,
            certificates: std::sync::Mutex::default(),
        }
    }

    /// Verifies a signed checkpoint (note text) from a log of `role`: the trusted log is
    /// the one whose key hint the first signature line carries.
    ///
    /// # Errors
    /// [`AuditError::CheckpointFormat`], [`AuditError::UnknownLogKey`], or
    /// [`AuditError::CheckpointSignature`].
    pub fn checkpoint(
        &self,
        note_text: &str,
        role: LogRole,
    ) -> Result<VerifiedCheckpoint, AuditError> {
        let note = Note::parse(note_text).map_err(|e| AuditError::CheckpointFormat {
            reason: e.to_string(),
        })?;
        let hint = note.signatures.first().map(|s| s.key_hint).ok_or_else(|| {
            AuditError::CheckpointFormat {
                reason: "no signature line".to_owned(),
            }
        })?;
        let (log, key) = self
            .logs(role)
            .find(|(log, _)| log.log_id.key_hint() == hint)
            .ok_or(AuditError::UnknownLogKey { role, hint })?;
        let key = key.as_ref().map_err(|reason| AuditError::UnusableLogKey {
            log_id: log.log_id,
            reason: reason.clone(),
        })?;
        let checkpoint = tlog::check_checkpoint(note_text, log, key).map_err(|e| {
            AuditError::CheckpointSignature {
                reason: e.to_string(),
            }
        })?;
        Ok(VerifiedCheckpoint {
            log_id: log.log_id,
            checkpoint,
        })
    }

    /// The trusted logs of `role` with their prepared keys.
    fn logs(
        &self,
        role: LogRole,
    ) -> impl Iterator<Item = (&TransparencyLog, &Result<LogKey, String>)> {
        let root = self.verifier.trusted_root();
        let (logs, keys) = match role {
            LogRole::Signatures => (&root.tlogs, self.verifier.parts().2),
            LogRole::Certificates => (&root.ctlogs, self.ct_note_keys.as_slice()),
        };
        logs.iter().zip(keys)
    }

    fn cas(&self) -> &[TrustedCa] {
        self.verifier.parts().0
    }

    fn ct_keys(&self) -> &[CtLogKey] {
        self.verifier.parts().1
    }
}

/// Identity, CI claims, validity and CT key of a certificate's (or precertificate's) TBS.
fn describe_tbs(
    tbs: &x509_cert::TbsCertificate,
    precert_tbs_der: &[u8],
) -> Result<AuditedCertificate, AuditError> {
    let identity =
        identity::signer_identity_of_tbs(tbs).map_err(|e| AuditError::Identity(Box::new(e)))?;
    Ok(AuditedCertificate {
        identity,
        ci: identity::ci_claims_of_tbs(tbs),
        precert_tbs_sha256: sha256(precert_tbs_der),
        not_before: tbs.validity.not_before.to_system_time(),
        not_after: tbs.validity.not_after.to_system_time(),
    })
}

/// A TBS from DER.
fn parse_tbs(der: &[u8]) -> Result<x509_cert::TbsCertificate, AuditError> {
    x509_cert::TbsCertificate::from_der(der).map_err(|e| AuditError::Certificate {
        reason: e.to_string(),
    })
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
    out
}
