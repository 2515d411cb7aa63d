//! The key material of a signing request (PROTOCOL.md §2.1, §2.2): a PKCS#10 CSR whose
//! self-signature proves possession, or a PEM public key plus a signature over the
//! challenge (the identity's `email` or `sub`).
//!
//! Checks, in order (each failure names the check, see [`RequestError`]):
//! 1. input size caps ([`MAX_CSR_LEN`], [`MAX_PUBLIC_KEY_LEN`], [`MAX_SIGNATURE_LEN`],
//!    [`MAX_CHALLENGE_LEN`]);
//! 2. encoding: PEM (then DER for a public key, as Fulcio's
//!    `cryptoutils.UnmarshalPEMToPublicKey` then `x509.ParsePKIXPublicKey`), strict DER;
//! 3. key strength, Fulcio's `goodkey` (§2.2): EC only on P-256/P-384/P-521; RSA 2048–4096
//!    bits with e = 65537; Ed25519; anything else is "unsupported key". Strength is checked
//!    before any signature so a huge or odd key costs nothing;
//! 4. the signature: the CSR's self-signature with the (key, hash) pairs of Fulcio's
//!    default algorithm registry (ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512,
//!    RSA PKCS#1 v1.5/SHA-256, pure Ed25519), or the proof of possession over the UTF-8
//!    challenge with the key's default algorithm.

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_cert::der::asn1::{AnyRef, BitStringRef, UintRef};
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};

use crate::pem::{self, PemError};

/// Largest accepted CSR, PEM or DER, in bytes (an RSA-4096 CSR in PEM is about 1.7 KiB).
pub const MAX_CSR_LEN: usize = 16 * 1024;
/// Largest accepted public key content, PEM or DER, in bytes.
pub const MAX_PUBLIC_KEY_LEN: usize = 16 * 1024;
/// Largest accepted proof-of-possession signature in bytes (RSA-4096: 512).
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// Largest accepted challenge (an email address or a `sub` claim) in bytes.
pub const MAX_CHALLENGE_LEN: usize = 4096;
/// Smallest RSA modulus accepted, in bits (Fulcio `goodkey`).
pub const RSA_MIN_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (Fulcio `goodkey`).
pub const RSA_MAX_BITS: usize = 4096;

/// RFC 7468 §7 label of a PKCS#10 request.
const CSR_LABEL: &str = "CERTIFICATE REQUEST";
/// RFC 7468 §13 label of a SubjectPublicKeyInfo.
const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

// RFC 5480 §2.1.1 / §2.1.1.1: id-ecPublicKey and the named curves.
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
// RFC 8017 Appendix A.1: rsaEncryption.
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
// RFC 8410 §3: id-Ed25519 (key and signature algorithm).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
// RFC 5758 §3.2: ecdsa-with-SHA256/384/512.
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
// RFC 8017 Appendix A.2.4: sha256WithRSAEncryption.
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// The RSA public exponent Fulcio's `goodkey` requires (F4).
const RSA_EXPONENT: [u8; 3] = [0x01, 0x00, 0x01];

/// The type of a requested public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// ECDSA on NIST P-521.
    EcdsaP521,
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// Ed25519.
    Ed25519,
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EcdsaP256 => f.write_str("ECDSA P-256"),
            Self::EcdsaP384 => f.write_str("ECDSA P-384"),
            Self::EcdsaP521 => f.write_str("ECDSA P-521"),
            Self::Rsa { bits } => write!(f, "RSA {bits} bits"),
            Self::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

/// The broad class of a [`RequestError`], for mapping to Fulcio's client-visible messages
/// (PROTOCOL.md §2.5); all are HTTP 400.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestErrorClass {
    /// "The public key supplied in the request could not be parsed".
    UnparsablePublicKey,
    /// "The public key supplied in the request is insecure".
    InsecureKey,
    /// "The certificate signing request could not be parsed".
    UnparsableCsr,
    /// "The signature supplied in the request could not be verified".
    SignatureNotVerified,
    /// An input over its size cap.
    TooLarge,
}

/// Why the key material of a request was rejected. The `Display` texts are meant for the
/// client: they say which check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// An input is larger than its cap.
    #[error("{what} is too large: {len} bytes (at most {max})")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The CSR is neither a PEM `CERTIFICATE REQUEST` nor DER.
    #[error("bad PEM in certificate signing request: {0}")]
    CsrPem(#[source] PemError),
    /// The public key looks like PEM but is not a valid `PUBLIC KEY` block.
    #[error("bad PEM in public key: {0}")]
    PublicKeyPem(#[source] PemError),
    /// The CSR is not a valid PKCS#10 `CertificationRequest` (RFC 2986 §4).
    #[error("certificate signing request is not valid PKCS#10 DER: {0}")]
    MalformedCsr(#[source] x509_cert::der::Error),
    /// The CSR's version is not v1 (0).
    #[error("certificate signing request has unsupported version {version}")]
    CsrVersion {
        /// The version number found.
        version: u8,
    },
    /// The key is not a valid DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
    #[error("public key is not a valid DER SubjectPublicKeyInfo: {0}")]
    MalformedPublicKey(#[source] x509_cert::der::Error),
    /// A key algorithm other than EC, RSA or Ed25519.
    #[error("unsupported key: algorithm {oid} (EC, RSA or Ed25519 required)")]
    UnsupportedKeyAlgorithm {
        /// The SPKI algorithm OID.
        oid: ObjectIdentifier,
    },
    /// An EC key on a curve other than P-256, P-384 or P-521.
    #[error("unsupported key: elliptic curve {oid} (P-256, P-384 or P-521 required)")]
    UnsupportedCurve {
        /// The named-curve OID.
        oid: ObjectIdentifier,
    },
    /// Algorithm parameters that RFC 5480 / RFC 8017 / RFC 8410 do not allow.
    #[error("unsupported key: invalid parameters for key algorithm {oid}")]
    InvalidKeyParameters {
        /// The SPKI algorithm OID.
        oid: ObjectIdentifier,
    },
    /// Key bytes that do not form a valid key of their declared type.
    #[error("invalid {key_type} public key")]
    InvalidKey {
        /// The declared key type.
        key_type: KeyType,
    },
    /// RSA modulus outside [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`].
    #[error("key too weak: RSA {bits} bits (2048 to 4096 required)")]
    RsaKeySize {
        /// Modulus size in bits.
        bits: usize,
    },
    /// RSA public exponent other than 65537.
    #[error("key too weak: RSA public exponent is not 65537")]
    RsaExponent,
    /// The CSR's signature algorithm is not one Fulcio permits for its key.
    #[error("certificate signing request signature algorithm {oid} is not permitted for {key_type} keys")]
    CsrSignatureAlgorithm {
        /// The CSR's signature algorithm OID.
        oid: ObjectIdentifier,
        /// The CSR's key type.
        key_type: KeyType,
    },
    /// The CSR's self-signature does not verify with its own key.
    #[error("certificate signing request signature is invalid")]
    CsrSignatureInvalid,
    /// The challenge is not valid UTF-8 or is empty.
    #[error("proof of possession challenge is empty")]
    EmptyChallenge,
    /// The proof of possession does not verify over the challenge with the key.
    #[error("proof of possession is invalid: the signature over the challenge does not verify with the {key_type} key")]
    ProofOfPossessionInvalid {
        /// The key's type.
        key_type: KeyType,
    },
}

impl RequestError {
    /// The broad class of this error (which Fulcio message it corresponds to).
    #[must_use]
    pub fn class(&self) -> RequestErrorClass {
        match self {
            Self::TooLarge { .. } => RequestErrorClass::TooLarge,
            Self::CsrPem(_) | Self::MalformedCsr(_) | Self::CsrVersion { .. } => {
                RequestErrorClass::UnparsableCsr
            }
            Self::PublicKeyPem(_)
            | Self::MalformedPublicKey(_)
            | Self::InvalidKeyParameters { .. }
            | Self::InvalidKey { .. } => RequestErrorClass::UnparsablePublicKey,
            Self::UnsupportedKeyAlgorithm { .. }
            | Self::UnsupportedCurve { .. }
            | Self::RsaKeySize { .. }
            | Self::RsaExponent
            | Self::CsrSignatureAlgorithm { .. } => RequestErrorClass::InsecureKey,
            Self::CsrSignatureInvalid
            | Self::EmptyChallenge
            | Self::ProofOfPossessionInvalid { .. } => RequestErrorClass::SignatureNotVerified,
        }
    }
}

/// A public key that passed the strength checks of this module (and, when it came from
/// [`parse_csr`] or [`verify_proof_of_possession`], whose possession was proven).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedPublicKey {
    key_type: KeyType,
    spki_der: Vec<u8>,
    /// The subjectPublicKey BIT STRING contents, the form aws-lc-rs verifies with.
    raw: Vec<u8>,
}

impl CheckedPublicKey {
    /// Parses a DER SubjectPublicKeyInfo and checks its strength. This proves nothing
    /// about possession: request handling uses [`parse_csr`] or
    /// [`verify_proof_of_possession`].
    ///
    /// # Errors
    /// [`RequestError`] naming the failed parse or strength check.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, RequestError> {
        if der.len() > MAX_PUBLIC_KEY_LEN {
            return Err(RequestError::TooLarge {
                what: "public key",
                len: der.len(),
                max: MAX_PUBLIC_KEY_LEN,
            });
        }
        let spki =
            SubjectPublicKeyInfoOwned::from_der(der).map_err(RequestError::MalformedPublicKey)?;
        check_spki(&spki)
    }

    /// The key type.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The DER SubjectPublicKeyInfo (as it goes into the certificate).
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The subjectPublicKey BIT STRING contents (EC point, PKCS#1 RSAPublicKey, or the
    /// 32 Ed25519 bytes).
    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }

    fn verify(
        &self,
        alg: &'static dyn VerificationAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        UnparsedPublicKey::new(alg, &self.raw)
            .verify(message, signature)
            .is_ok()
    }
}

/// Parses a PKCS#10 CSR (PEM `CERTIFICATE REQUEST`, or DER), checks its key and verifies
/// its self-signature. Only the public key is used: subject, attributes and extensions are
/// ignored, as Fulcio does (PROTOCOL.md §2.1).
///
/// # Errors
/// [`RequestError`] naming the failed check.
pub fn parse_csr(csr: &[u8]) -> Result<CheckedPublicKey, RequestError> {
    cap("certificate signing request", csr, MAX_CSR_LEN)?;
    let der = if pem::looks_like_pem(csr) {
        pem::decode_one(csr, CSR_LABEL).map_err(RequestError::CsrPem)?
    } else {
        csr.to_vec()
    };
    // RFC 2986 §4.2: CertificationRequest ::= SEQUENCE { certificationRequestInfo,
    // signatureAlgorithm, signature BIT STRING }. The info is kept as its raw TLV: the
    // signature covers exactly those bytes, and its subject/attributes need not be parsed.
    let (info, algorithm, signature) = decode_csr(&der).map_err(RequestError::MalformedCsr)?;
    let (version, spki) = decode_csr_info(info.value()).map_err(RequestError::MalformedCsr)?;
    if version != 0 {
        return Err(RequestError::CsrVersion { version });
    }
    let key = check_spki(&spki)?;
    let verification = csr_algorithm(&key, &algorithm)?;
    let info_der = info.to_der().map_err(RequestError::MalformedCsr)?;
    let signature = signature
        .as_bytes()
        .ok_or(RequestError::CsrSignatureInvalid)?;
    if !key.verify(verification, &info_der, signature) {
        return Err(RequestError::CsrSignatureInvalid);
    }
    Ok(key)
}

/// Checks the public-key variant of a request (PROTOCOL.md §2.2): `public_key_content` is
/// a PEM `PUBLIC KEY` (else its raw bytes are taken as a DER SubjectPublicKeyInfo), and
/// `signature` must verify over the UTF-8 bytes of `challenge` with the key's default
/// algorithm: ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 (DER signatures), RSA
/// PKCS#1 v1.5/SHA-256, or pure Ed25519.
///
/// # Errors
/// [`RequestError`] naming the failed check.
pub fn verify_proof_of_possession(
    public_key_content: &[u8],
    challenge: &str,
    signature: &[u8],
) -> Result<CheckedPublicKey, RequestError> {
    cap("public key", public_key_content, MAX_PUBLIC_KEY_LEN)?;
    cap("proof of possession", signature, MAX_SIGNATURE_LEN)?;
    cap("challenge", challenge.as_bytes(), MAX_CHALLENGE_LEN)?;
    if challenge.is_empty() {
        return Err(RequestError::EmptyChallenge);
    }
    let key = if pem::looks_like_pem(public_key_content) {
        let der = pem::decode_one(public_key_content, PUBLIC_KEY_LABEL)
            .map_err(RequestError::PublicKeyPem)?;
        CheckedPublicKey::from_spki_der(&der)?
    } else {
        CheckedPublicKey::from_spki_der(public_key_content)?
    };
    let alg: &'static dyn VerificationAlgorithm = match key.key_type {
        KeyType::EcdsaP256 => &sig::ECDSA_P256_SHA256_ASN1,
        KeyType::EcdsaP384 => &sig::ECDSA_P384_SHA384_ASN1,
        KeyType::EcdsaP521 => &sig::ECDSA_P521_SHA512_ASN1,
        KeyType::Rsa { .. } => &sig::RSA_PKCS1_2048_8192_SHA256,
        KeyType::Ed25519 => &sig::ED25519,
    };
    if !key.verify(alg, challenge.as_bytes(), signature) {
        return Err(RequestError::ProofOfPossessionInvalid {
            key_type: key.key_type,
        });
    }
    Ok(key)
}

fn cap(what: &'static str, input: &[u8], max: usize) -> Result<(), RequestError> {
    if input.len() > max {
        return Err(RequestError::TooLarge {
            what,
            len: input.len(),
            max,
        });
    }
    Ok(())
}

type RawCsr<'a> = (AnyRef<'a>, AlgorithmIdentifierOwned, BitStringRef<'a>);

fn decode_csr(der: &[u8]) -> Result<RawCsr<'_>, x509_cert::der::Error> {
    let mut reader = SliceReader::new(der)?;
    let csr = reader.sequence(|r| {
        let info = AnyRef::decode(r)?;
        let algorithm = AlgorithmIdentifierOwned::decode(r)?;
        let signature = BitStringRef::decode(r)?;
        Ok((info, algorithm, signature))
    })?;
    reader.finish(csr)
}

/// RFC 2986 §4.1: CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) },
/// subject Name, subjectPKInfo, attributes [0] Attributes }.
fn decode_csr_info(value: &[u8]) -> Result<(u8, SubjectPublicKeyInfoOwned), x509_cert::der::Error> {
    let mut reader = SliceReader::new(value)?;
    let version = u8::decode(&mut reader)?;
    let _subject = AnyRef::decode(&mut reader)?;
    let spki = SubjectPublicKeyInfoOwned::decode(&mut reader)?;
    let _attributes = AnyRef::decode(&mut reader)?;
    reader.finish((version, spki))
}

/// Fulcio's default algorithm registry for the CSR variant (PROTOCOL.md §2.2): the CSR's
/// signature algorithm must be the one registered for its key type.
fn csr_algorithm(
    key: &CheckedPublicKey,
    algorithm: &AlgorithmIdentifierOwned,
) -> Result<&'static dyn VerificationAlgorithm, RequestError> {
    let oid = algorithm.oid;
    let params = algorithm.parameters.as_ref();
    let not_permitted = RequestError::CsrSignatureAlgorithm {
        oid,
        key_type: key.key_type,
    };
    let alg: &'static dyn VerificationAlgorithm = match key.key_type {
        // RFC 5758 §3.2: ECDSA signature algorithm parameters MUST be absent.
        KeyType::EcdsaP256 if oid == ECDSA_SHA256 && params.is_none() => {
            &sig::ECDSA_P256_SHA256_ASN1
        }
        KeyType::EcdsaP384 if oid == ECDSA_SHA384 && params.is_none() => {
            &sig::ECDSA_P384_SHA384_ASN1
        }
        KeyType::EcdsaP521 if oid == ECDSA_SHA512 && params.is_none() => {
            &sig::ECDSA_P521_SHA512_ASN1
        }
        // RFC 8017 Appendix A.2.4: parameters NULL (absent tolerated, as Go does).
        KeyType::Rsa { .. } if oid == RSA_SHA256 && params.is_none_or(|p| p.is_null()) => {
            &sig::RSA_PKCS1_2048_8192_SHA256
        }
        // RFC 8410 §3: parameters MUST be absent.
        KeyType::Ed25519 if oid == ED25519 && params.is_none() => &sig::ED25519,
        _ => return Err(not_permitted),
    };
    Ok(alg)
}

/// Validates a SubjectPublicKeyInfo (RFC 5480 for EC, RFC 8017 for RSA, RFC 8410 for
/// Ed25519) and applies Fulcio's `goodkey` strength rules.
fn check_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<CheckedPublicKey, RequestError> {
    let oid = spki.algorithm.oid;
    let params = spki.algorithm.parameters.as_ref();
    let bits = spki.subject_public_key.as_bytes();
    let (key_type, raw, probe): (KeyType, &[u8], &'static dyn VerificationAlgorithm) = if oid
        == EC_PUBLIC_KEY
    {
        // RFC 5480 §2.1.1: namedCurve parameters only.
        let curve: ObjectIdentifier = params
            .and_then(|p| p.decode_as().ok())
            .ok_or(RequestError::InvalidKeyParameters { oid })?;
        let (key_type, point_len, probe): (_, _, &'static dyn VerificationAlgorithm) = match curve {
            c if c == SECP256R1 => (KeyType::EcdsaP256, 65, &sig::ECDSA_P256_SHA256_ASN1),
            c if c == SECP384R1 => (KeyType::EcdsaP384, 97, &sig::ECDSA_P384_SHA384_ASN1),
            c if c == SECP521R1 => (KeyType::EcdsaP521, 133, &sig::ECDSA_P521_SHA512_ASN1),
            other => return Err(RequestError::UnsupportedCurve { oid: other }),
        };
        // Uncompressed points only (SEC 1 §2.3.3), as Go's `elliptic.Unmarshal`.
        let point = bits
            .filter(|p| p.len() == point_len && p.first() == Some(&0x04))
            .ok_or(RequestError::InvalidKey { key_type })?;
        (key_type, point, probe)
    } else if oid == RSA_ENCRYPTION {
        // RFC 8017 Appendix A.1: parameters MUST be NULL.
        if !params.is_some_and(|p| p.is_null()) {
            return Err(RequestError::InvalidKeyParameters { oid });
        }
        let pkcs1 = bits.ok_or(RequestError::InvalidKey {
            key_type: KeyType::Rsa { bits: 0 },
        })?;
        let (modulus_bits, exponent_ok) =
            rsa_public_key(pkcs1).map_err(RequestError::MalformedPublicKey)?;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&modulus_bits) {
            return Err(RequestError::RsaKeySize { bits: modulus_bits });
        }
        if !exponent_ok {
            return Err(RequestError::RsaExponent);
        }
        (
            KeyType::Rsa { bits: modulus_bits },
            pkcs1,
            &sig::RSA_PKCS1_2048_8192_SHA256,
        )
    } else if oid == ED25519 {
        // RFC 8410 §3: parameters MUST be absent.
        if params.is_some() {
            return Err(RequestError::InvalidKeyParameters { oid });
        }
        let key = bits
            .filter(|k| k.len() == 32)
            .ok_or(RequestError::InvalidKey {
                key_type: KeyType::Ed25519,
            })?;
        (KeyType::Ed25519, key, &sig::ED25519)
    } else {
        return Err(RequestError::UnsupportedKeyAlgorithm { oid });
    };
    // Let aws-lc validate the key itself (point on the curve, RSA structure).
    UnparsedPublicKey::new(probe, raw)
        .parse()
        .map_err(|_| RequestError::InvalidKey { key_type })?;
    let spki_der = spki.to_der().map_err(RequestError::MalformedPublicKey)?;
    Ok(CheckedPublicKey {
        key_type,
        spki_der,
        raw: raw.to_vec(),
    })
}

/// RFC 8017 Appendix A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent
/// INTEGER }. Returns the modulus size in bits and whether the exponent is 65537.
fn rsa_public_key(pkcs1: &[u8]) -> Result<(usize, bool), x509_cert::der::Error> {
    let mut reader = SliceReader::new(pkcs1)?;
    let (n, e) = reader.sequence(|r| {
        let n = UintRef::decode(r)?;
        let e = UintRef::decode(r)?;
        Ok((n, e))
    })?;
    let (n, e) = reader.finish((n, e))?;
    let n = n.as_bytes();
    let bits = match n.first() {
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    Ok((bits, e.as_bytes() == RSA_EXPONENT))
}
