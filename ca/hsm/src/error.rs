//! The one error type of this crate. Every variant names the token or key it is about
//! and what check failed, because the CA and `signet ca init` show these messages to
//! operators as they are.

use std::fmt;
use std::path::PathBuf;

/// The PKCS#11 step that failed, for [`HsmError::Pkcs11`]. The names double as metric
/// labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `C_GetSlotList` / `C_GetTokenInfo`: finding the token.
    ListTokens,
    /// `C_GetMechanismList`: checking what the token can do.
    ListMechanisms,
    /// `C_OpenSession`.
    OpenSession,
    /// `C_Login` as the normal user.
    Login,
    /// `C_FindObjects*`: looking a key up by label or ID.
    FindObjects,
    /// `C_GetAttributeValue`: reading a key's public half or its custody flags.
    ReadAttributes,
    /// `C_GenerateRandom`: drawing a key ID or a self-test nonce.
    GenerateRandom,
    /// `C_GenerateKeyPair` with `CKM_EC_KEY_PAIR_GEN`.
    GenerateKeyPair,
    /// `C_SignInit` / `C_Sign` with `CKM_ECDSA`.
    Sign,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ListTokens => "listing tokens",
            Self::ListMechanisms => "listing mechanisms",
            Self::OpenSession => "opening a session",
            Self::Login => "logging in",
            Self::FindObjects => "finding objects",
            Self::ReadAttributes => "reading key attributes",
            Self::GenerateRandom => "generating random bytes",
            Self::GenerateKeyPair => "generating a key pair",
            Self::Sign => "signing",
        })
    }
}

/// Why an HSM operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HsmError {
    /// The PKCS#11 module (a shared library) could not be loaded.
    #[error("PKCS#11 module {} could not be loaded: {source}", path.display())]
    ModuleLoad {
        /// The configured module path.
        path: PathBuf,
        /// The loader's complaint.
        #[source]
        source: cryptoki::error::Error,
    },
    /// The module loaded but `C_Initialize` failed.
    #[error("PKCS#11 module {} failed to initialise: {source}", path.display())]
    ModuleInit {
        /// The configured module path.
        path: PathBuf,
        /// The module's return value.
        #[source]
        source: cryptoki::error::Error,
    },
    /// No initialised token carries the configured label.
    #[error(
        "token {label:?} not found in PKCS#11 module {} (tokens present: {})",
        module.display(),
        list_labels(present)
    )]
    TokenNotFound {
        /// The configured token label.
        label: String,
        /// The module that was searched.
        module: PathBuf,
        /// Labels of the initialised tokens the module does have.
        present: Vec<String>,
    },
    /// More than one token carries the configured label, so which one holds the CA
    /// key is ambiguous.
    #[error("{count} tokens are labelled {label:?}; the CA needs a unique token label")]
    TokenAmbiguous {
        /// The configured token label.
        label: String,
        /// How many tokens carry it.
        count: usize,
    },
    /// The user PIN was rejected (`CKR_PIN_INCORRECT`, or a PIN of a length the token
    /// cannot have).
    #[error("wrong user PIN for token {token:?}")]
    WrongPin {
        /// The token label.
        token: String,
    },
    /// The user PIN is locked after too many wrong attempts (`CKR_PIN_LOCKED`).
    #[error("the user PIN of token {token:?} is locked; the security officer must reset it")]
    PinLocked {
        /// The token label.
        token: String,
    },
    /// A session pool of zero sessions was asked for.
    #[error("a PKCS#11 session pool needs at least one session")]
    NoSessions,
    /// The token lacks a mechanism the CA needs.
    #[error("token {token:?} does not support {mechanism}")]
    MechanismUnsupported {
        /// The token label.
        token: String,
        /// The mechanism's PKCS#11 name, e.g. `CKM_ECDSA`.
        mechanism: &'static str,
    },
    /// The token refused to generate a key on this curve.
    #[error("token {token:?} does not support curve {curve}")]
    CurveUnsupported {
        /// The token label.
        token: String,
        /// The curve asked for.
        curve: crate::EcCurve,
    },
    /// Key labels must not be empty: the label is how the CA finds its key.
    #[error("a key label must not be empty")]
    EmptyKeyLabel,
    /// Some object already carries the label a new key was to get; the key ceremony
    /// never overwrites or shadows an existing key.
    #[error("an object labelled {label:?} already exists in token {token:?}; refusing to create another")]
    KeyExists {
        /// The key label.
        label: String,
        /// The token label.
        token: String,
    },
    /// No private key carries the label.
    #[error("key {label:?} not found in token {token:?}")]
    KeyNotFound {
        /// The key label.
        label: String,
        /// The token label.
        token: String,
    },
    /// More than one private key carries the label.
    #[error("{count} private keys are labelled {label:?} in token {token:?}; the CA needs a unique key label")]
    KeyAmbiguous {
        /// The key label.
        label: String,
        /// The token label.
        token: String,
        /// How many private keys carry it.
        count: usize,
    },
    /// The private key is not an EC key (`CKA_KEY_TYPE` is not `CKK_EC`).
    #[error("key {label:?} is not an elliptic-curve key")]
    NotAnEcKey {
        /// The key label.
        label: String,
    },
    /// The private key has no matching public key object (same `CKA_ID`, or the same
    /// label when the key has no ID), or more than one.
    #[error(
        "key {label:?} has {count} matching public key objects in the token (expected exactly 1)"
    )]
    PublicKeyObject {
        /// The key label.
        label: String,
        /// How many public key objects matched.
        count: usize,
    },
    /// The key's `CKA_EC_PARAMS` do not name P-256 or P-384.
    #[error(
        "key {label:?} is not on P-256 or P-384 (CKA_EC_PARAMS {})",
        hex::encode(ec_params)
    )]
    UnsupportedKeyCurve {
        /// The key label.
        label: String,
        /// The raw `CKA_EC_PARAMS` value.
        ec_params: Vec<u8>,
    },
    /// The key's `CKA_EC_POINT` is not an uncompressed point of the key's curve.
    #[error("key {label:?} has a malformed public point (CKA_EC_POINT of {len} bytes)")]
    MalformedPublicPoint {
        /// The key label.
        label: String,
        /// Length of the attribute value.
        len: usize,
    },
    /// A required attribute was missing from the token's answer.
    #[error("key {label:?} has no readable {attribute}")]
    MissingAttribute {
        /// The key label.
        label: String,
        /// The attribute's PKCS#11 name, e.g. `CKA_EC_POINT`.
        attribute: &'static str,
    },
    /// The private key could leave the token: a CA key must be sensitive and
    /// non-extractable.
    #[error(
        "key {label:?} is exportable (CKA_SENSITIVE={sensitive}, CKA_EXTRACTABLE={extractable}); a CA key must never leave the token"
    )]
    KeyExportable {
        /// The key label.
        label: String,
        /// `CKA_SENSITIVE` as read back.
        sensitive: bool,
        /// `CKA_EXTRACTABLE` as read back.
        extractable: bool,
    },
    /// The private key may not sign (`CKA_SIGN` is false).
    #[error("key {label:?} is not allowed to sign (CKA_SIGN=false)")]
    KeyCannotSign {
        /// The key label.
        label: String,
    },
    /// The key in the token changed since it was looked up (deleted and replaced
    /// under the same label).
    #[error("key {label:?} in token {token:?} is no longer the key the CA loaded")]
    KeyReplaced {
        /// The key label.
        label: String,
        /// The token label.
        token: String,
    },
    /// The expected public key (from the CA certificate) is not a DER
    /// SubjectPublicKeyInfo.
    #[error("the expected public key for {label:?} is not a DER SubjectPublicKeyInfo: {source}")]
    ExpectedKeyMalformed {
        /// The key label.
        label: String,
        /// The decoder's complaint.
        #[source]
        source: der::Error,
    },
    /// The token's key is not the expected one: the CA certificate does not belong to
    /// this key.
    #[error("key {label:?} in token {token:?} does not match the expected public key (the CA certificate is for another key)")]
    PublicKeyMismatch {
        /// The key label.
        label: String,
        /// The token label.
        token: String,
    },
    /// The token returned a signature of the wrong size for the curve.
    #[error("token returned a {len}-byte ECDSA signature for key {label:?} (expected {expected})")]
    BadSignatureLength {
        /// The key label.
        label: String,
        /// Bytes returned.
        len: usize,
        /// `2 × field size` of the curve.
        expected: usize,
    },
    /// The self-test signature did not verify under the key's public half.
    #[error("self-test of key {label:?} failed: a signature from the token does not verify under the key's public key")]
    SelfTestVerify {
        /// The key label.
        label: String,
    },
    /// DER encoding of a public key or signature failed.
    #[error("encoding {what} as DER failed: {source}")]
    Encoding {
        /// What was being encoded.
        what: &'static str,
        /// The encoder's complaint.
        #[source]
        source: der::Error,
    },
    /// A PKCS#11 call failed for a reason not covered above.
    #[error("PKCS#11 error on token {token:?} while {operation}: {source}")]
    Pkcs11 {
        /// The token label.
        token: String,
        /// The step that failed.
        operation: Operation,
        /// The module's return value.
        #[source]
        source: cryptoki::error::Error,
    },
}

/// `"a", "b"`, or `none` for an empty list.
fn list_labels(labels: &[String]) -> String {
    if labels.is_empty() {
        return "none".to_owned();
    }
    labels
        .iter()
        .map(|l| format!("{l:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_not_found_lists_the_labels_present() {
        let err = HsmError::TokenNotFound {
            label: "ca".to_owned(),
            module: PathBuf::from("m.so"),
            present: vec!["one".to_owned(), "two".to_owned()],
        };
        assert_eq!(
            err.to_string(),
            r#"token "ca" not found in PKCS#11 module m.so (tokens present: "one", "two")"#
        );
        let none = HsmError::TokenNotFound {
            label: "ca".to_owned(),
            module: PathBuf::from("m.so"),
            present: Vec::new(),
        };
        assert!(none.to_string().ends_with("(tokens present: none)"));
    }

    #[test]
    fn unsupported_curve_shows_the_params() {
        let err = HsmError::UnsupportedKeyCurve {
            label: "k".to_owned(),
            ec_params: vec![0x06, 0x01, 0xab],
        };
        assert!(err.to_string().contains("CKA_EC_PARAMS 0601ab"));
    }
}
