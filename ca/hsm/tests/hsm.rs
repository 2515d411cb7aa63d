#![allow(clippy::expect_used, clippy::unwrap_used)]
//! signet-hsm against a real SoftHSM2 token: key generation, custody attributes read
//! back from outside the crate, persistence across `Hsm` instances, PIN and label
//! errors, the self-test, and concurrent signing through the session pool.

use std::sync::Arc;
use std::thread;

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use der::Decode;
use signet_ca_core::signer::{CaAlgorithm, CaSigner};
use signet_hsm::testing::softhsm_token;
use signet_hsm::{EcCurve, Hsm, HsmConfig, HsmError, HsmKey, Pin};
use spki::SubjectPublicKeyInfoRef;

/// The uncompressed point inside a DER SubjectPublicKeyInfo, after checking the
/// algorithm is id-ecPublicKey on `curve`.
fn point_of(spki_der: &[u8], curve: EcCurve) -> Vec<u8> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der).unwrap();
    assert_eq!(spki.algorithm.oid, const_oid::db::rfc5912::ID_EC_PUBLIC_KEY);
    let params = spki.algorithm.parameters.unwrap();
    assert_eq!(
        params.decode_as::<const_oid::ObjectIdentifier>().unwrap(),
        curve.oid()
    );
    spki.subject_public_key.as_bytes().unwrap().to_vec()
}

/// Verifies a DER ECDSA signature with aws-lc-rs against the key's SPKI.
fn verifies(spki_der: &[u8], curve: EcCurve, message: &[u8], sig: &[u8]) -> bool {
    let algorithm = match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
        _ => unreachable!(),
    };
    UnparsedPublicKey::new(algorithm, point_of(spki_der, curve))
        .verify(message, sig)
        .is_ok()
}

/// A session opened with cryptoki directly, on the same token: an outsider's view of
/// what signet-hsm created. The process is logged in while an `Hsm` on the token is
/// open, so private objects are visible.
fn outside_session(config: &HsmConfig) -> Session {
    let ctx = Pkcs11::new(&config.module).unwrap();
    // signet-hsm has initialised the module in this process already.
    let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = ctx
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label().trim_end() == config.token_label)
        .unwrap();
    ctx.open_rw_session(slot).unwrap()
}

fn find(session: &Session, class: ObjectClass, label: &str) -> Vec<ObjectHandle> {
    session
        .find_objects(&[
            Attribute::Class(class),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .unwrap()
}

/// Generates a key pair directly with cryptoki, with the given extractability.
fn outside_keypair(session: &Session, label: &str, extractable: bool) {
    let label = Attribute::Label(label.as_bytes().to_vec());
    let id = Attribute::Id(session.generate_random_vec(8).unwrap());
    let params = der::Encode::to_der(&EcCurve::P256.oid()).unwrap();
    session
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::EcParams(params),
                label.clone(),
                id.clone(),
            ],
            &[
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(!extractable),
                Attribute::Extractable(extractable),
                Attribute::Sign(true),
                label,
                id,
            ],
        )
        .unwrap();
}

#[test]
fn generated_keys_sign_and_verify_on_both_curves() {
    let config = softhsm_token("curves");
    let hsm = Hsm::open(&config, 2).unwrap();
    for (label, curve, algorithm) in [
        ("root-p256", EcCurve::P256, CaAlgorithm::EcdsaP256Sha256),
        ("root-p384", EcCurve::P384, CaAlgorithm::EcdsaP384Sha384),
    ] {
        let key = hsm.generate_ec_key(label, curve).unwrap();
        assert_eq!(key.label(), label);
        assert_eq!(key.curve(), curve);
        assert_eq!(key.algorithm(), algorithm);
        assert_eq!(key.id().len(), 16);
        let message = b"tbsCertificate bytes";
        let sig = key.sign(message).unwrap();
        assert!(
            verifies(key.public_key_der(), curve, message, &sig),
            "{curve}"
        );
        assert!(!verifies(key.public_key_der(), curve, b"other bytes", &sig));
        // ECDSA signatures are randomised: two signatures differ, both verify.
        let again = key.sign(message).unwrap();
        assert_ne!(sig, again);
        assert!(verifies(key.public_key_der(), curve, message, &again));
    }
    // The two keys are distinct.
    let p256 = hsm.find_key("root-p256").unwrap().unwrap();
    let p384 = hsm.find_key("root-p384").unwrap().unwrap();
    assert_ne!(p256.public_key_der(), p384.public_key_der());
    assert_ne!(p256.id(), p384.id());
}

#[test]
fn private_key_is_sensitive_and_never_extractable() {
    let config = softhsm_token("custody");
    let hsm = Hsm::open(&config, 1).unwrap();
    let key = hsm
        .generate_ec_key("ca-intermediate", EcCurve::P256)
        .unwrap();

    let session = outside_session(&config);
    let private = find(&session, ObjectClass::PRIVATE_KEY, "ca-intermediate");
    assert_eq!(private.len(), 1);
    let attributes = session
        .get_attributes(
            private[0],
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
                AttributeType::Token,
                AttributeType::Private,
                AttributeType::Sign,
                AttributeType::Derive,
                AttributeType::Id,
            ],
        )
        .unwrap();
    for expected in [
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::AlwaysSensitive(true),
        Attribute::NeverExtractable(true),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sign(true),
        Attribute::Derive(false),
        Attribute::Id(key.id().to_vec()),
    ] {
        assert!(
            attributes.contains(&expected),
            "{expected:?} not in {attributes:?}"
        );
    }
    // The private value cannot be read.
    let info = session
        .get_attribute_info(private[0], &[AttributeType::Value])
        .unwrap();
    assert!(
        matches!(info.as_slice(), [AttributeInfo::Sensitive]),
        "CKA_VALUE is not sensitive: {info:?}"
    );
    let value = session
        .get_attributes(private[0], &[AttributeType::Value])
        .unwrap();
    assert!(value.is_empty(), "CKA_VALUE was returned: {value:?}");

    // The public half is a token object too, paired by CKA_ID.
    let public = find(&session, ObjectClass::PUBLIC_KEY, "ca-intermediate");
    assert_eq!(public.len(), 1);
    let public_attributes = session
        .get_attributes(public[0], &[AttributeType::Token, AttributeType::Id])
        .unwrap();
    assert!(public_attributes.contains(&Attribute::Token(true)));
    assert!(public_attributes.contains(&Attribute::Id(key.id().to_vec())));
}

#[test]
fn duplicate_labels_are_refused() {
    let config = softhsm_token("duplicates");
    let hsm = Hsm::open(&config, 1).unwrap();
    let first = hsm.generate_ec_key("ca-root", EcCurve::P256).unwrap();
    let err = hsm.generate_ec_key("ca-root", EcCurve::P384).unwrap_err();
    assert!(
        matches!(&err, HsmError::KeyExists { label, .. } if label == "ca-root"),
        "{err}"
    );
    assert!(err.to_string().contains("already exists"), "{err}");
    // The first key is untouched and still the only one.
    let found = hsm.find_key("ca-root").unwrap().unwrap();
    assert_eq!(found.public_key_der(), first.public_key_der());
    assert_eq!(found.curve(), EcCurve::P256);
    assert!(matches!(
        hsm.generate_ec_key("", EcCurve::P256),
        Err(HsmError::EmptyKeyLabel)
    ));
}

#[test]
fn keys_persist_across_hsm_instances() {
    let config = softhsm_token("persistence");
    let (spki, id) = {
        let hsm = Hsm::open(&config, 2).unwrap();
        let key = hsm.generate_ec_key("ca-root", EcCurve::P384).unwrap();
        (key.public_key_der().to_vec(), key.id().to_vec())
        // Every session closes here: the process is logged out of the token.
    };
    let hsm = Hsm::open(&config, 1).unwrap();
    let key = hsm.find_key("ca-root").unwrap().expect("key persisted");
    assert_eq!(key.public_key_der(), spki.as_slice());
    assert_eq!(key.id(), id.as_slice());
    assert_eq!(key.curve(), EcCurve::P384);
    let sig = key.sign(b"after reopening").unwrap();
    assert!(verifies(&spki, EcCurve::P384, b"after reopening", &sig));
    assert!(hsm.find_key("no-such-key").unwrap().is_none());
}

#[test]
fn wrong_pin_is_refused() {
    let config = softhsm_token("pin");
    let wrong = HsmConfig {
        user_pin: Pin::new("not-the-pin"),
        ..config.clone()
    };
    let err = Hsm::open(&wrong, 1).unwrap_err();
    assert!(
        matches!(&err, HsmError::WrongPin { token } if *token == config.token_label),
        "{err}"
    );
    assert!(err.to_string().contains("wrong user PIN"), "{err}");

    // While the process is logged in through another Hsm the module does not check
    // PINs; signet-hsm still does.
    let open = Hsm::open(&config, 1).unwrap();
    let err = Hsm::open(&wrong, 1).unwrap_err();
    assert!(matches!(err, HsmError::WrongPin { .. }), "{err}");
    let second = Hsm::open(&config, 1).unwrap();
    drop((open, second));
}

#[test]
fn unknown_token_error_names_the_tokens_present() {
    let config = softhsm_token("present");
    let missing = HsmConfig {
        token_label: "no-such-token".to_owned(),
        ..config.clone()
    };
    let err = Hsm::open(&missing, 1).unwrap_err();
    match &err {
        HsmError::TokenNotFound { label, present, .. } => {
            assert_eq!(label, "no-such-token");
            assert!(present.contains(&config.token_label), "{present:?}");
        }
        other => panic!("unexpected error {other}"),
    }
    let message = err.to_string();
    assert!(message.contains("\"no-such-token\" not found"), "{message}");
    assert!(
        message.contains(&format!("{:?}", config.token_label)),
        "{message}"
    );
}

#[test]
fn module_and_pool_size_errors() {
    let config = softhsm_token("module");
    let bad_module = HsmConfig {
        module: std::env::temp_dir().join("no-such-pkcs11-module.so"),
        ..config.clone()
    };
    let err = Hsm::open(&bad_module, 1).unwrap_err();
    assert!(matches!(err, HsmError::ModuleLoad { .. }), "{err}");
    assert!(
        err.to_string().contains("no-such-pkcs11-module.so"),
        "{err}"
    );
    assert!(matches!(Hsm::open(&config, 0), Err(HsmError::NoSessions)));
}

#[test]
fn self_test_passes_and_detects_the_wrong_key() {
    let config = softhsm_token("selftest");
    let hsm = Hsm::open(&config, 1).unwrap();
    let root = hsm.generate_ec_key("root", EcCurve::P384).unwrap();
    let intermediate = hsm.generate_ec_key("intermediate", EcCurve::P256).unwrap();
    let other = hsm.generate_ec_key("other", EcCurve::P256).unwrap();

    root.self_test(None).unwrap();
    root.self_test(Some(root.public_key_der())).unwrap();
    intermediate
        .self_test(Some(intermediate.public_key_der()))
        .unwrap();

    // A certificate for another key of the same curve, or of another curve.
    for expected in [other.public_key_der(), root.public_key_der()] {
        let err = intermediate.self_test(Some(expected)).unwrap_err();
        assert!(
            matches!(&err, HsmError::PublicKeyMismatch { label, .. } if label == "intermediate"),
            "{err}"
        );
    }
    let err = intermediate.self_test(Some(b"not der")).unwrap_err();
    assert!(
        matches!(err, HsmError::ExpectedKeyMalformed { .. }),
        "{err}"
    );
}

#[test]
fn self_test_detects_a_deleted_or_replaced_key() {
    let config = softhsm_token("replaced");
    let hsm = Hsm::open(&config, 1).unwrap();
    let key = hsm.generate_ec_key("ca", EcCurve::P256).unwrap();
    key.self_test(None).unwrap();

    let session = outside_session(&config);
    for handle in find(&session, ObjectClass::PRIVATE_KEY, "ca") {
        session.destroy_object(handle).unwrap();
    }
    let err = key.self_test(None).unwrap_err();
    assert!(matches!(err, HsmError::KeyNotFound { .. }), "{err}");
    assert!(key.sign(b"x").is_err(), "signing with a deleted key");

    for handle in find(&session, ObjectClass::PUBLIC_KEY, "ca") {
        session.destroy_object(handle).unwrap();
    }
    let replacement = hsm.generate_ec_key("ca", EcCurve::P256).unwrap();
    replacement.self_test(None).unwrap();
    let err = key.self_test(None).unwrap_err();
    assert!(matches!(err, HsmError::KeyReplaced { .. }), "{err}");
}

#[test]
fn self_test_refuses_an_extractable_key() {
    let config = softhsm_token("extractable");
    let hsm = Hsm::open(&config, 1).unwrap();
    let session = outside_session(&config);
    outside_keypair(&session, "exportable", true);
    let key = hsm.find_key("exportable").unwrap().unwrap();
    // It signs, but it is not fit to be a CA key.
    let sig = key.sign(b"m").unwrap();
    assert!(verifies(key.public_key_der(), EcCurve::P256, b"m", &sig));
    let err = key.self_test(None).unwrap_err();
    assert!(
        matches!(
            err,
            HsmError::KeyExportable {
                sensitive: false,
                extractable: true,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn ambiguous_key_labels_are_refused() {
    let config = softhsm_token("ambiguous");
    let hsm = Hsm::open(&config, 1).unwrap();
    let session = outside_session(&config);
    outside_keypair(&session, "twin", false);
    outside_keypair(&session, "twin", false);
    let err = hsm.find_key("twin").unwrap_err();
    assert!(
        matches!(err, HsmError::KeyAmbiguous { count: 2, .. }),
        "{err}"
    );
}

#[test]
fn concurrent_signing_through_the_pool() {
    const THREADS: usize = 4;
    const SIGNATURES: usize = 200;
    let config = softhsm_token("concurrency");
    let hsm = Hsm::open(&config, 3).unwrap();
    assert_eq!(hsm.sessions(), 3);
    let key: Arc<dyn CaSigner> = Arc::new(hsm.generate_ec_key("ca", EcCurve::P256).unwrap());
    drop(hsm); // the key keeps the pool open

    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let key = Arc::clone(&key);
            thread::spawn(move || {
                (0..SIGNATURES)
                    .map(|i| {
                        let message = format!("thread {t} message {i}").into_bytes();
                        let sig = key.sign(&message).unwrap();
                        (message, sig)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut verified = 0;
    for worker in workers {
        for (message, sig) in worker.join().unwrap() {
            assert!(
                verifies(key.public_key_der(), EcCurve::P256, &message, &sig),
                "{}",
                String::from_utf8_lossy(&message)
            );
            verified += 1;
        }
    }
    assert_eq!(verified, THREADS * SIGNATURES);
}

#[test]
fn keys_are_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<HsmKey>();
    assert_send_sync::<Hsm>();
    let config = softhsm_token("clone");
    let hsm = Hsm::open(&config, 1).unwrap();
    let key = hsm.generate_ec_key("ca", EcCurve::P256).unwrap();
    let copy = key.clone();
    assert_eq!(
        copy.public_key_der().as_ptr(),
        key.public_key_der().as_ptr()
    );
    // Debug shows names, never secrets.
    let shown = format!("{key:?} {hsm:?} {config:?}");
    assert!(shown.contains("\"ca\""), "{shown}");
    assert!(
        !shown.contains(signet_hsm::testing::TEST_USER_PIN),
        "{shown}"
    );
}
