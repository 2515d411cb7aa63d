//! ECDSA P-256 / SHA-256 log keys (Rekor v1 log key, CT log key), ASN.1 DER signatures.
//!
//! Key ID = SHA-256(DER SubjectPublicKeyInfo): the Rekor v1 `logID` (PROTOCOL.md §4.2);
//! its first 4 bytes are the note key hint (PROTOCOL.md §4.5, §5.4).

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, ParsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING,
};

use super::{
    check_name, check_spki, hint, pem_decode, pem_encode, sha256, KeyError, OID_EC_PUBLIC_KEY,
    OID_P256, PEM_PRIVATE_KEY, PEM_PUBLIC_KEY,
};
use crate::note::{NoteSigner, NoteVerifier};

/// ECDSA P-256 / SHA-256 log key (Rekor v1 log key, CT log key). Signatures are ASN.1 DER.
pub struct EcdsaP256Signer {
    key_pair: EcdsaKeyPair,
    rng: SystemRandom,
    verifier: EcdsaP256Verifier,
}

impl std::fmt::Debug for EcdsaP256Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print private key material.
        f.debug_struct("EcdsaP256Signer")
            .field("public", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl EcdsaP256Signer {
    /// Generates a new random key and returns it as PKCS#8 v1 DER.
    ///
    /// # Errors
    /// [`KeyError::Generate`] if the random generator or key generation fails.
    pub fn generate_pkcs8() -> Result<Vec<u8>, KeyError> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
                .map_err(KeyError::Generate)?;
        Ok(doc.as_ref().to_vec())
    }

    /// Loads a PKCS#8 DER P-256 private key; `name` is the note key name (the log origin's host).
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyName`], [`KeyError::InvalidPrivateKey`] (malformed or not P-256).
    pub fn from_pkcs8(der: &[u8], name: &str) -> Result<Self, KeyError> {
        check_name(name)?;
        let key_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
            .map_err(KeyError::InvalidPrivateKey)?;
        let spki: PublicKeyX509Der<'static> =
            key_pair.public_key().as_der().map_err(KeyError::Encode)?;
        let verifier = EcdsaP256Verifier::from_spki_der(spki.as_ref(), name)?;
        Ok(Self {
            key_pair,
            rng: SystemRandom::new(),
            verifier,
        })
    }

    /// Loads a `PRIVATE KEY` (PKCS#8) PEM P-256 private key.
    ///
    /// # Errors
    /// [`KeyError::Pem`], [`KeyError::PemLabel`], and the errors of [`Self::from_pkcs8`].
    pub fn from_pkcs8_pem(pem: &str, name: &str) -> Result<Self, KeyError> {
        let der = pem_decode(pem, PEM_PRIVATE_KEY)?;
        Self::from_pkcs8(&der, name)
    }

    /// Encodes PKCS#8 DER as a `PRIVATE KEY` PEM, for storing on disk.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if encoding fails.
    pub fn pkcs8_pem(der: &[u8]) -> Result<String, KeyError> {
        pem_encode(PEM_PRIVATE_KEY, der)
    }

    /// The DER SubjectPublicKeyInfo of the public key.
    pub fn public_key_der(&self) -> &[u8] {
        self.verifier.public_key_der()
    }

    /// The public key as a `PUBLIC KEY` PEM (64 columns, trailing `\n`).
    pub fn public_key_pem(&self) -> String {
        self.verifier.public_key_pem()
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: the Rekor v1 logID (PROTOCOL.md §4.2).
    pub fn key_id(&self) -> [u8; 32] {
        self.verifier.key_id()
    }

    /// The note key name.
    pub fn name(&self) -> &str {
        self.verifier.name()
    }

    /// Signs `msg` with ECDSA P-256 over SHA-256(msg), returning an ASN.1 DER signature.
    ///
    /// # Errors
    /// [`KeyError::Sign`] if the underlying signer fails.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let sig = self.key_pair.sign(&self.rng, msg).map_err(KeyError::Sign)?;
        Ok(sig.as_ref().to_vec())
    }

    /// The matching verifier.
    pub fn verifier(&self) -> EcdsaP256Verifier {
        self.verifier.clone()
    }
}

/// ECDSA P-256 / SHA-256 public key, verifying ASN.1 DER signatures.
#[derive(Clone)]
pub struct EcdsaP256Verifier {
    key: ParsedPublicKey,
    spki_der: Vec<u8>,
    spki_pem: String,
    key_id: [u8; 32],
    name: String,
}

impl std::fmt::Debug for EcdsaP256Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdsaP256Verifier")
            .field("name", &self.name)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl EcdsaP256Verifier {
    /// Loads a DER SubjectPublicKeyInfo holding a P-256 key; `name` is the note key name.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyName`], [`KeyError::InvalidSpki`],
    /// [`KeyError::UnsupportedAlgorithm`] (not id-ecPublicKey on P-256), [`KeyError::InvalidPublicKey`].
    pub fn from_spki_der(der: &[u8], name: &str) -> Result<Self, KeyError> {
        check_name(name)?;
        check_spki(der, OID_EC_PUBLIC_KEY, Some(OID_P256))?;
        let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, der)
            .map_err(KeyError::InvalidPublicKey)?;
        // Key ID over the canonical (uncompressed-point) re-encoding, as Go's
        // x509.MarshalPKIXPublicKey produces it for Rekor's logID (PROTOCOL.md §4.2).
        let spki_der = key.as_der().map_err(KeyError::Encode)?.as_ref().to_vec();
        let key_id = sha256(&[&spki_der]);
        let spki_pem = pem_encode(PEM_PUBLIC_KEY, &spki_der)?;
        Ok(Self {
            key,
            spki_der,
            spki_pem,
            key_id,
            name: name.to_owned(),
        })
    }

    /// Loads a `PUBLIC KEY` PEM holding a P-256 key.
    ///
    /// # Errors
    /// [`KeyError::Pem`], [`KeyError::PemLabel`], and the errors of [`Self::from_spki_der`].
    pub fn from_pem(pem: &str, name: &str) -> Result<Self, KeyError> {
        let der = pem_decode(pem, PEM_PUBLIC_KEY)?;
        Self::from_spki_der(&der, name)
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: the Rekor v1 logID (PROTOCOL.md §4.2).
    pub fn key_id(&self) -> [u8; 32] {
        self.key_id
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The public key as a `PUBLIC KEY` PEM (64 columns, trailing `\n`).
    pub fn public_key_pem(&self) -> String {
        self.spki_pem.clone()
    }

    /// The note key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Verifies an ASN.1 DER ECDSA signature over SHA-256(`msg`).
    ///
    /// # Errors
    /// [`KeyError::BadSignature`] if it does not verify.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        self.key
            .verify_sig(msg, sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

// PROTOCOL.md §4.5 / §5.4: ECDSA note signatures are DER ECDSA over SHA-256(note
// text), with key hint = SHA-256(DER SPKI)[:4] (C2SP signed-note type 0x02 semantics).
impl NoteSigner for EcdsaP256Signer {
    fn name(&self) -> &str {
        self.verifier.name()
    }
    fn key_hint(&self) -> [u8; 4] {
        hint(&self.verifier.key_id)
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        EcdsaP256Signer::sign(self, msg)
    }
}

impl NoteVerifier for EcdsaP256Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        hint(&self.key_id)
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        EcdsaP256Verifier::verify(self, msg, sig).is_ok()
    }
}
