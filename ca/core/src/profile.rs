//! Certificate construction: the key-ceremony CA certificates (PROTOCOL.md §3.2) and the
//! short-lived leaf certificates (§3.1, §3.3, §3.4), including the embedded-SCT flow of
//! RFC 6962 §3.1 (§3.6).
//!
//! Every TBSCertificate is built field by field from `x509-cert` types and DER-encoded by
//! `der`, then signed through a [`CaSigner`] (so an HSM key works). Because the precert
//! and the final certificate are encoded from the *same* [`TbsCertificate`] value, they
//! differ only in their last extension (CT poison ↔ SCT list), which is what verifiers
//! rely on when they rebuild the precert TBS from the final certificate.
//!
//! Leaf extension order: keyUsage (critical), extKeyUsage, subjectKeyIdentifier,
//! authorityKeyIdentifier, subjectAltName (critical), the Sigstore extensions in the
//! caller's order, then the CT poison or SCT list (if any).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::der::asn1::{
    Any, AnyRef, BitString, ContextSpecific, GeneralizedTime, Ia5String, Null, OctetString,
    SetOfVec, UtcTime, Utf8StringRef,
};
use x509_cert::der::oid::AssociatedOid;
use x509_cert::der::{
    DateTime, Decode, Encode, Reader, SliceReader, Tag, TagMode, TagNumber, Tagged,
};
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName as SanExtension, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

use crate::request::CheckedPublicKey;
use crate::san::{CertIdentity, FulcioExtension, SubjectAltName, USERNAME_OTHER_NAME_OID};
use crate::sct::{self, PrecertEntry, Sct, SctError};
use crate::signer::{CaAlgorithm, CaSigner, SignError};

/// Default leaf validity: 10 minutes (PROTOCOL.md §3.1).
pub const DEFAULT_LEAF_VALIDITY: Duration = Duration::from_secs(600);

/// RFC 6962 §3.1: the precertificate poison extension (critical, value ASN.1 NULL).
pub const CT_POISON_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
/// RFC 6962 §3.3: the embedded SignedCertificateTimestampList extension (non-critical).
pub const SCT_LIST_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

// RFC 5280 §4.2.1.12: id-kp-codeSigning.
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
// RFC 5758 §3.2: ecdsa-with-SHA256 / ecdsa-with-SHA384 (parameters absent).
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
// RFC 5480 §2.1.1: id-ecPublicKey, secp256r1, secp384r1.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
// X.520 / RFC 4519: organizationName, commonName.
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
// Sigstore: the username OtherName type-id (PROTOCOL.md §3.4).
const USERNAME_OTHER_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap(USERNAME_OTHER_NAME_OID);
/// Sigstore arc `1.3.6.1.4.1.57264.1` as OID components, for building `.<arc>` OIDs.
const FULCIO_ARC_COMPONENTS: [u32; 8] = [1, 3, 6, 1, 4, 1, 57264, 1];

/// Bytes of random serial numbers (RFC 5280 §4.1.2.2: at most 20 octets, positive).
const SERIAL_LEN: usize = 20;
/// Bytes of a key identifier (RFC 7093 §2 method 1: leftmost 160 bits of SHA-256).
const KEY_ID_LEN: usize = 20;
/// Last year encoded as UTCTime (RFC 5280 §4.1.2.5); later years use GeneralizedTime.
const UTC_TIME_MAX_YEAR: u16 = 2049;

/// Why a certificate could not be built or taken apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// A DER encoding step failed (a value out of its ASN.1 range).
    #[error("DER encoding failed: {0}")]
    Der(#[source] x509_cert::der::Error),
    /// The issuing certificate is not valid X.509 DER.
    #[error("issuer certificate is not a valid X.509 certificate: {0}")]
    MalformedIssuer(#[source] x509_cert::der::Error),
    /// The issuing certificate cannot issue: no basicConstraints CA:TRUE or no keyCertSign.
    #[error("issuer certificate is not a CA (basicConstraints CA:TRUE and keyUsage keyCertSign required)")]
    IssuerNotCa,
    /// The issuing certificate has no subjectKeyIdentifier to put in the AKI.
    #[error("issuer certificate has no subjectKeyIdentifier")]
    IssuerWithoutKeyIdentifier,
    /// The signer's public key is not the issuing certificate's public key.
    #[error("the CA signer's public key does not match the issuer certificate's key")]
    SignerMismatch,
    /// A CA key (signer or certified) that is not ECDSA P-256 or P-384.
    #[error("CA key must be ECDSA P-256 or P-384 (PROTOCOL.md §3.1)")]
    UnsupportedCaKey,
    /// A public key that is not a valid DER SubjectPublicKeyInfo.
    #[error("public key is not a valid DER SubjectPublicKeyInfo: {0}")]
    MalformedPublicKey(#[source] x509_cert::der::Error),
    /// A subject name attribute that is empty.
    #[error("CA subject {field} is empty")]
    EmptySubjectField {
        /// `organization` or `common_name`.
        field: &'static str,
    },
    /// The subjectAltName value cannot be encoded.
    #[error("invalid subjectAltName: {reason}")]
    InvalidSan {
        /// What is wrong.
        reason: &'static str,
    },
    /// A Sigstore extension with an arc that is not an extension (0 or 7) or an empty value.
    #[error("invalid Sigstore extension 1.3.6.1.4.1.57264.1.{arc}: {reason}")]
    InvalidExtension {
        /// The extension's arc.
        arc: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// The same Sigstore extension twice (RFC 5280 §4.2 forbids duplicate extensions).
    #[error("duplicate Sigstore extension 1.3.6.1.4.1.57264.1.{arc}")]
    DuplicateExtension {
        /// The extension's arc.
        arc: u32,
    },
    /// An issuer extension missing: `.1` (raw) and `.8` (DER) are both required
    /// (PROTOCOL.md §12 item 5).
    #[error("missing Sigstore issuer extension 1.3.6.1.4.1.57264.1.{arc}")]
    MissingIssuerExtension {
        /// The missing arc (1 or 8).
        arc: u32,
    },
    /// A validity period that cannot be encoded or is empty.
    #[error("invalid validity period: {reason}")]
    InvalidValidity {
        /// What is wrong.
        reason: &'static str,
    },
    /// The new certificate would outlive (or predate) its issuer.
    #[error("validity period is outside the issuer certificate's validity")]
    OutsideIssuerValidity,
    /// The signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The system random number generator failed (serial numbers).
    #[error("random number generator failed")]
    Random,
    /// The signer returned a signature that does not verify with its own public key.
    #[error("the CA signer returned a signature that does not verify")]
    BadSignerSignature,
    /// The final certificate needs at least one SCT.
    #[error("a final certificate needs at least one SCT")]
    NoScts,
    /// The precertificate was made by another issuer.
    #[error("the precertificate was issued by another CA")]
    PrecertIssuerMismatch,
    /// The SCT list could not be encoded.
    #[error("SCT list: {0}")]
    SctList(#[source] Box<SctError>),
    /// A certificate to take apart is not valid DER.
    #[error("certificate is not a valid X.509 certificate: {0}")]
    MalformedCertificate(#[source] x509_cert::der::Error),
    /// The certificate does not have exactly one of the extension looked for.
    #[error("certificate has {count} {name} extensions (exactly one expected)")]
    ExtensionCount {
        /// The extension's name.
        name: &'static str,
        /// How many were found.
        count: usize,
    },
}

impl From<x509_cert::der::Error> for ProfileError {
    fn from(e: x509_cert::der::Error) -> Self {
        Self::Der(e)
    }
}

/// The subject of a CA certificate: `O=<organization>, CN=<common_name>` (PROTOCOL.md §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaSubject {
    /// organizationName, e.g. `sigstore.dev`.
    pub organization: String,
    /// commonName, e.g. `sigstore-intermediate`.
    pub common_name: String,
}

/// A certificate's validity period. Times are truncated to whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidityPeriod {
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter (inclusive, RFC 5280 §4.1.2.5).
    pub not_after: SystemTime,
}

/// An issuing CA certificate, parsed once: what a certificate it issues needs from it.
#[derive(Clone, Debug)]
pub struct IssuerCertificate {
    der: Vec<u8>,
    subject: Name,
    key_identifier: Vec<u8>,
    spki: SubjectPublicKeyInfoOwned,
    spki_der: Vec<u8>,
    not_before: u64,
    not_after: u64,
}

impl IssuerCertificate {
    /// Parses a DER CA certificate: it must have basicConstraints CA:TRUE, keyUsage
    /// keyCertSign and a subjectKeyIdentifier.
    ///
    /// # Errors
    /// [`ProfileError::MalformedIssuer`], [`ProfileError::IssuerNotCa`] or
    /// [`ProfileError::IssuerWithoutKeyIdentifier`].
    pub fn from_der(der: &[u8]) -> Result<Self, ProfileError> {
        let cert = Certificate::from_der(der).map_err(ProfileError::MalformedIssuer)?;
        let tbs = &cert.tbs_certificate;
        let extensions = tbs.extensions.as_deref().unwrap_or_default();
        let find = |oid: ObjectIdentifier| extensions.iter().find(|e| e.extn_id == oid);
        let is_ca = find(BasicConstraints::OID)
            .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|bc| bc.ca);
        let can_sign = find(KeyUsage::OID)
            .and_then(|e| KeyUsage::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|ku| ku.0.contains(KeyUsages::KeyCertSign));
        if !is_ca || !can_sign {
            return Err(ProfileError::IssuerNotCa);
        }
        let key_identifier = find(SubjectKeyIdentifier::OID)
            .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
            .map(|ski| ski.0.as_bytes().to_vec())
            .ok_or(ProfileError::IssuerWithoutKeyIdentifier)?;
        let spki_der = tbs
            .subject_public_key_info
            .to_der()
            .map_err(ProfileError::MalformedIssuer)?;
        Ok(Self {
            der: der.to_vec(),
            subject: tbs.subject.clone(),
            key_identifier,
            spki: tbs.subject_public_key_info.clone(),
            spki_der,
            not_before: tbs.validity.not_before.to_unix_duration().as_secs(),
            not_after: tbs.validity.not_after.to_unix_duration().as_secs(),
        })
    }

    /// The certificate's DER.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate's DER SubjectPublicKeyInfo (its SHA-256 is the RFC 6962
    /// `issuer_key_hash`).
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The certificate's subjectKeyIdentifier (the AKI of what it issues).
    #[must_use]
    pub fn key_identifier(&self) -> &[u8] {
        &self.key_identifier
    }

    fn check_signer(&self, signer: &dyn CaSigner) -> Result<(), ProfileError> {
        let signer_spki = SubjectPublicKeyInfoOwned::from_der(signer.public_key_der())
            .map_err(ProfileError::MalformedPublicKey)?;
        if signer_spki != self.spki {
            return Err(ProfileError::SignerMismatch);
        }
        Ok(())
    }

    fn check_within(&self, not_before: u64, not_after: u64) -> Result<(), ProfileError> {
        if not_before < self.not_before || not_after > self.not_after {
            return Err(ProfileError::OutsideIssuerValidity);
        }
        Ok(())
    }
}

/// Builds a self-signed root CA certificate (PROTOCOL.md §3.2): subject and issuer
/// `O, CN`; keyUsage keyCertSign + cRLSign (critical); basicConstraints CA:TRUE,
/// pathlen 1 (critical); subjectKeyIdentifier; no EKU. Returns its DER.
///
/// # Errors
/// [`ProfileError`] for a non-P-256/P-384 key, an empty subject field, a bad validity
/// period or a signer failure.
pub fn root_certificate(
    signer: &dyn CaSigner,
    subject: &CaSubject,
    validity: ValidityPeriod,
) -> Result<Vec<u8>, ProfileError> {
    let spki = ca_public_key(signer.public_key_der())?;
    let name = ca_name(subject)?;
    let (not_before, not_after) = validity_secs(validity)?;
    let extensions = vec![
        critical(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
        critical(&BasicConstraints {
            ca: true,
            path_len_constraint: Some(1),
        })?,
        non_critical(&SubjectKeyIdentifier(OctetString::new(key_identifier(
            &spki,
        ))?))?,
    ];
    let tbs = tbs_certificate(
        signer.algorithm(),
        name.clone(),
        (not_before, not_after),
        name,
        spki,
        extensions,
    )?;
    sign(&tbs, signer)
}

/// Builds an intermediate CA certificate signed by the root (PROTOCOL.md §3.2): subject
/// `O, CN`; keyUsage keyCertSign + cRLSign (critical); extKeyUsage codeSigning
/// (non-critical); basicConstraints CA:TRUE, pathlen 0 (critical); subjectKeyIdentifier;
/// authorityKeyIdentifier = the root's SKI. Returns its DER.
///
/// # Errors
/// [`ProfileError`] for a signer that is not the root's key, a non-P-256/P-384
/// intermediate key, an empty subject field, a validity outside the root's or a signer
/// failure.
pub fn intermediate_certificate(
    root: &IssuerCertificate,
    root_signer: &dyn CaSigner,
    intermediate_public_key_der: &[u8],
    subject: &CaSubject,
    validity: ValidityPeriod,
) -> Result<Vec<u8>, ProfileError> {
    root.check_signer(root_signer)?;
    let spki = ca_public_key(intermediate_public_key_der)?;
    let name = ca_name(subject)?;
    let period = validity_secs(validity)?;
    root.check_within(period.0, period.1)?;
    let extensions = vec![
        critical(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
        non_critical(&ExtendedKeyUsage(vec![CODE_SIGNING]))?,
        critical(&BasicConstraints {
            ca: true,
            path_len_constraint: Some(0),
        })?,
        non_critical(&SubjectKeyIdentifier(OctetString::new(key_identifier(
            &spki,
        ))?))?,
        non_critical(&authority_key_identifier(root)?)?,
    ];
    let tbs = tbs_certificate(
        root_signer.algorithm(),
        root.subject.clone(),
        period,
        name,
        spki,
        extensions,
    )?;
    sign(&tbs, root_signer)
}

/// What a leaf certificate is issued for.
#[derive(Clone, Copy, Debug)]
pub struct LeafRequest<'a> {
    /// The requester's checked public key (from [`crate::request`]).
    pub public_key: &'a CheckedPublicKey,
    /// The SAN and Sigstore extensions.
    pub identity: &'a CertIdentity,
    /// notBefore: the issuance time.
    pub not_before: SystemTime,
    /// notAfter − notBefore; [`DEFAULT_LEAF_VALIDITY`] normally.
    pub validity: Duration,
}

impl<'a> LeafRequest<'a> {
    /// A request with the default 10-minute validity.
    #[must_use]
    pub fn new(
        public_key: &'a CheckedPublicKey,
        identity: &'a CertIdentity,
        not_before: SystemTime,
    ) -> Self {
        Self {
            public_key,
            identity,
            not_before,
            validity: DEFAULT_LEAF_VALIDITY,
        }
    }
}

/// Builds and signs a leaf certificate without SCT (PROTOCOL.md §3.1), for a CA with no
/// CT log. Returns its DER.
///
/// # Errors
/// [`ProfileError`] for a signer that is not the issuer's key, an identity that cannot
/// be encoded, a validity outside the issuer's, or a signer failure.
pub fn leaf_certificate(
    issuer: &IssuerCertificate,
    signer: &dyn CaSigner,
    request: &LeafRequest<'_>,
) -> Result<Vec<u8>, ProfileError> {
    let tbs = leaf_tbs(issuer, signer, request, Vec::new())?;
    sign(&tbs, signer)
}

/// A signed precertificate (RFC 6962 §3.1): the leaf TBS with the critical CT poison
/// extension last. Kept in memory until the SCT comes back, then turned into the final
/// certificate by [`final_certificate`].
#[derive(Clone, Debug)]
pub struct Precertificate {
    tbs: TbsCertificate,
    der: Vec<u8>,
    issuer_key_hash: [u8; 32],
}

impl Precertificate {
    /// The precertificate's DER (what `add-pre-chain` submits, before the issuer chain).
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The RFC 6962 §3.2 `PreCert` entry: SHA-256 of the issuer's SPKI and this TBS
    /// without the poison extension.
    ///
    /// # Errors
    /// [`ProfileError::Der`] if re-encoding fails.
    pub fn ct_entry(&self) -> Result<PrecertEntry, ProfileError> {
        let mut tbs = self.tbs.clone();
        if let Some(extensions) = tbs.extensions.as_mut() {
            extensions.retain(|e| e.extn_id != CT_POISON_OID);
        }
        Ok(PrecertEntry {
            issuer_key_hash: self.issuer_key_hash,
            tbs_certificate: tbs.to_der()?,
        })
    }
}

/// Builds and signs the precertificate for `request` (PROTOCOL.md §3.6 steps 1–2).
///
/// # Errors
/// As [`leaf_certificate`].
pub fn precertificate(
    issuer: &IssuerCertificate,
    signer: &dyn CaSigner,
    request: &LeafRequest<'_>,
) -> Result<Precertificate, ProfileError> {
    // RFC 6962 §3.1: critical extension whose extnValue is an ASN.1 NULL (05 00).
    let poison = Extension {
        extn_id: CT_POISON_OID,
        critical: true,
        extn_value: OctetString::new(Null.to_der()?)?,
    };
    let tbs = leaf_tbs(issuer, signer, request, vec![poison])?;
    let der = sign_checked(&tbs, signer, AfterSigning::TrustSignerOutput)?;
    Ok(Precertificate {
        tbs,
        der,
        issuer_key_hash: sct::issuer_key_hash(issuer.spki_der()),
    })
}

/// Builds and signs the final certificate (PROTOCOL.md §3.6 steps 3–4): the precert's
/// TBS — same serial, validity, names, key and extension order — with the poison replaced,
/// in the same last position, by the non-critical SCT list extension.
///
/// # Errors
/// [`ProfileError::NoScts`], [`ProfileError::PrecertIssuerMismatch`] if `issuer` is not
/// the precert's issuer, [`ProfileError::SignerMismatch`], or a signer failure.
pub fn final_certificate(
    issuer: &IssuerCertificate,
    signer: &dyn CaSigner,
    precert: &Precertificate,
    scts: &[Sct],
) -> Result<Vec<u8>, ProfileError> {
    if scts.is_empty() {
        return Err(ProfileError::NoScts);
    }
    if precert.issuer_key_hash != sct::issuer_key_hash(issuer.spki_der())
        || precert.tbs.issuer != issuer.subject
    {
        return Err(ProfileError::PrecertIssuerMismatch);
    }
    issuer.check_signer(signer)?;
    let extn_value =
        sct::sct_list_extension_value(scts).map_err(|e| ProfileError::SctList(Box::new(e)))?;
    let mut tbs = precert.tbs.clone();
    let last = tbs
        .extensions
        .as_mut()
        .and_then(|e| e.last_mut())
        .filter(|e| e.extn_id == CT_POISON_OID)
        .ok_or(ProfileError::ExtensionCount {
            name: "CT poison",
            count: 0,
        })?;
    *last = Extension {
        extn_id: SCT_LIST_OID,
        critical: false,
        extn_value: OctetString::new(extn_value)?,
    };
    sign(&tbs, signer)
}

/// The precert TBS that an SCT in `cert_der` signs (RFC 6962 §3.2, PROTOCOL.md §3.6 item
/// 6): the final certificate's TBSCertificate with the SCT-list extension removed, every
/// other byte as issued.
///
/// # Errors
/// [`ProfileError::MalformedCertificate`], or [`ProfileError::ExtensionCount`] unless the
/// certificate has exactly one SCT-list extension.
pub fn precert_tbs_from_final(cert_der: &[u8]) -> Result<Vec<u8>, ProfileError> {
    RawCertificate::parse(cert_der)?.tbs_without(SCT_LIST_OID, "SCT list")
}

/// The precert TBS of a precertificate, as a CT log logs it (RFC 6962 §3.2: "the
/// TBSCertificate component of the Precertificate — that is, without the signature and
/// the poison extension").
///
/// # Errors
/// [`ProfileError::MalformedCertificate`], or [`ProfileError::ExtensionCount`] unless the
/// certificate has exactly one poison extension.
pub fn precert_tbs_from_precert(precert_der: &[u8]) -> Result<Vec<u8>, ProfileError> {
    RawCertificate::parse(precert_der)?.tbs_without(CT_POISON_OID, "CT poison")
}

/// A certificate taken apart without re-interpreting the TBS fields, so that a rebuilt
/// TBS keeps every byte of the issued one (only the extension list is decoded).
pub(crate) struct RawCertificate<'a> {
    /// The TBSCertificate's elements, in order, as raw TLVs.
    elements: Vec<AnyRef<'a>>,
    /// Index in `elements` of the `[3] EXPLICIT Extensions`, if present.
    extensions_at: Option<usize>,
    /// The decoded extensions.
    pub(crate) extensions: Vec<Extension>,
}

impl<'a> RawCertificate<'a> {
    pub(crate) fn parse(cert_der: &'a [u8]) -> Result<Self, ProfileError> {
        Self::parse_der(cert_der).map_err(ProfileError::MalformedCertificate)
    }

    fn parse_der(cert_der: &'a [u8]) -> Result<Self, x509_cert::der::Error> {
        // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
        // signatureValue }.
        let mut reader = SliceReader::new(cert_der)?;
        let tbs = reader.sequence(|r| {
            let tbs = AnyRef::decode(r)?;
            let _algorithm = AlgorithmIdentifierOwned::decode(r)?;
            let _signature = BitString::decode(r)?;
            Ok(tbs)
        })?;
        let tbs = reader.finish(tbs)?;
        tbs.tag().assert_eq(Tag::Sequence)?;
        let mut reader = SliceReader::new(tbs.value())?;
        let mut elements = Vec::new();
        while !reader.is_finished() {
            elements.push(AnyRef::decode(&mut reader)?);
        }
        let extensions_tag = Tag::ContextSpecific {
            constructed: true,
            number: TagNumber::N3,
        };
        let extensions_at = elements.iter().position(|e| e.tag() == extensions_tag);
        let extensions = match extensions_at {
            Some(i) => Vec::<Extension>::from_der(elements[i].value())?,
            None => Vec::new(),
        };
        Ok(Self {
            elements,
            extensions_at,
            extensions,
        })
    }

    /// The TBS DER with the one extension `oid` removed.
    fn tbs_without(
        &self,
        oid: ObjectIdentifier,
        name: &'static str,
    ) -> Result<Vec<u8>, ProfileError> {
        let count = self.extensions.iter().filter(|e| e.extn_id == oid).count();
        let Some(at) = self.extensions_at.filter(|_| count == 1) else {
            return Err(ProfileError::ExtensionCount { name, count });
        };
        let remaining: Vec<Extension> = self
            .extensions
            .iter()
            .filter(|e| e.extn_id != oid)
            .cloned()
            .collect();
        let mut elements: Vec<Any> = Vec::with_capacity(self.elements.len());
        for (i, element) in self.elements.iter().enumerate() {
            if i != at {
                elements.push(Any::from(*element));
            } else if !remaining.is_empty() {
                // RFC 5280 §4.1: extensions [3] EXPLICIT Extensions, SIZE (1..MAX).
                elements.push(Any::encode_from(&ContextSpecific {
                    tag_number: TagNumber::N3,
                    tag_mode: TagMode::Explicit,
                    value: remaining.clone(),
                })?);
            }
        }
        Ok(elements.to_der()?)
    }
}

/// The leaf TBS (PROTOCOL.md §3.1) with `trailing` extensions appended last.
fn leaf_tbs(
    issuer: &IssuerCertificate,
    signer: &dyn CaSigner,
    request: &LeafRequest<'_>,
    trailing: Vec<Extension>,
) -> Result<TbsCertificate, ProfileError> {
    issuer.check_signer(signer)?;
    let spki = SubjectPublicKeyInfoOwned::from_der(request.public_key.spki_der())
        .map_err(ProfileError::MalformedPublicKey)?;
    let not_before = unix_secs(request.not_before)?;
    let not_after = not_before
        .checked_add(request.validity.as_secs())
        .filter(|_| request.validity.as_secs() > 0)
        .ok_or(ProfileError::InvalidValidity {
            reason: "leaf validity must be at least one second",
        })?;
    issuer.check_within(not_before, not_after)?;

    let mut extensions = vec![
        critical(&KeyUsage(KeyUsages::DigitalSignature.into()))?,
        non_critical(&ExtendedKeyUsage(vec![CODE_SIGNING]))?,
        non_critical(&SubjectKeyIdentifier(OctetString::new(key_identifier(
            &spki,
        ))?))?,
        non_critical(&authority_key_identifier(issuer)?)?,
        // Empty subject ⇒ the SAN must be critical (RFC 5280 §4.2.1.6).
        critical(&SanExtension(vec![general_name(&request.identity.san)?]))?,
    ];
    extensions.extend(fulcio_extensions(&request.identity.extensions)?);
    extensions.extend(trailing);
    tbs_certificate(
        signer.algorithm(),
        issuer.subject.clone(),
        (not_before, not_after),
        Name::default(),
        spki,
        extensions,
    )
}

fn tbs_certificate(
    algorithm: CaAlgorithm,
    issuer: Name,
    (not_before, not_after): (u64, u64),
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    extensions: Vec<Extension>,
) -> Result<TbsCertificate, ProfileError> {
    Ok(TbsCertificate {
        version: Version::V3,
        serial_number: random_serial()?,
        signature: signature_algorithm(algorithm),
        issuer,
        validity: Validity {
            not_before: der_time(not_before)?,
            not_after: der_time(not_after)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    })
}

/// Whether [`sign_checked`] verifies the signature the key holder returned before using it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterSigning {
    /// Verify it against the signer's public key: a key holder returning garbage (a faulty
    /// HSM, a wrong key) must not produce a certificate clients would reject later, nor a
    /// CA certificate that breaks every chain.
    VerifySignature,
    /// Use it unverified. Only for the precertificate: nobody relies on its signature. The
    /// CT leaf and the SCT cover its TBSCertificate and issuer key hash only (RFC 6962
    /// §3.2 `PreCert`), and the final certificate built from the same TBS, the one clients
    /// verify, is checked. Skipping the check saves one ECDSA verification (~60 µs) per
    /// issuance.
    TrustSignerOutput,
}

/// Signs `tbs` with its signature checked ([`AfterSigning::VerifySignature`]).
fn sign(tbs: &TbsCertificate, signer: &dyn CaSigner) -> Result<Vec<u8>, ProfileError> {
    sign_checked(tbs, signer, AfterSigning::VerifySignature)
}

/// Signs `tbs` and assembles the certificate DER.
fn sign_checked(
    tbs: &TbsCertificate,
    signer: &dyn CaSigner,
    after: AfterSigning,
) -> Result<Vec<u8>, ProfileError> {
    let tbs_der = tbs.to_der()?;
    let signature = signer.sign(&tbs_der)?;
    if after == AfterSigning::VerifySignature {
        let verify: &'static dyn VerificationAlgorithm = match signer.algorithm() {
            CaAlgorithm::EcdsaP256Sha256 => &sig::ECDSA_P256_SHA256_ASN1,
            CaAlgorithm::EcdsaP384Sha384 => &sig::ECDSA_P384_SHA384_ASN1,
        };
        UnparsedPublicKey::new(verify, signer.public_key_der())
            .verify(&tbs_der, &signature)
            .map_err(|_| ProfileError::BadSignerSignature)?;
    }
    let certificate = Certificate {
        tbs_certificate: tbs.clone(),
        signature_algorithm: signature_algorithm(signer.algorithm()),
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(certificate.to_der()?)
}

fn signature_algorithm(algorithm: CaAlgorithm) -> AlgorithmIdentifierOwned {
    let oid = match algorithm {
        CaAlgorithm::EcdsaP256Sha256 => ECDSA_WITH_SHA256,
        CaAlgorithm::EcdsaP384Sha384 => ECDSA_WITH_SHA384,
    };
    // RFC 5758 §3.2: the parameters field MUST be absent.
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

/// RFC 5280 §4.1.2.2 / CA/B BR §7.1: 20 random bytes, top bit cleared so the INTEGER is
/// positive and at most 20 octets.
fn random_serial() -> Result<SerialNumber, ProfileError> {
    let mut bytes = [0u8; SERIAL_LEN];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| ProfileError::Random)?;
    bytes[0] &= 0x7f;
    Ok(SerialNumber::new(&bytes)?)
}

/// RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey
/// BIT STRING's value (excluding tag, length and unused-bits octet).
fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    let hash = digest::digest(&digest::SHA256, spki.subject_public_key.raw_bytes());
    hash.as_ref()[..KEY_ID_LEN].to_vec()
}

/// authorityKeyIdentifier with keyIdentifier only (sigstore-python requires exactly
/// that, PROTOCOL.md §3.2).
fn authority_key_identifier(
    issuer: &IssuerCertificate,
) -> Result<AuthorityKeyIdentifier, ProfileError> {
    Ok(AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(issuer.key_identifier.clone())?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    })
}

fn critical<T: AssociatedOid + Encode>(value: &T) -> Result<Extension, ProfileError> {
    Ok(Extension {
        extn_id: T::OID,
        critical: true,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn non_critical<T: AssociatedOid + Encode>(value: &T) -> Result<Extension, ProfileError> {
    Ok(Extension {
        extn_id: T::OID,
        critical: false,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// The one SAN (PROTOCOL.md §3.4).
fn general_name(san: &SubjectAltName) -> Result<GeneralName, ProfileError> {
    let ia5 = |value: &str, what: &'static str| {
        if value.is_empty() {
            return Err(ProfileError::InvalidSan { reason: what });
        }
        Ia5String::new(value).map_err(|_| ProfileError::InvalidSan { reason: what })
    };
    Ok(match san {
        SubjectAltName::Email(email) => {
            GeneralName::Rfc822Name(ia5(email, "email must be non-empty ASCII (IA5String)")?)
        }
        SubjectAltName::Uri(uri) => GeneralName::UniformResourceIdentifier(ia5(
            uri,
            "URI must be non-empty ASCII (IA5String)",
        )?),
        SubjectAltName::Username(username) => {
            if username.is_empty() {
                return Err(ProfileError::InvalidSan {
                    reason: "username must be non-empty",
                });
            }
            // OtherName { type-id .1.7, value [0] EXPLICIT UTF8String }.
            GeneralName::OtherName(OtherName {
                type_id: USERNAME_OTHER_NAME,
                value: Any::encode_from(&Utf8StringRef::new(username)?)?,
            })
        }
    })
}

/// The Sigstore extensions in the given order, encoded per arc (PROTOCOL.md §3.3).
fn fulcio_extensions(extensions: &[FulcioExtension]) -> Result<Vec<Extension>, ProfileError> {
    for arc in [1, 8] {
        if !extensions.iter().any(|e| e.arc == arc) {
            return Err(ProfileError::MissingIssuerExtension { arc });
        }
    }
    let mut out = Vec::with_capacity(extensions.len());
    for (i, extension) in extensions.iter().enumerate() {
        let arc = extension.arc;
        if arc == 0 || arc == 7 {
            return Err(ProfileError::InvalidExtension {
                arc,
                reason: "not an extension arc",
            });
        }
        if extension.value.is_empty() {
            return Err(ProfileError::InvalidExtension {
                arc,
                reason: "empty value (empty claims are omitted)",
            });
        }
        if extensions[..i].iter().any(|e| e.arc == arc) {
            return Err(ProfileError::DuplicateExtension { arc });
        }
        let mut components = FULCIO_ARC_COMPONENTS.to_vec();
        components.push(arc);
        let extn_id = ObjectIdentifier::from_arcs(components).map_err(|_| {
            ProfileError::InvalidExtension {
                arc,
                reason: "not a valid OID arc",
            }
        })?;
        let value = if extension.is_raw() {
            // Arcs 1–6: the raw UTF-8 bytes are the extnValue.
            extension.value.as_bytes().to_vec()
        } else {
            // Arcs 8+: a DER UTF8String.
            Utf8StringRef::new(&extension.value)?.to_der()?
        };
        out.push(Extension {
            extn_id,
            critical: false,
            extn_value: OctetString::new(value)?,
        });
    }
    Ok(out)
}

/// `O=<organization>, CN=<common_name>`, UTF8String values (RFC 5280 §4.1.2.4).
fn ca_name(subject: &CaSubject) -> Result<Name, ProfileError> {
    let mut rdns = Vec::with_capacity(2);
    for (oid, value, field) in [
        (ORGANIZATION, &subject.organization, "organization"),
        (COMMON_NAME, &subject.common_name, "common_name"),
    ] {
        if value.is_empty() {
            return Err(ProfileError::EmptySubjectField { field });
        }
        let attribute = AttributeTypeAndValue {
            oid,
            value: Any::encode_from(&Utf8StringRef::new(value)?)?,
        };
        rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![
            attribute,
        ])?));
    }
    Ok(RdnSequence(rdns))
}

/// A CA public key: ECDSA P-256 or P-384 (PROTOCOL.md §3.1: no Ed25519 CA keys).
fn ca_public_key(der: &[u8]) -> Result<SubjectPublicKeyInfoOwned, ProfileError> {
    let spki =
        SubjectPublicKeyInfoOwned::from_der(der).map_err(ProfileError::MalformedPublicKey)?;
    let curve: Option<ObjectIdentifier> = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as().ok());
    let supported = spki.algorithm.oid == EC_PUBLIC_KEY
        && curve.is_some_and(|c| c == SECP256R1 || c == SECP384R1);
    if !supported {
        return Err(ProfileError::UnsupportedCaKey);
    }
    Ok(spki)
}

fn validity_secs(validity: ValidityPeriod) -> Result<(u64, u64), ProfileError> {
    let not_before = unix_secs(validity.not_before)?;
    let not_after = unix_secs(validity.not_after)?;
    if not_after <= not_before {
        return Err(ProfileError::InvalidValidity {
            reason: "notAfter must be after notBefore",
        });
    }
    Ok((not_before, not_after))
}

fn unix_secs(time: SystemTime) -> Result<u64, ProfileError> {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| ProfileError::InvalidValidity {
            reason: "time before 1970",
        })
}

/// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
fn der_time(unix_secs: u64) -> Result<Time, ProfileError> {
    let date = DateTime::from_unix_duration(Duration::from_secs(unix_secs)).map_err(|_| {
        ProfileError::InvalidValidity {
            reason: "time not representable (after 9999)",
        }
    })?;
    Ok(if date.year() <= UTC_TIME_MAX_YEAR {
        Time::UtcTime(UtcTime::from_date_time(date)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(date))
    })
}
