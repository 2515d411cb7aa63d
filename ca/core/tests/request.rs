//! Key material of signing requests: CSRs made by rcgen, proofs of possession made with
//! aws-lc, and keys that must be refused (PROTOCOL.md §2.1, §2.2).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use signet_ca_core::request::{self, CheckedPublicKey, KeyType, RequestError, RequestErrorClass};
use signet_ca_core::PemError;
use x509_cert::der::asn1::{Any, BitString, Uint};
use x509_cert::der::Encode;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};

const CHALLENGE: &str = "alice@example.com";

fn csr(alg: &'static rcgen::SignatureAlgorithm) -> (rcgen::KeyPair, String, Vec<u8>) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "csr-subject-name");
    let csr = params.serialize_request(&key).unwrap();
    (key, csr.pem().unwrap(), csr.der().to_vec())
}

fn pem(label: &str, der: &[u8]) -> String {
    x509_cert::der::pem::encode_string(label, x509_cert::der::pem::LineEnding::LF, der).unwrap()
}

#[test]
fn csrs_are_parsed_and_their_signature_checked() {
    for (alg, key_type) in [
        (&rcgen::PKCS_ECDSA_P256_SHA256, KeyType::EcdsaP256),
        (&rcgen::PKCS_ECDSA_P384_SHA384, KeyType::EcdsaP384),
        (&rcgen::PKCS_ED25519, KeyType::Ed25519),
    ] {
        let (key, pem_text, der) = csr(alg);
        let checked = request::parse_csr(pem_text.as_bytes()).unwrap();
        assert_eq!(checked.key_type(), key_type);
        assert_eq!(checked.spki_der(), key.public_key_der());
        // DER, and PEM with CRLF line ends, are accepted too.
        assert_eq!(request::parse_csr(&der).unwrap(), checked);
        let crlf = pem_text.replace('\n', "\r\n");
        assert_eq!(request::parse_csr(crlf.as_bytes()).unwrap(), checked);

        // Tampered: a subject byte changed (the signature no longer covers it).
        let mut tampered = der.clone();
        let at = tampered
            .windows(16)
            .position(|w| w == b"csr-subject-name")
            .unwrap();
        tampered[at] = b'C';
        let err = request::parse_csr(&tampered).unwrap_err();
        assert!(matches!(err, RequestError::CsrSignatureInvalid), "{err}");
        assert_eq!(
            err.to_string(),
            "certificate signing request signature is invalid"
        );
        assert_eq!(err.class(), RequestErrorClass::SignatureNotVerified);
        // Tampered: the last signature byte.
        let mut tampered = der.clone();
        *tampered.last_mut().unwrap() ^= 0x01;
        assert!(matches!(
            request::parse_csr(&pem("CERTIFICATE REQUEST", &tampered).into_bytes()),
            Err(RequestError::CsrSignatureInvalid) | Err(RequestError::MalformedCsr(_))
        ));
    }
}

#[test]
fn sigstore_python_style_csr() {
    // sigstore-python: P-256, ECDSA-SHA256, empty subject, BasicConstraints CA:false
    // critical in the extensionRequest attribute.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    // BasicConstraints ::= SEQUENCE {} (CA:false), critical.
    let mut bc = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x00]);
    bc.set_criticality(true);
    params.custom_extensions.push(bc);
    let csr = params.serialize_request(&key).unwrap();
    // PKCS#9 extensionRequest attribute present, subject an empty SEQUENCE.
    let extension_request = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e,
    ];
    assert!(csr.der().windows(11).any(|w| w == extension_request));
    let checked = request::parse_csr(csr.pem().unwrap().as_bytes()).unwrap();
    assert_eq!(checked.key_type(), KeyType::EcdsaP256);
    assert_eq!(checked.spki_der(), key.public_key_der());
}

#[test]
fn bad_csrs_say_what_is_wrong() {
    let (_, pem_text, der) = csr(&rcgen::PKCS_ECDSA_P256_SHA256);
    // A P-256 CSR claiming ecdsa-with-SHA384: not the registered pair (PROTOCOL.md §2.2).
    let sha256_oid = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let mut relabelled = der.clone();
    let at = relabelled
        .windows(10)
        .position(|w| w == sha256_oid)
        .unwrap();
    relabelled[at + 9] = 0x03;
    let err = request::parse_csr(&relabelled).unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::CsrSignatureAlgorithm {
                key_type: KeyType::EcdsaP256,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "certificate signing request signature algorithm 1.2.840.10045.4.3.3 is not permitted for ECDSA P-256 keys"
    );
    // Wrong PEM label.
    let wrong = pem("CERTIFICATE", &der);
    let err = request::parse_csr(wrong.as_bytes()).unwrap_err();
    assert!(
        matches!(err, RequestError::CsrPem(PemError::WrongLabel { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("bad PEM in certificate signing request"),
        "{err}"
    );
    assert_eq!(err.class(), RequestErrorClass::UnparsableCsr);
    // Broken base64.
    let broken = pem_text.replacen("MI", "M!", 1);
    assert!(matches!(
        request::parse_csr(broken.as_bytes()),
        Err(RequestError::CsrPem(PemError::Malformed(_)))
    ));
    // Not DER.
    let err = request::parse_csr(b"\x30\x03\x02\x01").unwrap_err();
    assert!(matches!(err, RequestError::MalformedCsr(_)), "{err}");
    // Two blocks.
    let two = format!("{pem_text}{pem_text}");
    assert!(matches!(
        request::parse_csr(two.as_bytes()),
        Err(RequestError::CsrPem(PemError::TrailingText))
    ));
    // Too large.
    let huge = vec![b' '; request::MAX_CSR_LEN + 1];
    let err = request::parse_csr(&huge).unwrap_err();
    assert!(matches!(err, RequestError::TooLarge { .. }), "{err}");
    assert_eq!(err.class(), RequestErrorClass::TooLarge);
}

fn spki_of(key: &impl KeyPair<PublicKey = impl AsDer<PublicKeyX509Der<'static>>>) -> Vec<u8> {
    key.public_key().as_der().unwrap().as_ref().to_vec()
}

#[test]
fn proof_of_possession_for_every_key_type() {
    let rng = SystemRandom::new();
    type Signer = Box<dyn Fn(&[u8]) -> Vec<u8>>;
    let mut cases: Vec<(Vec<u8>, Signer, KeyType)> = Vec::new();
    for (signing, key_type) in [
        (&sig::ECDSA_P256_SHA256_ASN1_SIGNING, KeyType::EcdsaP256),
        (&sig::ECDSA_P384_SHA384_ASN1_SIGNING, KeyType::EcdsaP384),
        (&sig::ECDSA_P521_SHA512_ASN1_SIGNING, KeyType::EcdsaP521),
    ] {
        let key = EcdsaKeyPair::generate(signing).unwrap();
        let spki = spki_of(&key);
        let rng = rng.clone();
        cases.push((
            spki,
            Box::new(move |m| key.sign(&rng, m).unwrap().as_ref().to_vec()),
            key_type,
        ));
    }
    let ed = Ed25519KeyPair::generate().unwrap();
    cases.push((
        spki_of(&ed),
        Box::new(move |m| ed.sign(m).as_ref().to_vec()),
        KeyType::Ed25519,
    ));
    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let rsa_spki = spki_of(&rsa);
    let rsa_rng = rng.clone();
    cases.push((
        rsa_spki,
        Box::new(move |m| {
            let mut out = vec![0; rsa.public_modulus_len()];
            rsa.sign(&sig::RSA_PKCS1_SHA256, &rsa_rng, m, &mut out)
                .unwrap();
            out
        }),
        KeyType::Rsa { bits: 2048 },
    ));

    for (spki, sign, key_type) in cases {
        let signature = sign(CHALLENGE.as_bytes());
        let pem_text = pem("PUBLIC KEY", &spki);
        // PEM public key.
        let checked =
            request::verify_proof_of_possession(pem_text.as_bytes(), CHALLENGE, &signature)
                .unwrap();
        assert_eq!(checked.key_type(), key_type);
        assert_eq!(checked.spki_der(), spki);
        // Raw DER bytes as the content.
        assert_eq!(
            request::verify_proof_of_possession(&spki, CHALLENGE, &signature).unwrap(),
            checked
        );
        // Wrong challenge.
        let err = request::verify_proof_of_possession(
            pem_text.as_bytes(),
            "mallory@example.com",
            &signature,
        )
        .unwrap_err();
        assert!(
            matches!(err, RequestError::ProofOfPossessionInvalid { key_type: k } if k == key_type),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("proof of possession is invalid"),
            "{err}"
        );
        assert_eq!(err.class(), RequestErrorClass::SignatureNotVerified);
        // Empty signature, empty challenge, oversized signature.
        assert!(request::verify_proof_of_possession(&spki, CHALLENGE, &[]).is_err());
        assert!(matches!(
            request::verify_proof_of_possession(&spki, "", &signature),
            Err(RequestError::EmptyChallenge)
        ));
        assert!(matches!(
            request::verify_proof_of_possession(&spki, CHALLENGE, &[0; 2048]),
            Err(RequestError::TooLarge {
                what: "proof of possession",
                ..
            })
        ));
    }
}

/// A syntactically valid RSA SubjectPublicKeyInfo with a modulus of `bits` bits.
fn rsa_spki(bits: usize, exponent: &[u8]) -> Vec<u8> {
    let mut modulus = vec![0x5a; bits / 8];
    modulus[0] = 0xc3;
    *modulus.last_mut().unwrap() |= 1;
    // RFC 8017 A.1.1: RSAPublicKey ::= SEQUENCE { modulus, publicExponent } — the same
    // bytes as a SEQUENCE OF two INTEGERs.
    let pkcs1 = vec![Uint::new(&modulus).unwrap(), Uint::new(exponent).unwrap()]
        .to_der()
        .unwrap();
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
            parameters: Some(Any::null()),
        },
        subject_public_key: BitString::from_bytes(&pkcs1).unwrap(),
    }
    .to_der()
    .unwrap()
}

#[test]
fn weak_and_unsupported_keys_are_refused() {
    // RSA-1024: too weak, whatever the signature.
    let weak = pem("PUBLIC KEY", &rsa_spki(1024, &[1, 0, 1]));
    let err =
        request::verify_proof_of_possession(weak.as_bytes(), CHALLENGE, &[0; 128]).unwrap_err();
    assert!(
        matches!(err, RequestError::RsaKeySize { bits: 1024 }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "key too weak: RSA 1024 bits (2048 to 4096 required)"
    );
    assert_eq!(err.class(), RequestErrorClass::InsecureKey);
    // RSA-8192: too large.
    assert!(matches!(
        CheckedPublicKey::from_spki_der(&rsa_spki(8192, &[1, 0, 1])),
        Err(RequestError::RsaKeySize { bits: 8192 })
    ));
    // RSA-2048 with e = 3.
    let err = CheckedPublicKey::from_spki_der(&rsa_spki(2048, &[3])).unwrap_err();
    assert!(matches!(err, RequestError::RsaExponent), "{err}");
    assert_eq!(
        err.to_string(),
        "key too weak: RSA public exponent is not 65537"
    );

    // secp256k1: unsupported curve.
    let k1 = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"),
            parameters: Some(Any::from(&ObjectIdentifier::new_unwrap("1.3.132.0.10"))),
        },
        subject_public_key: BitString::from_bytes(&[4; 65]).unwrap(),
    }
    .to_der()
    .unwrap();
    let err = CheckedPublicKey::from_spki_der(&k1).unwrap_err();
    assert!(
        matches!(err, RequestError::UnsupportedCurve { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("unsupported key: elliptic curve 1.3.132.0.10"),
        "{err}"
    );
    // X25519: unsupported algorithm.
    let x25519 = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.3.101.110"),
            parameters: None,
        },
        subject_public_key: BitString::from_bytes(&[9; 32]).unwrap(),
    }
    .to_der()
    .unwrap();
    assert!(matches!(
        CheckedPublicKey::from_spki_der(&x25519),
        Err(RequestError::UnsupportedKeyAlgorithm { .. })
    ));
    // A P-256 point not on the curve.
    let off_curve = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"),
            parameters: Some(Any::from(&ObjectIdentifier::new_unwrap(
                "1.2.840.10045.3.1.7",
            ))),
        },
        subject_public_key: BitString::from_bytes(&[4; 65]).unwrap(),
    }
    .to_der()
    .unwrap();
    let err = CheckedPublicKey::from_spki_der(&off_curve).unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::InvalidKey {
                key_type: KeyType::EcdsaP256
            }
        ),
        "{err}"
    );
    assert_eq!(err.class(), RequestErrorClass::UnparsablePublicKey);

    // Unparsable contents: not DER, bad PEM, PEM of the wrong type, too large.
    assert!(matches!(
        request::verify_proof_of_possession(b"hello", CHALLENGE, &[1]),
        Err(RequestError::MalformedPublicKey(_))
    ));
    let bad_pem = "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n";
    assert!(matches!(
        request::verify_proof_of_possession(bad_pem.as_bytes(), CHALLENGE, &[1]),
        Err(RequestError::PublicKeyPem(PemError::Malformed(_)))
    ));
    let cert_pem = pem("CERTIFICATE", &[0x30, 0x00]);
    let err =
        request::verify_proof_of_possession(cert_pem.as_bytes(), CHALLENGE, &[1]).unwrap_err();
    assert!(
        matches!(err, RequestError::PublicKeyPem(PemError::WrongLabel { .. })),
        "{err}"
    );
    assert!(matches!(
        request::verify_proof_of_possession(
            &vec![0; request::MAX_PUBLIC_KEY_LEN + 1],
            CHALLENGE,
            &[1]
        ),
        Err(RequestError::TooLarge {
            what: "public key",
            ..
        })
    ));
}
