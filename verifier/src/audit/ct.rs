//! Re-verifying one entry of a replayed certificate-transparency log: a precertificate
//! leaf (RFC 6962 §3.4) and the issuance record stored beside it.

use base64::Engine as _;
use serde::Deserialize;
use signet_ca_core::{profile, sct as ca_sct};
use x509_cert::der::{Decode as _, Encode as _};

use super::{describe_tbs, parse_tbs, AuditError, AuditedCtEntry, Auditor, IssuanceRecord};
use crate::chain;

/// The stored extra's only version this code reads (`ca/src/ct.rs` `StoredExtra`).
const STORED_EXTRA_VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredExtra {
    version: u32,
    issuance_record: Record,
    precertificate: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    identity: RecordIdentity,
    allowed_by: RecordAllowedBy,
}

#[derive(Deserialize)]
struct RecordIdentity {
    issuer: String,
    san: String,
}

#[derive(Deserialize)]
struct RecordAllowedBy {
    issuer: String,
    rule: String,
}

impl Auditor {
    /// Re-verifies a CT log leaf and the issuance record stored beside it (`extra`): the
    /// leaf is a v1 precertificate entry; the stored precertificate is signed by a trusted
    /// CA whose key hash the leaf names, and without its poison extension it is the leaf's
    /// TBS; the record's identity is the certificate's.
    ///
    /// # Errors
    /// The first failing check's [`AuditError`].
    pub fn ct_entry(
        &self,
        leaf: &[u8],
        extra: Option<&[u8]>,
    ) -> Result<AuditedCtEntry, AuditError> {
        let parsed = ca_sct::parse_merkle_tree_leaf(leaf).map_err(|e| AuditError::CtLeaf {
            reason: e.to_string(),
        })?;
        let tbs_der = &parsed.entry.tbs_certificate;
        let certificate = describe_tbs(&parse_tbs(tbs_der)?, tbs_der)?;

        let extra = extra.ok_or_else(|| AuditError::IssuanceRecord {
            reason: "the log stores no issuance record beside this entry".to_owned(),
        })?;
        let stored: StoredExtra =
            serde_json::from_slice(extra).map_err(|e| AuditError::IssuanceRecord {
                reason: format!("not the documented format: {e}"),
            })?;
        if stored.version != STORED_EXTRA_VERSION {
            return Err(AuditError::IssuanceRecord {
                reason: format!("version {} is not supported", stored.version),
            });
        }
        let precert = base64::engine::general_purpose::STANDARD
            .decode(&stored.precertificate)
            .map_err(|e| AuditError::IssuanceRecord {
                reason: format!("precertificate is not base64: {e}"),
            })?;
        let (_, issuer_der) = chain::verify_precertificate_signature(&precert, self.cas())
            .map_err(|e| AuditError::CtIssuer {
                reason: e.to_string(),
            })?;
        let issuer_spki = x509_cert::Certificate::from_der(issuer_der)
            .and_then(|c| c.tbs_certificate.subject_public_key_info.to_der())
            .map_err(|e| AuditError::CtIssuer {
                reason: e.to_string(),
            })?;
        if ca_sct::issuer_key_hash(&issuer_spki) != parsed.entry.issuer_key_hash {
            return Err(AuditError::CtIssuer {
                reason: "the leaf's issuer key hash is not the key of the CA that signed its precertificate".to_owned(),
            });
        }
        let precert_tbs =
            profile::precert_tbs_from_precert(&precert).map_err(|e| AuditError::CtLeaf {
                reason: format!("stored precertificate: {e}"),
            })?;
        if precert_tbs != *tbs_der {
            return Err(AuditError::CtLeaf {
                reason: "the stored precertificate is not the logged TBS".to_owned(),
            });
        }

        let record = stored.issuance_record;
        if record.identity.issuer != certificate.identity.issuer
            || !certificate
                .identity
                .sans
                .iter()
                .any(|san| san.value() == record.identity.san)
        {
            return Err(AuditError::IssuanceRecord {
                reason: format!(
                    "records {:?} from {:?}, the certificate names another identity",
                    record.identity.san, record.identity.issuer
                ),
            });
        }
        Ok(AuditedCtEntry {
            timestamp_ms: parsed.timestamp_ms,
            certificate,
            issuance: IssuanceRecord {
                allowed_by_issuer: record.allowed_by.issuer,
                allowed_by_rule: record.allowed_by.rule,
            },
        })
    }
}
