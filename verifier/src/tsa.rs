//! RFC 3161 timestamps (`timestampVerificationData.rfc3161Timestamps[].signedTimestamp`)
//! against the trusted root's `timestampAuthorities` (PROTOCOL.md §7.1, §7.5; §8.1 step 0,
//! §8.2 step 2).
//!
//! [`verify_rfc3161`] runs these checks in order; each failure is its own
//! [`TimestampError`] variant.
//!
//! About the response alone (`token`):
//! 1. it is at most [`MAX_TIMESTAMP_RESPONSE_BYTES`], checked before any parsing;
//! 2. it is a DER `TimeStampResp` (RFC 3161 §2.4.2) whose status is granted or
//!    grantedWithMods and which carries a token;
//! 3. the token is a `SignedData` (RFC 5652 §5.1) encapsulating id-ct-TSTInfo content
//!    (RFC 3161 §2.4.2), with exactly one SignerInfo;
//! 4. `TSTInfo` is version 1 and its messageImprint is SHA-256, SHA-384 or SHA-512 of the
//!    signed bytes (the bundle's signature, PROTOCOL.md §7.5);
//! 5. the SignerInfo has signed attributes (RFC 5652 §5.3, §11.1, §11.2): exactly one
//!    content-type, equal to id-ct-TSTInfo, and exactly one message-digest, equal to the hash
//!    of the TSTInfo octets under the SignerInfo's digest algorithm (SHA-256/384/512).
//!
//! Then for each trusted authority in turn, the first that passes every check wins:
//! 6. its `certChain` has a TSA leaf and a root (at least 2 certificates, as sigstore-python
//!    requires), and every certificate parses;
//! 7. the signer is that leaf (`signer`): the SignerInfo's `sid` names it (issuer and
//!    serial number, or subject key identifier); a signing-certificate attribute
//!    (ESSCertID, RFC 2634 §5.4; ESSCertIDv2, RFC 5035 §3), if present, names it first; if
//!    the token embeds certificates, its first non-CA certificate is that leaf (as
//!    sigstore's timestamp-authority verifier requires). Embedded certificates are never
//!    trusted and never build the path: the leaf always comes from the trusted root;
//! 8. the SignerInfo's signature over the DER `SET OF` signed attributes verifies with the
//!    leaf's key: ECDSA P-256/P-384/P-521 or RSA PKCS#1 v1.5 (2048–8192 bits) with
//!    SHA-256/384/512;
//! 9. the chain leaf → intermediates → root verifies at genTime (`path`), with
//!    [`crate::chain`]'s per-certificate checks (parses, no duplicate or unknown critical
//!    extension, valid at genTime, issuer name and signature; the root is the trust anchor),
//!    every CA has basicConstraints CA:TRUE marked critical, keyCertSign, its
//!    pathLenConstraint honoured and an extKeyUsage (if any) allowing time stamping, and the
//!    leaf's extKeyUsage is exactly id-kp-timeStamping, marked critical (RFC 3161 §2.3);
//! 10. genTime lies in the authority's `validFor`: start inclusive, end exclusive (as
//!     sigstore-python).
//!
//! Not supported: a genTime with fractional seconds (RFC 3161 allows them; `der` 0.7 does
//! not decode them, so such a TSTInfo is reported as malformed; Sigstore's TSA never emits
//! them). The nonce and policy are not checked: a bundle carries no request to compare with.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use x509_cert::der::{self, oid::ObjectIdentifier, Decode as _};

use crate::chain::{CertFailure, CertRole};
use crate::common::ValidityPeriod;
use crate::trusted_root::CertificateAuthority;

mod path;
mod signer;
mod token;

use token::Token;

/// Largest `TimeStampResp` accepted, in bytes of DER. A Sigstore response is about 1–2 KiB
/// (under 5 KiB with its certificate embedded); this leaves room for a full embedded chain
/// of RSA certificates.
pub const MAX_TIMESTAMP_RESPONSE_BYTES: usize = 64 * 1024;

/// Which ASN.1 structure did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Asn1Part {
    /// The `TimeStampResp` (RFC 3161 §2.4.2).
    TimeStampResp,
    /// The token's `SignedData` (RFC 5652 §5.1).
    SignedData,
    /// `eContent`, which must be an OCTET STRING.
    EContent,
    /// The `TSTInfo` (RFC 3161 §2.4.2).
    TstInfo,
    /// The value of a signed attribute.
    Attribute(SignedAttribute),
    /// The signed attributes, re-encoded as the `SET OF` the signature covers.
    SignedAttributes,
}

impl fmt::Display for Asn1Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimeStampResp => f.write_str("TimeStampResp"),
            Self::SignedData => f.write_str("SignedData"),
            Self::EContent => f.write_str("eContent"),
            Self::TstInfo => f.write_str("TSTInfo"),
            Self::Attribute(a) => write!(f, "{a} attribute"),
            Self::SignedAttributes => f.write_str("signed attributes"),
        }
    }
}

/// A signed attribute this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedAttribute {
    /// content-type (RFC 5652 §11.1).
    ContentType,
    /// message-digest (RFC 5652 §11.2).
    MessageDigest,
    /// signingCertificate, ESSCertID with SHA-1 (RFC 2634 §5.4).
    SigningCertificate,
    /// signingCertificateV2, ESSCertIDv2 (RFC 5035 §3).
    SigningCertificateV2,
}

impl SignedAttribute {
    /// The attribute type OID.
    #[must_use]
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::ContentType => token::ID_CONTENT_TYPE,
            Self::MessageDigest => token::ID_MESSAGE_DIGEST,
            Self::SigningCertificate => token::ID_AA_SIGNING_CERTIFICATE,
            Self::SigningCertificateV2 => token::ID_AA_SIGNING_CERTIFICATE_V2,
        }
    }
}

impl fmt::Display for SignedAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ContentType => "content-type",
            Self::MessageDigest => "message-digest",
            Self::SigningCertificate => "signingCertificate",
            Self::SigningCertificateV2 => "signingCertificateV2",
        })
    }
}

/// Which field names a hash algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashField {
    /// `TSTInfo.messageImprint.hashAlgorithm`.
    MessageImprint,
    /// The SignerInfo's `digestAlgorithm`.
    SignerDigest,
    /// An ESSCertIDv2 `hashAlgorithm`.
    EssCertIdV2,
}

impl fmt::Display for HashField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MessageImprint => "messageImprint",
            Self::SignerDigest => "SignerInfo digestAlgorithm",
            Self::EssCertIdV2 => "ESSCertIDv2",
        })
    }
}

/// Why a timestamp does not verify: the check that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The response is over [`MAX_TIMESTAMP_RESPONSE_BYTES`]; it was not parsed.
    #[error(
        "timestamp response is {size} bytes, over the limit of {MAX_TIMESTAMP_RESPONSE_BYTES}"
    )]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// A structure is not valid DER of its type.
    #[error("{part} is malformed: {source}")]
    Malformed {
        /// Which structure.
        part: Asn1Part,
        /// The decoding error.
        #[source]
        source: der::Error,
    },
    /// The response's status is neither granted (0) nor grantedWithMods (1).
    #[error("timestamp response status is {status} (RFC 4210 PKIStatus), not granted")]
    NotGranted {
        /// The PKIStatus value.
        status: u8,
    },
    /// A granted response without a timeStampToken.
    #[error("timestamp response carries no timeStampToken")]
    MissingToken,
    /// The token's ContentInfo is not id-signedData.
    #[error("timeStampToken content type is {content_type}, not id-signedData")]
    NotSignedData {
        /// Its content type.
        content_type: ObjectIdentifier,
    },
    /// The SignedData's eContentType is not id-ct-TSTInfo.
    #[error("encapsulated content type is {content_type}, not id-ct-TSTInfo")]
    NotTstInfo {
        /// The eContentType.
        content_type: ObjectIdentifier,
    },
    /// The SignedData has no eContent (a detached signature).
    #[error("SignedData carries no TSTInfo (eContent absent)")]
    MissingTstInfo,
    /// Not exactly one SignerInfo.
    #[error("SignedData has {count} SignerInfos, not exactly one")]
    SignerInfoCount {
        /// How many.
        count: usize,
    },
    /// A TSTInfo whose version is not 1.
    #[error("TSTInfo version {version} is not 1")]
    UnsupportedVersion {
        /// The version.
        version: u64,
    },
    /// A hash algorithm other than SHA-256/384/512 (or with parameters other than NULL).
    #[error("{field} hash algorithm {algorithm} is not SHA-256, SHA-384 or SHA-512")]
    UnsupportedHashAlgorithm {
        /// Where.
        field: HashField,
        /// The algorithm.
        algorithm: ObjectIdentifier,
    },
    /// The messageImprint is not the hash of the signed bytes: the timestamp covers
    /// something else.
    #[error("messageImprint is not the hash of the signature bytes")]
    ImprintMismatch,
    /// The SignerInfo has no signed attributes (RFC 5652 §5.3 requires them for non-data
    /// content).
    #[error("SignerInfo has no signed attributes")]
    MissingSignedAttributes,
    /// A required signed attribute is absent.
    #[error("signed attribute {attribute} is missing")]
    MissingAttribute {
        /// Which.
        attribute: SignedAttribute,
    },
    /// A signed attribute appears more than once.
    #[error("signed attribute {attribute} appears more than once")]
    DuplicateAttribute {
        /// Which.
        attribute: SignedAttribute,
    },
    /// A signed attribute without exactly one value.
    #[error("signed attribute {attribute} has {count} values, not one")]
    AttributeValueCount {
        /// Which.
        attribute: SignedAttribute,
        /// How many values.
        count: usize,
    },
    /// The content-type attribute is not id-ct-TSTInfo.
    #[error("content-type attribute is {content_type}, not id-ct-TSTInfo")]
    ContentTypeAttributeMismatch {
        /// Its value.
        content_type: ObjectIdentifier,
    },
    /// The message-digest attribute is not the hash of the TSTInfo: the TSTInfo was altered.
    #[error("message-digest attribute is not the hash of the TSTInfo")]
    MessageDigestMismatch,
    /// The trusted root has no timestamp authority.
    #[error("the trusted root has no timestamp authority")]
    NoTimestampAuthority,
    /// The authority's chain has fewer than 2 certificates (leaf and root).
    #[error(
        "timestamp authority chain has {len} certificate(s); a TSA leaf and a root are needed"
    )]
    AuthorityChainTooShort {
        /// Its length.
        len: usize,
    },
    /// A certificate of the authority's chain failed a check at genTime.
    #[error("TSA {role}: {failure}")]
    Certificate {
        /// Which certificate.
        role: CertRole,
        /// Which check, and why.
        failure: CertFailure,
    },
    /// The SignerInfo's `sid` does not name the authority's TSA certificate.
    #[error("the SignerInfo sid does not name the authority's TSA certificate")]
    SignerIdentifierMismatch,
    /// A signing-certificate attribute whose first ESSCertID does not name the authority's
    /// TSA certificate (hash or issuer/serial), or names none.
    #[error("the {attribute} attribute does not name the authority's TSA certificate")]
    SigningCertificateMismatch {
        /// Which attribute.
        attribute: SignedAttribute,
    },
    /// The token embeds certificates, but its first non-CA one is not the authority's TSA
    /// certificate.
    #[error(
        "the certificates embedded in the token do not start with the authority's TSA certificate"
    )]
    EmbeddedCertificateMismatch,
    /// A signature algorithm / TSA key combination not accepted here.
    #[error("signature algorithm {algorithm} with TSA key {key} is not supported")]
    UnsupportedSignatureAlgorithm {
        /// The SignerInfo's signatureAlgorithm.
        algorithm: ObjectIdentifier,
        /// The key's algorithm (its curve for EC keys).
        key: ObjectIdentifier,
    },
    /// The SignerInfo's signature does not verify with the TSA certificate's key.
    #[error("the timestamp signature does not verify with the TSA certificate's key")]
    SignatureInvalid,
    /// The TSA leaf has no extKeyUsage.
    #[error("TSA leaf certificate has no extKeyUsage (RFC 3161 §2.3 requires id-kp-timeStamping)")]
    TimestampingEkuMissing,
    /// The TSA leaf's extKeyUsage is not id-kp-timeStamping alone.
    #[error("TSA leaf extKeyUsage is {found:?}, not id-kp-timeStamping alone (RFC 3161 §2.3)")]
    TimestampingEkuNotSole {
        /// The purposes found.
        found: Vec<ObjectIdentifier>,
    },
    /// The TSA leaf's extKeyUsage is not marked critical.
    #[error("TSA leaf extKeyUsage is not marked critical (RFC 3161 §2.3)")]
    TimestampingEkuNotCritical,
    /// A CA of the TSA chain whose extKeyUsage allows neither timeStamping nor any purpose.
    #[error("TSA {role}: extKeyUsage does not allow time stamping")]
    CaTimestampingNotAllowed {
        /// Which certificate.
        role: CertRole,
    },
    /// genTime is outside the authority's `validFor` (start inclusive, end exclusive).
    #[error("genTime {} is outside the timestamp authority's validFor {window}", unix(*gen_time))]
    OutsideValidFor {
        /// The TSTInfo's genTime.
        gen_time: SystemTime,
        /// The authority's window.
        window: ValidityPeriod,
    },
    /// Several authorities were tried and none verifies the timestamp.
    #[error("no timestamp authority verifies the timestamp: {}", list(failures))]
    NoAuthorityVerifies {
        /// Each authority's index and its failure.
        failures: Vec<(usize, TimestampError)>,
    },
}

fn unix(t: SystemTime) -> String {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => format!("unix {}", d.as_secs()),
        Err(_) => "before 1970".to_owned(),
    }
}

fn list(failures: &[(usize, TimestampError)]) -> String {
    let parts: Vec<String> = failures
        .iter()
        .map(|(i, e)| format!("authority {i}: {e}"))
        .collect();
    parts.join("; ")
}

/// A timestamp that verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedTimestamp {
    /// `TSTInfo.genTime`.
    pub gen_time: SystemTime,
    /// Index, in the list given, of the authority whose chain verified it.
    pub authority_index: usize,
}

/// Verifies one DER `TimeStampResp` whose message imprint must cover `signed_bytes` (the
/// bundle's signature bytes; for DSSE the envelope's one signature) against
/// `authorities` (the trusted root's `timestampAuthorities`). The module documentation
/// lists the checks.
///
/// # Errors
/// The failing check. Failures of the response itself come first; then, with one
/// authority, its failure; with several, [`TimestampError::NoAuthorityVerifies`] listing
/// each one's failure.
pub fn verify_rfc3161(
    response_der: &[u8],
    signed_bytes: &[u8],
    authorities: &[CertificateAuthority],
) -> Result<VerifiedTimestamp, TimestampError> {
    let token = Token::parse(response_der, signed_bytes)?;
    let mut failures = Vec::new();
    for (index, authority) in authorities.iter().enumerate() {
        match verify_with(&token, authority) {
            Ok(()) => {
                return Ok(VerifiedTimestamp {
                    gen_time: token.gen_time,
                    authority_index: index,
                })
            }
            Err(e) => failures.push((index, e)),
        }
    }
    match failures.len() {
        0 => Err(TimestampError::NoTimestampAuthority),
        1 => Err(failures.remove(0).1),
        _ => Err(TimestampError::NoAuthorityVerifies { failures }),
    }
}

/// Steps 6–10 against one authority.
fn verify_with(token: &Token, authority: &CertificateAuthority) -> Result<(), TimestampError> {
    let n = authority.cert_chain.len();
    if n < 2 {
        return Err(TimestampError::AuthorityChainTooShort { len: n });
    }
    let chain = authority
        .cert_chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            x509_cert::Certificate::from_der(der).map_err(|e| TimestampError::Certificate {
                role: role(i, n),
                failure: CertFailure::Malformed(e),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (leaf, leaf_der) = match (chain.first(), authority.cert_chain.first()) {
        (Some(leaf), Some(der)) => (leaf, der.as_slice()),
        _ => return Err(TimestampError::AuthorityChainTooShort { len: n }),
    };
    signer::check(token, leaf, leaf_der)?;
    path::check(&chain, &authority.cert_chain, token.gen_time)?;
    check_valid_for(token.gen_time, &authority.valid_for)
}

/// `start ≤ genTime < end` (sigstore-python's TSA window; an open end has no bound).
fn check_valid_for(gen_time: SystemTime, window: &ValidityPeriod) -> Result<(), TimestampError> {
    if gen_time < window.start || window.end.is_some_and(|end| gen_time >= end) {
        return Err(TimestampError::OutsideValidFor {
            gen_time,
            window: *window,
        });
    }
    Ok(())
}

/// The role of certificate `i` of an `n`-certificate TSA chain (leaf first, root last).
fn role(i: usize, n: usize) -> CertRole {
    if i == 0 {
        CertRole::Leaf
    } else if i + 1 == n {
        CertRole::Root
    } else {
        CertRole::Intermediate(i)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn valid_for_is_start_inclusive_end_exclusive() {
        let closed = ValidityPeriod {
            start: t(10),
            end: Some(t(20)),
        };
        assert!(check_valid_for(t(10), &closed).is_ok());
        assert!(check_valid_for(t(19), &closed).is_ok());
        assert!(matches!(
            check_valid_for(t(20), &closed),
            Err(TimestampError::OutsideValidFor { .. })
        ));
        assert!(matches!(
            check_valid_for(t(9), &closed),
            Err(TimestampError::OutsideValidFor { .. })
        ));
        let open = ValidityPeriod {
            start: t(10),
            end: None,
        };
        assert!(check_valid_for(t(u64::from(u32::MAX)), &open).is_ok());
    }

    #[test]
    fn roles_name_leaf_intermediates_and_root() {
        assert_eq!(role(0, 3), CertRole::Leaf);
        assert_eq!(role(1, 3), CertRole::Intermediate(1));
        assert_eq!(role(2, 3), CertRole::Root);
        assert_eq!(role(1, 2), CertRole::Root);
    }

    #[test]
    fn response_failures_come_before_the_authorities() {
        // Garbage fails on the response before the (empty) authority list is looked at.
        assert!(matches!(
            verify_rfc3161(b"garbage", b"sig", &[]),
            Err(TimestampError::Malformed {
                part: Asn1Part::TimeStampResp,
                ..
            })
        ));
    }
}
