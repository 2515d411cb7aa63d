//! Signed entry timestamps (PROTOCOL.md §4.3): the real staging SET from a
//! sigstore-python bundle verifies with the staging Rekor key, and a SET signed
//! here verifies only over the exact entry it was signed for.

// Test helpers outside #[test] fns are not covered by clippy.toml's
// allow-unwrap-in-tests; a missing or malformed vector should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use signet_rekor::set::{set_payload, sign_set, verify_set, SetError};
use signet_tlog_core::keys::{EcdsaP256Signer, EcdsaP256Verifier};

fn vectors_dir() -> PathBuf {
    signet_testdata::vectors_dir()
}

fn read_json(rel: &str) -> serde_json::Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading vector {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// proto-JSON int64: a string (PROTOCOL.md §1), numbers also accepted.
fn json_u64(v: &serde_json::Value) -> u64 {
    match v {
        serde_json::Value::String(s) => s.parse().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

struct RealEntry {
    verifier: EcdsaP256Verifier,
    body_b64: String,
    integrated_time: i64,
    log_index: u64,
    tree_log_index: u64,
    set: Vec<u8>,
}

/// The v1 entry of a staging bundle and the staging Rekor key matching its logId.
fn real_entry() -> RealEntry {
    let bundle = read_json("sigstore-python/bundle_v3.txt.sigstore");
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    let log_id = entry["logId"]["keyId"].as_str().unwrap();

    let root = read_json("trust/staging-trusted_root.json");
    let tlog = root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["logId"]["keyId"] == log_id)
        .expect("staging trusted root has the bundle's log");
    let spki = BASE64
        .decode(tlog["publicKey"]["rawBytes"].as_str().unwrap())
        .unwrap();
    let verifier = EcdsaP256Verifier::from_spki_der(&spki, "rekor.sigstage.dev").unwrap();
    assert_eq!(
        verifier.key_id().as_slice(),
        BASE64.decode(log_id).unwrap().as_slice(),
        "logID = SHA-256(DER SPKI)"
    );

    RealEntry {
        verifier,
        body_b64: entry["canonicalizedBody"].as_str().unwrap().to_owned(),
        integrated_time: i64::try_from(json_u64(&entry["integratedTime"])).unwrap(),
        log_index: json_u64(&entry["logIndex"]),
        tree_log_index: json_u64(&entry["inclusionProof"]["logIndex"]),
        set: BASE64
            .decode(
                entry["inclusionPromise"]["signedEntryTimestamp"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap(),
    }
}

#[test]
fn real_staging_set_verifies() {
    let e = real_entry();
    verify_set(
        &e.verifier,
        &e.body_b64,
        e.integrated_time,
        e.log_index,
        &e.set,
    )
    .unwrap();
}

#[test]
fn real_staging_set_fails_on_any_changed_field() {
    let e = real_entry();
    let v = &e.verifier;
    let fails = |body: &str, time: i64, index: u64| {
        matches!(
            verify_set(v, body, time, index, &e.set),
            Err(SetError::InvalidSignature(_))
        )
    };
    assert!(fails(&e.body_b64, e.integrated_time + 1, e.log_index));
    assert!(fails(&e.body_b64, e.integrated_time - 1, e.log_index));
    assert!(fails(&e.body_b64, e.integrated_time, e.log_index + 1));
    assert!(fails(&e.body_b64, e.integrated_time, e.log_index - 1));
    // The SET covers the global index, not the shard-local inclusion-proof index.
    assert_ne!(e.tree_log_index, e.log_index);
    assert!(fails(&e.body_b64, e.integrated_time, e.tree_log_index));
    // A different body string (here: the body re-encoded without its padding).
    let unpadded = e.body_b64.trim_end_matches('=');
    assert_ne!(unpadded, e.body_b64);
    assert!(fails(unpadded, e.integrated_time, e.log_index));

    // A tampered signature.
    let mut set = e.set.clone();
    let last = set.len() - 1;
    set[last] ^= 0x01;
    assert!(verify_set(v, &e.body_b64, e.integrated_time, e.log_index, &set).is_err());
}

#[test]
fn payload_is_jcs_with_keys_in_order() {
    let e = real_entry();
    let log_id = hex::encode(e.verifier.key_id());
    assert!(log_id.starts_with("d32f30a3"));
    let payload = set_payload(&e.body_b64, e.integrated_time, &log_id, e.log_index).unwrap();
    let text = String::from_utf8(payload).unwrap();
    // Keys in RFC 8785 order, compact, integers as numbers, '/' not escaped.
    let want = format!(
        "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
        e.body_b64, e.integrated_time, log_id, e.log_index
    );
    assert_eq!(text, want);
    assert!(text.starts_with("{\"body\":\"eyJhcGlWZXJzaW9uIjoiMC4wLjEi"));
    assert!(text.ends_with(",\"integratedTime\":1712085549,\"logID\":\"d32f30a3c32d639c2b762205a21c7bb07788e68283a4ae6f42118723a1bea496\",\"logIndex\":25915956}"));

    let slashy = set_payload("a/b+c=", -5, "00", 0).unwrap();
    assert_eq!(
        slashy,
        br#"{"body":"a/b+c=","integratedTime":-5,"logID":"00","logIndex":0}"#
    );
}

#[test]
fn sign_and_verify_round_trip() {
    let der = EcdsaP256Signer::generate_pkcs8().unwrap();
    let signer = EcdsaP256Signer::from_pkcs8(&der, "rekor.example.dev").unwrap();
    let body = BASE64.encode(br#"{"apiVersion":"0.0.1","kind":"hashedrekord"}"#);
    let set = sign_set(&signer, &body, 1_700_000_000, 42).unwrap();

    let v = signer.verifier();
    verify_set(&v, &body, 1_700_000_000, 42, &set).unwrap();
    assert!(verify_set(&v, &body, 1_700_000_000, 43, &set).is_err());
    assert!(verify_set(&v, &body, 1_700_000_001, 42, &set).is_err());

    // The signature is over the payload carrying this key's own logID.
    let payload = set_payload(&body, 1_700_000_000, &hex::encode(v.key_id()), 42).unwrap();
    v.verify(&payload, &set).unwrap();

    let other = EcdsaP256Signer::from_pkcs8(
        &EcdsaP256Signer::generate_pkcs8().unwrap(),
        "rekor.example.dev",
    )
    .unwrap();
    assert!(matches!(
        verify_set(&other.verifier(), &body, 1_700_000_000, 42, &set),
        Err(SetError::InvalidSignature(_))
    ));
}
