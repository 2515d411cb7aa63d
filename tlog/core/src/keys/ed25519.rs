//! Ed25519 note keys (C2SP signed-note signature type 0x01; Rekor v2 logs, witnesses).
//!
//! Key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key); its first 4
//! bytes are the note key ID, the full hash the Rekor v2 `logId` (PROTOCOL.md §5.4).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, ParsedPublicKey, ED25519};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use spki::der::Decode as _;

use super::{
    check_name, check_spki, hint, pem_decode, pem_encode, sha256, KeyError, OID_ED25519,
    PEM_PRIVATE_KEY,
};
use crate::note::{NoteSigner, NoteVerifier};

/// C2SP signed-note signature type byte for Ed25519.
const SIG_TYPE_ED25519: u8 = 0x01;

/// C2SP signed-note §Ed25519 signatures: key ID = SHA-256(name || 0x0A || 0x01 || pk).
fn ed25519_key_id(name: &str, pk: &[u8; 32]) -> [u8; 32] {
    sha256(&[name.as_bytes(), b"\n", &[SIG_TYPE_ED25519], pk])
}

/// Ed25519 note signing key (C2SP signed-note type 0x01; Rekor v2 logs, witnesses).
pub struct Ed25519NoteSigner {
    key_pair: Ed25519KeyPair,
    verifier: Ed25519NoteVerifier,
}

impl std::fmt::Debug for Ed25519NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print private key material.
        f.debug_struct("Ed25519NoteSigner")
            .field("public", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl Ed25519NoteSigner {
    /// Generates a new random 32-byte Ed25519 seed (RFC 8032 §5.1.5 private key).
    ///
    /// # Errors
    /// [`KeyError::Generate`] if the system random generator fails.
    pub fn generate_seed() -> Result<[u8; 32], KeyError> {
        let mut seed = [0u8; 32];
        aws_lc_rs::rand::fill(&mut seed).map_err(KeyError::Generate)?;
        Ok(seed)
    }

    /// Generates a new random key and returns it as PKCS#8 v2 DER (RFC 5958).
    ///
    /// # Errors
    /// [`KeyError::Generate`] if the random generator or key generation fails.
    pub fn generate_pkcs8() -> Result<Vec<u8>, KeyError> {
        let doc =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(KeyError::Generate)?;
        Ok(doc.as_ref().to_vec())
    }

    /// Encodes PKCS#8 DER as a `PRIVATE KEY` PEM, for storing on disk.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if encoding fails.
    pub fn pkcs8_pem(der: &[u8]) -> Result<String, KeyError> {
        pem_encode(PEM_PRIVATE_KEY, der)
    }

    /// Loads a `PRIVATE KEY` (PKCS#8) PEM Ed25519 private key.
    ///
    /// # Errors
    /// [`KeyError::Pem`], [`KeyError::PemLabel`], and the errors of [`Self::from_pkcs8`].
    pub fn from_pkcs8_pem(pem: &str, name: &str) -> Result<Self, KeyError> {
        let der = pem_decode(pem, PEM_PRIVATE_KEY)?;
        Self::from_pkcs8(&der, name)
    }

    /// Builds the key from its 32-byte seed; `name` is the note key name.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyName`], [`KeyError::InvalidPrivateKey`] if the seed is rejected.
    pub fn from_seed(seed: &[u8; 32], name: &str) -> Result<Self, KeyError> {
        check_name(name)?;
        let key_pair =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(KeyError::InvalidPrivateKey)?;
        Self::from_key_pair(key_pair, name)
    }

    /// Loads a PKCS#8 (v1 or v2) DER Ed25519 private key.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyName`], [`KeyError::InvalidPrivateKey`].
    pub fn from_pkcs8(der: &[u8], name: &str) -> Result<Self, KeyError> {
        check_name(name)?;
        let key_pair = Ed25519KeyPair::from_pkcs8(der).map_err(KeyError::InvalidPrivateKey)?;
        Self::from_key_pair(key_pair, name)
    }

    fn from_key_pair(key_pair: Ed25519KeyPair, name: &str) -> Result<Self, KeyError> {
        let pk = key_pair.public_key().as_ref();
        let pk: [u8; 32] = pk
            .try_into()
            .map_err(|_| KeyError::Ed25519KeyLength { len: pk.len() })?;
        let verifier = Ed25519NoteVerifier::new(name, &pk)?;
        Ok(Self { key_pair, verifier })
    }

    /// The 32-byte RFC 8032 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.verifier.public_key()
    }

    /// SHA-256(name || 0x0A || 0x01 || pk); the first 4 bytes are the note key ID.
    pub fn key_id(&self) -> [u8; 32] {
        self.verifier.key_id()
    }

    /// The note key name.
    pub fn name(&self) -> &str {
        self.verifier.name()
    }

    /// The C2SP verifier key text `<name>+<hex key ID>+<base64(0x01 || pk)>`.
    pub fn vkey(&self) -> String {
        self.verifier.vkey()
    }

    /// Signs `msg` with pure Ed25519 (RFC 8032 §5.1.6), returning the 64-byte signature.
    ///
    /// # Errors
    /// [`KeyError::Sign`] if the underlying signer fails.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let sig = self.key_pair.try_sign(msg).map_err(KeyError::Sign)?;
        Ok(sig.as_ref().to_vec())
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519NoteVerifier {
        self.verifier.clone()
    }
}

/// Ed25519 note verifier key (C2SP signed-note type 0x01).
#[derive(Clone)]
pub struct Ed25519NoteVerifier {
    key: ParsedPublicKey,
    public_key: [u8; 32],
    key_id: [u8; 32],
    name: String,
}

impl std::fmt::Debug for Ed25519NoteVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519NoteVerifier")
            .field("vkey", &self.vkey())
            .finish()
    }
}

impl Ed25519NoteVerifier {
    /// Builds a verifier from a key name and a 32-byte RFC 8032 public key.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyName`], [`KeyError::InvalidPublicKey`].
    pub fn new(name: &str, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        check_name(name)?;
        let key = ParsedPublicKey::new(&ED25519, public_key).map_err(KeyError::InvalidPublicKey)?;
        Ok(Self {
            key,
            public_key: *public_key,
            key_id: ed25519_key_id(name, public_key),
            name: name.to_owned(),
        })
    }

    /// Builds a verifier from a DER SubjectPublicKeyInfo holding an Ed25519 key
    /// (RFC 8410 §4), e.g. a trusted root's `PKIX_ED25519` `rawBytes`.
    ///
    /// # Errors
    /// [`KeyError::InvalidSpki`], [`KeyError::UnsupportedAlgorithm`], and those of [`Self::new`].
    pub fn from_spki_der(der: &[u8], name: &str) -> Result<Self, KeyError> {
        check_spki(der, OID_ED25519, None)?;
        let info = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(KeyError::InvalidSpki)?;
        let raw = info.subject_public_key.raw_bytes();
        let pk: [u8; 32] = raw
            .try_into()
            .map_err(|_| KeyError::Ed25519KeyLength { len: raw.len() })?;
        Self::new(name, &pk)
    }

    /// Parses the C2SP verifier key text `<name>+<hex key ID>+<base64(0x01 || pk)>`
    /// (C2SP signed-note §Verifier keys), checking the key ID against name and key.
    ///
    /// # Errors
    /// [`KeyError::MalformedVkey`], [`KeyError::UnsupportedVkeyType`],
    /// [`KeyError::VkeyKeyIdMismatch`], and those of [`Self::new`].
    pub fn from_vkey(vkey: &str) -> Result<Self, KeyError> {
        // The name cannot contain '+', so the first two '+' are the separators.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::MalformedVkey);
        };
        let found = parse_hex4(id_hex).ok_or(KeyError::MalformedVkey)?;
        let key = BASE64
            .decode(key_b64)
            .map_err(|_| KeyError::MalformedVkey)?;
        let (&sig_type, pk) = key.split_first().ok_or(KeyError::MalformedVkey)?;
        if sig_type != SIG_TYPE_ED25519 {
            return Err(KeyError::UnsupportedVkeyType { sig_type });
        }
        let pk: [u8; 32] = pk
            .try_into()
            .map_err(|_| KeyError::Ed25519KeyLength { len: pk.len() })?;
        let verifier = Self::new(name, &pk)?;
        let computed = hint(&verifier.key_id);
        if computed != found {
            return Err(KeyError::VkeyKeyIdMismatch { found, computed });
        }
        Ok(verifier)
    }

    /// The C2SP verifier key text `<name>+<hex key ID>+<base64(0x01 || pk)>`.
    pub fn vkey(&self) -> String {
        let mut key = Vec::with_capacity(33);
        key.push(SIG_TYPE_ED25519);
        key.extend_from_slice(&self.public_key);
        let id: String = hint(&self.key_id)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{}+{}+{}", self.name, id, BASE64.encode(key))
    }

    /// The 32-byte RFC 8032 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// SHA-256(name || 0x0A || 0x01 || pk): the full C2SP key hash (Rekor v2 logId, PROTOCOL.md §5.4).
    pub fn key_id(&self) -> [u8; 32] {
        self.key_id
    }

    /// The note key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Verifies a pure Ed25519 signature over `msg`.
    ///
    /// # Errors
    /// [`KeyError::BadSignature`] if it does not verify.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        self.key
            .verify_sig(msg, sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

/// Parses exactly 8 hex digits (the vkey's 32-bit key ID) into 4 bytes.
fn parse_hex4(s: &str) -> Option<[u8; 4]> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 4];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl NoteSigner for Ed25519NoteSigner {
    fn name(&self) -> &str {
        self.verifier.name()
    }
    fn key_hint(&self) -> [u8; 4] {
        hint(&self.verifier.key_id)
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        Ed25519NoteSigner::sign(self, msg)
    }
}

impl NoteVerifier for Ed25519NoteVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        hint(&self.key_id)
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        Ed25519NoteVerifier::verify(self, msg, sig).is_ok()
    }
}
