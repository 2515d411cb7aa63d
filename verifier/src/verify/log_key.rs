//! A transparency log's public key from the trusted root, ready to verify signed entry
//! timestamps and checkpoint signatures (PROTOCOL.md §4.3, §4.5, §5.3, §7.1).
//!
//! The algorithm comes from the trusted root's `keyDetails`, never from the signature:
//! ECDSA P-256/P-384/P-521 with the hash `keyDetails` names (ASN.1 DER signatures),
//! Ed25519 (pure), RSA PKCS#1 v1.5 with SHA-256.

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, VerificationAlgorithm};
use x509_cert::{der::Decode as _, spki::SubjectPublicKeyInfoRef};

use crate::common::PublicKeyDetails;

/// A log key usable for verification, parsed once (an auditor verifies one SET per
/// entry with it).
pub(crate) struct LogKey {
    family: KeyFamily,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// Reads a DER SPKI for the algorithm `details` names.
    pub(crate) fn new(spki_der: &[u8], details: PublicKeyDetails) -> Result<Self, String> {
        let (family, algorithm): (KeyFamily, &'static dyn VerificationAlgorithm) = match details {
            PublicKeyDetails::PkixEcdsaP256Sha256 => {
                (KeyFamily::Ecdsa, &sig::ECDSA_P256_SHA256_ASN1)
            }
            PublicKeyDetails::PkixEcdsaP384Sha384 => {
                (KeyFamily::Ecdsa, &sig::ECDSA_P384_SHA384_ASN1)
            }
            PublicKeyDetails::PkixEcdsaP521Sha512 => {
                (KeyFamily::Ecdsa, &sig::ECDSA_P521_SHA512_ASN1)
            }
            PublicKeyDetails::PkixEd25519 => (KeyFamily::Other, &sig::ED25519),
            PublicKeyDetails::PkixRsaPkcs1v15_2048Sha256
            | PublicKeyDetails::PkixRsaPkcs1v15_3072Sha256
            | PublicKeyDetails::PkixRsaPkcs1v15_4096Sha256
            | PublicKeyDetails::PkixRsaPkcs1v5 => {
                (KeyFamily::Other, &sig::RSA_PKCS1_2048_8192_SHA256)
            }
            other => return Err(format!("key type {other} is not supported for logs")),
        };
        let spki = SubjectPublicKeyInfoRef::from_der(spki_der)
            .map_err(|e| format!("public key is not a DER SubjectPublicKeyInfo: {e}"))?;
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or("public key bit string has unused bits")?;
        let key = ParsedPublicKey::new(algorithm, raw)
            .map_err(|e| format!("public key rejected for {details}: {e}"))?;
        Ok(Self { family, key })
    }

    /// Whether `signature` is this key's signature over `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }

    /// Whether this is an ECDSA key (the only kind a signed entry timestamp may use:
    /// sigstore-go verifies SETs for ECDSA log keys only, PROTOCOL.md §4.3).
    pub(crate) fn is_ecdsa(&self) -> bool {
        self.family == KeyFamily::Ecdsa
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyFamily {
    Ecdsa,
    Other,
}
