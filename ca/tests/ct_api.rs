//! The RFC 6962 §4 read API of the CA's CT log over real HTTP on 127.0.0.1, as a CT
//! monitor would use it: certificates issued through the Fulcio API (a real OIDC issuer,
//! software CA keys from the ceremony, a CT log on SQLite), then every answer checked
//! against the RFC: signed tree heads verify with the CT key and match the root
//! recomputed from the entries, inclusion and consistency proofs verify, leaves and
//! `extra_data` parse as the RFC 6962 structures and describe the issued certificates.
//! The routes are mounted as `signet serve` mounts them: merged with the C2SP tiles
//! router of the same log, nested under `/ct`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::{sync::Arc, time::Duration};

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{
        EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING,
    },
};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use signet_ca::{
    ct::{CtLog, StoredExtra},
    ct_api::rfc6962_router,
};
use signet_ca_core::{
    profile::{precert_tbs_from_final, precert_tbs_from_precert},
    sct::{self, verify_embedded_sct, PrecertEntry},
    sth::{verify_tree_head, DigitallySigned, SignedTreeHead, TreeHead},
};
use signet_oidc::dev_issuer::InsecureDevIssuer;
use signet_tlog::{http::HttpLimits, storage::Storage, IfMissing, Log};
use signet_tlog_core::{
    hash::{leaf_hash, node_hash, Hash},
    keys::EcdsaP256Signer,
    proof::{verify_consistency, verify_inclusion},
};
use tls_codec::{
    DeserializeBytes as _, TlsByteVecU16, TlsByteVecU24, TlsDeserializeBytes, TlsSize, TlsVecU24,
};
use x509_cert::der::{Decode, DecodePem, Encode};

use common::{ct_config, listener, test_ca, TestCa};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const CT_POISON: &str = "1.3.6.1.4.1.11129.2.4.3";

struct Env {
    base: String,
    issuer: InsecureDevIssuer,
    ct: CtLog,
    /// DER `[intermediate, root]`.
    chain_der: Vec<Vec<u8>>,
    _dir: tempfile::TempDir,
}

async fn start() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let (l, base) = listener().await;
    let issuer = InsecureDevIssuer::generate(&format!("{base}/dev-issuer")).unwrap();
    let TestCa {
        ca,
        ct,
        ct_log,
        chain_der,
    } = test_ca(
        dir.path(),
        json!({"issuers": [{"issuer_url": issuer.issuer_url(), "issuer_type": "email"}]}),
    )
    .await;
    let limits = HttpLimits::default();
    let ct_routes = signet_tlog::http::tiles_router(ct_log, &limits).merge(rfc6962_router(
        ct.clone(),
        chain_der.clone(),
        &limits,
    ));
    let app = signet_ca::http::router(Arc::new(ca))
        .nest("/dev-issuer", issuer.router())
        .nest("/ct", ct_routes);
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    Env {
        base,
        issuer,
        ct,
        chain_der,
        _dir: dir,
    }
}

/// Issues a certificate for `email` through `POST /api/v2/signingCert`; returns the leaf
/// DER.
async fn issue(env: &Env, email: &str) -> Vec<u8> {
    let token = env
        .issuer
        .mint("user-1", Some(email), &Map::new(), Duration::from_secs(300))
        .unwrap();
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let key = rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap();
    let csr = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .serialize_request(&key)
        .unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v2/signingCert", env.base))
        .bearer_auth(token)
        .json(&json!({"certificateSigningRequest": B64.encode(csr.pem().unwrap())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let pem = v["signedCertificateEmbeddedSct"]["chain"]["certificates"][0]
        .as_str()
        .unwrap();
    x509_cert::Certificate::from_pem(pem)
        .unwrap()
        .to_der()
        .unwrap()
}

async fn get(env: &Env, path_and_query: &str) -> (StatusCode, Value) {
    let r = reqwest::get(format!("{}/ct{path_and_query}", env.base))
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path_and_query}: {e}: {text}"));
    (status, v)
}

async fn get_ok(env: &Env, path_and_query: &str) -> Value {
    let (status, v) = get(env, path_and_query).await;
    assert_eq!(status, StatusCode::OK, "{path_and_query}: {v}");
    v
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap()).unwrap()
}

fn hash(v: &Value) -> Hash {
    Hash::from_slice(&b64(v)).unwrap()
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(hash).collect()
}

/// A `get-sth` answer, decoded and verified with the CT key two ways: with
/// `signet_ca_core::sth` and, independently, by rebuilding the RFC 6962 §3.5
/// `TreeHeadSignature` bytes here and checking the ECDSA signature with aws-lc.
async fn sth(env: &Env) -> SignedTreeHead {
    let v = get_ok(env, "/ct/v1/get-sth").await;
    let mut root = [0u8; 32];
    root.copy_from_slice(&b64(&v["sha256_root_hash"]));
    let signature = b64(&v["tree_head_signature"]);
    let sth = SignedTreeHead {
        tree_head: TreeHead {
            timestamp_ms: v["timestamp"].as_u64().unwrap(),
            tree_size: v["tree_size"].as_u64().unwrap(),
            sha256_root_hash: root,
        },
        signature: DigitallySigned::from_bytes(&signature).unwrap(),
    };
    verify_tree_head(&sth, env.ct.public_key_der()).expect("STH signature");

    // hash=sha256(4), signature=ecdsa(3), u16 length, DER signature.
    assert_eq!(&signature[..2], &[4, 3]);
    let len = usize::from(u16::from_be_bytes([signature[2], signature[3]]));
    assert_eq!(len, signature.len() - 4);
    let mut signed = vec![0u8, 1];
    signed.extend_from_slice(&sth.tree_head.timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&sth.tree_head.tree_size.to_be_bytes());
    signed.extend_from_slice(&root);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, env.ct.public_key_der())
        .verify(&signed, &signature[4..])
        .expect("STH signature, checked independently");
    sth
}

/// RFC 6962 §2.1 MTH, written out as the RFC defines it.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash(Sha256::digest([]).into()),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// RFC 6962 §3.4 `MerkleTreeLeaf` for a precert entry, decoded here with `tls_codec`
/// (independently of the encoder in `signet_ca_core::sct`).
#[derive(TlsDeserializeBytes, TlsSize)]
struct PrecertLeaf {
    version: u8,
    leaf_type: u8,
    timestamp: u64,
    entry_type: u16,
    issuer_key_hash: [u8; 32],
    tbs_certificate: TlsByteVecU24,
    extensions: TlsByteVecU16,
}

/// RFC 6962 §3.1 `PrecertChainEntry`.
#[derive(TlsDeserializeBytes, TlsSize)]
struct PrecertChainEntry {
    pre_certificate: TlsByteVecU24,
    precertificate_chain: TlsVecU24<TlsByteVecU24>,
}

fn parse_leaf(bytes: &[u8]) -> PrecertLeaf {
    let (leaf, rest) = PrecertLeaf::tls_deserialize_bytes(bytes).unwrap();
    assert!(rest.is_empty(), "trailing bytes after the MerkleTreeLeaf");
    assert_eq!(leaf.version, 0, "v1");
    assert_eq!(leaf.leaf_type, 0, "timestamped_entry");
    assert_eq!(leaf.entry_type, 1, "precert_entry");
    assert!(leaf.extensions.as_slice().is_empty());
    leaf
}

fn parse_chain_entry(bytes: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (entry, rest) = PrecertChainEntry::tls_deserialize_bytes(bytes).unwrap();
    assert!(
        rest.is_empty(),
        "trailing bytes after the PrecertChainEntry"
    );
    let chain = entry
        .precertificate_chain
        .as_slice()
        .iter()
        .map(|c| c.as_slice().to_vec())
        .collect();
    (entry.pre_certificate.as_slice().to_vec(), chain)
}

/// The read API describes every issued certificate, and its proofs verify.
#[tokio::test]
async fn monitor_reads_and_verifies_the_log() {
    let env = start().await;
    let empty = sth(&env).await;
    assert_eq!(empty.tree_head.tree_size, 0);
    assert_eq!(empty.tree_head.sha256_root_hash, mth(&[]).0);

    let mut certs = Vec::new();
    for i in 0..3 {
        certs.push(issue(&env, &format!("user{i}@example.com")).await);
    }
    let first = sth(&env).await;
    assert_eq!(first.tree_head.tree_size, 3);
    // The same tree head, byte for byte, while the tree does not grow (ECDSA signatures
    // are randomised: equal bytes mean it was not re-signed).
    assert_eq!(sth(&env).await, first);
    for i in 3..5 {
        certs.push(issue(&env, &format!("user{i}@example.com")).await);
    }
    let second = sth(&env).await;
    assert_eq!(second.tree_head.tree_size, 5);
    assert!(second.tree_head.timestamp_ms >= first.tree_head.timestamp_ms);
    assert!(first.tree_head.timestamp_ms >= empty.tree_head.timestamp_ms);

    // get-entries: the root recomputed from the leaves is the STH's.
    let v = get_ok(&env, "/ct/v1/get-entries?start=0&end=4").await;
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    let leaf_inputs: Vec<Vec<u8>> = entries.iter().map(|e| b64(&e["leaf_input"])).collect();
    let leaf_hashes: Vec<Hash> = leaf_inputs.iter().map(|l| leaf_hash(l)).collect();
    assert_eq!(mth(&leaf_hashes).0, second.tree_head.sha256_root_hash);
    assert_eq!(mth(&leaf_hashes[..3]).0, first.tree_head.sha256_root_hash);

    // Each entry is the precertificate of the certificate issued in that order.
    let intermediate = x509_cert::Certificate::from_der(&env.chain_der[0]).unwrap();
    let issuer_key_hash: [u8; 32] = Sha256::digest(
        intermediate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap(),
    )
    .into();
    for (i, (entry, cert_der)) in entries.iter().zip(&certs).enumerate() {
        let leaf = parse_leaf(&leaf_inputs[i]);
        assert_eq!(leaf.issuer_key_hash, issuer_key_hash, "entry {i}");
        // The leaf TBS is the issued TBS without the SCT list, byte for byte.
        assert_eq!(
            leaf.tbs_certificate.as_slice(),
            precert_tbs_from_final(cert_der).unwrap(),
            "entry {i}"
        );
        let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
        let tbs = x509_cert::TbsCertificate::from_der(leaf.tbs_certificate.as_slice()).unwrap();
        assert_eq!(tbs.serial_number, cert.tbs_certificate.serial_number);
        // The leaf timestamp is the embedded SCT's, and no STH covering it is older.
        let sct =
            verify_embedded_sct(cert_der, &env.chain_der[0], env.ct.public_key_der()).unwrap();
        assert_eq!(leaf.timestamp, sct.timestamp_ms, "entry {i}");
        assert!(second.tree_head.timestamp_ms >= leaf.timestamp);
        if i < 3 {
            assert!(first.tree_head.timestamp_ms >= leaf.timestamp);
        }

        // extra_data: PrecertChainEntry of the poisoned precertificate and the CA chain.
        let (precert_der, chain) = parse_chain_entry(&b64(&entry["extra_data"]));
        assert_eq!(
            chain, env.chain_der,
            "entry {i}: chain [intermediate, root]"
        );
        let precert = x509_cert::Certificate::from_der(&precert_der).unwrap();
        let poison = precert
            .tbs_certificate
            .extensions
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.extn_id.to_string() == CT_POISON)
            .expect("poison extension");
        assert!(poison.critical);
        assert_eq!(poison.extn_value.as_bytes(), [0x05, 0x00]);
        assert_eq!(
            precert.tbs_certificate.serial_number,
            cert.tbs_certificate.serial_number
        );
        assert_eq!(
            precert_tbs_from_precert(&precert_der).unwrap(),
            leaf.tbs_certificate.as_slice()
        );
        // The SCT verifies over the entry rebuilt from what the log serves.
        sct::verify_sct(
            &sct,
            &PrecertEntry {
                issuer_key_hash: leaf.issuer_key_hash,
                tbs_certificate: leaf.tbs_certificate.as_slice().to_vec(),
            },
            env.ct.public_key_der(),
        )
        .unwrap();

        // The stored extra decodes to the issuance record and the same precertificate.
        let stored = env.ct.log().entry_by_index(i as u64).await.unwrap().entry;
        let extra = StoredExtra::decode(stored.extra.as_deref().unwrap()).unwrap();
        assert_eq!(extra.precertificate_der, precert_der);
        let record: Value = serde_json::from_slice(&extra.issuance_record).unwrap();
        assert_eq!(record["identity"]["san"], format!("user{i}@example.com"));
    }

    // get-proof-by-hash for every entry, against both tree heads that contain it.
    for (i, leaf) in leaf_hashes.iter().enumerate() {
        for head in [&first, &second] {
            let size = head.tree_head.tree_size;
            if i as u64 >= size {
                continue;
            }
            let q = format!(
                "/ct/v1/get-proof-by-hash?hash={}&tree_size={size}",
                urlencode(&B64.encode(leaf.as_bytes()))
            );
            let v = get_ok(&env, &q).await;
            assert_eq!(v["leaf_index"], i as u64);
            verify_inclusion(
                i as u64,
                size,
                leaf,
                &hashes(&v["audit_path"]),
                &Hash(head.tree_head.sha256_root_hash),
            )
            .unwrap_or_else(|e| panic!("entry {i} in tree {size}: {e}"));

            // get-entry-and-proof: the same entry and a proof that verifies.
            let v = get_ok(
                &env,
                &format!("/ct/v1/get-entry-and-proof?leaf_index={i}&tree_size={size}"),
            )
            .await;
            assert_eq!(b64(&v["leaf_input"]), leaf_inputs[i]);
            assert_eq!(v["extra_data"], entries[i]["extra_data"]);
            verify_inclusion(
                i as u64,
                size,
                leaf,
                &hashes(&v["audit_path"]),
                &Hash(head.tree_head.sha256_root_hash),
            )
            .unwrap();
        }
    }

    // get-sth-consistency between the two tree heads (and every pair of sizes).
    let v = get_ok(&env, "/ct/v1/get-sth-consistency?first=3&second=5").await;
    verify_consistency(
        3,
        5,
        &hashes(&v["consistency"]),
        &Hash(first.tree_head.sha256_root_hash),
        &Hash(second.tree_head.sha256_root_hash),
    )
    .unwrap();
    for a in 1..=5u64 {
        for b in a..=5u64 {
            let v = get_ok(
                &env,
                &format!("/ct/v1/get-sth-consistency?first={a}&second={b}"),
            )
            .await;
            let a_root = mth(&leaf_hashes[..a as usize]);
            let b_root = mth(&leaf_hashes[..b as usize]);
            let proof = hashes(&v["consistency"]);
            if a == b {
                assert!(proof.is_empty());
            } else {
                verify_consistency(a, b, &proof, &a_root, &b_root)
                    .unwrap_or_else(|e| panic!("{a} -> {b}: {e}"));
            }
        }
    }

    // get-roots: the CA root, self-issued.
    let v = get_ok(&env, "/ct/v1/get-roots").await;
    let roots: Vec<Vec<u8>> = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(b64)
        .collect();
    assert_eq!(roots, vec![env.chain_der[1].clone()]);
    let root = x509_cert::Certificate::from_der(&roots[0]).unwrap();
    assert_eq!(root.tbs_certificate.subject, root.tbs_certificate.issuer);

    // get-entries stops at the end of the tree rather than failing.
    let v = get_ok(&env, "/ct/v1/get-entries?start=3&end=1000000").await;
    let tail: Vec<Value> = v["entries"].as_array().unwrap().clone();
    assert_eq!(tail, entries[3..].to_vec());

    // The tiles are still served beside the RFC 6962 API.
    let r = reqwest::get(format!("{}/ct/checkpoint", env.base))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().starts_with("ct.signet.test - "));
}

/// Percent-encodes the base64 characters that are not URL-safe.
fn urlencode(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

async fn expect_error(env: &Env, path_and_query: &str, status: StatusCode, says: &str) {
    let (got, v) = get(env, path_and_query).await;
    assert_eq!(got, status, "{path_and_query}: {v}");
    assert_eq!(v["code"], status.as_u16(), "{path_and_query}: {v}");
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains(says),
        "{path_and_query}: {message:?} should say {says:?}"
    );
}

/// Every malformed or out-of-range parameter is a 400 saying what is wrong; a leaf hash
/// not in the tree is a 404.
#[tokio::test]
async fn bad_parameters_are_refused() {
    let env = start().await;
    // Nothing is in an empty tree.
    expect_error(
        &env,
        "/ct/v1/get-entries?start=0&end=0",
        StatusCode::BAD_REQUEST,
        "beyond the tree size 0",
    )
    .await;
    let mut certs = Vec::new();
    for i in 0..3 {
        certs.push(issue(&env, &format!("user{i}@example.com")).await);
    }
    let bad = StatusCode::BAD_REQUEST;
    let cases: &[(&str, &str)] = &[
        (
            "/ct/v1/get-sth-consistency?first=1",
            "missing query parameter \"second\"",
        ),
        ("/ct/v1/get-sth-consistency?first=x&second=2", "\"first\""),
        (
            "/ct/v1/get-sth-consistency?first=-1&second=2",
            "not a non-negative decimal",
        ),
        (
            "/ct/v1/get-sth-consistency?first=0&second=2",
            "1 <= first <= second",
        ),
        (
            "/ct/v1/get-sth-consistency?first=3&second=2",
            "1 <= first <= second",
        ),
        (
            "/ct/v1/get-sth-consistency?first=1&second=4",
            "beyond the tree size 3",
        ),
        (
            "/ct/v1/get-sth-consistency?first=1&second=18446744073709551616",
            "does not fit in 64 bits",
        ),
        (
            "/ct/v1/get-proof-by-hash?tree_size=3",
            "missing query parameter \"hash\"",
        ),
        (
            "/ct/v1/get-proof-by-hash?hash=%25%25&tree_size=3",
            "not standard base64",
        ),
        (
            "/ct/v1/get-proof-by-hash?hash=AAAA&tree_size=3",
            "32 bytes, got 3",
        ),
        (
            "/ct/v1/get-entries?start=0",
            "missing query parameter \"end\"",
        ),
        ("/ct/v1/get-entries?start=2&end=1", "after end"),
        ("/ct/v1/get-entries?start=3&end=5", "beyond the tree size 3"),
        ("/ct/v1/get-entries?start=1.5&end=2", "\"start\""),
        (
            "/ct/v1/get-entry-and-proof?leaf_index=3&tree_size=3",
            "not in the tree of size 3",
        ),
        (
            "/ct/v1/get-entry-and-proof?leaf_index=0&tree_size=4",
            "tree_size=4",
        ),
        (
            "/ct/v1/get-entry-and-proof?leaf_index=0&tree_size=0",
            "tree_size=0",
        ),
        ("/ct/v1/get-entry-and-proof?tree_size=1", "\"leaf_index\""),
    ];
    for (q, says) in cases {
        expect_error(&env, q, bad, says).await;
    }

    // Leaf hashes: a hash no entry has, then a real entry asked about a tree too small.
    let v = get_ok(&env, "/ct/v1/get-entries?start=0&end=2").await;
    let last_leaf = leaf_hash(&b64(&v["entries"][2]["leaf_input"]));
    let unknown = Hash(Sha256::digest(b"not a leaf").into());
    let proof_by_hash = |h: &Hash, size: u64| {
        format!(
            "/ct/v1/get-proof-by-hash?hash={}&tree_size={size}",
            urlencode(&B64.encode(h.as_bytes()))
        )
    };
    expect_error(
        &env,
        &proof_by_hash(&unknown, 3),
        StatusCode::NOT_FOUND,
        "no entry with leaf hash",
    )
    .await;
    expect_error(
        &env,
        &proof_by_hash(&last_leaf, 2),
        StatusCode::NOT_FOUND,
        "at index 2, not in the tree of size 2",
    )
    .await;
    expect_error(&env, &proof_by_hash(&last_leaf, 0), bad, "tree_size=0").await;
    expect_error(&env, &proof_by_hash(&last_leaf, 4), bad, "tree_size=4").await;
    // The same leaf in a tree that holds it is found (control for the 404 above).
    let v = get_ok(&env, &proof_by_hash(&last_leaf, 3)).await;
    assert_eq!(v["leaf_index"], 2);
    // A '+' sent unencoded arrives as a space and is still understood.
    let v = get_ok(
        &env,
        &format!(
            "/ct/v1/get-proof-by-hash?hash={}&tree_size=3",
            B64.encode(last_leaf.as_bytes())
                .replace('/', "%2F")
                .replace('=', "%3D")
        ),
    )
    .await;
    assert_eq!(v["leaf_index"], 2);
}

/// `get-entries` returns at most 256 entries, and fewer at the end of the tree.
#[tokio::test]
async fn get_entries_is_capped() {
    let env = start().await;
    let total = 300usize;
    let env = Arc::new(env);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let env = env.clone();
        tasks.spawn(async move { issue(&env, &format!("bulk{i}@example.com")).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let head = sth(&env).await;
    assert_eq!(head.tree_head.tree_size, total as u64);

    let v = get_ok(&env, "/ct/v1/get-entries?start=0&end=299").await;
    let page1 = v["entries"].as_array().unwrap().clone();
    assert_eq!(page1.len(), 256);
    let v = get_ok(
        &env,
        "/ct/v1/get-entries?start=256&end=18446744073709551615",
    )
    .await;
    let page2 = v["entries"].as_array().unwrap().clone();
    assert_eq!(page2.len(), total - 256);
    let leaves: Vec<Hash> = page1
        .iter()
        .chain(&page2)
        .map(|e| leaf_hash(&b64(&e["leaf_input"])))
        .collect();
    assert_eq!(mth(&leaves).0, head.tree_head.sha256_root_hash);
    // A proof deep in a bigger tree (several tiles, a partial level-1 tile) verifies.
    for i in [0u64, 255, 256, 299] {
        for size in [i + 1, 257, 300] {
            if i >= size {
                continue;
            }
            let v = get_ok(
                &env,
                &format!("/ct/v1/get-entry-and-proof?leaf_index={i}&tree_size={size}"),
            )
            .await;
            verify_inclusion(
                i,
                size,
                &leaves[i as usize],
                &hashes(&v["audit_path"]),
                &mth(&leaves[..size as usize]),
            )
            .unwrap_or_else(|e| panic!("{i} in {size}: {e}"));
        }
    }
}

/// After a restart, the first tree head is not older than the SCTs of entries logged by
/// the previous process, even when the clock is behind them.
#[tokio::test]
async fn tree_head_timestamp_covers_entries_from_before_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("ct.sqlite").display());
    let key = EcdsaP256Signer::generate_pkcs8().unwrap();
    let signer = || EcdsaP256Signer::from_pkcs8(&key, "ct.signet.test").unwrap();
    // An SCT timestamp an hour ahead of the clock, as if the clock stepped back since.
    let future = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 3_600_000;
    {
        let log = Log::start(
            Storage::open(&url).await.unwrap(),
            signer(),
            &ct_config(),
            IfMissing::Create,
        )
        .await
        .unwrap();
        let entry = PrecertEntry {
            issuer_key_hash: [1; 32],
            tbs_certificate: vec![0x30, 0x00],
        };
        let leaf = sct::merkle_tree_leaf(&entry, future, &[]).unwrap();
        let extra = StoredExtra::encode(b"{}", &[0x30, 0x00]).unwrap();
        log.append_leaf(leaf, Vec::new(), Some(extra))
            .await
            .unwrap();
    }
    let log = Log::start(
        Storage::open(&url).await.unwrap(),
        signer(),
        &ct_config(),
        IfMissing::Refuse,
    )
    .await
    .unwrap();
    let ct = CtLog::new(log, signer());
    let sth = ct.signed_tree_head().await.unwrap();
    assert_eq!(sth.tree_head.tree_size, 1);
    assert!(
        sth.tree_head.timestamp_ms >= future,
        "{} < {future}",
        sth.tree_head.timestamp_ms
    );
    verify_tree_head(&sth, ct.public_key_der()).unwrap();
}
