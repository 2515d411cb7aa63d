//! Every way a proposed entry is rejected, one table row each, asserting the error variant
//! (PROTOCOL.md §4.1: a 201 is forever, so validation is strict and precise).

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests;
// in test helpers a panic is a test failure, which is what we want. The helpers are shared
// by tests/entries.rs and tests/entry_rejections.rs, each of which uses only some of them.
#[allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
mod support;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use signet_rekor::entry::{
    canonicalize, canonicalize_value, index_keys_of_body, EntryError, EntryKind, EntryLimits,
};
use signet_rekor::pki::{KeyType, PkiError};
use spki::der::Any;
use spki::ObjectIdentifier;

use support::*;

type Check = fn(&EntryError) -> bool;

// RFC 5480, RFC 8017, RFC 8410 public key algorithm OIDs.
const EC: &str = "1.2.840.10045.2.1";
const RSA: &str = "1.2.840.113549.1.1.1";
const ED25519: &str = "1.3.101.112";

/// A table row: (name, proposed entry, does the error match the pattern).
macro_rules! row {
    ($name:expr, $value:expr, $pattern:pat) => {
        (
            $name,
            $value,
            (|e: &EntryError| matches!(e, $pattern)) as Check,
        )
    };
}

/// `InvalidKey` whose `PkiError` matches the pattern.
macro_rules! key_row {
    ($name:expr, $value:expr, $pattern:pat) => {
        row!(
            $name,
            $value,
            EntryError::InvalidKey {
                source: $pattern,
                ..
            }
        )
    };
}

/// Runs each row; every row must fail with its variant.
fn run_table(cases: &[(&str, Value, Check)], limits: &EntryLimits) {
    for (name, proposed, check) in cases {
        match canonicalize(&to_bytes(proposed), limits) {
            Ok(_) => panic!("{name}: accepted"),
            Err(err) => assert!(check(&err), "{name}: wrong error: {err} ({err:?})"),
        }
    }
}

#[test]
fn hashedrekord_rejections() {
    let (base, key) = valid_hashedrekord();
    canonicalize_value(&base, &EntryLimits::default()).unwrap(); // each row is one change
    let other = TestKey::p256();
    let ed = TestKey::ed25519();
    let message = b"hello";
    let digest = hex::encode(Sha256::digest(message));
    let key_pem = key.pem();
    let cert = RealHashedRekord::load("sigstore-python/bundle_v3.txt.sigstore").cert_der;
    let b64 = |s: &str| Value::from(B64.encode(s));
    let (sig, pk, alg, value) = (
        "/spec/signature/content",
        "/spec/signature/publicKey/content",
        "/spec/data/hash/algorithm",
        "/spec/data/hash/value",
    );
    let mut flipped = Sha256::digest(message).to_vec();
    flipped[0] ^= 1;
    let root = TestCa::root("Root");
    let impostor = TestCa::root("Root"); // same name, different key
    let (leaf, _) = root.leaf(&[], &[]);
    let not_ca = TestCa::issued("Not a CA", &root, false);
    let (leaf_of_not_ca, _) = not_ca.leaf(&[], &[]);
    let p256_point = spki_key_bits(&key.spki_der());
    let mut compressed = p256_point[..33].to_vec();
    compressed[0] = 0x02 | (p256_point[64] & 1);
    let mut off_curve = p256_point.clone();
    off_curve[64] ^= 1;
    let p256 = Any::encode_from(&ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7")).unwrap();
    let rsa_2048 = spki_key_bits(&TestKey::rsa(RsaPad::Pkcs1Sha256).spki_der());
    let ed_entry = with(
        &with(&base, pk, b64(&ed.pem())),
        sig,
        json!(B64.encode(ed.sign(message))),
    );

    #[rustfmt::skip]
    let cases = vec![
        row!("top level is an array", json!([1]), EntryError::WrongType { .. }),
        row!("unknown top-level field", with(&base, "/extra", json!(1)), EntryError::UnknownField { .. }),
        row!("kind missing", without(&base, "", "kind"), EntryError::MissingField { .. }),
        row!("kind not a string", with(&base, "/kind", json!(7)), EntryError::WrongType { .. }),
        row!("unknown kind", with(&base, "/kind", json!("rekord")), EntryError::UnknownKind { .. }),
        row!("old apiVersion", with(&base, "/apiVersion", json!("0.0.9")),
             EntryError::UnsupportedApiVersion { kind: EntryKind::HashedRekord, .. }),
        row!("v2 apiVersion", with(&base, "/apiVersion", json!("0.0.2")), EntryError::UnsupportedApiVersion { .. }),
        row!("spec missing", without(&base, "", "spec"), EntryError::MissingField { .. }),
        row!("spec null", with(&base, "/spec", Value::Null), EntryError::MissingField { .. }),
        row!("unknown spec field", with(&base, "/spec/data/content", json!("x")), EntryError::UnknownField { .. }),
        row!("unknown algorithm", with(&base, alg, json!("md5")), EntryError::UnsupportedHashAlgorithm { .. }),
        row!("algorithm upper case", with(&base, alg, json!("SHA256")), EntryError::UnsupportedHashAlgorithm { .. }),
        row!("digest not hex", with(&base, value, json!("zz".repeat(32))), EntryError::InvalidHex { .. }),
        row!("digest odd length", with(&base, value, json!(&digest[..63])), EntryError::InvalidHex { .. }),
        row!("digest 31 bytes", with(&base, value, json!(&digest[..62])),
             EntryError::DigestLength { expected: 32, got: 31, .. }),
        row!("sha384 with a 32-byte digest", with(&base, alg, json!("sha384")),
             EntryError::DigestLength { expected: 48, got: 32, .. }),
        row!("digest missing", without(&base, "/spec/data/hash", "value"), EntryError::MissingField { .. }),
        row!("signature missing", without(&base, "/spec/signature", "content"), EntryError::MissingField { .. }),
        row!("signature empty", with(&base, sig, json!("")), EntryError::EmptyField { .. }),
        row!("signature not a string", with(&base, sig, json!(["a"])), EntryError::WrongType { .. }),
        row!("signature not base64", with(&base, sig, json!("not base64!")), EntryError::InvalidBase64 { .. }),
        row!("signature by another key", with(&base, sig, json!(B64.encode(other.sign(message)))),
             EntryError::Signature(PkiError::DigestSignatureMismatch)),
        row!("digest flipped", with(&base, value, json!(hex::encode(&flipped))),
             EntryError::Signature(PkiError::DigestSignatureMismatch)),
        row!("ed25519 key", ed_entry,
             EntryError::Signature(PkiError::KeyTypeNotAllowed { key_type: KeyType::Ed25519 })),
        row!("public key not base64", with(&base, pk, json!("%%%")), EntryError::InvalidBase64 { .. }),
        key_row!("public key not PEM", with(&base, pk, b64("hello")), PkiError::NotPem),
        key_row!("PKCS#1 RSA PEM", with(&base, pk, b64(&key_pem.replace("PUBLIC KEY", "RSA PUBLIC KEY"))),
                 PkiError::UnsupportedPemType { .. }),
        key_row!("key plus certificate", with(&base, pk, b64(&format!("{key_pem}{}", pem64("CERTIFICATE", &cert)))),
                 PkiError::PublicKeyNotAlone),
        key_row!("text after the PEM", with(&base, pk, b64(&format!("{key_pem}trailing words\n"))),
                 PkiError::TextOutsidePem),
        key_row!("PEM without END", with(&base, pk, b64(key_pem.split("-----END").next().unwrap())),
                 PkiError::UnterminatedPem { block: 0 }),
        key_row!("PEM body corrupt", with(&base, pk, b64(&key_pem.replacen("MF", "M!", 1))),
                 PkiError::MalformedPem { block: 0, .. }),
        key_row!("SPKI garbage", with(&base, pk, b64(&pem64("PUBLIC KEY", b"\x30\x03\x02\x01\x01"))),
                 PkiError::MalformedPublicKey { .. }),
        key_row!("certificate garbage", with(&base, pk, b64(&pem64("CERTIFICATE", b"\x30\x00"))),
                 PkiError::MalformedCertificate { index: 0, .. }),
        key_row!("secp256k1 key", with(&base, pk, b64(&TestKey::secp256k1_pem())), PkiError::UnsupportedCurve { .. }),
        key_row!("X25519 key", with(&base, pk, b64(&TestKey::x25519_pem())), PkiError::UnsupportedKeyAlgorithm { .. }),
        key_row!("EC key without a curve", with(&base, pk, b64(&spki_pem(EC, None, &p256_point))),
                 PkiError::InvalidKeyParameters { .. }),
        key_row!("EC key on a compressed point", with(&base, pk, b64(&spki_pem(EC, Some(p256.clone()), &compressed))),
                 PkiError::InvalidKey { key_type: KeyType::EcdsaP256 }),
        key_row!("EC point not on the curve", with(&base, pk, b64(&spki_pem(EC, Some(p256.clone()), &off_curve))),
                 PkiError::InvalidKey { key_type: KeyType::EcdsaP256 }),
        key_row!("RSA key without NULL parameters", with(&base, pk, b64(&spki_pem(RSA, None, &rsa_2048))),
                 PkiError::InvalidKeyParameters { .. }),
        key_row!("RSA 1024", with(&base, pk, b64(&spki_pem(RSA, Some(Any::null()), &rsa_1024_pkcs1()))),
                 PkiError::RsaKeySize { bits: 1024 }),
        key_row!("Ed25519 key with parameters", with(&base, pk, b64(&spki_pem(ED25519, Some(Any::null()), &[7; 32]))),
                 PkiError::InvalidKeyParameters { .. }),
        key_row!("11 certificates", with(&base, pk, b64(&pem64("CERTIFICATE", &cert).repeat(11))),
                 PkiError::TooManyCertificates { limit: 10 }),
        key_row!("chain to an impostor root", with(&base, pk, b64(&chain_pem(&[&leaf, impostor.der()]))),
                 PkiError::ChainSignature { index: 0 }),
        key_row!("chain through a non-CA", with(&base, pk, b64(&chain_pem(&[&leaf_of_not_ca, not_ca.der(), root.der()]))),
                 PkiError::ChainNotCa { index: 1 }),
    ];
    run_table(&cases, &EntryLimits::default());

    let err = canonicalize(b"{\"kind\":", &EntryLimits::default()).unwrap_err();
    assert!(matches!(err, EntryError::MalformedJson(_)), "{err}");
    assert!(err.to_string().starts_with("malformed JSON: "), "{err}");
    let small_body = EntryLimits {
        max_canonical_body_bytes: 200,
        ..EntryLimits::default()
    };
    let err = canonicalize_value(&base, &small_body).unwrap_err();
    assert!(
        matches!(err, EntryError::CanonicalBodyTooLarge { limit: 200, .. }),
        "{err}"
    );
}

#[test]
fn error_messages_name_the_field() {
    let (base, _) = valid_hashedrekord();
    let digest = str_at(&base, "/spec/data/hash/value").to_owned();
    let (sig, pk) = (
        "/spec/signature/content",
        "/spec/signature/publicKey/content",
    );
    let stranger_sig = B64.encode(TestKey::p256().sign(b"hello"));
    #[rustfmt::skip]
    let cases = [
        (with(&base, "/kind", json!("foo")), r#"unknown entry kind "foo" (supported: hashedrekord, dsse)"#),
        (with(&base, "/apiVersion", json!("0.0.9")),
         r#"unsupported apiVersion "0.0.9" for kind hashedrekord (supported: 0.0.1)"#),
        (with(&base, "/spec/data/hash/value", json!("xy")), "spec.data.hash.value: invalid hex"),
        (with(&base, "/spec/data/hash/value", json!(&digest[..62])),
         "spec.data.hash.value: sha256 digest must be 32 bytes, got 31"),
        (with(&base, sig, json!("a")), "spec.signature.content: invalid base64"),
        (without(&base, "/spec/signature", "content"), r#"missing field "spec.signature.content""#),
        (with(&base, "/spec/signature/extra", json!(1)), r#"unknown field "spec.signature.extra""#),
        (with(&base, "/spec", json!([])), "spec: expected an object"),
        (with(&base, pk, json!(B64.encode("x"))),
         "spec.signature.publicKey.content: not a PEM certificate or public key"),
        (with(&base, pk, json!(B64.encode(TestKey::ed25519().pem()))),
         "key type not allowed: ed25519 cannot verify a prehashed digest"),
        (with(&base, sig, json!(stranger_sig)), "signature does not verify over the digest with the supplied key"),
    ];
    for (proposed, text) in cases {
        let err = canonicalize_value(&proposed, &EntryLimits::default()).unwrap_err();
        assert_eq!(err.to_string(), text);
    }
}

#[test]
fn dsse_rejections() {
    let key = TestKey::p256();
    let stranger = TestKey::p256();
    let pt = "application/vnd.in-toto+json";
    let payload = b"{\"_type\":\"x\"}";
    let pae_bytes = pae(pt, payload);
    let good = key.sign(&pae_bytes);
    let env = |sigs: &[Vec<u8>]| Value::from(envelope(pt, payload, sigs));
    let base = dsse_entry(
        &envelope(pt, payload, std::slice::from_ref(&good)),
        &[key.pem().into_bytes()],
    );
    let accepted = canonicalize_value(&base, &EntryLimits::default()).unwrap(); // each row is one change
                                                                                // sigstore-python sends the computed fields as `null` (its whole pydantic model): the
                                                                                // same entry, the same body.
    let mut with_nulls = base.clone();
    for field in ["envelopeHash", "payloadHash", "signatures"] {
        with_nulls["spec"][field] = Value::Null;
    }
    let nulls = canonicalize_value(&with_nulls, &EntryLimits::default()).unwrap();
    assert_eq!(nulls.body, accepted.body);
    let (env_ptr, verifiers) = (
        "/spec/proposedContent/envelope",
        "/spec/proposedContent/verifiers",
    );
    let raw_env = |v: Value| with(&base, env_ptr, Value::from(v.to_string()));
    let mine = Value::from(B64.encode(key.pem()));
    let theirs = Value::from(B64.encode(stranger.pem()));
    let other_type = Value::from(envelope("text/plain", payload, std::slice::from_ref(&good)));

    #[rustfmt::skip]
    let cases = vec![
        row!("apiVersion 0.0.2", with(&base, "/apiVersion", json!("0.0.2")),
             EntryError::UnsupportedApiVersion { kind: EntryKind::Dsse, .. }),
        row!("server-computed field", with(&base, "/spec/payloadHash", json!({"algorithm": "sha256", "value": "00"})),
             EntryError::ServerComputedField { field: "payloadHash" }),
        row!("unknown spec field", with(&base, "/spec/other", json!(1)), EntryError::UnknownField { .. }),
        row!("proposedContent missing", without(&base, "/spec", "proposedContent"), EntryError::MissingField { .. }),
        row!("envelope missing", without(&base, "/spec/proposedContent", "envelope"), EntryError::MissingField { .. }),
        row!("envelope is an object", with(&base, env_ptr, json!({})), EntryError::WrongType { .. }),
        row!("envelope not JSON", with(&base, env_ptr, json!("{nope")), EntryError::MalformedEnvelope(_)),
        row!("envelope unknown field",
             raw_env(json!({"payload": "", "payloadType": pt, "signatures": [{"sig": "AA=="}], "x": 1})),
             EntryError::UnknownField { .. }),
        row!("payload not base64", raw_env(json!({"payload": "***", "payloadType": pt, "signatures": [{"sig": "AA=="}]})),
             EntryError::InvalidBase64 { .. }),
        row!("payloadType missing", raw_env(json!({"payload": "", "signatures": [{"sig": "AA=="}]})),
             EntryError::MissingField { .. }),
        row!("no signatures", raw_env(json!({"payload": "", "payloadType": pt, "signatures": []})),
             EntryError::NoEnvelopeSignatures),
        row!("sig not standard base64", raw_env(json!({"payload": "", "payloadType": pt, "signatures": [{"sig": "A-_A"}]})),
             EntryError::InvalidBase64 { .. }),
        row!("sig missing", raw_env(json!({"payload": "", "payloadType": pt, "signatures": [{"keyid": ""}]})),
             EntryError::MissingField { .. }),
        row!("17 signatures", with(&base, env_ptr, env(&vec![good.clone(); 17])),
             EntryError::TooManySignatures { limit: 16, got: 17 }),
        row!("verifiers empty", with(&base, verifiers, json!([])), EntryError::EmptyField { .. }),
        row!("17 verifiers", with(&base, verifiers, Value::Array(vec![mine.clone(); 17])),
             EntryError::TooManyVerifiers { limit: 16, got: 17 }),
        row!("verifier not base64", with(&base, verifiers, json!(["@@"])), EntryError::InvalidBase64 { .. }),
        key_row!("verifier not a key", with(&base, verifiers, json!([B64.encode("junk")])), PkiError::NotPem),
        row!("signed by a stranger", with(&base, verifiers, json!([theirs.clone()])),
             EntryError::UnusedVerifier { index: 0 }),
        row!("extra verifier verifies nothing", with(&base, verifiers, json!([mine.clone(), theirs.clone()])),
             EntryError::UnusedVerifier { index: 1 }),
        row!("second signature unverified", with(&base, env_ptr, env(&[good.clone(), stranger.sign(&pae_bytes)])),
             EntryError::UnverifiedEnvelopeSignature { index: 1 }),
        row!("signature over another payload type", with(&base, env_ptr, other_type),
             EntryError::UnusedVerifier { index: 0 }),
    ];
    run_table(&cases, &EntryLimits::default());

    let tight = EntryLimits {
        max_envelope_bytes: 64,
        ..EntryLimits::default()
    };
    let err = canonicalize_value(&base, &tight).unwrap_err();
    assert!(
        matches!(err, EntryError::EnvelopeTooLarge { limit: 64, .. }),
        "{err}"
    );
}

#[test]
fn stored_body_rejections() {
    let hash = "ab".repeat(32);
    #[rustfmt::skip]
    let cases: Vec<(Vec<u8>, Check)> = vec![
        (b"[]".to_vec(), |e| matches!(e, EntryError::WrongType { .. })),
        (b"{".to_vec(), |e| matches!(e, EntryError::MalformedJson(_))),
        (br#"{"apiVersion":"0.0.1","kind":"intoto","spec":{}}"#.to_vec(), |e| matches!(e, EntryError::UnknownKind { .. })),
        (format!(r#"{{"apiVersion":"0.0.1","kind":"dsse","spec":{{"envelopeHash":{{"algorithm":"sha256","value":"{hash}"}}}}}}"#).into_bytes(),
         |e| matches!(e, EntryError::MissingField { .. })),
        (br#"{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":"00"}}}"#.to_vec(),
         |e| matches!(e, EntryError::DigestLength { expected: 32, got: 1, .. })),
        (br#"{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha1","value":"00"}}}"#.to_vec(),
         |e| matches!(e, EntryError::UnsupportedHashAlgorithm { .. })),
    ];
    for (body, check) in cases {
        let err = index_keys_of_body(&body).unwrap_err();
        assert!(check(&err), "{}: {err}", String::from_utf8_lossy(&body));
    }
}
