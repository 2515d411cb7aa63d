//! PKCS#11 key custody for the Signet CA, through `cryptoki`.
//!
//! What is here: opening a token with a pool of logged-in sessions ([`Hsm::open`]),
//! the key ceremony's key generation ([`Hsm::generate_ec_key`]: non-extractable,
//! sensitive EC keys on P-256 or P-384 that never overwrite an existing object),
//! finding a key again by label ([`Hsm::find_key`]), and the key itself as a
//! [`signet_ca_core::signer::CaSigner`] ([`HsmKey`]) with the start-up self-test the
//! CA runs before serving ([`HsmKey::self_test`]). Tests use SoftHSM2; the
//! `test-util` feature adds the `testing` module, which makes throwaway SoftHSM2 tokens.
//!
//! What is not here: no certificates (the CA builds those in `signet-ca-core`), no
//! async runtime and no threads of its own. Every call blocks on the token, for
//! microseconds (SoftHSM2) to milliseconds (network HSMs), so callers on an async
//! runtime run them with `spawn_blocking` or on threads of their own. Issuance scales
//! with the number of pooled sessions: one PKCS#11 session runs one operation at a
//! time (PERFORMANCE.md §2.2, §3(b)).
//!
//! The crate keeps the PKCS#11 module initialised for the life of the process and
//! never calls `C_Finalize`: PKCS#11 state (initialisation, login) is per process, and
//! finalising would close every other user's sessions.

use std::fmt;
use std::path::PathBuf;

use const_oid::ObjectIdentifier;
use secrecy::SecretString;
use signet_ca_core::signer::CaAlgorithm;

mod error;
mod hsm;
mod key;
mod module;
mod pool;
#[cfg(feature = "test-util")]
pub mod testing;

pub use error::{HsmError, Operation};
pub use hsm::Hsm;
pub use key::HsmKey;

/// Where the CA key lives: a PKCS#11 module, a token in it, and the user PIN.
#[derive(Clone, Debug)]
pub struct HsmConfig {
    /// Path of the PKCS#11 module (shared library), e.g. SoftHSM2's `libsofthsm2.so`.
    pub module: PathBuf,
    /// Label of the token holding the CA keys (`CK_TOKEN_INFO.label`, without the
    /// blank padding). Must be unique among the module's tokens.
    pub token_label: String,
    /// The normal user's PIN.
    pub user_pin: Pin,
}

/// A token PIN. It is zeroized when dropped and never printed: `Debug` shows
/// `Pin([REDACTED])`, and there is no `Display`.
#[derive(Clone)]
pub struct Pin(pub(crate) SecretString);

impl Pin {
    /// Wraps a PIN.
    pub fn new(pin: impl Into<String>) -> Self {
        Self(SecretString::from(pin.into()))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin([REDACTED])")
    }
}

/// The curves a Signet CA key may use (PROTOCOL.md §3.1: no Ed25519 CA keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256 (secp256r1), signed with SHA-256.
    P256,
    /// NIST P-384 (secp384r1), signed with SHA-384.
    P384,
}

impl EcCurve {
    /// The curve's named-curve OID (RFC 5480 §2.1.1.1): the value of `CKA_EC_PARAMS`
    /// and of the SubjectPublicKeyInfo's algorithm parameters.
    #[must_use]
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::P256 => const_oid::db::rfc5912::SECP_256_R_1,
            Self::P384 => const_oid::db::rfc5912::SECP_384_R_1,
        }
    }

    /// The CA signature algorithm a key on this curve signs with.
    #[must_use]
    pub fn algorithm(self) -> CaAlgorithm {
        match self {
            Self::P256 => CaAlgorithm::EcdsaP256Sha256,
            Self::P384 => CaAlgorithm::EcdsaP384Sha384,
        }
    }

    /// The curve named by an OID, if it is one of ours.
    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        [Self::P256, Self::P384]
            .into_iter()
            .find(|curve| curve.oid() == *oid)
    }

    /// Bytes of a field element: `r` and `s` each take this many in `CKM_ECDSA`'s
    /// output (PKCS#11 v2.40 Mechanisms §2.3.1).
    pub(crate) fn field_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }
}

impl fmt::Display for EcCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_debug_does_not_show_the_pin() {
        let config = HsmConfig {
            module: PathBuf::from("m.so"),
            token_label: "ca".to_owned(),
            user_pin: Pin::new("123456-secret"),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("123456-secret"), "{shown}");
        assert!(shown.contains("Pin([REDACTED])"), "{shown}");
    }

    #[test]
    fn curves_round_trip_through_their_oids() {
        for curve in [EcCurve::P256, EcCurve::P384] {
            assert_eq!(EcCurve::from_oid(&curve.oid()), Some(curve));
        }
        assert_eq!(EcCurve::P256.oid().to_string(), "1.2.840.10045.3.1.7");
        assert_eq!(EcCurve::P384.oid().to_string(), "1.3.132.0.34");
        assert_eq!(
            EcCurve::from_oid(&const_oid::db::rfc5912::SECP_521_R_1),
            None
        );
    }
}
