//! A real Rekor v1 staging entry (from a sigstore-python test bundle) verifies, and each
//! single-field tampering of it is rejected by the step responsible for that field.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

use std::path::PathBuf;

use base64::Engine as _;
use signet_rekor::api::{InclusionProof, LogEntryAnon, Verification};
use signet_tlog_core::{hash::leaf_hash, keys::EcdsaP256Verifier};
use signet_verifier::rekor_v1::{verify_log_entry, EntryCheckError};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn vectors() -> PathBuf {
    signet_testdata::vectors_dir()
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("json")
}

fn hex_of_b64(s: &serde_json::Value) -> String {
    hex::encode(B64.decode(s.as_str().expect("string")).expect("b64"))
}

fn num(v: &serde_json::Value) -> u64 {
    v.as_str()
        .map(|s| s.parse().expect("int"))
        .or(v.as_u64())
        .expect("number")
}

/// (entry id, entry, staging Rekor key) from `bundle_v3.txt.sigstore`.
fn real_entry() -> (String, LogEntryAnon, EcdsaP256Verifier) {
    let v = vectors();
    let bundle = json(v.join("sigstore-python/bundle_v3.txt.sigstore"));
    let t = &bundle["verificationMaterial"]["tlogEntries"][0];
    let p = &t["inclusionProof"];
    let body = t["canonicalizedBody"].as_str().expect("body").to_owned();
    let entry = LogEntryAnon {
        integrated_time: num(&t["integratedTime"]) as i64,
        log_id: hex_of_b64(&t["logId"]["keyId"]),
        log_index: num(&t["logIndex"]),
        verification: Verification {
            inclusion_proof: InclusionProof {
                checkpoint: p["checkpoint"]["envelope"].as_str().expect("cp").to_owned(),
                hashes: p["hashes"]
                    .as_array()
                    .expect("hashes")
                    .iter()
                    .map(hex_of_b64)
                    .collect(),
                log_index: num(&p["logIndex"]),
                root_hash: hex_of_b64(&p["rootHash"]),
                tree_size: num(&p["treeSize"]),
            },
            signed_entry_timestamp: t["inclusionPromise"]["signedEntryTimestamp"]
                .as_str()
                .expect("set")
                .to_owned(),
        },
        body,
    };
    let root = json(v.join("trust/staging-trusted_root.json"));
    let key = root["tlogs"]
        .as_array()
        .expect("tlogs")
        .iter()
        .find(|l| hex_of_b64(&l["logId"]["keyId"]) == entry.log_id)
        .expect("staging Rekor key in the trusted root");
    let der = B64
        .decode(key["publicKey"]["rawBytes"].as_str().expect("raw"))
        .expect("b64");
    let key = EcdsaP256Verifier::from_spki_der(&der, "rekor.sigstage.dev").expect("key");
    let id = leaf_hash(&B64.decode(&entry.body).expect("b64")).to_hex();
    (id, entry, key)
}

#[test]
fn real_staging_entry_verifies() {
    let (id, entry, key) = real_entry();
    assert_ne!(
        entry.log_index, entry.verification.inclusion_proof.log_index,
        "the vector is from a sharded log (global vs tree index)"
    );
    let ok = verify_log_entry(&id, &entry, &key).expect("real entry verifies");
    assert_eq!(
        ok.checkpoint.size,
        entry.verification.inclusion_proof.tree_size
    );
    assert!(ok.checkpoint.origin.starts_with("rekor.sigstage.dev - "));
}

#[test]
fn every_tampered_field_is_rejected() {
    let (id, good, key) = real_entry();
    type Mutation = (&'static str, Box<dyn Fn(&mut String, &mut LogEntryAnon)>);
    let flip_hex = |s: &mut String| {
        let c = if s.starts_with('0') { "1" } else { "0" };
        s.replace_range(0..1, c);
    };
    let cases: Vec<Mutation> = vec![
        ("entry id", Box::new(move |id, _| flip_hex(id))),
        (
            "body",
            Box::new(|_, e| e.body = B64.encode(b"{\"kind\":\"other\"}")),
        ),
        ("body encoding", Box::new(|_, e| e.body.insert(3, '!'))),
        ("integrated time", Box::new(|_, e| e.integrated_time += 1)),
        ("log index", Box::new(|_, e| e.log_index += 1)),
        ("log id", Box::new(move |_, e| flip_hex(&mut e.log_id))),
        (
            "SET",
            Box::new(|_, e| {
                e.verification.signed_entry_timestamp = B64.encode([0x30, 0x06, 2, 1, 1, 2, 1, 1])
            }),
        ),
        (
            "proof hash",
            Box::new(move |_, e| flip_hex(&mut e.verification.inclusion_proof.hashes[3])),
        ),
        (
            "proof truncated",
            Box::new(|_, e| {
                e.verification.inclusion_proof.hashes.pop();
            }),
        ),
        (
            "proof index",
            Box::new(|_, e| e.verification.inclusion_proof.log_index += 1),
        ),
        (
            "tree size",
            Box::new(|_, e| e.verification.inclusion_proof.tree_size += 1),
        ),
        (
            "root hash",
            Box::new(move |_, e| flip_hex(&mut e.verification.inclusion_proof.root_hash)),
        ),
        (
            "checkpoint text",
            Box::new(|_, e| {
                e.verification.inclusion_proof.checkpoint = e
                    .verification
                    .inclusion_proof
                    .checkpoint
                    .replacen("rekor", "rekoR", 1)
            }),
        ),
        (
            "checkpoint signature",
            Box::new(|_, e| {
                let cp = &mut e.verification.inclusion_proof.checkpoint;
                let at = cp.len() - 6;
                let c = if &cp[at..at + 1] == "A" { "B" } else { "A" };
                cp.replace_range(at..at + 1, c);
            }),
        ),
    ];
    for (what, mutate) in &cases {
        let (mut id, mut e) = (id.clone(), good.clone());
        mutate(&mut id, &mut e);
        let err = verify_log_entry(&id, &e, &key)
            .err()
            .unwrap_or_else(|| panic!("{what}: tampered entry verified"));
        eprintln!("{what}: {err}");
    }
    // Another key never verifies it.
    let other = signet_tlog_core::keys::EcdsaP256Signer::generate_pkcs8().expect("keygen");
    let other = signet_tlog_core::keys::EcdsaP256Signer::from_pkcs8(&other, "x")
        .expect("key")
        .verifier();
    assert!(matches!(
        verify_log_entry(&id, &good, &other),
        Err(EntryCheckError::WrongLog { .. })
    ));
}
