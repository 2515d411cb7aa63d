//! Real trusted roots and trust configs parse (or fail for the documented reason), their
//! log IDs are what PROTOCOL.md §4.2/§5.4 say, lookups honour `validFor`, and the files
//! `signet serve` writes parse. [`mutations`]: one broken rule or limit at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mutations;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use signet_tlog_core::keys::EcdsaP256Signer;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use x509_cert::{
    der::{asn1::BitString, Any, Decode as _, Encode as _},
    spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned},
};

use super::{
    LogKind, LogLookupError, TransparencyLog, TrustedRoot, TrustedRootError, TrustedRootVersion,
};
use crate::common::{LogId, PublicKeyDetails};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn at(rfc3339: &str) -> OffsetDateTime {
    OffsetDateTime::parse(rfc3339, &Rfc3339).unwrap()
}

fn root(rel: &str) -> Result<TrustedRoot, TrustedRootError> {
    TrustedRoot::from_json(&signet_testdata::read(rel))
}

/// (tlogs, ctlogs, certificate authorities, timestamp authorities).
fn counts(r: &TrustedRoot) -> (usize, usize, usize, usize) {
    let (t, c) = (r.tlogs.len(), r.ctlogs.len());
    (
        t,
        c,
        r.certificate_authorities.len(),
        r.timestamp_authorities.len(),
    )
}

#[test]
fn real_trusted_roots_parse_or_fail_for_their_documented_reason() {
    for (rel, want) in [
        ("trust/production-trusted_root.json", (2, 2, 2, 1)),
        ("trust/staging-trusted_root.json", (4, 4, 1, 1)),
        ("sigstore-go/examples/trusted-root-public-good.json", (1, 2, 2, 1)),
        ("sigstore-go/pkg/testing/data/trusted-roots/public-good.json", (1, 2, 2, 1)),
        ("sigstore-go/pkg/testing/data/trusted-roots/scaffolding.json", (1, 1, 1, 0)),
        // TSA only, with nanosecond validity bounds.
        ("sigstore-go/pkg/testing/data/trusted-roots/public-key-validity.json", (0, 0, 0, 1)),
        ("sigstore-python/trusted_root/trustedroot.v1.json", (1, 2, 2, 1)),
        ("sigstore-python/trusted_root/trustedroot.v1.local_tlog_ed25519_rekor-tiles.json", (1, 2, 2, 1)),
        (
            "sigstore-python/staging-tuf/targets/ed6a9cf4e7c2e3297a4b5974fce0d17132f03c63512029d7aa3a402b43acab49.trusted_root.json",
            (2, 3, 1, 1),
        ),
    ] {
        let r = root(rel).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!((r.version, counts(&r)), (TrustedRootVersion::V0_1, want), "{rel}");
    }
    let bad = root("sigstore-python/trusted_root/trustedroot.badtype.json");
    let media_type = "bad-media-type".to_owned();
    assert_eq!(
        bad,
        Err(TrustedRootError::UnsupportedMediaType { media_type })
    );
}

#[test]
fn real_trust_configs_parse_or_fail_for_their_documented_reason() {
    let read = |rel| TrustedRoot::from_client_trust_config_json(&signet_testdata::read(rel));
    // `signing_config` (snake_case) in sigstore-python's own test config.
    let r = read("sigstore-python/trust_config/config.v1.json").unwrap();
    assert_eq!(counts(&r), (1, 2, 2, 1));
    let r = read("sigstore-python/tsa/trust_config.json").unwrap();
    assert_eq!(r.ctlogs[0].key_details, PublicKeyDetails::Pkcs1RsaPkcs1v5);
    assert_eq!(
        r.timestamp_authorities[0].common_name,
        "Test TSA Timestamping"
    );
    let media_type = "bad-media-type".to_owned();
    let bad = read("sigstore-python/trust_config/config.badtype.json");
    assert_eq!(
        bad,
        Err(TrustedRootError::UnsupportedTrustConfigMediaType { media_type })
    );
}

/// sigstore-python's stand-alone CA files, each placed in an otherwise valid root.
#[test]
fn real_certificate_authority_files() {
    for (rel, chain_len) in [
        (
            "sigstore-python/trusted_root/certificate_authority.json",
            Some(3),
        ),
        (
            "sigstore-python/trusted_root/certificate_authority.missingroot.json",
            Some(2),
        ),
        (
            "sigstore-python/trusted_root/certificate_authority.empty.json",
            None,
        ),
        ("sigstore-python/tsa/ca.json", Some(3)),
    ] {
        let mut v = signet_testdata::read_json("trust/production-trusted_root.json");
        v["certificateAuthorities"] = json!([signet_testdata::read_json(rel)]);
        let got = TrustedRoot::from_json(&serde_json::to_vec(&v).unwrap());
        match chain_len {
            Some(n) => assert_eq!(got.unwrap().certificate_authorities[0].cert_chain.len(), n),
            None => assert_eq!(
                got,
                Err(TrustedRootError::EmptyCertificateChain {
                    field: "certificateAuthorities[0].certChain".to_owned()
                })
            ),
        }
    }
}

/// The log ID a trusted root must list for a log (PROTOCOL.md §4.2, §5.4, §7.1).
fn expected_log_id(log: &TransparencyLog) -> [u8; 32] {
    match log.key_details {
        PublicKeyDetails::PkixEcdsaP256Sha256 => Sha256::digest(&log.public_key).into(),
        // Rekor v2: C2SP signed-note key ID, SHA-256(origin || \n || 0x01 || raw key).
        PublicKeyDetails::PkixEd25519 => {
            let spki = SubjectPublicKeyInfoOwned::from_der(&log.public_key).unwrap();
            let origin = log.base_url.split_once("://").unwrap().1;
            let mut h = Sha256::new();
            h.update(origin.as_bytes());
            h.update(b"\n\x01");
            h.update(spki.subject_public_key.raw_bytes());
            h.finalize().into()
        }
        // Legacy staging CT key given as PKCS#1: its ID is over the SPKI form.
        PublicKeyDetails::Pkcs1RsaPkcs1v5 => {
            let spki = SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
                    parameters: Some(Any::from(x509_cert::der::asn1::Null)),
                },
                subject_public_key: BitString::from_bytes(&log.public_key).unwrap(),
            };
            Sha256::digest(spki.to_der().unwrap()).into()
        }
        other => panic!("{}: unexpected key type {other}", log.base_url),
    }
}

#[test]
fn public_good_and_staging_log_ids_are_derived_from_their_keys() {
    for rel in [
        "trust/production-trusted_root.json",
        "trust/staging-trusted_root.json",
    ] {
        let r = root(rel).unwrap();
        for log in r.tlogs.iter().chain(&r.ctlogs) {
            assert_eq!(
                *log.log_id.as_bytes(),
                expected_log_id(log),
                "{rel}: {}",
                log.base_url
            );
        }
    }
    // PROTOCOL.md §10: the Rekor v1 public-good log ID.
    let r = root("trust/production-trusted_root.json").unwrap();
    assert_eq!(
        B64.encode(r.tlogs[0].log_id.as_bytes()),
        "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="
    );
    assert_eq!(r.tlogs[0].base_url, "https://rekor.sigstore.dev");
}

#[test]
fn lookups_honour_log_ids_and_validity() {
    let r = root("trust/production-trusted_root.json").unwrap();
    let rekor = r.tlogs[0].log_id;
    assert_eq!(
        r.tlog(&rekor).unwrap().base_url,
        "https://rekor.sigstore.dev"
    );
    assert!(r.ctlog(&rekor).is_none(), "a tlog ID is not a ctlog ID");
    assert_eq!(
        r.tlog_at(&rekor, at("2024-01-01T00:00:00Z"))
            .unwrap()
            .log_id,
        rekor
    );
    let before = at("2021-01-12T11:53:26Z");
    assert_eq!(
        r.tlog_at(&rekor, before),
        Err(LogLookupError::OutsideValidity {
            kind: LogKind::Tlog,
            log_id: rekor,
            at: before,
            valid_for: r.tlogs[0].valid_for,
        })
    );
    let unknown = LogId([0xab; 32]);
    let now = at("2024-01-01T00:00:00Z");
    let err = Err(LogLookupError::Unknown {
        kind: LogKind::Ctlog,
        log_id: unknown,
    });
    assert_eq!(r.ctlog_at(&unknown, now), err);

    // The retired CT log: validFor ends 2022-10-31T23:59:59.999Z, inclusive.
    let ct_test = r
        .ctlogs
        .iter()
        .find(|l| l.base_url.ends_with("/test"))
        .unwrap()
        .log_id;
    assert!(r.ctlog_at(&ct_test, at("2022-10-31T23:59:59.999Z")).is_ok());
    let after = r.ctlog_at(&ct_test, at("2022-10-31T23:59:59.9991Z"));
    assert!(matches!(after, Err(LogLookupError::OutsideValidity { .. })));

    // CAs: [2021-03-07, 2022-12-31T23:59:59.999] and [2022-04-13, open).
    for (when, n) in [
        ("2021-01-01T00:00:00Z", 0),
        ("2022-06-01T00:00:00Z", 2),
        ("2023-06-01T00:00:00Z", 1),
    ] {
        assert_eq!(r.certificate_authorities_at(at(when)).count(), n, "{when}");
    }
    assert_eq!(
        r.timestamp_authorities_at(at("2025-07-03T23:59:59Z"))
            .count(),
        0
    );
    assert_eq!(
        r.timestamp_authorities_at(at("2025-07-04T00:00:00Z"))
            .count(),
        1
    );
}

/// The documents `signet serve` writes, in exactly the shape of `ca/src/trust.rs`.
fn signet_trust_config() -> (Value, [u8; 32], [u8; 32]) {
    let key = |name| {
        EcdsaP256Signer::from_pkcs8(&EcdsaP256Signer::generate_pkcs8().unwrap(), name).unwrap()
    };
    let (tlog, ctlog) = (key("127.0.0.1"), key("127.0.0.1"));
    let log = |url: &str, k: &EcdsaP256Signer, start: &str| {
        json!({
            "baseUrl": url,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": B64.encode(k.public_key_der()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": start}
            },
            "logId": {"keyId": B64.encode(Sha256::digest(k.public_key_der()))}
        })
    };
    let service = |url: &str| json!({"url": url, "majorApiVersion": 1, "validFor": {"start": "2023-11-14T22:13:20Z"}, "operator": "127.0.0.1"});
    let trusted_root = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [log("http://127.0.0.1:3000", &tlog, "2023-11-14T22:13:21Z")],
        "certificateAuthorities": [{
            "subject": {"organization": "signet", "commonName": "signet root"},
            "uri": "http://127.0.0.1:3000",
            "certChain": {"certificates": [{"rawBytes": B64.encode(b"intermediate")}, {"rawBytes": B64.encode(b"root")}]},
            "validFor": {"start": "2023-11-14T22:13:20Z"}
        }],
        "ctlogs": [log("http://127.0.0.1:3000/ct", &ctlog, "2023-11-14T22:13:22Z")],
        "timestampAuthorities": []
    });
    let config = json!({
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": trusted_root,
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service("http://127.0.0.1:3000")],
            "oidcUrls": [],
            "rekorTlogUrls": [service("http://127.0.0.1:3000")],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaUrls": [],
            "tsaConfig": {"selector": "ANY"}
        }
    });
    (config, tlog.key_id(), ctlog.key_id())
}

#[test]
fn the_files_signet_serve_writes_parse() {
    let (config, tlog_id, ctlog_id) = signet_trust_config();
    let from_config =
        TrustedRoot::from_client_trust_config_json(&serde_json::to_vec(&config).unwrap()).unwrap();
    let alone =
        TrustedRoot::from_json(&serde_json::to_vec(&config["trustedRoot"]).unwrap()).unwrap();
    assert_eq!(from_config, alone);
    let when = at("2024-01-01T00:00:00Z");
    assert_eq!(
        alone.tlog_at(&LogId(tlog_id), when).unwrap().base_url,
        "http://127.0.0.1:3000"
    );
    assert_eq!(
        alone.ctlog_at(&LogId(ctlog_id), when).unwrap().base_url,
        "http://127.0.0.1:3000/ct"
    );
    let ca = &alone.certificate_authorities[0];
    assert_eq!(
        (ca.common_name.as_str(), ca.cert_chain.len()),
        ("signet root", 2)
    );
    assert!(alone.timestamp_authorities.is_empty());
    // Before the tlog key's start (one second after the CA's), it is not usable.
    let early = at("2023-11-14T22:13:20Z");
    assert!(alone.tlog_at(&LogId(tlog_id), early).is_err());
    assert_eq!(alone.certificate_authorities_at(early).count(), 1);
}
