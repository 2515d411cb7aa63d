//! The log's signing keys: ECDSA P-256 (Rekor v1 log key, CT log key) and
//! Ed25519 note keys (Rekor v2 logs, witnesses).
//!
//! Both kinds sign C2SP signed notes ([`crate::note`]) through the
//! [`NoteSigner`](crate::note::NoteSigner) / [`NoteVerifier`](crate::note::NoteVerifier) traits, and each kind carries the key name
//! (the log origin's host) that its note signature lines use.
//!
//! Key IDs (PROTOCOL.md §5.4, C2SP signed-note §Signatures):
//! * ECDSA: `SHA-256(DER SubjectPublicKeyInfo)`; this is also the Rekor v1
//!   `logID` (PROTOCOL.md §4.2), and its first 4 bytes are the note key hint.
//! * Ed25519: `SHA-256(name || 0x0A || 0x01 || 32-byte public key)`; its first
//!   4 bytes are the C2SP note key ID, the full hash the Rekor v2 `logId`.
//!
//! Submodules: [`ecdsa`] ([`EcdsaP256Signer`], [`EcdsaP256Verifier`]) and
//! [`ed25519`] ([`Ed25519NoteSigner`], [`Ed25519NoteVerifier`]), re-exported here.

use aws_lc_rs::error::{KeyRejected, Unspecified};
use sha2::{Digest as _, Sha256};
use spki::der::pem::LineEnding;
use spki::der::Decode as _;
use spki::ObjectIdentifier;

use crate::note::is_valid_key_name;

pub mod ecdsa;
pub mod ed25519;

pub use ecdsa::{EcdsaP256Signer, EcdsaP256Verifier};
pub use ed25519::{Ed25519NoteSigner, Ed25519NoteVerifier};

/// id-ecPublicKey (RFC 5480 §2.1.1).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 / NIST P-256 (RFC 5480 §2.1.1.1).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// id-Ed25519 (RFC 8410 §3).
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// PEM label of a PKCS#8 private key (RFC 7468 §10).
const PEM_PRIVATE_KEY: &str = "PRIVATE KEY";
/// PEM label of a SubjectPublicKeyInfo (RFC 7468 §13).
const PEM_PUBLIC_KEY: &str = "PUBLIC KEY";

/// Errors from loading, encoding or using a log key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The note key name is empty or contains a space or `+` (C2SP signed-note §Format).
    #[error("invalid note key name {name:?}: must be non-empty without spaces or '+'")]
    InvalidKeyName {
        /// The rejected name.
        name: String,
    },
    /// Generating a new key failed.
    #[error("key generation failed")]
    Generate(#[source] Unspecified),
    /// The private key (PKCS#8 document or seed) is malformed or not of the expected type.
    #[error("invalid private key")]
    InvalidPrivateKey(#[source] KeyRejected),
    /// The PEM text could not be decoded.
    #[error("invalid PEM")]
    Pem(#[source] spki::der::Error),
    /// The PEM block has a different label than expected.
    #[error("unexpected PEM label {found:?}, expected {expected:?}")]
    PemLabel {
        /// The label required here.
        expected: &'static str,
        /// The label found in the input.
        found: String,
    },
    /// The bytes are not a DER SubjectPublicKeyInfo.
    #[error("invalid DER SubjectPublicKeyInfo")]
    InvalidSpki(#[source] spki::der::Error),
    /// The SubjectPublicKeyInfo holds a key of another algorithm or curve.
    #[error("unsupported public key algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// The algorithm OID found in the SubjectPublicKeyInfo.
        algorithm: ObjectIdentifier,
    },
    /// The public key is not a valid point / key for its algorithm.
    #[error("invalid public key")]
    InvalidPublicKey(#[source] KeyRejected),
    /// An Ed25519 seed or public key has the wrong length.
    #[error("invalid Ed25519 key length {len}, expected 32")]
    Ed25519KeyLength {
        /// The length found.
        len: usize,
    },
    /// Encoding a public key as DER or PEM failed.
    #[error("public key encoding failed")]
    Encode(#[source] Unspecified),
    /// Signing failed.
    #[error("signing failed")]
    Sign(#[source] Unspecified),
    /// The signature does not verify with this key.
    #[error("signature verification failed")]
    BadSignature,
    /// A verifier key string is not `<name>+<hex key ID>+<base64 key>`.
    #[error("malformed verifier key")]
    MalformedVkey,
    /// A verifier key uses a signature type other than Ed25519 (0x01).
    #[error("unsupported verifier key signature type {sig_type:#04x}")]
    UnsupportedVkeyType {
        /// The signature type byte.
        sig_type: u8,
    },
    /// A verifier key's key ID does not match its name and public key.
    #[error("verifier key ID {found:02x?} does not match the computed {computed:02x?}")]
    VkeyKeyIdMismatch {
        /// The key ID written in the vkey.
        found: [u8; 4],
        /// The key ID computed from the name and key.
        computed: [u8; 4],
    },
}

fn check_name(name: &str) -> Result<(), KeyError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(KeyError::InvalidKeyName {
            name: name.to_owned(),
        })
    }
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hint(key_id: &[u8; 32]) -> [u8; 4] {
    [key_id[0], key_id[1], key_id[2], key_id[3]]
}

/// Decodes a single PEM block and checks its label.
fn pem_decode(pem: &str, expected: &'static str) -> Result<Vec<u8>, KeyError> {
    let (label, der) =
        spki::der::pem::decode_vec(pem.trim().as_bytes()).map_err(|e| KeyError::Pem(e.into()))?;
    if label != expected {
        return Err(KeyError::PemLabel {
            expected,
            found: label.to_owned(),
        });
    }
    Ok(der)
}

/// Encodes DER as PEM: RFC 7468 §2, 64-column base64, LF line endings, trailing `\n`.
fn pem_encode(label: &'static str, der: &[u8]) -> Result<String, KeyError> {
    spki::der::pem::encode_string(label, LineEnding::LF, der).map_err(|e| KeyError::Pem(e.into()))
}

/// Checks that `der` is a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for the
/// algorithm `alg`, with named-curve parameter `curve` when given (RFC 5480 §2.1.1).
fn check_spki(
    der: &[u8],
    alg: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
) -> Result<(), KeyError> {
    let info = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(KeyError::InvalidSpki)?;
    let unsupported = KeyError::UnsupportedAlgorithm {
        algorithm: info.algorithm.oid,
    };
    if info.algorithm.oid != alg {
        return Err(unsupported);
    }
    if let Some(curve) = curve {
        match info.algorithm.parameters_oid() {
            Ok(found) if found == curve => {}
            _ => return Err(unsupported),
        }
    }
    Ok(())
}
