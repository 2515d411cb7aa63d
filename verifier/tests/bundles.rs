//! Every real bundle in the public vectors either parses, with every decoded field equal to
//! an independent decoding of the JSON, or is rejected for the reason its upstream test
//! (or PROTOCOL.md) gives. (Mutations, limits and Signet's own bundle shape are unit tests
//! in `src/bundle/tests/`.)
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use base64::Engine as _;
use serde_json::Value;
use signet_verifier::{
    bundle::{Bundle, BundleError, BundleVersion, Content, Signer},
    common::{HashAlgorithm, Limit},
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The signer material a parsed bundle must have.
#[derive(Clone, Copy, Debug, PartialEq)]
enum By {
    /// `certificate`.
    Cert,
    /// `x509CertificateChain` of this many certificates.
    Chain(usize),
    /// `publicKey` hint.
    Key,
}

/// What a parsed bundle must look like, beyond the generic cross-check.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Shape {
    version: BundleVersion,
    by: By,
    dsse: bool,
    timestamps: usize,
    /// Inclusion promise (SET) present.
    set: bool,
    /// Inclusion proof present, and with a checkpoint.
    proof: Option<bool>,
}

/// What a vector file must do.
enum Expect {
    /// Parse to this shape.
    Parses(Shape),
    /// Be rejected with exactly this error.
    Fails(BundleError),
    /// Not a bundle (a trusted root or signing config): rejected as JSON of another shape.
    NotABundle,
}

const MSG: bool = false;
const DSSE: bool = true;
const SET: bool = true;
const NO_SET: bool = false;
const CHECKPOINT: Option<bool> = Some(true);

fn ok(
    version: BundleVersion,
    by: By,
    dsse: bool,
    timestamps: usize,
    set: bool,
    proof: Option<bool>,
) -> Expect {
    Expect::Parses(Shape {
        version,
        by,
        dsse,
        timestamps,
        set,
        proof,
    })
}

fn check_shape(b: &Bundle, want: Shape, rel: &str) {
    let vm = &b.verification_material;
    let by = match &vm.signer {
        Signer::Certificate(_) => By::Cert,
        Signer::CertificateChain(c) => By::Chain(c.len()),
        Signer::PublicKeyHint(_) => By::Key,
        other => panic!("{rel}: unexpected signer {other:?}"),
    };
    let e = &vm.tlog_entries[0];
    let got = Shape {
        version: b.version,
        by,
        dsse: matches!(b.content, Content::Dsse(_)),
        timestamps: vm.rfc3161_timestamps.len(),
        set: e.signed_entry_timestamp.is_some(),
        proof: e.inclusion_proof.as_ref().map(|p| p.checkpoint.is_some()),
    };
    assert_eq!(got, want, "{rel}");
    assert_eq!(vm.tlog_entries.len(), 1, "{rel}");
    // Rekor v1 entries carry an integrated time exactly when they carry a SET; v2 neither.
    assert_eq!(
        e.integrated_time.is_some(),
        e.signed_entry_timestamp.is_some() || e.kind_version == "0.0.1",
        "{rel}"
    );
}

/// PROTOCOL.md §10's reference values for the v1 staging bundle.
fn check_bundle_v3(b: &Bundle) {
    let e = &b.verification_material.tlog_entries[0];
    assert_eq!(e.log_index, 25_915_956);
    assert_eq!(hex::encode(e.log_id.key_hint()), "d32f30a3");
    assert_eq!(
        (e.kind.as_str(), e.kind_version.as_str()),
        ("hashedrekord", "0.0.1")
    );
    assert_eq!(e.integrated_time, Some(1_712_085_549));
    let p = e.inclusion_proof.as_ref().unwrap();
    assert_eq!(
        (p.log_index, p.tree_size, p.hashes.len()),
        (25_901_137, 25_901_138, 11)
    );
    assert!(p
        .checkpoint
        .as_ref()
        .unwrap()
        .starts_with("rekor.sigstage.dev - "));
    assert!(e
        .canonicalized_body
        .starts_with(b"{\"apiVersion\":\"0.0.1\""));
    let Content::MessageSignature(m) = &b.content else {
        panic!("not a message signature")
    };
    assert_eq!(
        m.message_digest.as_ref().unwrap().algorithm,
        HashAlgorithm::Sha2_256
    );
}

fn expectations() -> Vec<(&'static str, Expect)> {
    use BundleVersion::*;
    use By::*;
    use Expect::*;
    vec![
        // sigstore-python test/assets (PROTOCOL.md §8.1, its test_bundle.py).
        (
            "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
            ok(V0_3, Cert, DSSE, 1, NO_SET, CHECKPOINT),
        ),
        (
            "sigstore-python/bundle.txt.sigstore",
            ok(V0_1, Chain(1), MSG, 0, SET, CHECKPOINT),
        ),
        // Fails later, at body consistency (CVE-2022-36056), not at shape.
        (
            "sigstore-python/bundle_cve_2022_36056.txt.sigstore",
            ok(V0_3, Cert, MSG, 0, SET, CHECKPOINT),
        ),
        (
            "sigstore-python/bundle_invalid_version.txt.sigstore",
            Fails(BundleError::UnsupportedMediaType {
                media_type: "this is completely wrong".to_owned(),
            }),
        ),
        (
            "sigstore-python/bundle_no_cert_v1.txt.sigstore",
            Fails(BundleError::EmptyCertificateChain),
        ),
        (
            "sigstore-python/bundle_no_checkpoint.txt.sigstore",
            Fails(BundleError::MissingCheckpoint {
                entry: 0,
                version: V0_2,
            }),
        ),
        (
            "sigstore-python/bundle_no_log_entry.txt.sigstore",
            Fails(BundleError::NoTlogEntries),
        ),
        (
            "sigstore-python/bundle_v3.txt.sigstore",
            ok(V0_3, Cert, MSG, 0, SET, CHECKPOINT),
        ),
        (
            "sigstore-python/bundle_v3_alt.txt.sigstore",
            ok(V0_3, Cert, MSG, 0, SET, CHECKPOINT),
        ),
        (
            "sigstore-python/bundle_v3_github.whl.sigstore",
            ok(V0_2, Chain(1), MSG, 0, SET, CHECKPOINT),
        ),
        (
            "sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json",
            Fails(BundleError::NoSignedTime { entry: 0 }),
        ),
        (
            "sigstore-python/staging-rekor-v2.txt.sigstore.json",
            ok(V0_3, Cert, MSG, 1, NO_SET, CHECKPOINT),
        ),
        (
            "sigstore-python/integration/Python-3.12.5.tgz.sigstore",
            ok(V0_1, Chain(1), MSG, 0, SET, Some(false)),
        ),
        (
            "sigstore-python/integration/bundle_v3.txt.sigstore",
            ok(V0_3, Cert, MSG, 0, SET, CHECKPOINT),
        ),
        (
            "sigstore-python/tsa/bundle.duplicate.sigstore",
            Fails(BundleError::DuplicateTimestamp {
                first: 0,
                second: 2,
            }),
        ),
        (
            "sigstore-python/tsa/bundle.many_timestamp.sigstore",
            Fails(BundleError::LimitExceeded {
                field: "verificationMaterial.timestampVerificationData.rfc3161Timestamps"
                    .to_owned(),
                limit: Limit::Rfc3161Timestamps,
                actual: 33,
            }),
        ),
        // Fails later (timestamp after the certificate expired), not at shape.
        (
            "sigstore-python/tsa/bundle.txt.late_timestamp.sigstore",
            ok(V0_3, Cert, MSG, 1, SET, CHECKPOINT),
        ),
        (
            "sigstore-python/tsa/bundle.txt.sigstore",
            ok(V0_3, Cert, MSG, 2, SET, CHECKPOINT),
        ),
        // sigstore-go pkg/testing/data and examples.
        (
            "sigstore-go/examples/bundle-provenance.json",
            ok(V0_1, Chain(3), DSSE, 0, SET, None),
        ),
        (
            "sigstore-go/examples/bundle-publish.json",
            ok(V0_1, Key, DSSE, 0, SET, None),
        ),
        ("sigstore-go/examples/signing_config.v0.2.json", NotABundle),
        (
            "sigstore-go/examples/trusted-root-public-good.json",
            NotABundle,
        ),
        (
            "sigstore-go/pkg/testing/data/bundles/dsse-2sigs.sigstore.json",
            Fails(BundleError::DsseSignatureCount { count: 2 }),
        ),
        (
            "sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json",
            ok(V0_1, Chain(3), DSSE, 0, SET, None),
        ),
        (
            "sigstore-go/pkg/testing/data/bundles/othername.sigstore.json",
            ok(V0_3, Cert, MSG, 0, SET, CHECKPOINT),
        ),
        // A key-signed, TSA-only bundle: sigstore-python requires exactly one log entry.
        (
            "sigstore-go/pkg/testing/data/bundles/public-key-validity.sigstore.json",
            Fails(BundleError::NoTlogEntries),
        ),
        (
            "sigstore-go/pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json",
            ok(V0_1, Chain(1), DSSE, 0, SET, CHECKPOINT),
        ),
        (
            "sigstore-go/pkg/testing/data/trusted-roots/public-good.json",
            NotABundle,
        ),
        (
            "sigstore-go/pkg/testing/data/trusted-roots/public-key-validity.json",
            NotABundle,
        ),
        (
            "sigstore-go/pkg/testing/data/trusted-roots/scaffolding.json",
            NotABundle,
        ),
    ]
}

/// Files under `dir` (recursively) whose name satisfies `keep`, relative to the vectors.
fn files(root: &Path, dir: &str, keep: fn(&str) -> bool, out: &mut BTreeSet<String>) {
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if keep(path.file_name().unwrap().to_str().unwrap()) {
                let rel = path.strip_prefix(root).unwrap();
                out.insert(rel.to_str().unwrap().replace('\\', "/"));
            }
        }
    }
}

fn vectors() -> PathBuf {
    signet_testdata::vectors_dir()
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().expect("base64 string"))
        .expect("base64")
}

fn int(v: &Value) -> u64 {
    v.as_str()
        .map_or_else(|| v.as_u64().expect("number"), |s| s.parse().expect("int"))
}

/// Every decoded field equals what a plain JSON + base64 reading of the file gives.
fn cross_check(b: &Bundle, v: &Value, rel: &str) {
    let vm = &v["verificationMaterial"];
    let entries = vm["tlogEntries"].as_array().unwrap();
    assert_eq!(
        b.verification_material.tlog_entries.len(),
        entries.len(),
        "{rel}"
    );
    for (e, j) in b.verification_material.tlog_entries.iter().zip(entries) {
        assert_eq!(e.log_index, int(&j["logIndex"]), "{rel}");
        assert_eq!(
            e.log_id.as_bytes().as_slice(),
            b64(&j["logId"]["keyId"]),
            "{rel}"
        );
        assert_eq!(e.kind, j["kindVersion"]["kind"].as_str().unwrap(), "{rel}");
        assert_eq!(e.canonicalized_body, b64(&j["canonicalizedBody"]), "{rel}");
        let set = j["inclusionPromise"]["signedEntryTimestamp"]
            .as_str()
            .map(|s| B64.decode(s).unwrap());
        assert_eq!(e.signed_entry_timestamp, set, "{rel}");
        let jp = &j["inclusionProof"];
        match &e.inclusion_proof {
            None => assert!(jp.is_null(), "{rel}"),
            Some(p) => {
                assert_eq!(
                    (p.log_index, p.tree_size),
                    (int(&jp["logIndex"]), int(&jp["treeSize"])),
                    "{rel}"
                );
                assert_eq!(
                    p.root_hash.as_bytes().as_slice(),
                    b64(&jp["rootHash"]),
                    "{rel}"
                );
                let hashes: Vec<Vec<u8>> =
                    jp["hashes"].as_array().unwrap().iter().map(b64).collect();
                let got: Vec<Vec<u8>> = p.hashes.iter().map(|h| h.as_bytes().to_vec()).collect();
                assert_eq!(got, hashes, "{rel}");
                assert_eq!(
                    p.checkpoint.as_deref(),
                    jp["checkpoint"]["envelope"].as_str(),
                    "{rel}"
                );
            }
        }
    }
    let ts: Vec<Vec<u8>> = vm["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .map(|a| a.iter().map(|t| b64(&t["signedTimestamp"])).collect())
        .unwrap_or_default();
    assert_eq!(b.verification_material.rfc3161_timestamps, ts, "{rel}");
    let leaf = vm["certificate"]["rawBytes"]
        .as_str()
        .or(vm["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .map(|s| B64.decode(s).unwrap());
    assert_eq!(b.leaf_certificate().map(<[u8]>::to_vec), leaf, "{rel}");
    let sig = v["messageSignature"]["signature"]
        .as_str()
        .or(v["dsseEnvelope"]["signatures"][0]["sig"].as_str())
        .unwrap();
    assert_eq!(b.signature(), B64.decode(sig).unwrap(), "{rel}");
    if let Content::Dsse(d) = &b.content {
        assert_eq!(d.payload, b64(&v["dsseEnvelope"]["payload"]), "{rel}");
    }
}

#[test]
fn every_real_bundle_parses_or_fails_for_its_documented_reason() {
    let root = vectors();
    let mut found = BTreeSet::new();
    files(
        &root,
        "sigstore-python",
        |n| n.contains(".sigstore"),
        &mut found,
    );
    files(&root, "sigstore-go", |n| n.ends_with(".json"), &mut found);
    let table = expectations();
    let listed: BTreeSet<String> = table.iter().map(|(p, _)| (*p).to_owned()).collect();
    assert_eq!(
        found, listed,
        "every vector file has exactly one expectation"
    );

    for (rel, expect) in table {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        let got = Bundle::from_json(&bytes);
        match expect {
            Expect::Parses(shape) => {
                let b = got.unwrap_or_else(|e| panic!("{rel}: {e}"));
                cross_check(&b, &serde_json::from_slice(&bytes).unwrap(), rel);
                check_shape(&b, shape, rel);
                if rel.ends_with("bundle_v3.txt.sigstore") {
                    check_bundle_v3(&b);
                }
            }
            Expect::Fails(want) => assert_eq!(got, Err(want), "{rel}"),
            Expect::NotABundle => {
                assert!(
                    matches!(got, Err(BundleError::Json { .. })),
                    "{rel}: {got:?}"
                )
            }
        }
    }
}
