//! Mutations of a real bundle: each breaks one rule and must fail with that rule's error.
//! [`limits`]: each limit passes at its value and fails one above it. [`signet_shape`]: a
//! bundle built from Signet's own log output parses; corrupted bundles never panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod limits;
mod signet_shape;

use base64::Engine as _;
use serde_json::{json, Value};

use super::{Bundle, BundleError, BundleVersion, Content, Oneof, Signer};
use crate::common::{FieldProblem, Limit};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const ENTRY: &str = "/verificationMaterial/tlogEntries/0";

/// sigstore-python's v0.3 staging bundle (message signature, Rekor v1 entry).
fn v03() -> Value {
    signet_testdata::read_json("sigstore-python/bundle_v3.txt.sigstore")
}

/// sigstore-go's v0.1 DSSE bundle.
fn dsse() -> Value {
    signet_testdata::read_json("sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json")
}

fn parse(v: &Value) -> Result<Bundle, BundleError> {
    Bundle::from_json(&serde_json::to_vec(v).unwrap())
}

/// `v` with the value at `pointer` replaced, or added to its parent object.
fn with(mut v: Value, pointer: &str, value: Value) -> Value {
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = value;
    } else {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = v.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}"));
        parent
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), value);
    }
    v
}

fn without(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let removed = v
        .pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key);
    assert!(removed.is_some(), "{pointer} was not there");
    v
}

fn missing(field: &str) -> Result<Bundle, BundleError> {
    Err(BundleError::MissingField {
        field: field.to_owned(),
    })
}

fn invalid(field: &str, problem: FieldProblem) -> Result<Bundle, BundleError> {
    Err(BundleError::InvalidField {
        field: field.to_owned(),
        problem,
    })
}

fn over(field: &str, limit: Limit, actual: usize) -> Result<Bundle, BundleError> {
    Err(BundleError::LimitExceeded {
        field: field.to_owned(),
        limit,
        actual,
    })
}

#[test]
fn media_types_accepted_and_rejected() {
    for (media_type, version) in [
        (
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            BundleVersion::V0_3,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
            BundleVersion::V0_3,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
            BundleVersion::V0_2,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            BundleVersion::V0_1,
        ),
    ] {
        let b = parse(&with(v03(), "/mediaType", json!(media_type))).unwrap();
        assert_eq!(b.version, version, "{media_type}");
    }
    for media_type in [
        "application/vnd.dev.sigstore.bundle.v0.4+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.4",
        "application/vnd.dev.sigstore.bundle.v0.2+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json ",
        "APPLICATION/VND.DEV.SIGSTORE.BUNDLE.V0.3+JSON",
    ] {
        assert_eq!(
            parse(&with(v03(), "/mediaType", json!(media_type))),
            Err(BundleError::UnsupportedMediaType {
                media_type: media_type.to_owned()
            })
        );
    }
    assert_eq!(parse(&without(v03(), "/mediaType")), missing("mediaType"));
}

#[test]
fn missing_fields_are_named() {
    for (pointer, field) in [
        ("/verificationMaterial", "verificationMaterial"),
        (
            "/verificationMaterial/certificate/rawBytes",
            "verificationMaterial.certificate.rawBytes",
        ),
        ("/0/logId", "verificationMaterial.tlogEntries[0].logId"),
        (
            "/0/logId/keyId",
            "verificationMaterial.tlogEntries[0].logId.keyId",
        ),
        (
            "/0/kindVersion/kind",
            "verificationMaterial.tlogEntries[0].kindVersion.kind",
        ),
        (
            "/0/canonicalizedBody",
            "verificationMaterial.tlogEntries[0].canonicalizedBody",
        ),
        (
            "/0/inclusionProof/rootHash",
            "verificationMaterial.tlogEntries[0].inclusionProof.rootHash",
        ),
        ("/messageSignature/signature", "messageSignature.signature"),
        (
            "/messageSignature/messageDigest/digest",
            "messageSignature.messageDigest.digest",
        ),
    ] {
        let pointer = pointer.replace("/0/", &format!("{ENTRY}/"));
        assert_eq!(
            parse(&without(v03(), &pointer)),
            missing(field),
            "{pointer}"
        );
    }
    // An empty value counts as missing (proto3 default).
    let empty_body = with(v03(), &format!("{ENTRY}/canonicalizedBody"), json!(""));
    assert_eq!(
        parse(&empty_body),
        missing("verificationMaterial.tlogEntries[0].canonicalizedBody")
    );
}

#[test]
fn malformed_fields_say_why() {
    let field = "messageSignature.signature";
    let v = with(v03(), "/messageSignature/signature", json!("not base64!"));
    assert_eq!(parse(&v), invalid(field, FieldProblem::NotBase64));

    let v = with(
        v03(),
        &format!("{ENTRY}/inclusionProof/hashes/3"),
        json!("@@@@"),
    );
    let field = "verificationMaterial.tlogEntries[0].inclusionProof.hashes[3]";
    assert_eq!(parse(&v), invalid(field, FieldProblem::NotBase64));

    let short = B64.encode([1u8; 31]);
    let v = with(
        v03(),
        &format!("{ENTRY}/inclusionProof/rootHash"),
        json!(short),
    );
    let field = "verificationMaterial.tlogEntries[0].inclusionProof.rootHash";
    let wrong = FieldProblem::WrongLength {
        expected: 32,
        actual: 31,
    };
    assert_eq!(parse(&v), invalid(field, wrong));

    let v = with(v03(), &format!("{ENTRY}/logIndex"), json!("-1"));
    let field = "verificationMaterial.tlogEntries[0].logIndex";
    assert_eq!(parse(&v), invalid(field, FieldProblem::Negative(-1)));
    let v = with(v03(), &format!("{ENTRY}/integratedTime"), json!(1.5));
    let field = "verificationMaterial.tlogEntries[0].integratedTime";
    assert_eq!(parse(&v), invalid(field, FieldProblem::NotInt64));

    let v = with(
        v03(),
        "/messageSignature/messageDigest/algorithm",
        json!("MD5"),
    );
    let field = "messageSignature.messageDigest.algorithm";
    let unknown = FieldProblem::UnknownEnumValue("MD5".to_owned());
    assert_eq!(parse(&v), invalid(field, unknown));
    let v = with(
        v03(),
        "/messageSignature/messageDigest/algorithm",
        json!("SHA2_384"),
    );
    let field = "messageSignature.messageDigest.digest";
    let wrong = FieldProblem::WrongLength {
        expected: 48,
        actual: 32,
    };
    assert_eq!(parse(&v), invalid(field, wrong));

    let v = with(v03(), "/verificationMaterial/unexpected", json!(1));
    assert!(matches!(parse(&v), Err(BundleError::Json { .. })));
    let v = with(v03(), &format!("{ENTRY}/logIndex"), json!(true));
    assert!(matches!(parse(&v), Err(BundleError::Json { .. })));
}

#[test]
fn proto_json_spellings_decode_alike() {
    let want = parse(&v03()).unwrap();
    // int64 as numbers.
    let mut v = v03();
    for (pointer, value) in [
        ("logIndex", 25_915_956u64),
        ("inclusionProof/treeSize", 25_901_138),
    ] {
        v = with(v, &format!("{ENTRY}/{pointer}"), json!(value));
    }
    assert_eq!(parse(&v).unwrap(), want);
    // URL-safe base64 without padding.
    let sig = B64
        .decode(v03()["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig);
    assert_eq!(
        parse(&with(v03(), "/messageSignature/signature", json!(url))).unwrap(),
        want
    );
    // snake_case keys.
    let text = serde_json::to_string(&v03()).unwrap();
    let snake = [
        ("mediaType", "media_type"),
        ("verificationMaterial", "verification_material"),
        ("tlogEntries", "tlog_entries"),
        ("canonicalizedBody", "canonicalized_body"),
        ("inclusionProof", "inclusion_proof"),
        ("rootHash", "root_hash"),
        ("messageSignature", "message_signature"),
    ]
    .iter()
    .fold(text, |t, (camel, snake)| {
        t.replace(&format!("\"{camel}\""), &format!("\"{snake}\""))
    });
    assert_eq!(Bundle::from_json(snake.as_bytes()).unwrap(), want);
}

#[test]
fn oneofs_need_exactly_one_member() {
    let both = with(v03(), "/dsseEnvelope", dsse()["dsseEnvelope"].clone());
    let err = |oneof, found| Err(BundleError::NotExactlyOne { oneof, found });
    assert_eq!(parse(&both), err(Oneof::Content, 2));
    assert_eq!(
        parse(&without(v03(), "/messageSignature")),
        err(Oneof::Content, 0)
    );
    let chain = json!({"certificates": [v03()["verificationMaterial"]["certificate"].clone()]});
    let two = with(v03(), "/verificationMaterial/x509CertificateChain", chain);
    assert_eq!(parse(&two), err(Oneof::VerificationMaterial, 2));
    let none = without(v03(), "/verificationMaterial/certificate");
    assert_eq!(parse(&none), err(Oneof::VerificationMaterial, 0));
}

#[test]
fn version_rules() {
    // v0.3 must not carry a chain.
    let cert = v03()["verificationMaterial"]["certificate"].clone();
    let chain = without(v03(), "/verificationMaterial/certificate");
    let chain = with(
        chain,
        "/verificationMaterial/x509CertificateChain",
        json!({"certificates": [cert]}),
    );
    assert_eq!(parse(&chain), Err(BundleError::CertificateChainInV03));
    let v02 = with(
        chain,
        "/mediaType",
        json!("application/vnd.dev.sigstore.bundle+json;version=0.2"),
    );
    assert!(matches!(
        parse(&v02).unwrap().verification_material.signer,
        Signer::CertificateChain(_)
    ));
    // v0.2+ needs a proof with a checkpoint; v0.1 does not.
    let no_proof = without(v03(), &format!("{ENTRY}/inclusionProof"));
    let version = BundleVersion::V0_3;
    assert_eq!(
        parse(&no_proof),
        Err(BundleError::MissingInclusionProof { entry: 0, version })
    );
    let v01 = with(
        no_proof,
        "/mediaType",
        json!("application/vnd.dev.sigstore.bundle+json;version=0.1"),
    );
    assert!(parse(&v01).is_ok());
    // v0.1 needs a promise.
    let no_promise = without(v01, &format!("{ENTRY}/inclusionPromise"));
    assert_eq!(
        parse(&no_promise),
        Err(BundleError::MissingInclusionPromise { entry: 0 })
    );
    // v0.2+ without a promise needs a timestamp.
    let ts = json!({"rfc3161Timestamps": [{"signedTimestamp": B64.encode(b"DER")}]});
    let v2_style = without(v03(), &format!("{ENTRY}/inclusionPromise"));
    assert_eq!(
        parse(&v2_style),
        Err(BundleError::NoSignedTime { entry: 0 })
    );
    let v2_style = with(
        v2_style,
        "/verificationMaterial/timestampVerificationData",
        ts,
    );
    assert_eq!(
        parse(&v2_style).unwrap().verification_material.tlog_entries[0].signed_entry_timestamp,
        None
    );
}

#[test]
fn entry_level_shape_rules() {
    let tree_size =
        v03()["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"].clone();
    let v = with(
        v03(),
        &format!("{ENTRY}/inclusionProof/logIndex"),
        tree_size,
    );
    let (log_index, tree_size) = (25_901_138, 25_901_138);
    assert_eq!(
        parse(&v),
        Err(BundleError::ProofIndexOutOfRange {
            entry: 0,
            log_index,
            tree_size
        })
    );
    let entry = v03()["verificationMaterial"]["tlogEntries"][0].clone();
    let v = with(
        v03(),
        "/verificationMaterial/tlogEntries",
        json!([entry.clone(), entry]),
    );
    assert_eq!(
        parse(&v),
        Err(BundleError::DuplicateTlogEntry {
            first: 0,
            second: 1
        })
    );
    let v = with(v03(), "/verificationMaterial/tlogEntries", json!([]));
    assert_eq!(parse(&v), Err(BundleError::NoTlogEntries));
}

#[test]
fn dsse_needs_exactly_one_signature() {
    let b = parse(&dsse()).unwrap();
    let Content::Dsse(env) = &b.content else {
        panic!("not DSSE")
    };
    assert_eq!(b.signature(), env.signature.as_slice());
    let sig = dsse()["dsseEnvelope"]["signatures"][0].clone();
    let two = with(
        dsse(),
        "/dsseEnvelope/signatures",
        json!([sig.clone(), sig]),
    );
    assert_eq!(
        parse(&two),
        Err(BundleError::DsseSignatureCount { count: 2 })
    );
    let none = with(dsse(), "/dsseEnvelope/signatures", json!([]));
    assert_eq!(
        parse(&none),
        Err(BundleError::DsseSignatureCount { count: 0 })
    );
    let no_type = without(dsse(), "/dsseEnvelope/payloadType");
    assert_eq!(parse(&no_type), missing("dsseEnvelope.payloadType"));
}
