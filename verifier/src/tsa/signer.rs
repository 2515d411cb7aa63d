//! Steps 7–8: the signer is the authority's TSA leaf, and its signature verifies.

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use cms::signed_data::SignerIdentifier;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectKeyIdentifier};
use x509_cert::Certificate;

use super::token::{IssuerSerial, Sha2, Token};
use super::TimestampError;
use crate::chain::checks::extension;

// RFC 5758 §3.2: ecdsa-with-SHA256/384/512; RFC 5480 §2.1.1: id-ecPublicKey and curves.
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
// RFC 8017 App. C: rsaEncryption and sha256/384/512WithRSAEncryption (PKCS#1 v1.5).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// Steps 7 and 8 for the authority whose TSA leaf is `leaf` (DER `leaf_der`).
pub(super) fn check(
    token: &Token,
    leaf: &Certificate,
    leaf_der: &[u8],
) -> Result<(), TimestampError> {
    check_sid(&token.signer.sid, leaf)?;
    for named in &token.named {
        let matches = named
            .first
            .as_ref()
            .is_some_and(|(hash, cert_hash, issuer_serial)| {
                hash.digest(leaf_der) == *cert_hash
                    && issuer_serial
                        .as_ref()
                        .is_none_or(|is| issuer_serial_names(is, leaf))
            });
        if !matches {
            return Err(TimestampError::SigningCertificateMismatch {
                attribute: named.attribute,
            });
        }
    }
    check_embedded(&token.embedded, leaf)?;
    check_signature(token, leaf)
}

/// RFC 5652 §5.3: `sid` names the signer by issuer and serial number, or by subject key
/// identifier (RFC 5280 §4.2.1.2).
fn check_sid(sid: &SignerIdentifier, leaf: &Certificate) -> Result<(), TimestampError> {
    let tbs = &leaf.tbs_certificate;
    let names_leaf = match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == tbs.issuer && ias.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(extension::<SubjectKeyIdentifier>(leaf), Ok(Some((_, own))) if own == *ski)
        }
    };
    if names_leaf {
        Ok(())
    } else {
        Err(TimestampError::SignerIdentifierMismatch)
    }
}

/// An ESSCertID's `issuerSerial` (RFC 5035 §4): a directory name equal to the leaf's
/// issuer, and its serial number.
fn issuer_serial_names(is: &IssuerSerial, leaf: &Certificate) -> bool {
    let tbs = &leaf.tbs_certificate;
    is.serial_number == tbs.serial_number
        && is
            .issuer
            .iter()
            .any(|n| matches!(n, GeneralName::DirectoryName(name) if *name == tbs.issuer))
}

/// Embedded certificates, if any, must carry the trusted leaf as their first non-CA
/// certificate (sigstore timestamp-authority `verifyLeafCert`). They are never trusted.
fn check_embedded(embedded: &[Certificate], leaf: &Certificate) -> Result<(), TimestampError> {
    if embedded.is_empty() {
        return Ok(());
    }
    let is_ca =
        |c: &Certificate| matches!(extension::<BasicConstraints>(c), Ok(Some((_, bc))) if bc.ca);
    match embedded.iter().find(|c| !is_ca(c)) {
        Some(first_leaf) if first_leaf == leaf => Ok(()),
        _ => Err(TimestampError::EmbeddedCertificateMismatch),
    }
}

/// RFC 5652 §5.4: the signature is over the DER `SET OF` signed attributes.
fn check_signature(token: &Token, leaf: &Certificate) -> Result<(), TimestampError> {
    let spki = &leaf.tbs_certificate.subject_public_key_info;
    let algorithm = verification_algorithm(token, spki)?;
    UnparsedPublicKey::new(algorithm, spki.subject_public_key.raw_bytes())
        .verify(&token.signed_attrs_der, token.signer.signature.as_bytes())
        .map_err(|_| TimestampError::SignatureInvalid)
}

/// The aws-lc algorithm for the SignerInfo's signatureAlgorithm and the TSA key. The hash
/// is the signature algorithm's (ecdsa-with-SHA*, sha*WithRSAEncryption); a bare
/// id-ecPublicKey or rsaEncryption (RFC 5753 §2.1.1 and RFC 3370 §3.2 allow them) takes the
/// SignerInfo's digestAlgorithm.
fn verification_algorithm(
    token: &Token,
    spki: &x509_cert::spki::SubjectPublicKeyInfoOwned,
) -> Result<&'static dyn VerificationAlgorithm, TimestampError> {
    let sig_alg = &token.signer.signature_algorithm;
    let key_alg = spki.algorithm.oid;
    let curve: Option<ObjectIdentifier> = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as().ok());
    let unsupported = TimestampError::UnsupportedSignatureAlgorithm {
        algorithm: sig_alg.oid,
        key: curve.unwrap_or(key_alg),
    };
    let params_null_or_absent = sig_alg.parameters.as_ref().is_none_or(|p| p.is_null());
    let hash = match sig_alg.oid {
        ECDSA_SHA256 | RSA_SHA256 => Sha2::Sha256,
        ECDSA_SHA384 | RSA_SHA384 => Sha2::Sha384,
        ECDSA_SHA512 | RSA_SHA512 => Sha2::Sha512,
        EC_PUBLIC_KEY | RSA_ENCRYPTION => token.digest,
        _ => return Err(unsupported),
    };
    let is_ecdsa = matches!(
        sig_alg.oid,
        ECDSA_SHA256 | ECDSA_SHA384 | ECDSA_SHA512 | EC_PUBLIC_KEY
    );
    let algorithm: &'static dyn VerificationAlgorithm = match (is_ecdsa, key_alg, curve, hash) {
        // ecdsa-with-SHA* has absent parameters (RFC 5758 §3.2); a bare id-ecPublicKey
        // may repeat the curve.
        (true, EC_PUBLIC_KEY, Some(c), h)
            if sig_alg.parameters.is_none() || sig_alg.oid == EC_PUBLIC_KEY =>
        {
            match (c, h) {
                (P256, Sha2::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
                (P256, Sha2::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
                (P256, Sha2::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
                (P384, Sha2::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
                (P384, Sha2::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
                (P384, Sha2::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
                (P521, Sha2::Sha256) => &sig::ECDSA_P521_SHA256_ASN1,
                (P521, Sha2::Sha384) => &sig::ECDSA_P521_SHA384_ASN1,
                (P521, Sha2::Sha512) => &sig::ECDSA_P521_SHA512_ASN1,
                _ => return Err(unsupported),
            }
        }
        (false, RSA_ENCRYPTION, _, Sha2::Sha256) if params_null_or_absent => {
            &sig::RSA_PKCS1_2048_8192_SHA256
        }
        (false, RSA_ENCRYPTION, _, Sha2::Sha384) if params_null_or_absent => {
            &sig::RSA_PKCS1_2048_8192_SHA384
        }
        (false, RSA_ENCRYPTION, _, Sha2::Sha512) if params_null_or_absent => {
            &sig::RSA_PKCS1_2048_8192_SHA512
        }
        _ => return Err(unsupported),
    };
    Ok(algorithm)
}
