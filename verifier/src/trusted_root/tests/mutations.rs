//! Mutations of the public-good trusted root: each breaks one rule and must fail with that
//! rule's error; each limit passes at its value and fails one above it.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{at, B64};
use crate::{
    common::{FieldProblem, Limit, LogId, MAX_TRUSTED_ROOT_BYTES},
    trusted_root::{LogKind, TrustedRoot, TrustedRootError, TrustedRootVersion},
};

fn production() -> Value {
    signet_testdata::read_json("trust/production-trusted_root.json")
}

fn parse(v: &Value) -> Result<TrustedRoot, TrustedRootError> {
    TrustedRoot::from_json(&serde_json::to_vec(v).unwrap())
}

fn with(mut v: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = v.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}"));
    parent
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
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

fn invalid(field: &str, problem: FieldProblem) -> Result<TrustedRoot, TrustedRootError> {
    Err(TrustedRootError::InvalidField {
        field: field.to_owned(),
        problem,
    })
}

fn missing(field: &str) -> Result<TrustedRoot, TrustedRootError> {
    Err(TrustedRootError::MissingField {
        field: field.to_owned(),
    })
}

#[test]
fn media_types() {
    let v02 = "application/vnd.dev.sigstore.trustedroot.v0.2+json";
    let v = with(production(), "/mediaType", json!(v02));
    let id = B64.encode([9u8; 32]);
    let v = with(v, "/tlogs/1/checkpointKeyId", json!({"keyId": id}));
    let v = with(v, "/tlogs/1/operator", json!("sigstore.dev"));
    let r = parse(&v).unwrap();
    assert_eq!(r.version, TrustedRootVersion::V0_2);
    assert_eq!(r.tlogs[1].checkpoint_key_id, Some(LogId([9; 32])));
    assert_eq!(r.tlogs[1].operator, "sigstore.dev");
    for media_type in [
        "application/vnd.dev.sigstore.trustedroot+json;version=0.2",
        "application/vnd.dev.sigstore.trustedroot.v0.1+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ] {
        let got = parse(&with(production(), "/mediaType", json!(media_type)));
        let media_type = media_type.to_owned();
        assert_eq!(
            got,
            Err(TrustedRootError::UnsupportedMediaType { media_type })
        );
    }
    assert_eq!(
        parse(&without(production(), "/mediaType")),
        missing("mediaType")
    );
}

#[test]
fn log_entries_need_every_field_well_formed() {
    let cases = [
        ("/tlogs/0/baseUrl", "tlogs[0].baseUrl"),
        ("/tlogs/0/hashAlgorithm", "tlogs[0].hashAlgorithm"),
        ("/tlogs/0/publicKey", "tlogs[0].publicKey"),
        ("/tlogs/0/publicKey/rawBytes", "tlogs[0].publicKey.rawBytes"),
        (
            "/ctlogs/1/publicKey/keyDetails",
            "ctlogs[1].publicKey.keyDetails",
        ),
        (
            "/ctlogs/1/publicKey/validFor",
            "ctlogs[1].publicKey.validFor",
        ),
        (
            "/ctlogs/1/publicKey/validFor/start",
            "ctlogs[1].publicKey.validFor.start",
        ),
        ("/tlogs/1/logId", "tlogs[1].logId"),
        (
            "/certificateAuthorities/1/certChain",
            "certificateAuthorities[1].certChain",
        ),
        (
            "/timestampAuthorities/0/validFor/start",
            "timestampAuthorities[0].validFor.start",
        ),
    ];
    for (pointer, field) in cases {
        assert_eq!(
            parse(&without(production(), pointer)),
            missing(field),
            "{pointer}"
        );
    }

    let v = with(production(), "/tlogs/0/hashAlgorithm", json!("SHA2_384"));
    let value = "SHA2_384".to_owned();
    let unsupported = FieldProblem::Unsupported {
        value,
        expected: "SHA2_256",
    };
    assert_eq!(parse(&v), invalid("tlogs[0].hashAlgorithm", unsupported));
    let v = with(
        production(),
        "/ctlogs/0/publicKey/keyDetails",
        json!("PKIX_ECDSA_P256"),
    );
    let unknown = FieldProblem::UnknownEnumValue("PKIX_ECDSA_P256".to_owned());
    assert_eq!(
        parse(&v),
        invalid("ctlogs[0].publicKey.keyDetails", unknown)
    );
    let v = with(production(), "/tlogs/0/publicKey/rawBytes", json!("!!"));
    assert_eq!(
        parse(&v),
        invalid("tlogs[0].publicKey.rawBytes", FieldProblem::NotBase64)
    );
    let v = with(
        production(),
        "/tlogs/0/logId/keyId",
        json!(B64.encode([1u8; 20])),
    );
    let wrong = FieldProblem::WrongLength {
        expected: 32,
        actual: 20,
    };
    assert_eq!(parse(&v), invalid("tlogs[0].logId.keyId", wrong));
    let v = with(production(), "/tlogs/0/extra", json!(true));
    assert!(matches!(parse(&v), Err(TrustedRootError::Json { .. })));
}

#[test]
fn validity_periods() {
    let v = with(
        production(),
        "/tlogs/0/publicKey/validFor/start",
        json!("12 Jan 2021"),
    );
    let bad = FieldProblem::NotRfc3339("12 Jan 2021".to_owned());
    assert_eq!(parse(&v), invalid("tlogs[0].publicKey.validFor.start", bad));
    let v = with(
        production(),
        "/ctlogs/0/publicKey/validFor/end",
        json!("2021-03-13T23:59:59Z"),
    );
    assert_eq!(
        parse(&v),
        Err(TrustedRootError::ValidityEndsBeforeStart {
            field: "ctlogs[0].publicKey.validFor".to_owned(),
            start: at("2021-03-14T00:00:00Z"),
            end: at("2021-03-13T23:59:59Z"),
        })
    );
    // Offsets other than Z and nanoseconds are RFC 3339 too.
    let v = with(
        production(),
        "/tlogs/0/publicKey/validFor/start",
        json!("2021-01-12T12:53:27.123456789+01:00"),
    );
    let r = parse(&v).unwrap();
    assert_eq!(
        r.tlogs[0].valid_for.start,
        at("2021-01-12T11:53:27.123456789Z")
    );
}

#[test]
fn duplicate_log_ids_and_empty_chains() {
    let tlogs = production()["tlogs"].clone();
    let v = with(
        production(),
        "/tlogs",
        json!([tlogs[0], tlogs[1], tlogs[0]]),
    );
    let log_id = parse(&production()).unwrap().tlogs[0].log_id;
    let duplicate = TrustedRootError::DuplicateLogId {
        kind: LogKind::Tlog,
        log_id,
        first: 0,
        second: 2,
    };
    assert_eq!(parse(&v), Err(duplicate));
    // The same key as a tlog and as a ctlog is not a duplicate within a list.
    let v = with(production(), "/ctlogs", json!([tlogs[0]]));
    assert!(parse(&v).is_ok());
    let v = with(
        production(),
        "/timestampAuthorities/0/certChain/certificates",
        json!([]),
    );
    let field = "timestampAuthorities[0].certChain".to_owned();
    assert_eq!(
        parse(&v),
        Err(TrustedRootError::EmptyCertificateChain { field })
    );
}

#[test]
fn limits_pass_at_the_limit_and_fail_one_above() {
    let log = production()["tlogs"][0].clone();
    let logs = |n: usize| -> Value {
        let distinct = |i: usize| {
            let id = B64.encode([u8::try_from(i).unwrap(); 32]);
            with(log.clone(), "/logId/keyId", json!(id))
        };
        json!((0..n).map(distinct).collect::<Vec<_>>())
    };
    let ca = production()["certificateAuthorities"][1].clone();
    let cas = |n: usize| json!(vec![ca.clone(); n]);
    let cert = production()["certificateAuthorities"][1]["certChain"]["certificates"][0].clone();
    let chain = |n: usize| json!(vec![cert.clone(); n]);
    type Case<'a> = (&'a str, &'a dyn Fn(usize) -> Value, Limit, &'a str);
    let cases: [Case; 4] = [
        ("/tlogs", &logs, Limit::TrustedLogs, "tlogs"),
        ("/ctlogs", &logs, Limit::TrustedLogs, "ctlogs"),
        (
            "/timestampAuthorities",
            &cas,
            Limit::TrustedAuthorities,
            "timestampAuthorities",
        ),
        (
            "/certificateAuthorities/0/certChain/certificates",
            &chain,
            Limit::CertificateChainLen,
            "certificateAuthorities[0].certChain.certificates",
        ),
    ];
    for (pointer, build, limit, field) in cases {
        assert!(
            parse(&with(production(), pointer, build(limit.max()))).is_ok(),
            "{field}"
        );
        let got = parse(&with(production(), pointer, build(limit.max() + 1)));
        let (field, actual) = (field.to_owned(), limit.max() + 1);
        assert_eq!(
            got,
            Err(TrustedRootError::LimitExceeded {
                field,
                limit,
                actual
            })
        );
    }

    let mut json = serde_json::to_vec(&production()).unwrap();
    json.resize(MAX_TRUSTED_ROOT_BYTES, b'\n');
    assert!(TrustedRoot::from_json(&json).is_ok());
    json.push(b'\n');
    let (limit, actual) = (Limit::TrustedRootBytes, MAX_TRUSTED_ROOT_BYTES + 1);
    let field = "trusted root".to_owned();
    assert_eq!(
        TrustedRoot::from_json(&json),
        Err(TrustedRootError::LimitExceeded {
            field,
            limit,
            actual
        })
    );
}

#[test]
fn trust_config_wrapper_paths_and_requirements() {
    let config = |root: Value| {
        json!({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": root
        })
    };
    let read =
        |v: &Value| TrustedRoot::from_client_trust_config_json(&serde_json::to_vec(v).unwrap());
    assert_eq!(
        read(&config(production())).unwrap(),
        parse(&production()).unwrap()
    );
    let broken = without(production(), "/tlogs/0/baseUrl");
    assert_eq!(
        read(&config(broken)),
        missing("trustedRoot.tlogs[0].baseUrl")
    );
    let mut no_root = config(production());
    no_root.as_object_mut().unwrap().remove("trustedRoot");
    assert_eq!(read(&no_root), missing("trustedRoot"));
    // A bare trusted root is not a trust config, and vice versa.
    assert!(matches!(
        read(&production()),
        Err(TrustedRootError::Json { .. })
    ));
    assert!(matches!(
        parse(&config(production())),
        Err(TrustedRootError::Json { .. })
    ));
}
