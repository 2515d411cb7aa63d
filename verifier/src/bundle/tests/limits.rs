//! Each hard limit passes at its value and fails, naming itself, one above it.

use serde_json::{json, Value};

use super::{dsse, over, parse, v03, with, without, B64, ENTRY};
use crate::{
    bundle::Bundle,
    common::{Limit, MAX_BUNDLE_BYTES, MAX_DSSE_PAYLOAD_BYTES},
};
use base64::Engine as _;

/// `count` distinct base64 values of 32 bytes.
fn distinct(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| json!(B64.encode([u8::try_from(i % 256).unwrap(); 32])))
        .collect()
}

#[test]
fn count_limits_pass_at_the_limit_and_fail_one_above() {
    let entries = |n: usize| -> Vec<Value> {
        let entry = v03()["verificationMaterial"]["tlogEntries"][0].clone();
        (0..n)
            .map(|i| with(entry.clone(), "/logIndex", json!(i.to_string())))
            .collect()
    };
    let timestamps = |n: usize| -> Value {
        let ts = distinct(n)
            .into_iter()
            .map(|t| json!({"signedTimestamp": t}));
        json!({"rfc3161Timestamps": ts.collect::<Vec<_>>()})
    };
    let chain = |n: usize| -> Value {
        let certs = distinct(n).into_iter().map(|c| json!({"rawBytes": c}));
        json!({"certificates": certs.collect::<Vec<_>>()})
    };
    let v01_chain = move |n| {
        let v = without(v03(), "/verificationMaterial/certificate");
        let v = with(
            v,
            "/mediaType",
            json!("application/vnd.dev.sigstore.bundle+json;version=0.1"),
        );
        with(v, "/verificationMaterial/x509CertificateChain", chain(n))
    };
    type Case = (
        &'static str,
        Box<dyn Fn(usize) -> Value>,
        Limit,
        &'static str,
    );
    let cases: [Case; 4] = [
        (
            "tlog entries",
            Box::new(move |n| {
                with(
                    v03(),
                    "/verificationMaterial/tlogEntries",
                    json!(entries(n)),
                )
            }),
            Limit::TlogEntries,
            "verificationMaterial.tlogEntries",
        ),
        (
            "timestamps",
            Box::new(move |n| {
                with(
                    v03(),
                    "/verificationMaterial/timestampVerificationData",
                    timestamps(n),
                )
            }),
            Limit::Rfc3161Timestamps,
            "verificationMaterial.timestampVerificationData.rfc3161Timestamps",
        ),
        (
            "chain",
            Box::new(v01_chain),
            Limit::CertificateChainLen,
            "verificationMaterial.x509CertificateChain.certificates",
        ),
        (
            "proof hashes",
            Box::new(|n| {
                with(
                    v03(),
                    &format!("{ENTRY}/inclusionProof/hashes"),
                    json!(distinct(n)),
                )
            }),
            Limit::ProofHashes,
            "verificationMaterial.tlogEntries[0].inclusionProof.hashes",
        ),
    ];
    for (name, build, limit, field) in cases {
        assert!(parse(&build(limit.max())).is_ok(), "{name} at the limit");
        assert_eq!(
            parse(&build(limit.max() + 1)),
            over(field, limit, limit.max() + 1),
            "{name}"
        );
    }
}

#[test]
fn size_limits_pass_at_the_limit_and_fail_one_above() {
    let payload = |n: usize| {
        with(
            dsse(),
            "/dsseEnvelope/payload",
            json!(B64.encode(vec![b'x'; n])),
        )
    };
    let field = "dsseEnvelope.payload";
    assert!(parse(&payload(MAX_DSSE_PAYLOAD_BYTES)).is_ok());
    let n = MAX_DSSE_PAYLOAD_BYTES + 1;
    assert_eq!(parse(&payload(n)), over(field, Limit::DssePayloadBytes, n));

    let mut json = serde_json::to_vec(&v03()).unwrap();
    json.resize(MAX_BUNDLE_BYTES, b' ');
    assert!(Bundle::from_json(&json).is_ok());
    json.push(b' ');
    let n = MAX_BUNDLE_BYTES + 1;
    assert_eq!(
        Bundle::from_json(&json),
        over("bundle", Limit::BundleBytes, n)
    );
}
