//! The key ceremony and the start-up self-test, with software keys and with a real
//! SoftHSM2 token.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use signet_ca::keys::{self, CeremonyKeys, CeremonyParams, KeyError, KeyStore};
use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::signer::CaAlgorithm;
use signet_hsm::{testing, Pin};

#[test]
fn software_ceremony_then_load_and_refuse_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let store = keys::init(
        dir.path(),
        &CeremonyKeys::InsecureSoftwareKeysForDevelopment,
        &CeremonyParams::default(),
    )
    .expect("ceremony");
    assert!(matches!(
        store,
        KeyStore::InsecureSoftwareKeyForDevelopment { .. }
    ));
    let ca = keys::load(dir.path(), None, 1).expect("load");
    assert_eq!(ca.chain_der.len(), 2);
    assert_eq!(ca.chain_pem.len(), 2);
    assert!(ca.chain_pem[0].starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(
        ca.root_subject,
        ("signet".to_owned(), "signet-root".to_owned())
    );
    assert_eq!(ca.signer.public_key_der(), ca.issuer.spki_der());

    // A second ceremony refuses, and leaves the CA as it was.
    let before = std::fs::read(dir.path().join(keys::CHAIN_FILE)).unwrap();
    let err = keys::init(
        dir.path(),
        &CeremonyKeys::InsecureSoftwareKeysForDevelopment,
        &CeremonyParams::default(),
    )
    .expect_err("second ceremony");
    assert!(matches!(err, KeyError::AlreadyExists { .. }), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join(keys::CHAIN_FILE)).unwrap(),
        before
    );

    // A swapped key fails the self-test: the CA does not start.
    let other = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).unwrap();
    std::fs::write(
        dir.path().join(keys::INSECURE_KEY_FILE),
        other.to_pkcs8_pem().unwrap(),
    )
    .unwrap();
    let err = keys::load(dir.path(), None, 1).expect_err("swapped key");
    assert!(matches!(err, KeyError::SelfTest(_)), "{err}");
}

#[test]
fn nothing_to_load_says_run_init() {
    let dir = tempfile::tempdir().unwrap();
    let err = keys::load(dir.path(), None, 1).expect_err("empty dir");
    assert!(err.to_string().contains("signet ca init"), "{err}");
}

#[test]
fn hsm_ceremony_then_load_with_pin_only() {
    let hsm = testing::softhsm_token("ca-keys");
    let dir = tempfile::tempdir().unwrap();
    keys::init(
        dir.path(),
        &CeremonyKeys::Pkcs11 {
            hsm: hsm.clone(),
            label_prefix: "signet".to_owned(),
        },
        &CeremonyParams::default(),
    )
    .expect("ceremony in SoftHSM2");
    // The recorded store names the token and labels, never the PIN.
    let json = std::fs::read_to_string(dir.path().join(keys::KEYS_FILE)).unwrap();
    assert!(json.contains("\"pkcs11\""), "{json}");
    assert!(!json.contains(testing::TEST_USER_PIN), "{json}");
    assert!(!dir.path().join(keys::INSECURE_KEY_FILE).exists());

    let err = keys::load(dir.path(), None, 2).expect_err("no PIN");
    assert!(matches!(err, KeyError::PinRequired), "{err}");
    let ca = keys::load(dir.path(), Some(Pin::new(testing::TEST_USER_PIN)), 2).expect("load");
    let sig = ca.signer.sign(b"hello").expect("HSM signs");
    assert!(!sig.is_empty());

    // Another ceremony into the same token refuses: the labels exist.
    let dir2 = tempfile::tempdir().unwrap();
    let err = keys::init(
        dir2.path(),
        &CeremonyKeys::Pkcs11 {
            hsm,
            label_prefix: "signet".to_owned(),
        },
        &CeremonyParams::default(),
    )
    .expect_err("labels exist");
    assert!(matches!(err, KeyError::Hsm(_)), "{err}");
}
