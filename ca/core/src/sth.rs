//! Signed tree heads of a certificate-transparency log (RFC 6962 §3.5), as `get-sth`
//! serves them (§4.3).
//!
//! * [`TreeHead`]: what a log commits to (timestamp, tree size, root hash) and
//!   [`TreeHead::signed_data`], the `TreeHeadSignature` structure the signature covers;
//! * [`DigitallySigned`]: the RFC 5246 §4.7 `digitally-signed` encoding of the signature
//!   (`tree_head_signature` in `get-sth`, base64 of these bytes);
//! * [`sign_tree_head`] with the log key, [`verify_tree_head`] with its public key.
//!
//! The TLS presentation-language encoding (RFC 5246 §4) is `tls_codec`'s, as in
//! [`crate::sct`].

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use tls_codec::{
    DeserializeBytes, Serialize as _, TlsByteVecU16, TlsDeserializeBytes, TlsSerialize, TlsSize,
};

use crate::request::{CheckedPublicKey, KeyType, RequestError};
use crate::sct::{HASH_SHA256, SCT_VERSION_V1, SIGNATURE_ECDSA, SIGNATURE_RSA};
use crate::signer::{CaAlgorithm, CaSigner, SignError};

/// RFC 6962 §3.2 `SignatureType`: tree_hash.
pub const SIGNATURE_TYPE_TREE_HASH: u8 = 1;
/// Largest `opaque<0..2^16-1>` (RFC 5246 §4.3): the signature of a `digitally-signed`.
const MAX_U16_VECTOR: usize = 0xffff;

/// Why a tree head could not be signed, encoded, parsed or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SthError {
    /// A signature longer than its TLS length prefix allows.
    #[error("signature is {len} bytes, more than the 65535 its length prefix allows")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// The TLS encoder failed.
    #[error("tree head encoding failed: {0}")]
    Encode(#[source] tls_codec::Error),
    /// Bytes that are not a valid `digitally-signed` structure.
    #[error("malformed tree head signature: {0}")]
    Malformed(#[source] tls_codec::Error),
    /// Bytes left after a complete `digitally-signed` structure.
    #[error("malformed tree head signature: trailing bytes after the signature")]
    TrailingData,
    /// The log signer is not ECDSA P-256 (RFC 6962 logs sign with SHA-256).
    #[error("CT log signer must be ECDSA P-256 with SHA-256, not {algorithm:?}")]
    CtSignerAlgorithm {
        /// The signer's algorithm.
        algorithm: CaAlgorithm,
    },
    /// The log key refused or failed to sign.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The CT log public key is unusable.
    #[error("CT log key: {0}")]
    CtKey(#[source] RequestError),
    /// The CT log key type cannot verify tree heads here (ECDSA P-256/P-384 or RSA only).
    #[error("CT log key type {key_type} is not supported for tree head signatures")]
    CtKeyType {
        /// The key's type.
        key_type: KeyType,
    },
    /// The signature's hash algorithm is not SHA-256.
    #[error("tree head hash algorithm {found} is not SHA-256 (4)")]
    HashAlgorithm {
        /// The hash algorithm byte.
        found: u8,
    },
    /// The signature algorithm does not match the CT log key.
    #[error("tree head signature algorithm {found} does not match the {key_type} CT log key")]
    SignatureAlgorithm {
        /// The signature algorithm byte.
        found: u8,
        /// The CT key's type.
        key_type: KeyType,
    },
    /// The signature does not verify over the tree head.
    #[error("tree head signature does not verify")]
    SignatureInvalid,
}

/// What a signed tree head commits to (RFC 6962 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    /// When the head was signed, milliseconds since the Unix epoch (RFC 6962 §3.5: at
    /// least the timestamp of every SCT the log issued for the entries it covers).
    pub timestamp_ms: u64,
    /// Number of entries in the tree.
    pub tree_size: u64,
    /// RFC 6962 §2.1 Merkle tree hash of those entries.
    pub sha256_root_hash: [u8; 32],
}

/// RFC 6962 §3.5 `TreeHeadSignature`, wire form.
#[derive(TlsSerialize, TlsSize)]
struct TreeHeadSignatureWire {
    version: u8,
    signature_type: u8,
    timestamp: u64,
    tree_size: u64,
    sha256_root_hash: [u8; 32],
}

impl TreeHead {
    /// The bytes the tree head signature covers (RFC 6962 §3.5 `TreeHeadSignature`):
    /// `version=0 ‖ signature_type=1 ‖ u64 timestamp ‖ u64 tree_size ‖ sha256_root_hash`,
    /// 50 bytes.
    ///
    /// # Errors
    /// [`SthError::Encode`] if the TLS encoder fails (it has no reason to: every field
    /// has a fixed size).
    pub fn signed_data(&self) -> Result<Vec<u8>, SthError> {
        TreeHeadSignatureWire {
            version: SCT_VERSION_V1,
            signature_type: SIGNATURE_TYPE_TREE_HASH,
            timestamp: self.timestamp_ms,
            tree_size: self.tree_size,
            sha256_root_hash: self.sha256_root_hash,
        }
        .tls_serialize_detached()
        .map_err(SthError::Encode)
    }
}

/// RFC 5246 §4.7 `digitally-signed` as RFC 6962 uses it: `SignatureAndHashAlgorithm`
/// then the signature as `opaque<0..2^16-1>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// RFC 5246 `HashAlgorithm` ([`HASH_SHA256`] for RFC 6962).
    pub hash_algorithm: u8,
    /// RFC 5246 `SignatureAlgorithm` ([`SIGNATURE_ECDSA`] or [`SIGNATURE_RSA`]).
    pub signature_algorithm: u8,
    /// The signature (DER `ECDSA-Sig-Value` for ECDSA).
    pub signature: Vec<u8>,
}

/// [`DigitallySigned`], wire form.
#[derive(TlsSerialize, TlsDeserializeBytes, TlsSize)]
struct DigitallySignedWire {
    hash_algorithm: u8,
    signature_algorithm: u8,
    signature: TlsByteVecU16,
}

impl DigitallySigned {
    /// The TLS encoding: `hash ‖ signature algorithm ‖ u16-prefixed signature`.
    ///
    /// # Errors
    /// [`SthError::TooLong`] if the signature exceeds 65535 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SthError> {
        if self.signature.len() > MAX_U16_VECTOR {
            return Err(SthError::TooLong {
                len: self.signature.len(),
            });
        }
        DigitallySignedWire {
            hash_algorithm: self.hash_algorithm,
            signature_algorithm: self.signature_algorithm,
            signature: TlsByteVecU16::from_slice(&self.signature),
        }
        .tls_serialize_detached()
        .map_err(SthError::Encode)
    }

    /// Parses exactly one TLS-encoded `digitally-signed` structure.
    ///
    /// # Errors
    /// [`SthError::Malformed`] or [`SthError::TrailingData`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SthError> {
        let (wire, rest) =
            DigitallySignedWire::tls_deserialize_bytes(bytes).map_err(SthError::Malformed)?;
        if !rest.is_empty() {
            return Err(SthError::TrailingData);
        }
        Ok(Self {
            hash_algorithm: wire.hash_algorithm,
            signature_algorithm: wire.signature_algorithm,
            signature: wire.signature.into_vec(),
        })
    }
}

/// A tree head with its signature (the content of a `get-sth` answer, §4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTreeHead {
    /// What is signed.
    pub tree_head: TreeHead,
    /// The log's signature over [`TreeHead::signed_data`].
    pub signature: DigitallySigned,
}

/// Signs `tree_head` with a CT log key that must be ECDSA P-256 (`hash_alg=4`,
/// `sig_alg=3`, DER signature), as [`crate::sct::sign_sct`] does for SCTs.
///
/// # Errors
/// [`SthError::CtSignerAlgorithm`] or [`SthError::Sign`].
pub fn sign_tree_head(
    log_key: &dyn CaSigner,
    tree_head: &TreeHead,
) -> Result<SignedTreeHead, SthError> {
    if log_key.algorithm() != CaAlgorithm::EcdsaP256Sha256 {
        return Err(SthError::CtSignerAlgorithm {
            algorithm: log_key.algorithm(),
        });
    }
    let signature = log_key.sign(&tree_head.signed_data()?)?;
    Ok(SignedTreeHead {
        tree_head: *tree_head,
        signature: DigitallySigned {
            hash_algorithm: HASH_SHA256,
            signature_algorithm: SIGNATURE_ECDSA,
            signature,
        },
    })
}

/// Verifies `sth` with the CT log key `ct_public_key_der` (DER SubjectPublicKeyInfo):
/// SHA-256 hash, a signature algorithm matching the key (ECDSA P-256/P-384 or RSA
/// PKCS#1 v1.5), valid signature over [`TreeHead::signed_data`].
///
/// # Errors
/// The [`SthError`] of the first failed check.
pub fn verify_tree_head(sth: &SignedTreeHead, ct_public_key_der: &[u8]) -> Result<(), SthError> {
    let key = CheckedPublicKey::from_spki_der(ct_public_key_der).map_err(SthError::CtKey)?;
    let sig_value = &sth.signature;
    if sig_value.hash_algorithm != HASH_SHA256 {
        return Err(SthError::HashAlgorithm {
            found: sig_value.hash_algorithm,
        });
    }
    let key_type = key.key_type();
    let (expected, alg): (u8, &'static dyn VerificationAlgorithm) = match key_type {
        KeyType::EcdsaP256 => (SIGNATURE_ECDSA, &sig::ECDSA_P256_SHA256_ASN1),
        KeyType::EcdsaP384 => (SIGNATURE_ECDSA, &sig::ECDSA_P384_SHA256_ASN1),
        KeyType::Rsa { .. } => (SIGNATURE_RSA, &sig::RSA_PKCS1_2048_8192_SHA256),
        _ => return Err(SthError::CtKeyType { key_type }),
    };
    if sig_value.signature_algorithm != expected {
        return Err(SthError::SignatureAlgorithm {
            found: sig_value.signature_algorithm,
            key_type,
        });
    }
    let signed = sth.tree_head.signed_data()?;
    UnparsedPublicKey::new(alg, key.raw())
        .verify(&signed, &sig_value.signature)
        .map_err(|_| SthError::SignatureInvalid)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use base64::Engine as _;

    use super::*;
    use crate::dev_key::InsecureSoftwareCaKey;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    fn head() -> TreeHead {
        TreeHead {
            timestamp_ms: 1_700_000_000_123,
            tree_size: 42,
            sha256_root_hash: [7; 32],
        }
    }

    #[test]
    fn signed_data_layout_is_rfc6962_tree_head_signature() {
        let data = head().signed_data().unwrap();
        let mut want = vec![0u8, 1];
        want.extend_from_slice(&1_700_000_000_123u64.to_be_bytes());
        want.extend_from_slice(&42u64.to_be_bytes());
        want.extend_from_slice(&[7; 32]);
        assert_eq!(data, want);
        assert_eq!(data.len(), 50);
    }

    #[test]
    fn sign_verify_round_trip_and_tampering_fails() {
        let key = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).unwrap();
        let sth = sign_tree_head(&key, &head()).unwrap();
        assert_eq!(sth.signature.hash_algorithm, HASH_SHA256);
        assert_eq!(sth.signature.signature_algorithm, SIGNATURE_ECDSA);
        verify_tree_head(&sth, key.public_key_der()).unwrap();

        // Through the wire encoding and back.
        let bytes = sth.signature.to_bytes().unwrap();
        assert_eq!(&bytes[..2], &[4, 3]);
        assert_eq!(
            usize::from(u16::from_be_bytes([bytes[2], bytes[3]])),
            bytes.len() - 4
        );
        let back = SignedTreeHead {
            tree_head: head(),
            signature: DigitallySigned::from_bytes(&bytes).unwrap(),
        };
        assert_eq!(back, sth);
        verify_tree_head(&back, key.public_key_der()).unwrap();

        let mut changed = sth.clone();
        changed.tree_head.tree_size += 1;
        assert!(matches!(
            verify_tree_head(&changed, key.public_key_der()),
            Err(SthError::SignatureInvalid)
        ));
        let mut changed = sth.clone();
        changed.tree_head.timestamp_ms += 1;
        assert!(matches!(
            verify_tree_head(&changed, key.public_key_der()),
            Err(SthError::SignatureInvalid)
        ));
        let mut changed = sth.clone();
        changed.tree_head.sha256_root_hash[31] ^= 1;
        assert!(matches!(
            verify_tree_head(&changed, key.public_key_der()),
            Err(SthError::SignatureInvalid)
        ));

        // Another key, a wrong hash or signature algorithm byte.
        let other = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).unwrap();
        assert!(matches!(
            verify_tree_head(&sth, other.public_key_der()),
            Err(SthError::SignatureInvalid)
        ));
        let mut changed = sth.clone();
        changed.signature.hash_algorithm = 5;
        assert!(matches!(
            verify_tree_head(&changed, key.public_key_der()),
            Err(SthError::HashAlgorithm { found: 5 })
        ));
        let mut changed = sth.clone();
        changed.signature.signature_algorithm = SIGNATURE_RSA;
        assert!(matches!(
            verify_tree_head(&changed, key.public_key_der()),
            Err(SthError::SignatureAlgorithm { found: 1, .. })
        ));
    }

    #[test]
    fn only_p256_log_keys_sign() {
        let key = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP384Sha384).unwrap();
        assert!(matches!(
            sign_tree_head(&key, &head()),
            Err(SthError::CtSignerAlgorithm {
                algorithm: CaAlgorithm::EcdsaP384Sha384
            })
        ));
    }

    #[test]
    fn digitally_signed_rejects_malformed_bytes() {
        let good = DigitallySigned {
            hash_algorithm: 4,
            signature_algorithm: 3,
            signature: vec![1, 2, 3],
        }
        .to_bytes()
        .unwrap();
        assert_eq!(good, [4, 3, 0, 3, 1, 2, 3]);
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(
            DigitallySigned::from_bytes(&trailing),
            Err(SthError::TrailingData)
        ));
        assert!(matches!(
            DigitallySigned::from_bytes(&good[..5]),
            Err(SthError::Malformed(_))
        ));
        let too_long = DigitallySigned {
            hash_algorithm: 4,
            signature_algorithm: 3,
            signature: vec![0; 0x1_0000],
        };
        assert!(matches!(
            too_long.to_bytes(),
            Err(SthError::TooLong { len: 0x1_0000 })
        ));
    }

    /// A real STH of Google's "Pilot" log (`ct.googleapis.com/pilot`), as
    /// certificate-transparency-go's client tests use it (`ValidSTHResponse`), with the
    /// Pilot log key from the Chrome CT log list: a known answer from another
    /// implementation.
    #[test]
    fn verifies_a_real_log_sth() {
        let pilot_key = B64
            .decode(
                "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfahLEimAoz2t01p3uMziiLOl/fHTDM0YDOhBRui\
                 BARsV4UvxG2LdNgoIGLrtCzWE0J5APC2em4JlvR8EEEFMoA==",
            )
            .unwrap();
        let mut root = [0u8; 32];
        root.copy_from_slice(
            &B64.decode("SxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=")
                .unwrap(),
        );
        let signature = DigitallySigned::from_bytes(
            &B64.decode(
                "BAMARjBEAiBUYO2tODlUUw4oWGiVPUHqZadRRyXs9T2rSXchA79VsQIgLASkQv3cu4XdPFCZbgFkIUefniNPCpO3LzzHX53l+wg=",
            )
            .unwrap(),
        )
        .unwrap();
        let sth = SignedTreeHead {
            tree_head: TreeHead {
                timestamp_ms: 1_396_609_800_587,
                tree_size: 3_721_782,
                sha256_root_hash: root,
            },
            signature,
        };
        verify_tree_head(&sth, &pilot_key).unwrap();
        let mut wrong = sth;
        wrong.tree_head.tree_size = 3_721_783;
        assert!(matches!(
            verify_tree_head(&wrong, &pilot_key),
            Err(SthError::SignatureInvalid)
        ));
    }
}
