//! Pre-signed hashedrekord 0.0.1 proposed entries (PROTOCOL.md §4.1).
//!
//! A small pool of ECDSA P-256 keys signs random artefacts; each entry carries
//! `sha256(artefact)` as its digest, so every entry has a distinct canonical body and
//! therefore a distinct leaf (PROTOCOL.md §4.2) — the server never sees a duplicate.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use spki::der::pem::LineEnding;
use spki::der::{Decode as _, EncodePem as _};
use spki::SubjectPublicKeyInfoRef;

/// Length of the random artefact each entry signs.
pub const ARTEFACT_LEN: usize = 32;

/// Failures while building the key pool or an entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The pool must hold at least one key.
    #[error("the key pool must hold at least one key")]
    EmptyPool,
    /// aws-lc-rs refused to generate a key.
    #[error("ECDSA P-256 key generation failed")]
    KeyGen,
    /// The public key could not be encoded as SPKI DER / PEM.
    #[error("public key encoding failed: {reason}")]
    Encode {
        /// What the encoder said.
        reason: String,
    },
    /// aws-lc-rs refused to sign.
    #[error("ECDSA signing failed")]
    Sign,
    /// JSON serialisation failed (should not happen for these shapes).
    #[error("JSON serialisation failed: {0}")]
    Json(#[from] serde_json::Error),
}

struct PoolKey {
    pair: EcdsaKeyPair,
    /// base64(PEM "PUBLIC KEY"), the `publicKey.content` field (PROTOCOL.md §4.1).
    public_key_content: String,
}

/// A fixed set of signing keys shared by all entry generators.
pub struct KeyPool {
    keys: Vec<PoolKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for KeyPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPool")
            .field("keys", &self.keys.len())
            .finish()
    }
}

// Field order follows PROTOCOL.md §4.1; the server re-serialises canonically anyway.
#[derive(Serialize)]
struct Proposed<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    spec: Spec<'a>,
}

#[derive(Serialize)]
struct Spec<'a> {
    signature: SignatureField<'a>,
    data: Data<'a>,
}

#[derive(Serialize)]
struct SignatureField<'a> {
    content: &'a str,
    #[serde(rename = "publicKey")]
    public_key: Content<'a>,
}

#[derive(Serialize)]
struct Content<'a> {
    content: &'a str,
}

#[derive(Serialize)]
struct Data<'a> {
    hash: HashField<'a>,
}

#[derive(Serialize)]
struct HashField<'a> {
    algorithm: &'static str,
    value: &'a str,
}

impl KeyPool {
    /// Generates `size` fresh P-256 keys.
    ///
    /// # Errors
    /// [`EntryError::EmptyPool`] for `size == 0`; key generation or encoding failures.
    pub fn generate(size: usize) -> Result<Self, EntryError> {
        if size == 0 {
            return Err(EntryError::EmptyPool);
        }
        let mut keys = Vec::with_capacity(size);
        for _ in 0..size {
            let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                .map_err(|_| EntryError::KeyGen)?;
            let der = pair.public_key().as_der().map_err(|_| EntryError::Encode {
                reason: "aws-lc-rs SPKI export".to_owned(),
            })?;
            let spki = SubjectPublicKeyInfoRef::from_der(der.as_ref()).map_err(|e| {
                EntryError::Encode {
                    reason: e.to_string(),
                }
            })?;
            let pem = spki
                .to_pem(LineEnding::LF)
                .map_err(|e| EntryError::Encode {
                    reason: e.to_string(),
                })?;
            keys.push(PoolKey {
                pair,
                public_key_content: B64.encode(pem.as_bytes()),
            });
        }
        Ok(Self {
            keys,
            rng: SystemRandom::new(),
        })
    }

    /// Number of keys in the pool.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a pool holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The JSON request body of a hashedrekord 0.0.1 ProposedEntry whose signature is
    /// ECDSA P-256/SHA-256 by key `key_index % len()` over `artefact`, and whose digest is
    /// `sha256(artefact)` (PROTOCOL.md §4.1: the server verifies over the digest).
    ///
    /// # Errors
    /// [`EntryError::Sign`] or [`EntryError::Json`].
    pub fn entry(&self, key_index: usize, artefact: &[u8]) -> Result<Vec<u8>, EntryError> {
        let key = &self.keys[key_index % self.keys.len()];
        let sig = key
            .pair
            .sign(&self.rng, artefact)
            .map_err(|_| EntryError::Sign)?;
        let sig_b64 = B64.encode(sig.as_ref());
        let digest_hex = hex::encode(Sha256::digest(artefact));
        let body = Proposed {
            kind: "hashedrekord",
            api_version: "0.0.1",
            spec: Spec {
                signature: SignatureField {
                    content: &sig_b64,
                    public_key: Content {
                        content: &key.public_key_content,
                    },
                },
                data: Data {
                    hash: HashField {
                        algorithm: "sha256",
                        value: &digest_hex,
                    },
                },
            },
        };
        Ok(serde_json::to_vec(&body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
    use spki::der::DecodePem as _;
    use spki::SubjectPublicKeyInfoOwned;

    fn field<'a>(v: &'a serde_json::Value, path: &[&str]) -> &'a serde_json::Value {
        path.iter().fold(v, |v, k| &v[*k])
    }

    #[test]
    fn entry_is_a_verifiable_hashedrekord() {
        let pool = KeyPool::generate(3).unwrap();
        assert_eq!(pool.len(), 3);
        let artefact = b"some artefact bytes";
        let body = pool.entry(1, artefact).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["kind"], "hashedrekord");
        assert_eq!(v["apiVersion"], "0.0.1");
        assert_eq!(field(&v, &["spec", "data", "hash", "algorithm"]), "sha256");
        let digest = field(&v, &["spec", "data", "hash", "value"])
            .as_str()
            .unwrap();
        assert_eq!(digest, hex::encode(Sha256::digest(artefact)));
        assert_eq!(digest.len(), 64);

        let pem_b64 = field(&v, &["spec", "signature", "publicKey", "content"])
            .as_str()
            .unwrap();
        let pem = String::from_utf8(B64.decode(pem_b64).unwrap()).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"), "{pem}");
        let spki = SubjectPublicKeyInfoOwned::from_pem(pem.as_bytes()).unwrap();
        let point = spki.subject_public_key.raw_bytes();
        assert_eq!(point.len(), 65, "uncompressed P-256 point");

        let sig_b64 = field(&v, &["spec", "signature", "content"])
            .as_str()
            .unwrap();
        let sig = B64.decode(sig_b64).unwrap();
        assert_eq!(sig[0], 0x30, "DER SEQUENCE");
        let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point);
        key.verify(artefact, &sig).unwrap();
        assert!(key.verify(b"other artefact", &sig).is_err());
    }

    #[test]
    fn keys_rotate_and_differ() {
        let pool = KeyPool::generate(2).unwrap();
        let pk = |i| {
            let v: serde_json::Value =
                serde_json::from_slice(&pool.entry(i, b"x").unwrap()).unwrap();
            field(&v, &["spec", "signature", "publicKey", "content"])
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_ne!(pk(0), pk(1));
        assert_eq!(pk(0), pk(2), "index wraps modulo the pool size");
    }

    #[test]
    fn empty_pool_is_refused() {
        assert!(matches!(KeyPool::generate(0), Err(EntryError::EmptyPool)));
    }
}
