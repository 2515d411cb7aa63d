//! The per-certificate checks of [`super`]: extensions, validity, signatures, CA and leaf
//! constraints (RFC 5280 §4.1, §4.2, §6.1; PROTOCOL.md §3.1, §3.2).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_cert::der::asn1::AnyRef;
use x509_cert::der::oid::{AssociatedOid, ObjectIdentifier};
use x509_cert::der::{self, Decode, Encode as _, Reader as _};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::Certificate;

// RFC 5758 §3.2: ecdsa-with-SHA256/384/512.
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
// RFC 8017 App. C: sha256/384/512WithRSAEncryption (PKCS#1 v1.5).
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
// RFC 5480 §2.1.1, RFC 8017 App. C: key algorithms and named curves.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
// RFC 5280 §4.2.1.12: id-kp-codeSigning, anyExtendedKeyUsage.
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// Extensions this module understands, so they may be critical (RFC 5280 §4.2: a
/// certificate with an unrecognised critical extension must be rejected). Fulcio marks
/// keyUsage, basicConstraints and subjectAltName critical; anything else critical (name
/// constraints, policies, the CT poison of a precertificate) fails.
const KNOWN_CRITICAL: [ObjectIdentifier; 6] = [
    KeyUsage::OID,
    BasicConstraints::OID,
    SubjectAltName::OID,
    ExtendedKeyUsage::OID,
    SubjectKeyIdentifier::OID,
    AuthorityKeyIdentifier::OID,
];

/// Which certificate of a path failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertRole {
    /// The signing (leaf) certificate.
    Leaf,
    /// An intermediate of the trusted CA's chain: 1 issued the leaf, 2 issued 1, …
    Intermediate(usize),
    /// The trusted CA's root (last certificate of its chain).
    Root,
    /// A certificate of a bundle's chain after the leaf, by position (1 = the first).
    Bundle(usize),
}

impl CertRole {
    /// The role of certificate `i` of an `n`-certificate CA chain.
    pub(super) fn in_ca_chain(i: usize, n: usize) -> Self {
        if i + 1 == n {
            Self::Root
        } else {
            Self::Intermediate(i + 1)
        }
    }
}

impl fmt::Display for CertRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Leaf => f.write_str("leaf certificate"),
            Self::Intermediate(n) => write!(f, "intermediate certificate {n}"),
            Self::Root => f.write_str("root certificate"),
            Self::Bundle(n) => write!(f, "bundle certificate {n}"),
        }
    }
}

/// Which check a certificate failed, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertFailure {
    /// Not DER X.509.
    #[error("not a valid X.509 certificate: {0}")]
    Malformed(#[source] der::Error),
    /// The same extension twice (RFC 5280 §4.2).
    #[error("extension {oid} appears more than once")]
    DuplicateExtension {
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// An extension whose value does not decode.
    #[error("extension {oid} is malformed: {source}")]
    MalformedExtension {
        /// The extension.
        oid: ObjectIdentifier,
        /// The decoding error.
        #[source]
        source: der::Error,
    },
    /// A critical extension this verifier does not process (RFC 5280 §4.2).
    #[error("unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// The time is outside notBefore..=notAfter.
    #[error("not valid at {}: valid from {} to {}", unix(*at), unix(*not_before), unix(*not_after))]
    NotValidAt {
        /// The verification time.
        at: SystemTime,
        /// notBefore.
        not_before: SystemTime,
        /// notAfter.
        not_after: SystemTime,
    },
    /// The issuer name is not the subject of the next certificate in the path.
    #[error("issuer {issuer} is not the next certificate's subject {expected}")]
    IssuerNameMismatch {
        /// This certificate's issuer (RFC 4514).
        issuer: String,
        /// The next certificate's subject (RFC 4514).
        expected: String,
    },
    /// The outer signatureAlgorithm differs from the TBS `signature` (RFC 5280 §4.1.1.2).
    #[error("signatureAlgorithm differs from the TBSCertificate signature field")]
    SignatureAlgorithmMismatch,
    /// A signature algorithm / issuer key combination not accepted here (RSA-PSS, Ed25519,
    /// DSA, SHA-1, unknown curves, parameters where none belong).
    #[error("signature algorithm {algorithm} with issuer key {key} is not supported")]
    UnsupportedSignatureAlgorithm {
        /// The certificate's signature algorithm.
        algorithm: ObjectIdentifier,
        /// The issuer key's algorithm (its curve for EC keys).
        key: ObjectIdentifier,
    },
    /// The signature does not verify with the issuer's key.
    #[error("signature does not verify with the issuer's public key")]
    SignatureInvalid,
    /// A CA certificate without basicConstraints CA:TRUE.
    #[error("not a CA: basicConstraints missing or CA:FALSE")]
    NotCa,
    /// basicConstraints not critical on a CA (RFC 5280 §4.2.1.9, pyca webpki).
    #[error("basicConstraints is not marked critical")]
    BasicConstraintsNotCritical,
    /// No keyUsage extension.
    #[error("keyUsage extension missing")]
    KeyUsageMissing,
    /// A CA whose keyUsage lacks keyCertSign.
    #[error("keyUsage lacks keyCertSign")]
    KeyCertSignMissing,
    /// More intermediates below a CA than its pathLenConstraint allows.
    #[error(
        "pathLenConstraint {path_len} exceeded by {intermediates_below} intermediate(s) below"
    )]
    PathLengthExceeded {
        /// The constraint.
        path_len: u8,
        /// Non-self-issued intermediates between this CA and the leaf.
        intermediates_below: usize,
    },
    /// A CA whose extKeyUsage allows neither codeSigning nor anyExtendedKeyUsage (as Go's
    /// `x509.Verify` with `KeyUsages: [CodeSigning]`, used by sigstore-go).
    #[error("CA extKeyUsage does not allow code signing")]
    CaCodeSigningNotAllowed,
    /// A leaf whose keyUsage lacks digitalSignature.
    #[error("keyUsage lacks digitalSignature")]
    DigitalSignatureMissing,
    /// A leaf whose keyUsage asserts keyCertSign (PROTOCOL.md §3.1).
    #[error("keyUsage asserts keyCertSign on a leaf")]
    LeafKeyCertSign,
    /// A leaf without extKeyUsage.
    #[error("extKeyUsage extension missing")]
    ExtendedKeyUsageMissing,
    /// A leaf whose extKeyUsage lacks codeSigning.
    #[error("extKeyUsage lacks codeSigning")]
    CodeSigningMissing,
    /// A leaf with basicConstraints CA:TRUE.
    #[error("the leaf is a CA (basicConstraints CA:TRUE)")]
    LeafIsCa,
}

fn unix(t: SystemTime) -> String {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => format!("unix {}", d.as_secs()),
        Err(_) => "before 1970".to_owned(),
    }
}

/// An extension decoded by type: `None` if absent.
pub(crate) fn extension<'a, T: Decode<'a> + AssociatedOid>(
    cert: &'a Certificate,
) -> Result<Option<(bool, T)>, CertFailure> {
    cert.tbs_certificate
        .get::<T>()
        .map_err(|source| CertFailure::MalformedExtension {
            oid: T::OID,
            source,
        })
}

/// No extension twice, none critical unless understood.
pub(crate) fn check_extensions(cert: &Certificate) -> Result<(), CertFailure> {
    let extensions = cert
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default();
    for (i, e) in extensions.iter().enumerate() {
        if extensions[..i].iter().any(|d| d.extn_id == e.extn_id) {
            return Err(CertFailure::DuplicateExtension { oid: e.extn_id });
        }
        if e.critical && !KNOWN_CRITICAL.contains(&e.extn_id) {
            return Err(CertFailure::UnknownCriticalExtension { oid: e.extn_id });
        }
    }
    Ok(())
}

/// notBefore ≤ `at` ≤ notAfter (RFC 5280 §4.1.2.5: both inclusive).
pub(crate) fn check_validity(cert: &Certificate, at: SystemTime) -> Result<(), CertFailure> {
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_system_time();
    let not_after = validity.not_after.to_system_time();
    if at < not_before || at > not_after {
        return Err(CertFailure::NotValidAt {
            at,
            not_before,
            not_after,
        });
    }
    Ok(())
}

/// Subject name equal to issuer name (RFC 5280 §6.1: "self-issued").
pub(crate) fn is_self_issued(cert: &Certificate) -> bool {
    cert.tbs_certificate.subject == cert.tbs_certificate.issuer
}

/// `cert` (DER `cert_der`) names `issuer` as its issuer and carries its valid signature.
pub(crate) fn check_signed_by(
    cert: &Certificate,
    cert_der: &[u8],
    issuer: &Certificate,
) -> Result<(), CertFailure> {
    let tbs = &cert.tbs_certificate;
    if tbs.issuer != issuer.tbs_certificate.subject {
        return Err(CertFailure::IssuerNameMismatch {
            issuer: tbs.issuer.to_string(),
            expected: issuer.tbs_certificate.subject.to_string(),
        });
    }
    if cert.signature_algorithm != tbs.signature {
        return Err(CertFailure::SignatureAlgorithmMismatch);
    }
    let spki = &issuer.tbs_certificate.subject_public_key_info;
    let algorithm = verification_algorithm(cert, spki)?;
    let signature = cert
        .signature
        .as_bytes()
        .ok_or(CertFailure::SignatureInvalid)?;
    let tbs_der = raw_tbs(cert_der).map_err(CertFailure::Malformed)?;
    UnparsedPublicKey::new(algorithm, spki.subject_public_key.raw_bytes())
        .verify(&tbs_der, signature)
        .map_err(|_| CertFailure::SignatureInvalid)
}

/// The aws-lc algorithm for `cert`'s signature algorithm and the issuer key: ECDSA over
/// P-256/P-384/P-521 with SHA-256/384/512 (no parameters, RFC 5758 §3.2), or RSA PKCS#1
/// v1.5 with SHA-256/384/512 (NULL or absent parameters, RFC 4055 §5), 2048–8192 bits.
fn verification_algorithm(
    cert: &Certificate,
    spki: &x509_cert::spki::SubjectPublicKeyInfoOwned,
) -> Result<&'static dyn VerificationAlgorithm, CertFailure> {
    let sig_alg = &cert.signature_algorithm;
    let key_alg = spki.algorithm.oid;
    let curve: Option<ObjectIdentifier> = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as().ok());
    let unsupported = || CertFailure::UnsupportedSignatureAlgorithm {
        algorithm: sig_alg.oid,
        key: curve.unwrap_or(key_alg),
    };
    let null_or_absent = sig_alg.parameters.as_ref().is_none_or(|p| p.is_null());
    let algorithm: &'static dyn VerificationAlgorithm = match (sig_alg.oid, key_alg, curve) {
        (s, EC_PUBLIC_KEY, Some(c)) if sig_alg.parameters.is_none() => match (c, s) {
            (P256, ECDSA_SHA256) => &sig::ECDSA_P256_SHA256_ASN1,
            (P256, ECDSA_SHA384) => &sig::ECDSA_P256_SHA384_ASN1,
            (P256, ECDSA_SHA512) => &sig::ECDSA_P256_SHA512_ASN1,
            (P384, ECDSA_SHA256) => &sig::ECDSA_P384_SHA256_ASN1,
            (P384, ECDSA_SHA384) => &sig::ECDSA_P384_SHA384_ASN1,
            (P384, ECDSA_SHA512) => &sig::ECDSA_P384_SHA512_ASN1,
            (P521, ECDSA_SHA256) => &sig::ECDSA_P521_SHA256_ASN1,
            (P521, ECDSA_SHA384) => &sig::ECDSA_P521_SHA384_ASN1,
            (P521, ECDSA_SHA512) => &sig::ECDSA_P521_SHA512_ASN1,
            _ => return Err(unsupported()),
        },
        (RSA_SHA256, RSA_ENCRYPTION, _) if null_or_absent => &sig::RSA_PKCS1_2048_8192_SHA256,
        (RSA_SHA384, RSA_ENCRYPTION, _) if null_or_absent => &sig::RSA_PKCS1_2048_8192_SHA384,
        (RSA_SHA512, RSA_ENCRYPTION, _) if null_or_absent => &sig::RSA_PKCS1_2048_8192_SHA512,
        _ => return Err(unsupported()),
    };
    Ok(algorithm)
}

/// The TBSCertificate TLV exactly as it appears in `cert_der` (RFC 5280 §4.1.1.1: what the
/// signature covers), not a re-encoding.
fn raw_tbs(cert_der: &[u8]) -> Result<Vec<u8>, der::Error> {
    let mut reader = der::SliceReader::new(cert_der)?;
    let tbs = reader.sequence(|r| {
        let tbs = AnyRef::decode(r)?;
        // signatureAlgorithm and signatureValue, already decoded by x509-cert.
        r.read_slice(r.remaining_len())?;
        Ok(tbs)
    })?;
    reader.finish(tbs)?.to_der()
}

/// A CA certificate (PROTOCOL.md §3.2, RFC 5280 §4.2.1.3, §4.2.1.9, §6.1.4):
/// basicConstraints CA:TRUE and critical, pathLenConstraint honoured, keyUsage
/// keyCertSign, extKeyUsage (if present) allowing code signing.
pub(super) fn check_ca(cert: &Certificate, intermediates_below: usize) -> Result<(), CertFailure> {
    let Some((critical, bc)) = extension::<BasicConstraints>(cert)? else {
        return Err(CertFailure::NotCa);
    };
    if !bc.ca {
        return Err(CertFailure::NotCa);
    }
    if !critical {
        return Err(CertFailure::BasicConstraintsNotCritical);
    }
    if let Some(path_len) = bc.path_len_constraint {
        if intermediates_below > usize::from(path_len) {
            return Err(CertFailure::PathLengthExceeded {
                path_len,
                intermediates_below,
            });
        }
    }
    let Some((_, ku)) = extension::<KeyUsage>(cert)? else {
        return Err(CertFailure::KeyUsageMissing);
    };
    if !ku.0.contains(KeyUsages::KeyCertSign) {
        return Err(CertFailure::KeyCertSignMissing);
    }
    if let Some((_, eku)) = extension::<ExtendedKeyUsage>(cert)? {
        if !eku.0.iter().any(|p| *p == CODE_SIGNING || *p == ANY_EKU) {
            return Err(CertFailure::CaCodeSigningNotAllowed);
        }
    }
    Ok(())
}

/// The leaf profile (PROTOCOL.md §3.1, §8.1 step 3): extensions sound, not a CA, keyUsage
/// digitalSignature and not keyCertSign, extKeyUsage codeSigning.
pub(super) fn check_leaf(cert: &Certificate) -> Result<(), CertFailure> {
    check_extensions(cert)?;
    if extension::<BasicConstraints>(cert)?.is_some_and(|(_, bc)| bc.ca) {
        return Err(CertFailure::LeafIsCa);
    }
    let Some((_, ku)) = extension::<KeyUsage>(cert)? else {
        return Err(CertFailure::KeyUsageMissing);
    };
    if !ku.0.contains(KeyUsages::DigitalSignature) {
        return Err(CertFailure::DigitalSignatureMissing);
    }
    if ku.0.contains(KeyUsages::KeyCertSign) {
        return Err(CertFailure::LeafKeyCertSign);
    }
    let Some((_, eku)) = extension::<ExtendedKeyUsage>(cert)? else {
        return Err(CertFailure::ExtendedKeyUsageMissing);
    };
    if !eku.0.contains(&CODE_SIGNING) {
        return Err(CertFailure::CodeSigningMissing);
    }
    Ok(())
}
