//! X.509 certificate chains and SubjectPublicKeyInfo keys (RFC 5280).

use std::net::{Ipv4Addr, Ipv6Addr};

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::der::asn1::{Any, BitString, UintRef};
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};
use x509_cert::Certificate;

use super::{HashAlgorithm, KeyType, PkiError, RSA_MAX_BITS, RSA_MIN_BITS};

// RFC 5480 §2.1.1 / §2.1.1.1: id-ecPublicKey and the named curves.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
// RFC 8017 Appendix A.1: rsaEncryption.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
// RFC 8410 §3: id-Ed25519.
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
// RFC 5758 §3.2: ecdsa-with-SHA256/384/512.
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
// RFC 8017 Appendix A.2.4: sha{256,384,512}WithRSAEncryption.
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
// Fulcio certificate profile (PROTOCOL.md §3.3): username otherName SAN.
const FULCIO_USERNAME_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// A NIST curve supported for ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// The hash conventionally paired with the curve.
    pub(crate) fn hash(self) -> HashAlgorithm {
        match self {
            Self::P256 => HashAlgorithm::Sha256,
            Self::P384 => HashAlgorithm::Sha384,
            Self::P521 => HashAlgorithm::Sha512,
        }
    }

    fn key_type(self) -> KeyType {
        match self {
            Self::P256 => KeyType::EcdsaP256,
            Self::P384 => KeyType::EcdsaP384,
            Self::P521 => KeyType::EcdsaP521,
        }
    }

    /// Length of an uncompressed SEC 1 point (0x04 || X || Y).
    fn point_len(self) -> usize {
        match self {
            Self::P256 => 65,
            Self::P384 => 97,
            Self::P521 => 133,
        }
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            Self::P256 => SECP256R1,
            Self::P384 => SECP384R1,
            Self::P521 => SECP521R1,
        }
    }
}

/// A validated public key in the form aws-lc-rs verifies with.
#[derive(Clone, Debug)]
pub(crate) enum KeyMaterial {
    /// Uncompressed SEC 1 point.
    Ecdsa { curve: Curve, point: Vec<u8> },
    /// PKCS#1 RSAPublicKey DER.
    Rsa { bits: usize, pkcs1: Vec<u8> },
    /// 32-byte public key.
    Ed25519 { key: Vec<u8> },
}

impl KeyMaterial {
    pub(crate) fn key_type(&self) -> KeyType {
        match self {
            Self::Ecdsa { curve, .. } => curve.key_type(),
            Self::Rsa { bits, .. } => KeyType::Rsa { bits: *bits },
            Self::Ed25519 { .. } => KeyType::Ed25519,
        }
    }

    pub(crate) fn raw(&self) -> &[u8] {
        match self {
            Self::Ecdsa { point, .. } => point,
            Self::Rsa { pkcs1, .. } => pkcs1,
            Self::Ed25519 { key } => key,
        }
    }
}

/// Parses a DER SubjectPublicKeyInfo and returns the key plus its canonical DER, as Go's
/// `x509.MarshalPKIXPublicKey(x509.ParsePKIXPublicKey(der))` would produce it.
pub(crate) fn parse_spki_der(der: &[u8]) -> Result<(KeyMaterial, Vec<u8>), PkiError> {
    let spki = SubjectPublicKeyInfoOwned::from_der(der)
        .map_err(|source| PkiError::MalformedPublicKey { source })?;
    let key = parse_spki(&spki)?;
    let canonical =
        canonical_spki(&key).map_err(|source| PkiError::MalformedPublicKey { source })?;
    Ok((key, canonical))
}

/// Validates a SubjectPublicKeyInfo (RFC 5480 for EC, RFC 8017 for RSA, RFC 8410 for
/// Ed25519) with the same parameter rules as Go's `x509.ParsePKIXPublicKey`.
fn parse_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyMaterial, PkiError> {
    let oid = spki.algorithm.oid;
    let params = spki.algorithm.parameters.as_ref();
    let bits = spki.subject_public_key.as_bytes();
    let key = if oid == EC_PUBLIC_KEY {
        // RFC 5480 §2.1.1: namedCurve parameters (implicit/specified curves are not allowed).
        let curve_oid: ObjectIdentifier = params
            .and_then(|p| p.decode_as().ok())
            .ok_or(PkiError::InvalidKeyParameters { oid })?;
        let curve = match curve_oid {
            c if c == SECP256R1 => Curve::P256,
            c if c == SECP384R1 => Curve::P384,
            c if c == SECP521R1 => Curve::P521,
            other => return Err(PkiError::UnsupportedCurve { oid: other }),
        };
        // Only uncompressed points, as Go's `elliptic.Unmarshal` (SEC 1 §2.3.3).
        let point = bits
            .filter(|p| p.len() == curve.point_len() && p.first() == Some(&0x04))
            .ok_or(PkiError::InvalidKey {
                key_type: curve.key_type(),
            })?;
        KeyMaterial::Ecdsa {
            curve,
            point: point.to_vec(),
        }
    } else if oid == RSA_ENCRYPTION {
        // RFC 8017 Appendix A.1: parameters MUST be NULL (Go rejects their absence).
        if params != Some(&Any::null()) {
            return Err(PkiError::InvalidKeyParameters { oid });
        }
        let pkcs1 = bits.unwrap_or_default();
        let bits =
            rsa_modulus_bits(pkcs1).map_err(|source| PkiError::MalformedPublicKey { source })?;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(PkiError::RsaKeySize { bits });
        }
        KeyMaterial::Rsa {
            bits,
            pkcs1: pkcs1.to_vec(),
        }
    } else if oid == ED25519 {
        // RFC 8410 §3: parameters MUST be absent.
        if params.is_some() {
            return Err(PkiError::InvalidKeyParameters { oid });
        }
        let key = bits.filter(|k| k.len() == 32).ok_or(PkiError::InvalidKey {
            key_type: KeyType::Ed25519,
        })?;
        KeyMaterial::Ed25519 { key: key.to_vec() }
    } else {
        return Err(PkiError::UnsupportedKeyAlgorithm { oid });
    };
    // Let aws-lc validate the key itself (point on curve, RSA structure).
    let probe: &'static dyn VerificationAlgorithm = match &key {
        KeyMaterial::Ecdsa { curve, .. } => ecdsa_probe(*curve),
        KeyMaterial::Rsa { .. } => &sig::RSA_PKCS1_2048_8192_SHA256,
        KeyMaterial::Ed25519 { .. } => &sig::ED25519,
    };
    UnparsedPublicKey::new(probe, key.raw())
        .parse()
        .map_err(|_| PkiError::InvalidKey {
            key_type: key.key_type(),
        })?;
    Ok(key)
}

fn ecdsa_probe(curve: Curve) -> &'static dyn VerificationAlgorithm {
    match curve {
        Curve::P256 => &sig::ECDSA_P256_SHA256_ASN1,
        Curve::P384 => &sig::ECDSA_P384_SHA384_ASN1,
        Curve::P521 => &sig::ECDSA_P521_SHA512_ASN1,
    }
}

/// Bit length of the modulus of a PKCS#1 RSAPublicKey (RFC 8017 Appendix A.1.1).
fn rsa_modulus_bits(pkcs1: &[u8]) -> Result<usize, x509_cert::der::Error> {
    let mut reader = SliceReader::new(pkcs1)?;
    let modulus = reader.sequence(|r| {
        let n = UintRef::decode(r)?;
        let _e = UintRef::decode(r)?;
        Ok(n.as_bytes().to_vec())
    })?;
    reader.finish(())?;
    // `UintRef` strips the sign byte, so the first byte is the most significant non-zero one.
    Ok(match modulus.first() {
        Some(first) => modulus.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    })
}

/// Go `x509.MarshalPKIXPublicKey` of a parsed key.
fn canonical_spki(key: &KeyMaterial) -> Result<Vec<u8>, x509_cert::der::Error> {
    let (oid, parameters) = match key {
        KeyMaterial::Ecdsa { curve, .. } => (EC_PUBLIC_KEY, Some(Any::encode_from(&curve.oid())?)),
        KeyMaterial::Rsa { .. } => (RSA_ENCRYPTION, Some(Any::null())),
        KeyMaterial::Ed25519 { .. } => (ED25519, None),
    };
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned { oid, parameters },
        subject_public_key: BitString::from_bytes(key.raw())?,
    }
    .to_der()
}

/// What a verified chain yields.
pub(crate) struct VerifiedChain {
    pub(crate) leaf_key: KeyMaterial,
    pub(crate) leaf_subjects: Vec<String>,
}

/// Parses certificates (leaf first) and verifies that each is issued and signed by the
/// next (RFC 5280 §6.1 path validation reduced to names, CA flag and signatures; no
/// validity-period checks). The last certificate is trusted as given.
pub(crate) fn parse_and_verify_chain(ders: &[&[u8]]) -> Result<VerifiedChain, PkiError> {
    let certs = ders
        .iter()
        .enumerate()
        .map(|(index, der)| {
            Certificate::from_der(der)
                .map_err(|source| PkiError::MalformedCertificate { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let keys = certs
        .iter()
        .map(|c| parse_spki(&c.tbs_certificate.subject_public_key_info))
        .collect::<Result<Vec<_>, _>>()?;
    for index in 0..certs.len().saturating_sub(1) {
        verify_issued_by(index, &certs, ders, &keys)?;
    }
    let (Some(leaf), Some(leaf_key)) = (certs.first(), keys.into_iter().next()) else {
        return Err(PkiError::NotPem);
    };
    Ok(VerifiedChain {
        leaf_key,
        leaf_subjects: subject_alt_names(leaf),
    })
}

/// Checks that `certs[index]` was issued by `certs[index + 1]`.
fn verify_issued_by(
    index: usize,
    certs: &[Certificate],
    ders: &[&[u8]],
    keys: &[KeyMaterial],
) -> Result<(), PkiError> {
    let (Some(child), Some(issuer), Some(child_der), Some(issuer_key)) = (
        certs.get(index),
        certs.get(index + 1),
        ders.get(index),
        keys.get(index + 1),
    ) else {
        return Err(PkiError::ChainSignature { index });
    };
    let malformed = |source| PkiError::MalformedCertificate { index, source };
    let issuer_name = child.tbs_certificate.issuer.to_der().map_err(malformed)?;
    let subject_name = issuer.tbs_certificate.subject.to_der().map_err(malformed)?;
    if issuer_name != subject_name {
        return Err(PkiError::ChainIssuerMismatch { index });
    }
    // RFC 5280 §4.2.1.9: only a CA (basicConstraints cA = TRUE) may sign certificates.
    // Like Go's `x509.Verify` (used by Rekor), this is required of intermediates; the
    // last certificate is the trust anchor and is taken as given.
    let is_anchor = index + 2 == certs.len();
    let is_ca = is_anchor
        || issuer
            .tbs_certificate
            .get::<BasicConstraints>()
            .ok()
            .flatten()
            .is_some_and(|(_, bc)| bc.ca);
    if !is_ca {
        return Err(PkiError::ChainNotCa { index: index + 1 });
    }
    let oid = child.signature_algorithm.oid;
    let algorithm = certificate_signature_algorithm(oid, issuer_key)
        .ok_or(PkiError::UnsupportedCertificateSignature { index, oid })?;
    let tbs = tbs_bytes(child_der).map_err(malformed)?;
    let signature = child
        .signature
        .as_bytes()
        .ok_or(PkiError::ChainSignature { index })?;
    UnparsedPublicKey::new(algorithm, issuer_key.raw())
        .verify(tbs, signature)
        .map_err(|_| PkiError::ChainSignature { index })
}

/// The verification algorithm for a certificate signature OID under the issuer's key.
fn certificate_signature_algorithm(
    oid: ObjectIdentifier,
    issuer_key: &KeyMaterial,
) -> Option<&'static dyn VerificationAlgorithm> {
    let hash = match oid {
        o if o == ECDSA_SHA256 || o == RSA_SHA256 => HashAlgorithm::Sha256,
        o if o == ECDSA_SHA384 || o == RSA_SHA384 => HashAlgorithm::Sha384,
        o if o == ECDSA_SHA512 || o == RSA_SHA512 => HashAlgorithm::Sha512,
        o if o == ED25519 => {
            return matches!(issuer_key, KeyMaterial::Ed25519 { .. }).then_some(&sig::ED25519)
        }
        _ => return None,
    };
    let is_ecdsa = oid == ECDSA_SHA256 || oid == ECDSA_SHA384 || oid == ECDSA_SHA512;
    match issuer_key {
        KeyMaterial::Ecdsa { curve, .. } if is_ecdsa => Some(super::ecdsa_algorithm(*curve, hash)),
        KeyMaterial::Rsa { .. } if !is_ecdsa => Some(match hash {
            HashAlgorithm::Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            HashAlgorithm::Sha384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            HashAlgorithm::Sha512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        }),
        _ => None,
    }
}

/// The exact DER bytes of the `tbsCertificate` (RFC 5280 §4.1.1.1), as signed.
fn tbs_bytes(cert_der: &[u8]) -> Result<&[u8], x509_cert::der::Error> {
    let mut reader = SliceReader::new(cert_der)?;
    reader.sequence(|r| {
        let tbs = r.tlv_bytes()?;
        let _signature_algorithm = r.tlv_bytes()?;
        let _signature = r.tlv_bytes()?;
        Ok(tbs)
    })
}

/// Rekor's `PublicKey.Subjects()` for certificates (sigstore
/// `cryptoutils.GetSubjectAlternateNames`): DNS names, emails, IPs, URIs, then the Fulcio
/// username otherName if it is the only otherName.
fn subject_alt_names(cert: &Certificate) -> Vec<String> {
    let Some((_, SubjectAltName(names))) =
        cert.tbs_certificate.get::<SubjectAltName>().ok().flatten()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in &names {
        if let GeneralName::DnsName(s) = name {
            out.push(s.as_str().to_owned());
        }
    }
    for name in &names {
        if let GeneralName::Rfc822Name(s) = name {
            out.push(s.as_str().to_owned());
        }
    }
    for name in &names {
        if let GeneralName::IpAddress(ip) = name {
            if let Some(text) = ip_to_string(ip.as_bytes()) {
                out.push(text);
            }
        }
    }
    for name in &names {
        if let GeneralName::UniformResourceIdentifier(s) = name {
            out.push(s.as_str().to_owned());
        }
    }
    let other_names: Vec<_> = names
        .iter()
        .filter_map(|n| match n {
            GeneralName::OtherName(o) => Some(o),
            _ => None,
        })
        .collect();
    if let [only] = other_names.as_slice() {
        if only.type_id == FULCIO_USERNAME_SAN {
            if let Ok(value) = only.value.decode_as::<String>() {
                out.push(value);
            }
        }
    }
    out
}

/// Go `net.IP.String()`: dotted IPv4 (also for IPv4-mapped IPv6), RFC 5952 IPv6.
fn ip_to_string(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(Ipv4Addr::from(v4).to_string());
    }
    let v6 = Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?);
    Some(match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    })
}
