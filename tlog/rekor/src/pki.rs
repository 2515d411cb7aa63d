//! Submitted keys and certificates (Rekor v1 `x509` PKI format, PROTOCOL.md §4.1).
//!
//! A client submits either a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or one or more PEM
//! `CERTIFICATE`s (leaf first). This module parses them strictly, verifies a chain by
//! signature only (the log does not judge validity periods, like Rekor's `verifyCertChain`,
//! which evaluates the chain at the leaf's `notBefore`), re-encodes them canonically (Go
//! `pem.Encode`, byte-exact with what sigstore-python rebuilds, PROTOCOL.md §12 item 10),
//! verifies signatures over a prehashed digest (hashedrekord) or over a message (DSSE PAE),
//! and extracts the leaf's subject alternative names for the search index.

mod pem;
mod x509;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use sha2::{Digest as _, Sha256};

use crate::pki::x509::{Curve, KeyMaterial};

/// Default maximum number of certificates in a submitted PEM chain (Rekor's
/// `UnmarshalCertificatesFromPEMLimited(…, 10)` in `pkg/pki/x509/x509.go`).
pub const DEFAULT_MAX_CHAIN_CERTIFICATES: usize = 10;

/// Smallest RSA modulus accepted, in bits.
pub const RSA_MIN_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits.
pub const RSA_MAX_BITS: usize = 4096;

/// A digest algorithm of a hashedrekord `spec.data.hash` (PROTOCOL.md §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256, 32-byte digests, wire name `sha256`.
    Sha256,
    /// SHA-384, 48-byte digests, wire name `sha384`.
    Sha384,
    /// SHA-512, 64-byte digests, wire name `sha512`.
    Sha512,
}

impl HashAlgorithm {
    /// Parses the Rekor wire name (`sha256`, `sha384`, `sha512`; lowercase only, as the
    /// hashedrekord 0.0.1 JSON schema's enum).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The Rekor wire name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    #[must_use]
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn aws(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }
}

impl std::fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of a submitted public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
            Self::EcdsaP256 => f.write_str("ecdsa-p256"),
            Self::EcdsaP384 => f.write_str("ecdsa-p384"),
            Self::EcdsaP521 => f.write_str("ecdsa-p521"),
            Self::Rsa { bits } => write!(f, "rsa-{bits}"),
            Self::Ed25519 => f.write_str("ed25519"),
        }
    }
}

/// Why a submitted key, certificate chain or signature was rejected. The `Display` texts
/// reach API clients (inside an [`crate::entry::EntryError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// No PEM block at all (or not text).
    #[error("not a PEM certificate or public key")]
    NotPem,
    /// Non-whitespace text before, between or after the PEM blocks.
    #[error("unexpected text outside the PEM blocks")]
    TextOutsidePem,
    /// A `-----BEGIN` line without its `-----END` line.
    #[error("PEM block {block} has no END line")]
    UnterminatedPem {
        /// Zero-based block number.
        block: usize,
    },
    /// A PEM block whose encapsulated text is not valid (RFC 7468 §2–3).
    #[error("PEM block {block} is malformed: {reason}")]
    MalformedPem {
        /// Zero-based block number.
        block: usize,
        /// The PEM decoder's complaint.
        reason: x509_cert::der::pem::Error,
    },
    /// A block type other than `CERTIFICATE` or `PUBLIC KEY`.
    #[error("unsupported PEM block type {label:?} (expected CERTIFICATE or PUBLIC KEY)")]
    UnsupportedPemType {
        /// The block's label.
        label: String,
    },
    /// A `PUBLIC KEY` block together with other blocks.
    #[error("a PUBLIC KEY must be the only PEM block")]
    PublicKeyNotAlone,
    /// More certificates than allowed.
    #[error("certificate chain has more than {limit} certificates")]
    TooManyCertificates {
        /// The limit.
        limit: usize,
    },
    /// A certificate that is not valid X.509 DER (RFC 5280 §4.1).
    #[error("certificate {index} is not a valid X.509 certificate: {source}")]
    MalformedCertificate {
        /// Zero-based position in the chain (0 = leaf).
        index: usize,
        /// The DER decoder's complaint.
        #[source]
        source: x509_cert::der::Error,
    },
    /// A `PUBLIC KEY` that is not a valid SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
    #[error("public key is not a valid SubjectPublicKeyInfo: {source}")]
    MalformedPublicKey {
        /// The DER decoder's complaint.
        #[source]
        source: x509_cert::der::Error,
    },
    /// A key algorithm other than EC, RSA or Ed25519.
    #[error("unsupported public key algorithm {oid}")]
    UnsupportedKeyAlgorithm {
        /// The SPKI algorithm OID.
        oid: spki::ObjectIdentifier,
    },
    /// Algorithm parameters that RFC 5480 / RFC 8017 / RFC 8410 do not allow for the key.
    #[error("invalid parameters for public key algorithm {oid}")]
    InvalidKeyParameters {
        /// The SPKI algorithm OID.
        oid: spki::ObjectIdentifier,
    },
    /// An EC key on a curve other than P-256, P-384 or P-521.
    #[error("unsupported elliptic curve {oid}")]
    UnsupportedCurve {
        /// The named-curve OID.
        oid: spki::ObjectIdentifier,
    },
    /// Key bytes that do not form a valid key of their declared type.
    #[error("invalid {key_type} public key")]
    InvalidKey {
        /// The declared key type.
        key_type: KeyType,
    },
    /// RSA modulus outside [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`].
    #[error("RSA key size {bits} bits not allowed (2048 to 4096)")]
    RsaKeySize {
        /// Modulus size in bits.
        bits: usize,
    },
    /// Certificate `index`'s issuer name is not certificate `index + 1`'s subject name.
    #[error("certificate chain does not verify: issuer of certificate {index} is not the subject of certificate {}", index + 1)]
    ChainIssuerMismatch {
        /// Zero-based position of the child certificate.
        index: usize,
    },
    /// Certificate `index` issues another one but is not a CA (RFC 5280 §4.2.1.9).
    #[error("certificate chain does not verify: certificate {index} is not a CA")]
    ChainNotCa {
        /// Zero-based position of the would-be issuer.
        index: usize,
    },
    /// Certificate `index`'s signature is not valid under certificate `index + 1`'s key.
    #[error("certificate chain does not verify: certificate {index} is not signed by certificate {}", index + 1)]
    ChainSignature {
        /// Zero-based position of the child certificate.
        index: usize,
    },
    /// A certificate signature algorithm this log does not verify (e.g. RSA-PSS).
    #[error("certificate chain does not verify: certificate {index} uses unsupported signature algorithm {oid}")]
    UnsupportedCertificateSignature {
        /// Zero-based position of the child certificate.
        index: usize,
        /// The signature algorithm OID.
        oid: spki::ObjectIdentifier,
    },
    /// The key type cannot verify a signature over a prehashed digest.
    #[error("key type not allowed: {key_type} cannot verify a prehashed digest")]
    KeyTypeNotAllowed {
        /// The submitted key's type.
        key_type: KeyType,
    },
    /// Digest length does not match its algorithm.
    #[error("{algorithm} digest must be {expected} bytes, got {got}")]
    DigestLength {
        /// The digest's algorithm.
        algorithm: HashAlgorithm,
        /// The algorithm's digest length.
        expected: usize,
        /// The submitted digest length.
        got: usize,
    },
    /// The signature does not verify over the digest.
    #[error("signature does not verify over the digest with the supplied key")]
    DigestSignatureMismatch,
    /// The signature does not verify over the message.
    #[error("signature does not verify with the supplied key")]
    MessageSignatureMismatch,
}

/// A parsed submitted key: a PEM "PUBLIC KEY" (SPKI) or one or more PEM "CERTIFICATE"s
/// (leaf first; a chain must verify leaf->...->last by signature; no time checks — the
/// log does not judge validity periods).
#[derive(Clone, Debug)]
pub struct SubmittedKey {
    key: KeyMaterial,
    canonical_pem: Vec<u8>,
    subjects: Vec<String>,
    certificate_count: usize,
}

impl SubmittedKey {
    /// Parses PEM text with at most [`DEFAULT_MAX_CHAIN_CERTIFICATES`] certificates.
    ///
    /// # Errors
    /// See [`SubmittedKey::from_pem_limited`].
    pub fn from_pem(pem: &[u8]) -> Result<Self, PkiError> {
        Self::from_pem_limited(pem, DEFAULT_MAX_CHAIN_CERTIFICATES)
    }

    /// Parses PEM text: exactly one `PUBLIC KEY` block, or 1..=`max_certificates`
    /// `CERTIFICATE` blocks (leaf first). Blocks may use LF or CRLF line ends and any
    /// consistent line width; only whitespace may surround them. A chain must verify by
    /// signature from the leaf up to the last certificate, which is trusted as given.
    ///
    /// # Errors
    /// A [`PkiError`] naming the first problem found.
    pub fn from_pem_limited(pem: &[u8], max_certificates: usize) -> Result<Self, PkiError> {
        let blocks = pem::decode_blocks(pem, max_certificates)?;
        if blocks.iter().any(|b| b.label == pem::PUBLIC_KEY) {
            let [block] = blocks.as_slice() else {
                return Err(PkiError::PublicKeyNotAlone);
            };
            let (key, canonical_der) = x509::parse_spki_der(&block.der)?;
            return Ok(Self {
                key,
                canonical_pem: pem::encode(pem::PUBLIC_KEY, &canonical_der),
                subjects: Vec::new(),
                certificate_count: 0,
            });
        }
        if let Some(other) = blocks.iter().find(|b| b.label != pem::CERTIFICATE) {
            return Err(PkiError::UnsupportedPemType {
                label: other.label.clone(),
            });
        }
        let ders: Vec<&[u8]> = blocks.iter().map(|b| b.der.as_slice()).collect();
        let chain = x509::parse_and_verify_chain(&ders)?;
        // Go `pem.Encode` of each certificate's original DER (`cert.Raw`), concatenated
        // (sigstore `cryptoutils.MarshalCertificatesToPEM`).
        let canonical_pem = ders
            .iter()
            .flat_map(|der| pem::encode(pem::CERTIFICATE, der))
            .collect();
        Ok(Self {
            key: chain.leaf_key,
            canonical_pem,
            subjects: chain.leaf_subjects,
            certificate_count: ders.len(),
        })
    }

    /// The key of one DER certificate (as if submitted as a one-certificate PEM): how a
    /// verifier compares a bundle's leaf with the key a log entry names.
    ///
    /// # Errors
    /// A [`PkiError`] for a certificate or key that does not parse or is not allowed.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, PkiError> {
        let chain = x509::parse_and_verify_chain(&[der])?;
        Ok(Self {
            key: chain.leaf_key,
            canonical_pem: pem::encode(pem::CERTIFICATE, der),
            subjects: chain.leaf_subjects,
            certificate_count: 1,
        })
    }

    /// A DER SubjectPublicKeyInfo (as if submitted as a PEM `PUBLIC KEY`).
    ///
    /// # Errors
    /// A [`PkiError`] for a key that does not parse or is not allowed.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, PkiError> {
        let (key, canonical_der) = x509::parse_spki_der(der)?;
        Ok(Self {
            key,
            canonical_pem: pem::encode(pem::PUBLIC_KEY, &canonical_der),
            subjects: Vec::new(),
            certificate_count: 0,
        })
    }

    /// Canonical PEM re-encoding, byte-exact with Go's `pem.Encode` and pyca/cryptography:
    /// 64-column base64 lines, `\n` line ends, trailing newline, same block types;
    /// certificates re-encoded from their DER, SPKI from DER.
    #[must_use]
    pub fn canonical_pem(&self) -> Vec<u8> {
        self.canonical_pem.clone()
    }

    /// The canonical PEM, borrowed.
    #[must_use]
    pub fn canonical_pem_bytes(&self) -> &[u8] {
        &self.canonical_pem
    }

    /// The type of the public key (of the leaf, for certificates).
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.key.key_type()
    }

    /// Number of certificates submitted (0 for a bare public key).
    #[must_use]
    pub fn certificate_count(&self) -> usize {
        self.certificate_count
    }

    /// Verifies `sig` over a precomputed digest (hashedrekord, PROTOCOL.md §4.1).
    ///
    /// Allowed: ECDSA P-256/P-384/P-521 (ASN.1 DER signature) with the digest's algorithm
    /// as given, and RSA PKCS#1 v1.5 or PSS (2048..=4096 bits) with the digest's
    /// algorithm. Ed25519 cannot verify a prehashed digest.
    ///
    /// # Errors
    /// [`PkiError::DigestLength`], [`PkiError::KeyTypeNotAllowed`] or
    /// [`PkiError::DigestSignatureMismatch`].
    pub fn verify_digest(
        &self,
        alg: HashAlgorithm,
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), PkiError> {
        if digest.len() != alg.digest_len() {
            return Err(PkiError::DigestLength {
                algorithm: alg,
                expected: alg.digest_len(),
                got: digest.len(),
            });
        }
        let imported = digest::Digest::import_less_safe(digest, alg.aws())
            .map_err(|_| PkiError::DigestSignatureMismatch)?;
        let candidates: Vec<&'static dyn VerificationAlgorithm> = match &self.key {
            KeyMaterial::Ecdsa { curve, .. } => vec![ecdsa_algorithm(*curve, alg)],
            KeyMaterial::Rsa { .. } => match alg {
                HashAlgorithm::Sha256 => {
                    vec![
                        &sig::RSA_PKCS1_2048_8192_SHA256,
                        &sig::RSA_PSS_2048_8192_SHA256,
                    ]
                }
                HashAlgorithm::Sha384 => {
                    vec![
                        &sig::RSA_PKCS1_2048_8192_SHA384,
                        &sig::RSA_PSS_2048_8192_SHA384,
                    ]
                }
                HashAlgorithm::Sha512 => {
                    vec![
                        &sig::RSA_PKCS1_2048_8192_SHA512,
                        &sig::RSA_PSS_2048_8192_SHA512,
                    ]
                }
            },
            KeyMaterial::Ed25519 { .. } => {
                return Err(PkiError::KeyTypeNotAllowed {
                    key_type: self.key.key_type(),
                })
            }
        };
        let raw = self.key.raw();
        if candidates.into_iter().any(|a| {
            UnparsedPublicKey::new(a, raw)
                .verify_digest(&imported, sig)
                .is_ok()
        }) {
            Ok(())
        } else {
            Err(PkiError::DigestSignatureMismatch)
        }
    }

    /// Verifies `sig` over a message (DSSE PAE, PROTOCOL.md §7.4).
    ///
    /// ECDSA is checked with the curve's hash (P-256: SHA-256, P-384: SHA-384, P-521:
    /// SHA-512) and, failing that, with SHA-256 — Rekor loads every DSSE verifier with
    /// `crypto.SHA256` (`pkg/types/dsse/v0.0.1/entry.go`), so SHA-256 signatures from larger
    /// curves are valid there too. RSA: PKCS#1 v1.5 or PSS with SHA-256. Ed25519: pure.
    ///
    /// # Errors
    /// [`PkiError::MessageSignatureMismatch`].
    pub fn verify_message(&self, msg: &[u8], sig: &[u8]) -> Result<(), PkiError> {
        let candidates: Vec<&'static dyn VerificationAlgorithm> = match &self.key {
            KeyMaterial::Ecdsa { curve, .. } => {
                let own = ecdsa_algorithm(*curve, curve.hash());
                if curve.hash() == HashAlgorithm::Sha256 {
                    vec![own]
                } else {
                    vec![own, ecdsa_algorithm(*curve, HashAlgorithm::Sha256)]
                }
            }
            KeyMaterial::Rsa { .. } => {
                vec![
                    &sig::RSA_PKCS1_2048_8192_SHA256,
                    &sig::RSA_PSS_2048_8192_SHA256,
                ]
            }
            KeyMaterial::Ed25519 { .. } => vec![&sig::ED25519],
        };
        let raw = self.key.raw();
        if candidates
            .into_iter()
            .any(|a| UnparsedPublicKey::new(a, raw).verify(msg, sig).is_ok())
        {
            Ok(())
        } else {
            Err(PkiError::MessageSignatureMismatch)
        }
    }

    /// Subjects for the search index: the leaf certificate's subject alternative names
    /// in Rekor's order (`cryptoutils.GetSubjectAlternateNames`: DNS names, email
    /// addresses, IP addresses, URIs, then the Fulcio username otherName
    /// 1.3.6.1.4.1.57264.1.7 if it is the only otherName). None for bare keys.
    #[must_use]
    pub fn subjects(&self) -> Vec<String> {
        self.subjects.clone()
    }

    /// The signer as per-signer limits key it: [`key_fingerprint`] of the key or
    /// certificate. Not the certificate's SAN: the log checks no chain, so anyone can
    /// mint a certificate naming someone else, but only the holder of the key can make
    /// a signature that verifies with it.
    #[must_use]
    pub fn signer_identity(&self) -> String {
        key_fingerprint(self.canonical_pem_bytes())
    }
}

/// The aws-lc-rs ECDSA (ASN.1 DER signature) algorithm for a curve and digest.
fn ecdsa_algorithm(curve: Curve, hash: HashAlgorithm) -> &'static dyn VerificationAlgorithm {
    match (curve, hash) {
        (Curve::P256, HashAlgorithm::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
        (Curve::P256, HashAlgorithm::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
        (Curve::P256, HashAlgorithm::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
        (Curve::P384, HashAlgorithm::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
        (Curve::P384, HashAlgorithm::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
        (Curve::P384, HashAlgorithm::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
        (Curve::P521, HashAlgorithm::Sha256) => &sig::ECDSA_P521_SHA256_ASN1,
        (Curve::P521, HashAlgorithm::Sha384) => &sig::ECDSA_P521_SHA384_ASN1,
        (Curve::P521, HashAlgorithm::Sha512) => &sig::ECDSA_P521_SHA512_ASN1,
    }
}

/// hex(SHA-256(canonical PEM bytes)) — Rekor's lookup key for a public key or certificate
/// (`SearchIndexHandler` and hashedrekord `IndexKeys`, PROTOCOL.md §4.4).
#[must_use]
pub fn key_fingerprint(canonical_pem: &[u8]) -> String {
    hex::encode(Sha256::digest(canonical_pem))
}
