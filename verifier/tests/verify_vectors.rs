//! The one verification path (`signet_verifier::verify`) on real Sigstore bundles from
//! the public vectors: good staging bundles verify with the staging trusted root; the
//! bad ones fail with the step that catches them; and a good bundle altered in any field
//! that carries evidence (at least 30 distinct mutations) never verifies.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde_json::Value;
use signet_verifier::{
    bundle::Bundle,
    identity::IdentityPolicy,
    trusted_root::TrustedRoot,
    verify::{Artifact, SignerPolicy, Verifier, VerifyError},
};
use x509_cert::der::{Decode as _, Encode as _};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;
const GITHUB_OAUTH: &str = "https://github.com/login/oauth";
/// The signer of the sigstore-python staging bundles.
const WILLIAM: &str = "william@yossarian.net";

fn verifier(rel: &str) -> Verifier {
    Verifier::new(TrustedRoot::from_json(&signet_testdata::read(rel)).unwrap()).unwrap()
}

fn staging() -> Verifier {
    verifier("trust/staging-trusted_root.json")
}

fn william() -> SignerPolicy {
    signer(WILLIAM)
}

fn signer(email: &str) -> SignerPolicy {
    SignerPolicy::Identity(IdentityPolicy::exact(email, GITHUB_OAUTH))
}

/// Parses and verifies; a parse failure is reported as its message.
fn check(v: &Verifier, json: &[u8], artefact: &[u8], policy: &SignerPolicy) -> Result<(), String> {
    let bundle = Bundle::from_json(json).map_err(|e| format!("parse: {e}"))?;
    v.verify(
        &bundle,
        Artifact::Bytes(artefact),
        policy,
        SystemTime::now(),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

fn sha256(data: &[u8]) -> [u8; 32] {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .try_into()
        .unwrap()
}

#[test]
fn staging_bundles_verify_for_their_signer_only() {
    let v = staging();
    for (name, email) in [
        ("bundle.txt", "a@tny.town"), // v0.1
        ("bundle_v3.txt", WILLIAM),
        ("bundle_v3_alt.txt", WILLIAM), // v0.3 under its alternative media type
        ("integration/bundle_v3.txt", WILLIAM),
    ] {
        let json = signet_testdata::read(&format!("sigstore-python/{name}.sigstore"));
        let artefact = signet_testdata::read(&format!("sigstore-python/{name}"));
        let bundle = Bundle::from_json(&json).unwrap();
        let verified = v
            .verify(
                &bundle,
                Artifact::Bytes(&artefact),
                &signer(email),
                SystemTime::now(),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // The signing time is the SET's integrated time, inside the 10-minute certificate.
        assert_eq!(verified.signing_times.len(), 1, "{name}");
        let identity = verified.identity.unwrap();
        assert_eq!(identity.issuer, GITHUB_OAUTH, "{name}");
        // The digest form verifies the same bundle.
        v.verify(
            &bundle,
            Artifact::Sha256(sha256(&artefact)),
            &signer(email),
            SystemTime::now(),
        )
        .unwrap_or_else(|e| panic!("{name} by digest: {e}"));

        // Another artefact, another identity, another issuer: each fails at its step.
        let err = v
            .verify(
                &bundle,
                Artifact::Bytes(b"not the artefact"),
                &signer(email),
                SystemTime::now(),
            )
            .unwrap_err();
        assert!(matches!(err, VerifyError::Signature(_)), "{name}: {err}");
        let other =
            SignerPolicy::Identity(IdentityPolicy::exact("someone@example.com", GITHUB_OAUTH));
        let err = v
            .verify(
                &bundle,
                Artifact::Bytes(&artefact),
                &other,
                SystemTime::now(),
            )
            .unwrap_err();
        assert!(matches!(err, VerifyError::Identity(_)), "{name}: {err}");
        let other =
            SignerPolicy::Identity(IdentityPolicy::exact(email, "https://accounts.google.com"));
        let err = v
            .verify(
                &bundle,
                Artifact::Bytes(&artefact),
                &other,
                SystemTime::now(),
            )
            .unwrap_err();
        assert!(matches!(err, VerifyError::Identity(_)), "{name}: {err}");
        let pattern = SignerPolicy::Identity(
            IdentityPolicy::pattern(r"[a-z]+@(yossarian\.net|tny\.town)", GITHUB_OAUTH).unwrap(),
        );
        v.verify(
            &bundle,
            Artifact::Bytes(&artefact),
            &pattern,
            SystemTime::now(),
        )
        .unwrap_or_else(|e| panic!("{name} by pattern: {e}"));
    }
}

/// Rekor v2 (hashedrekord 0.0.2, C2SP checkpoint signed with Ed25519, no SET): the signing
/// time comes from the RFC 3161 timestamp alone.
#[test]
fn rekor_v2_bundles_verify_with_their_timestamp() {
    let v = staging();
    let beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    for (name, identity, issuer) in [
        ("staging-rekor-v2.txt", "jku@goto.fi", GITHUB_OAUTH),
        // A DSSE envelope logged as hashedrekord 0.0.2 over H(PAE).
        (
            "a.dsse.staging-rekor-v2.txt",
            beacon,
            "https://token.actions.githubusercontent.com",
        ),
    ] {
        let json = signet_testdata::read(&format!("sigstore-python/{name}.sigstore.json"));
        let artefact = signet_testdata::read(&format!("sigstore-python/{name}"));
        let policy = SignerPolicy::Identity(IdentityPolicy::exact(identity, issuer));
        let bundle = Bundle::from_json(&json).unwrap();
        // The DSSE vector's statement names a subject by digest (not the file beside it).
        let artefact_is = |bundle: &Bundle| match &bundle.content {
            signet_verifier::bundle::Content::Dsse(d) => {
                let statement: Value = serde_json::from_slice(&d.payload).unwrap();
                let hex = statement["subject"][0]["digest"]["sha256"]
                    .as_str()
                    .unwrap();
                Artifact::Sha256(hex::decode(hex).unwrap().try_into().unwrap())
            }
            _ => Artifact::Bytes(&artefact),
        };
        let verified = v
            .verify(&bundle, artefact_is(&bundle), &policy, SystemTime::now())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            verified.signing_times.len(),
            1,
            "{name}: one timestamp, no SET"
        );
        let err = check(&v, &json, b"other", &policy).unwrap_err();
        assert!(err.starts_with("signature:"), "{name}: {err}");
        // Without its timestamp nothing says when it was signed: the parser refuses it.
        let mut b: Value = serde_json::from_slice(&json).unwrap();
        b["verificationMaterial"]
            .as_object_mut()
            .unwrap()
            .remove("timestampVerificationData");
        let err = check(&v, &serde_json::to_vec(&b).unwrap(), &artefact, &policy).unwrap_err();
        assert!(
            err.contains("neither an inclusion promise nor an RFC 3161"),
            "{name}: {err}"
        );
        // Its checkpoint, re-signed by nobody: a C2SP checkpoint must carry the log's
        // signature under the log's name.
        let mut b: Value = serde_json::from_slice(&json).unwrap();
        let envelope = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
            ["checkpoint"]["envelope"];
        let text = envelope
            .as_str()
            .unwrap()
            .split("\n\n")
            .next()
            .unwrap()
            .to_owned();
        *envelope = Value::String(format!(
            "{text}\n\n\u{2014} someone.example AAAAAAAAAAAAAAAA\n"
        ));
        let b = Bundle::from_json(&serde_json::to_vec(&b).unwrap()).unwrap();
        let err = v
            .verify(&b, artefact_is(&b), &policy, SystemTime::now())
            .unwrap_err();
        assert!(err.to_string().contains("checkpoint"), "{name}: {err}");
    }
}

/// A timestamp made after the 10-minute certificate expired proves nothing about when
/// the certificate was valid (sigstore-python's `late_timestamp` case).
#[test]
fn a_timestamp_after_the_certificate_expired_fails_the_chain_check() {
    // Its certificate is from the production CA, its log entry and timestamp from staging.
    let mut root: Value =
        serde_json::from_slice(&signet_testdata::read("trust/production-trusted_root.json"))
            .unwrap();
    let staging: Value =
        serde_json::from_slice(&signet_testdata::read("trust/staging-trusted_root.json")).unwrap();
    for list in ["tlogs", "ctlogs", "timestampAuthorities"] {
        let theirs = staging[list].as_array().unwrap().clone();
        match root[list].as_array_mut() {
            Some(ours) => ours.extend(theirs),
            None => root[list] = Value::Array(theirs),
        }
    }
    let v = Verifier::new(TrustedRoot::from_json(&serde_json::to_vec(&root).unwrap()).unwrap())
        .unwrap();
    let json = signet_testdata::read("sigstore-python/tsa/bundle.txt.late_timestamp.sigstore");
    let artefact = signet_testdata::read("sigstore-python/tsa/bundle.txt");
    let policy = SignerPolicy::Identity(IdentityPolicy::exact(
        "insecure-cloudtop-shared-user@cloudtop-prod-us-east.iam.gserviceaccount.com",
        "https://accounts.google.com",
    ));
    let bundle = Bundle::from_json(&json).unwrap();
    let err = v
        .verify(
            &bundle,
            Artifact::Bytes(&artefact),
            &policy,
            SystemTime::now(),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::Chain { .. }), "{err}");
    assert!(err.to_string().contains("not valid at"), "{err}");
}

#[test]
fn staging_bundles_do_not_verify_against_the_production_root() {
    let v = verifier("trust/production-trusted_root.json");
    let json = signet_testdata::read("sigstore-python/bundle_v3.txt.sigstore");
    let artefact = signet_testdata::read("sigstore-python/bundle_v3.txt");
    let err = check(&v, &json, &artefact, &william()).unwrap_err();
    assert!(err.contains("no tlog in the trusted root"), "{err}");
}

#[test]
fn documented_bad_bundles_fail_at_the_step_that_catches_them() {
    let v = staging();
    let cases = [
        // CVE-2022-36056: the log entry records another signature.
        ("bundle_cve_2022_36056.txt", "does not match the bundle"),
        (
            "bundle_invalid_version.txt",
            "unsupported bundle media type",
        ),
        ("bundle_no_cert_v1.txt", "has no certificates"),
        ("bundle_no_checkpoint.txt", "requires a checkpoint"),
        ("bundle_no_log_entry.txt", "no transparency-log entry"),
    ];
    for (name, want) in cases {
        let json = signet_testdata::read(&format!("sigstore-python/{name}.sigstore"));
        let artefact = signet_testdata::read(&format!("sigstore-python/{name}"));
        let err = check(&v, &json, &artefact, &william()).unwrap_err();
        assert!(err.contains(want), "{name}: {err}");
    }
    // No inclusion promise and no timestamp: nothing signed says when it was signed.
    let json = signet_testdata::read("sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json");
    let artefact = signet_testdata::read("sigstore-python/bundle_v3_no_signed_time.txt");
    let err = check(&v, &json, &artefact, &william()).unwrap_err();
    assert!(
        err.contains("neither an inclusion promise nor an RFC 3161"),
        "{err}"
    );
}

#[test]
fn a_key_policy_does_not_accept_a_certificate_bundle() {
    let v = staging();
    let json = signet_testdata::read("sigstore-python/bundle_v3.txt.sigstore");
    let artefact = signet_testdata::read("sigstore-python/bundle_v3.txt");
    let bundle = Bundle::from_json(&json).unwrap();
    let leaf = bundle.leaf_certificate().unwrap();
    let spki = x509_cert::Certificate::from_der(leaf)
        .unwrap()
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let err = v
        .verify(
            &bundle,
            Artifact::Bytes(&artefact),
            &SignerPolicy::Key(spki),
            SystemTime::now(),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::SignerMaterial(_)), "{err}");
}

#[test]
fn an_integrated_time_in_the_future_is_rejected() {
    let v = staging();
    let json = signet_testdata::read("sigstore-python/bundle_v3.txt.sigstore");
    let artefact = signet_testdata::read("sigstore-python/bundle_v3.txt");
    let bundle = Bundle::from_json(&json).unwrap();
    // A verifier whose clock says 2024-04-01, the day before the entry was integrated.
    let before = SystemTime::UNIX_EPOCH + Duration::from_secs(1_711_929_600);
    let err = v
        .verify(&bundle, Artifact::Bytes(&artefact), &william(), before)
        .unwrap_err();
    assert!(err.to_string().contains("in the future"), "{err}");
}

// ---- Tamper test: every evidence-carrying field of a good bundle, altered. ----

fn flip_b64(v: &mut Value, at: usize) {
    let mut bytes = B64.decode(v.as_str().unwrap()).unwrap();
    let i = at.min(bytes.len() - 1);
    bytes[i] ^= 0x01;
    *v = Value::String(B64.encode(bytes));
}

fn flip_last_b64(v: &mut Value) {
    let n = B64.decode(v.as_str().unwrap()).unwrap().len();
    flip_b64(v, n - 1);
}

fn add_to_int_string(v: &mut Value, delta: i64) {
    let n: i64 = v.as_str().unwrap().parse().unwrap();
    *v = Value::String((n + delta).to_string());
}

fn edit_body(v: &mut Value, f: impl FnOnce(&mut Value)) {
    let mut body: Value =
        serde_json::from_slice(&B64.decode(v.as_str().unwrap()).unwrap()).unwrap();
    f(&mut body);
    *v = Value::String(B64.encode(serde_json::to_vec(&body).unwrap()));
}

fn edit_checkpoint(v: &mut Value, f: impl FnOnce(&str) -> String) {
    let text = f(v.as_str().unwrap());
    *v = Value::String(text);
}

type Mutation = (&'static str, fn(&mut Value));

fn entry(b: &mut Value) -> &mut Value {
    &mut b["verificationMaterial"]["tlogEntries"][0]
}

fn proof(b: &mut Value) -> &mut Value {
    &mut entry(b)["inclusionProof"]
}

#[rustfmt::skip]
const MUTATIONS: &[Mutation] = &[
    ("media type: unknown version", |b| b["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.4+json".into()),
    ("media type: garbage", |b| b["mediaType"] = "application/json".into()),
    ("certificate: signature byte", |b| flip_last_b64(&mut b["verificationMaterial"]["certificate"]["rawBytes"])),
    ("certificate: serial byte", |b| flip_b64(&mut b["verificationMaterial"]["certificate"]["rawBytes"], 16)),
    ("certificate: public key byte", |b| flip_b64(&mut b["verificationMaterial"]["certificate"]["rawBytes"], 200)),
    ("certificate: SAN byte", |b| flip_b64(&mut b["verificationMaterial"]["certificate"]["rawBytes"], 390)),
    ("certificate: truncated", |b| {
        let der = B64.decode(b["verificationMaterial"]["certificate"]["rawBytes"].as_str().unwrap()).unwrap();
        b["verificationMaterial"]["certificate"]["rawBytes"] = B64.encode(&der[..der.len() - 10]).into();
    }),
    ("certificate: another signer's", |b| {
        let alt: Value = serde_json::from_slice(&signet_testdata::read("sigstore-python/bundle_v3_alt.txt.sigstore")).unwrap();
        b["verificationMaterial"]["certificate"] = alt["verificationMaterial"]["certificate"].clone();
    }),
    ("signature: last byte", |b| flip_last_b64(&mut b["messageSignature"]["signature"])),
    ("signature: first r byte", |b| flip_b64(&mut b["messageSignature"]["signature"], 5)),
    ("signature: another bundle's", |b| {
        let alt: Value = serde_json::from_slice(&signet_testdata::read("sigstore-python/bundle_v3_alt.txt.sigstore")).unwrap();
        b["messageSignature"]["signature"] = alt["messageSignature"]["signature"].clone();
    }),
    ("message digest: byte", |b| flip_b64(&mut b["messageSignature"]["messageDigest"]["digest"], 0)),
    ("message digest: algorithm", |b| b["messageSignature"]["messageDigest"]["algorithm"] = "SHA2_384".into()),
    ("log entry: logIndex", |b| add_to_int_string(&mut entry(b)["logIndex"], 1)),
    ("log entry: logId", |b| flip_b64(&mut entry(b)["logId"]["keyId"], 0)),
    ("log entry: kind", |b| entry(b)["kindVersion"]["kind"] = "dsse".into()),
    ("log entry: version", |b| entry(b)["kindVersion"]["version"] = "0.0.2".into()),
    ("log entry: integratedTime +1", |b| add_to_int_string(&mut entry(b)["integratedTime"], 1)),
    ("log entry: integratedTime a year later", |b| add_to_int_string(&mut entry(b)["integratedTime"], 365 * 86_400)),
    ("log entry: integratedTime removed", |b| { entry(b).as_object_mut().unwrap().remove("integratedTime"); }),
    ("SET: byte", |b| flip_last_b64(&mut entry(b)["inclusionPromise"]["signedEntryTimestamp"])),
    ("SET: removed", |b| { entry(b).as_object_mut().unwrap().remove("inclusionPromise"); }),
    ("proof: logIndex", |b| add_to_int_string(&mut proof(b)["logIndex"], 1)),
    ("proof: treeSize", |b| add_to_int_string(&mut proof(b)["treeSize"], 1)),
    ("proof: rootHash", |b| flip_b64(&mut proof(b)["rootHash"], 31)),
    ("proof: first hash", |b| flip_b64(&mut proof(b)["hashes"][0], 0)),
    ("proof: last hash", |b| { let n = proof(b)["hashes"].as_array().unwrap().len(); flip_b64(&mut proof(b)["hashes"][n - 1], 7) }),
    ("proof: hash dropped", |b| { proof(b)["hashes"].as_array_mut().unwrap().pop(); }),
    ("proof: hash added", |b| { let h = proof(b)["hashes"][0].clone(); proof(b)["hashes"].as_array_mut().unwrap().push(h); }),
    ("proof: hashes swapped", |b| proof(b)["hashes"].as_array_mut().unwrap().swap(0, 1)),
    ("checkpoint: tree size line", |b| edit_checkpoint(&mut proof(b)["checkpoint"]["envelope"], |t| t.replacen("\n25901138\n", "\n25901139\n", 1))),
    ("checkpoint: root line", |b| edit_checkpoint(&mut proof(b)["checkpoint"]["envelope"], |t| t.replacen("iGAoHcc", "iGAoHcd", 1))),
    ("checkpoint: origin", |b| edit_checkpoint(&mut proof(b)["checkpoint"]["envelope"], |t| t.replacen("rekor.sigstage.dev - 8050909264565447525", "rekor.sigstage.dev - 8050909264565447526", 1))),
    ("checkpoint: signature byte", |b| edit_checkpoint(&mut proof(b)["checkpoint"]["envelope"], |t| t.replacen("0y8wozBFAiAM", "0y8wozBFAiAN", 1))),
    ("checkpoint: signature line removed", |b| edit_checkpoint(&mut proof(b)["checkpoint"]["envelope"], |t| t.split("\n\n").next().unwrap().to_owned() + "\n\n")),
    ("checkpoint: foreign signature line added", |b| edit_checkpoint(&mut proof(b)["checkpoint"]["envelope"], |t| format!("{t}\u{2014} witness.example AAAAAAAAAAAAAAAA\n"))),
    ("checkpoint: removed", |b| { proof(b).as_object_mut().unwrap().remove("checkpoint"); }),
    ("body: signature content", |b| edit_body(&mut entry(b)["canonicalizedBody"], |body| { let s = body["spec"]["signature"]["content"].as_str().unwrap().replacen('M', "N", 1); body["spec"]["signature"]["content"] = s.into(); })),
    ("body: digest", |b| edit_body(&mut entry(b)["canonicalizedBody"], |body| { let s = body["spec"]["data"]["hash"]["value"].as_str().unwrap().replacen('5', "6", 1); body["spec"]["data"]["hash"]["value"] = s.into(); })),
    ("body: re-serialised with whitespace", |b| {
        let body: Value = serde_json::from_slice(&B64.decode(entry(b)["canonicalizedBody"].as_str().unwrap()).unwrap()).unwrap();
        entry(b)["canonicalizedBody"] = B64.encode(serde_json::to_vec_pretty(&body).unwrap()).into();
    }),
    ("tlog entries: duplicated", |b| { let e = entry(b).clone(); b["verificationMaterial"]["tlogEntries"].as_array_mut().unwrap().push(e); }),
    ("tlog entries: a second, other entry", |b| {
        let alt: Value = serde_json::from_slice(&signet_testdata::read("sigstore-python/bundle_v3_alt.txt.sigstore")).unwrap();
        b["verificationMaterial"]["tlogEntries"].as_array_mut().unwrap().push(alt["verificationMaterial"]["tlogEntries"][0].clone());
    }),
    ("timestamps: a garbage RFC 3161 response", |b| b["verificationMaterial"]["timestampVerificationData"] = serde_json::json!({"rfc3161Timestamps": [{"signedTimestamp": "MAA="}]})),
    ("verification material: chain instead of certificate in v0.3", |b| {
        let c = b["verificationMaterial"]["certificate"].take();
        b["verificationMaterial"].as_object_mut().unwrap().remove("certificate");
        b["verificationMaterial"]["x509CertificateChain"] = serde_json::json!({"certificates": [c]});
    }),
    ("content: message signature replaced by a DSSE envelope", |b| {
        let sig = b["messageSignature"]["signature"].clone();
        b.as_object_mut().unwrap().remove("messageSignature");
        b["dsseEnvelope"] = serde_json::json!({"payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": [{"sig": sig, "keyid": ""}]});
    }),
];

#[test]
fn every_mutation_of_a_good_bundle_is_rejected() {
    let v = staging();
    let json = signet_testdata::read("sigstore-python/bundle_v3.txt.sigstore");
    let artefact = signet_testdata::read("sigstore-python/bundle_v3.txt");
    check(&v, &json, &artefact, &william()).expect("the unaltered bundle verifies");
    let good: Value = serde_json::from_slice(&json).unwrap();
    assert!(MUTATIONS.len() >= 30, "at least 30 distinct mutations");
    let mut seen = std::collections::HashSet::new();
    for (name, mutate) in MUTATIONS {
        let mut b = good.clone();
        mutate(&mut b);
        assert!(b != good, "{name}: the mutation changed nothing");
        assert!(
            seen.insert(b.to_string()),
            "{name}: same as an earlier mutation"
        );
        let mutated = serde_json::to_vec(&b).unwrap();
        let result = check(&v, &mutated, &artefact, &william());
        assert!(result.is_err(), "{name}: the altered bundle verified");
    }
    // The artefact itself, one byte changed.
    let mut other = artefact.clone();
    other[0] ^= 1;
    assert!(check(&v, &json, &other, &william()).is_err());
}

fn digest(hex_digest: &str) -> Artifact<'static> {
    Artifact::Sha256(hex::decode(hex_digest).unwrap().try_into().unwrap())
}

/// Real public-good (production) bundles verify with the production root, by digest (the
/// artefacts are not in the vectors), and an otherName (username) identity from
/// sigstore-go's scaffolding instance verifies with its root.
#[test]
fn public_good_and_scaffolding_bundles_verify() {
    let production = verifier("trust/production-trusted_root.json");
    let json = signet_testdata::read("sigstore-python/bundle_v3_github.whl.sigstore");
    let bundle = Bundle::from_json(&json).unwrap();
    let workflow =
        "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";
    let actions = "https://token.actions.githubusercontent.com";
    let whl = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201";
    let policy = SignerPolicy::Identity(IdentityPolicy::exact(workflow, actions));
    production
        .verify(&bundle, digest(whl), &policy, SystemTime::now())
        .unwrap();
    // Another tag of the same workflow is another identity.
    let other_tag = SignerPolicy::Identity(IdentityPolicy::exact(
        workflow.replace("v0.1.2", "v0.1.3"),
        actions,
    ));
    let err = production
        .verify(&bundle, digest(whl), &other_tag, SystemTime::now())
        .unwrap_err();
    assert!(matches!(err, VerifyError::Identity(_)), "{err}");
    // The staging root trusts neither its CA nor its log.
    assert!(staging()
        .verify(&bundle, digest(whl), &policy, SystemTime::now())
        .is_err());

    // A v0.1 bundle without an inclusion proof: sigstore-python refuses it too
    // ("entry must contain inclusion proof, with checkpoint").
    let json = signet_testdata::read("sigstore-python/integration/Python-3.12.5.tgz.sigstore");
    let bundle = Bundle::from_json(&json).unwrap();
    let policy = SignerPolicy::Identity(IdentityPolicy::exact(
        "thomas@python.org",
        "https://accounts.google.com",
    ));
    let err = production
        .verify(
            &bundle,
            digest("38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405"),
            &policy,
            SystemTime::now(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("no inclusion proof"), "{err}");

    let scaffolding = verifier("sigstore-go/pkg/testing/data/trusted-roots/scaffolding.json");
    let json =
        signet_testdata::read("sigstore-go/pkg/testing/data/bundles/othername.sigstore.json");
    let bundle = Bundle::from_json(&json).unwrap();
    let policy = SignerPolicy::Identity(IdentityPolicy::exact(
        "foo!oidc.local",
        "http://oidc.local:8080",
    ));
    scaffolding
        .verify(
            &bundle,
            digest("bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"),
            &policy,
            SystemTime::now(),
        )
        .unwrap();
}
