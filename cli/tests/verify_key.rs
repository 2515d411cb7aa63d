//! `signet verify --key` for a bundle signed with a managed key: the signature is recorded
//! in a real `signet serve` log as a hashedrekord with a PEM public key, the bundle v0.3
//! names the key by hint, and verification checks the log entry, its SET and checkpoint,
//! the signature and the binding of the entry to the key and digest.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

use std::{
    path::Path,
    process::{Command, Output},
};

use aws_lc_rs::{
    encoding::AsDer as _,
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING},
};
use base64::Engine as _;
use serde_json::{json, Value};
use x509_cert::{
    der::{pem::LineEnding, Decode as _, EncodePem as _},
    spki::SubjectPublicKeyInfoOwned,
};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// A fresh P-256 key: the key pair and its public key as PEM.
fn managed_key() -> (EcdsaKeyPair, String) {
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
    let der = key.public_key().as_der().unwrap();
    let pem = SubjectPublicKeyInfoOwned::from_der(der.as_ref())
        .unwrap()
        .to_pem(LineEnding::LF)
        .unwrap();
    (key, pem)
}

/// Records a hashedrekord for `artefact` signed by `key` and returns the bundle v0.3.
fn sign_and_log(base: &str, key: &EcdsaKeyPair, pem: &str, artefact: &[u8]) -> Value {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, artefact);
    let signature = key.sign(&SystemRandom::new(), artefact).unwrap();
    let proposed = json!({
        "kind": "hashedrekord", "apiVersion": "0.0.1",
        "spec": {
            "signature": {"content": B64.encode(signature.as_ref()), "publicKey": {"content": B64.encode(pem)}},
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest.as_ref())}},
        },
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer: Value = rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(format!("{base}/api/v1/log/entries"))
            .json(&proposed)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        resp.json().await.unwrap()
    });
    let (_, entry) = answer.as_object().unwrap().iter().next().unwrap();
    let proof = &entry["verification"]["inclusionProof"];
    let body = B64.decode(entry["body"].as_str().unwrap()).unwrap();
    let hex_b64 = |v: &Value| B64.encode(hex::decode(v.as_str().unwrap()).unwrap());
    // PROTOCOL.md §4.4.1: a Rekor v1 LogEntry as a bundle TransparencyLogEntry.
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": "managed-key"},
            "tlogEntries": [{
                "logIndex": entry["logIndex"].to_string(),
                "logId": {"keyId": hex_b64(&entry["logID"])},
                "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                "integratedTime": entry["integratedTime"].to_string(),
                "inclusionPromise": {"signedEntryTimestamp": entry["verification"]["signedEntryTimestamp"]},
                "inclusionProof": {
                    "logIndex": proof["logIndex"].to_string(),
                    "rootHash": hex_b64(&proof["rootHash"]),
                    "treeSize": proof["treeSize"].to_string(),
                    "hashes": proof["hashes"].as_array().unwrap().iter().map(hex_b64).collect::<Vec<_>>(),
                    "checkpoint": {"envelope": proof["checkpoint"]},
                },
                "canonicalizedBody": B64.encode(body),
            }],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(digest.as_ref())},
            "signature": B64.encode(signature.as_ref()),
        },
    })
}

fn verify(args: &[&Path], extra: &[&str]) -> Output {
    Command::new(SIGNET)
        .arg("verify")
        .arg(args[0])
        .arg("--bundle")
        .arg(args[1])
        .arg("--trusted-root")
        .arg(args[2])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_managed_key_bundle_verifies_with_that_key_only() {
    let deployment = Deployment::start();
    let (tmp, data, base) = (&deployment.tmp, &deployment.data, &deployment.base);
    let (key, pem) = managed_key();
    let artefact = tmp.path().join("artefact.bin");
    std::fs::write(&artefact, b"signed with a managed key\n").unwrap();
    let bundle = sign_and_log(base, &key, &pem, &std::fs::read(&artefact).unwrap());
    let bundle_path = tmp.path().join("artefact.bin.sigstore.json");
    std::fs::write(&bundle_path, bundle.to_string()).unwrap();
    let key_path = tmp.path().join("key.pem");
    std::fs::write(&key_path, &pem).unwrap();
    let root = data.join("trusted_root.json");
    let files = [artefact.as_path(), bundle_path.as_path(), root.as_path()];

    let out = verify(&files, &["--key", key_path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Another key, another artefact, or an identity policy: each fails.
    let (_, other_pem) = managed_key();
    let other_key = tmp.path().join("other.pem");
    std::fs::write(&other_key, other_pem).unwrap();
    let out = verify(&files, &["--key", other_key.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("signature"), "{err}");
    let other = tmp.path().join("other.bin");
    std::fs::write(&other, b"something else\n").unwrap();
    let out = verify(
        &[other.as_path(), bundle_path.as_path(), root.as_path()],
        &["--key", key_path.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let out = verify(
        &files,
        &[
            "--certificate-identity",
            "alice@example.com",
            "--certificate-oidc-issuer",
            "https://issuer.example",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("managed key"),
        "{err}"
    );
    // A key file that is not a PEM public key is a clear error.
    let out = verify(&files, &["--key", root.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("not a PEM public key"),
        "{err}"
    );
}
