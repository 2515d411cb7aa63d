//! Embedded signed certificate timestamps of a Fulcio leaf, checked against the trusted
//! root's `ctlogs` (RFC 6962 §3.2–§3.3, PROTOCOL.md §3.6, §3.7, §8.2 step 4, §12 item 1).
//!
//! Each SCT in the leaf's SCT-list extension is looked up by its log ID (SHA-256 of the
//! log's DER SubjectPublicKeyInfo) among the trusted logs. SCTs from unknown logs, or whose
//! timestamp lies outside the log key's `validFor` window, are skipped (as sigstore-go
//! does); an SCT from a trusted log whose signature does not verify fails the leaf (as
//! sigstore-js does: a trusted log does not sign garbage). At least one SCT must verify.
//! sigstore-python additionally requires exactly one SCT; Fulcio issues one.
//!
//! The signed data is the RFC 6962 precert entry: the leaf's TBSCertificate without the
//! SCT-list extension, and SHA-256 of the issuing CA's SubjectPublicKeyInfo — the issuer is
//! the certificate above the leaf in the verified path
//! ([`crate::chain::VerifiedChain::issuer_der`]). Parsing and signature checks are
//! `signet-ca-core`'s, shared with the CA that issues these certificates.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use signet_ca_core::profile::{self, ProfileError, SCT_LIST_OID};
use signet_ca_core::request::{CheckedPublicKey, RequestError};
use signet_ca_core::sct::{self as ca_sct, PrecertEntry, SctError};
use x509_cert::der::asn1::{Any, BitString};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{self, Decode as _, Encode as _};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::chain::ValidityPeriod;

// RFC 8017 App. C: rsaEncryption.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why the embedded SCTs of a leaf do not establish that a trusted log saw it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SctCheckError {
    /// The leaf is not a valid certificate.
    #[error("leaf certificate is not a valid X.509 certificate: {0}")]
    MalformedLeaf(#[source] ProfileError),
    /// The issuer certificate is not a valid certificate.
    #[error("issuer certificate is not a valid X.509 certificate: {0}")]
    MalformedIssuer(#[source] der::Error),
    /// The leaf has no SCT-list extension, or an empty list.
    #[error("the leaf carries no embedded SCT")]
    NoSct,
    /// The leaf has more than one SCT-list extension.
    #[error("the leaf has {count} SCT-list extensions")]
    DuplicateSctList {
        /// How many.
        count: usize,
    },
    /// The SCT-list extension does not parse.
    #[error("malformed SCT list: {0}")]
    MalformedSctList(#[source] SctError),
    /// An SCT from a trusted log fails verification.
    #[error(
        "SCT from trusted log {} does not verify: {source}",
        hex::encode(log_id)
    )]
    InvalidSct {
        /// The log's ID.
        log_id: [u8; 32],
        /// The failed check.
        #[source]
        source: SctError,
    },
    /// No SCT is from a trusted log within its key's validity window.
    #[error("no SCT from a trusted CT log ({} skipped)", skipped.len())]
    NoTrustedSct {
        /// The SCTs that were skipped, and why.
        skipped: Vec<SkippedSct>,
    },
    /// A trusted log key that is neither a DER SubjectPublicKeyInfo nor a PKCS#1 RSA
    /// public key, or too weak.
    #[error("CT log key is unusable: {0}")]
    CtKey(#[source] RequestError),
    /// A trusted log whose ID is not SHA-256 of its key (RFC 6962 §3.2).
    #[error(
        "CT log ID {} is not SHA-256 of its key ({})",
        hex::encode(log_id),
        hex::encode(computed)
    )]
    LogIdMismatch {
        /// The ID given.
        log_id: [u8; 32],
        /// SHA-256 of the key's SubjectPublicKeyInfo.
        computed: [u8; 32],
    },
}

/// An SCT that did not count, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkippedSct {
    /// The SCT's log ID.
    pub log_id: [u8; 32],
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why an SCT did not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// No trusted log has its log ID.
    UnknownLog,
    /// Its timestamp is outside the log key's `validFor` window.
    OutsideKeyValidity,
}

/// A trusted CT log, as a trusted root's `ctlogs[]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtLogKey {
    log_id: [u8; 32],
    spki_der: Vec<u8>,
    valid_for: ValidityPeriod,
}

impl CtLogKey {
    /// A trusted log: its `logId.keyId`, its `publicKey.rawBytes` — a DER
    /// SubjectPublicKeyInfo, or a PKCS#1 RSAPublicKey (as trusted roots carry
    /// `PKCS1_RSA_PKCS1V5` keys), which is wrapped in an rsaEncryption SPKI — and its
    /// `publicKey.validFor`.
    ///
    /// # Errors
    /// [`SctCheckError::CtKey`] for an unusable key, [`SctCheckError::LogIdMismatch`] if
    /// `log_id` is not SHA-256 of the SubjectPublicKeyInfo.
    pub fn new(
        log_id: [u8; 32],
        public_key_der: &[u8],
        valid_for: ValidityPeriod,
    ) -> Result<Self, SctCheckError> {
        let spki_der = if SubjectPublicKeyInfoOwned::from_der(public_key_der).is_ok() {
            public_key_der.to_vec()
        } else {
            spki_from_pkcs1_rsa(public_key_der)?
        };
        let key = CheckedPublicKey::from_spki_der(&spki_der).map_err(SctCheckError::CtKey)?;
        let computed = ca_sct::log_id(key.spki_der());
        if computed != log_id {
            return Err(SctCheckError::LogIdMismatch { log_id, computed });
        }
        Ok(Self {
            log_id,
            spki_der: key.spki_der().to_vec(),
            valid_for,
        })
    }

    /// The log ID.
    #[must_use]
    pub fn log_id(&self) -> &[u8; 32] {
        &self.log_id
    }
}

/// RFC 8017 App. A.1 / RFC 3279 §2.3.1: rsaEncryption with NULL parameters around a PKCS#1
/// RSAPublicKey (whose contents [`CheckedPublicKey`] then checks).
fn spki_from_pkcs1_rsa(pkcs1: &[u8]) -> Result<Vec<u8>, SctCheckError> {
    let malformed = |e: der::Error| SctCheckError::CtKey(RequestError::MalformedPublicKey(e));
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        subject_public_key: BitString::from_bytes(pkcs1).map_err(malformed)?,
    }
    .to_der()
    .map_err(malformed)
}

/// An SCT that verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedSct {
    /// The log that issued it.
    pub log_id: [u8; 32],
    /// Its timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

/// Verifies the SCTs embedded in `leaf_der`, issued by `issuer_der`, against the trusted
/// `logs`; returns those that verified (at least one).
///
/// # Errors
/// [`SctCheckError::NoSct`] for a leaf without SCT, [`SctCheckError::InvalidSct`] if an SCT
/// of a trusted log fails, [`SctCheckError::NoTrustedSct`] if none is from a trusted log
/// in its key's window, or a parse error.
pub fn verify_embedded_scts(
    leaf_der: &[u8],
    issuer_der: &[u8],
    logs: &[CtLogKey],
) -> Result<Vec<VerifiedSct>, SctCheckError> {
    let leaf = x509_cert::Certificate::from_der(leaf_der)
        .map_err(|e| SctCheckError::MalformedLeaf(ProfileError::MalformedCertificate(e)))?;
    let lists: Vec<_> = leaf
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|e| e.extn_id == SCT_LIST_OID)
        .collect();
    let list = match lists.as_slice() {
        [] => return Err(SctCheckError::NoSct),
        [one] => one,
        more => return Err(SctCheckError::DuplicateSctList { count: more.len() }),
    };
    let scts = ca_sct::parse_sct_list_extension_value(list.extn_value.as_bytes())
        .map_err(SctCheckError::MalformedSctList)?;
    if scts.is_empty() {
        return Err(SctCheckError::NoSct);
    }

    let issuer =
        x509_cert::Certificate::from_der(issuer_der).map_err(SctCheckError::MalformedIssuer)?;
    let issuer_spki = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(SctCheckError::MalformedIssuer)?;
    let entry = PrecertEntry {
        issuer_key_hash: ca_sct::issuer_key_hash(&issuer_spki),
        tbs_certificate: profile::precert_tbs_from_final(leaf_der)
            .map_err(SctCheckError::MalformedLeaf)?,
    };

    let mut verified = Vec::new();
    let mut skipped = Vec::new();
    for sct in &scts {
        let Some(log) = logs.iter().find(|l| l.log_id == sct.log_id) else {
            skipped.push(SkippedSct {
                log_id: sct.log_id,
                reason: SkipReason::UnknownLog,
            });
            continue;
        };
        let in_window = UNIX_EPOCH
            .checked_add(Duration::from_millis(sct.timestamp_ms))
            .is_some_and(|t: SystemTime| log.valid_for.contains(t));
        if !in_window {
            skipped.push(SkippedSct {
                log_id: sct.log_id,
                reason: SkipReason::OutsideKeyValidity,
            });
            continue;
        }
        ca_sct::verify_sct(sct, &entry, &log.spki_der).map_err(|source| {
            SctCheckError::InvalidSct {
                log_id: sct.log_id,
                source,
            }
        })?;
        verified.push(VerifiedSct {
            log_id: sct.log_id,
            timestamp_ms: sct.timestamp_ms,
        });
    }
    if verified.is_empty() {
        return Err(SctCheckError::NoTrustedSct { skipped });
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;

    use super::*;

    #[test]
    fn pkcs1_rsa_keys_are_wrapped_as_their_spki() {
        let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs1 = key.public_key().as_ref().to_vec();
        let spki = key.public_key().as_der().unwrap().as_ref().to_vec();
        assert_eq!(spki_from_pkcs1_rsa(&pkcs1).unwrap(), spki);

        let window = ValidityPeriod {
            start: UNIX_EPOCH,
            end: None,
        };
        let id = ca_sct::log_id(&spki);
        let from_pkcs1 = CtLogKey::new(id, &pkcs1, window).unwrap();
        assert_eq!(from_pkcs1, CtLogKey::new(id, &spki, window).unwrap());
        assert!(matches!(
            CtLogKey::new(id, b"garbage", window),
            Err(SctCheckError::CtKey(_))
        ));
    }
}
