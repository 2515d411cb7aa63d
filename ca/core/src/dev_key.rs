//! A CA key held in process memory: **for development and tests only**.
//!
//! A production CA key lives in an HSM (`signet-hsm`); this one can be read by anyone who
//! reads the process or its PEM file, which is why its type name says so. It is also
//! handy as the ECDSA P-256 key of a test CT log ([`crate::sct::sign_sct`]).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair};

use crate::pem::{self, PemError};
use crate::signer::{CaAlgorithm, CaSigner, SignError, SignerLatency};

/// RFC 7468 §10 label of a PKCS#8 private key.
const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY";

/// Why a development key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevKeyError {
    /// The random generator or the key generation failed.
    #[error("generating a {algorithm:?} key failed")]
    Generate {
        /// The requested algorithm.
        algorithm: CaAlgorithm,
    },
    /// The text is not one PEM `PRIVATE KEY` block.
    #[error("bad PEM private key: {0}")]
    Pem(#[source] PemError),
    /// The block is not a PKCS#8 ECDSA P-256 or P-384 private key.
    #[error("not a PKCS#8 ECDSA P-256 or P-384 private key")]
    NotEcdsaKey,
    /// Serialising the key to PKCS#8 failed.
    #[error("encoding the private key as PKCS#8 failed")]
    Encode,
}

/// An ECDSA P-256 or P-384 CA key in process memory. **Insecure**: for development and
/// tests only; a production CA signs through an HSM.
pub struct InsecureSoftwareCaKey {
    algorithm: CaAlgorithm,
    key_pair: EcdsaKeyPair,
    public_key_der: Vec<u8>,
    rng: SystemRandom,
}

impl std::fmt::Debug for InsecureSoftwareCaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("InsecureSoftwareCaKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn signing_algorithm(algorithm: CaAlgorithm) -> &'static EcdsaSigningAlgorithm {
    match algorithm {
        CaAlgorithm::EcdsaP256Sha256 => &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
        CaAlgorithm::EcdsaP384Sha384 => &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
    }
}

impl InsecureSoftwareCaKey {
    /// Generates a new key.
    ///
    /// # Errors
    /// [`DevKeyError::Generate`] if aws-lc fails.
    pub fn generate(algorithm: CaAlgorithm) -> Result<Self, DevKeyError> {
        let key_pair = EcdsaKeyPair::generate(signing_algorithm(algorithm))
            .map_err(|_| DevKeyError::Generate { algorithm })?;
        Self::from_key_pair(algorithm, key_pair).ok_or(DevKeyError::Generate { algorithm })
    }

    /// Reads a PKCS#8 (RFC 5958) PEM `PRIVATE KEY`; the curve (P-256 or P-384) decides the
    /// algorithm.
    ///
    /// # Errors
    /// [`DevKeyError::Pem`] or [`DevKeyError::NotEcdsaKey`].
    pub fn from_pkcs8_pem(pem_text: &str) -> Result<Self, DevKeyError> {
        let der =
            pem::decode_one(pem_text.as_bytes(), PRIVATE_KEY_LABEL).map_err(DevKeyError::Pem)?;
        [CaAlgorithm::EcdsaP256Sha256, CaAlgorithm::EcdsaP384Sha384]
            .into_iter()
            .find_map(|algorithm| {
                let key_pair = EcdsaKeyPair::from_pkcs8(signing_algorithm(algorithm), &der).ok()?;
                Self::from_key_pair(algorithm, key_pair)
            })
            .ok_or(DevKeyError::NotEcdsaKey)
    }

    /// Writes the key as a PKCS#8 v1 PEM `PRIVATE KEY` (64-column base64, `\n` line ends).
    /// The text is the secret key: keep it out of logs and repositories.
    ///
    /// # Errors
    /// [`DevKeyError::Encode`] if serialisation fails.
    pub fn to_pkcs8_pem(&self) -> Result<String, DevKeyError> {
        let der = self
            .key_pair
            .to_pkcs8v1()
            .map_err(|_| DevKeyError::Encode)?;
        pem::encode(PRIVATE_KEY_LABEL, der.as_ref()).map_err(|_| DevKeyError::Encode)
    }

    fn from_key_pair(algorithm: CaAlgorithm, key_pair: EcdsaKeyPair) -> Option<Self> {
        let public_key_der = key_pair.public_key().as_der().ok()?.as_ref().to_vec();
        Some(Self {
            algorithm,
            key_pair,
            public_key_der,
            rng: SystemRandom::new(),
        })
    }
}

impl CaSigner for InsecureSoftwareCaKey {
    fn algorithm(&self) -> CaAlgorithm {
        self.algorithm
    }

    fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key_pair
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| SignError {
                reason: "aws-lc ECDSA signing failed".to_owned(),
            })
    }

    fn latency(&self) -> SignerLatency {
        SignerLatency::InProcess
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use aws_lc_rs::signature::UnparsedPublicKey;

    #[test]
    fn generate_sign_verify_and_pem_round_trip() {
        for (algorithm, verify) in [
            (CaAlgorithm::EcdsaP256Sha256, &sig::ECDSA_P256_SHA256_ASN1),
            (CaAlgorithm::EcdsaP384Sha384, &sig::ECDSA_P384_SHA384_ASN1),
        ] {
            let key = InsecureSoftwareCaKey::generate(algorithm).unwrap();
            assert_eq!(key.algorithm(), algorithm);
            let signature = key.sign(b"tbs").unwrap();
            // The public key DER is an SPKI aws-lc accepts, and the signature is DER.
            UnparsedPublicKey::new(verify, key.public_key_der())
                .verify(b"tbs", &signature)
                .unwrap();
            assert!(UnparsedPublicKey::new(verify, key.public_key_der())
                .verify(b"tbz", &signature)
                .is_err());

            let pem = key.to_pkcs8_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
            let again = InsecureSoftwareCaKey::from_pkcs8_pem(&pem).unwrap();
            assert_eq!(again.algorithm(), algorithm);
            assert_eq!(again.public_key_der(), key.public_key_der());
            assert!(!format!("{again:?}").contains(&pem[30..60]));
        }
    }

    #[test]
    fn rejects_other_keys() {
        let ed = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
        let der = ed.to_pkcs8().unwrap();
        let pem = pem::encode(PRIVATE_KEY_LABEL, der.as_ref()).unwrap();
        assert!(matches!(
            InsecureSoftwareCaKey::from_pkcs8_pem(&pem),
            Err(DevKeyError::NotEcdsaKey)
        ));
        let public = pem::encode("PUBLIC KEY", b"x").unwrap();
        assert!(matches!(
            InsecureSoftwareCaKey::from_pkcs8_pem(&public),
            Err(DevKeyError::Pem(PemError::WrongLabel { .. }))
        ));
    }
}
