//! The log's HTTP conformance suite, run through a real server on 127.0.0.1 against
//! both storage backends. Every proof, SET and checkpoint the server returns is checked
//! with `signet-verifier`, never with the server's own code.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

mod common;

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use common::{hashedrekord_json, mth, random_artefact, Backend, Server, Signer, B64};
use reqwest::StatusCode;
use signet_rekor::api;
use signet_tlog::IfMissing;
use signet_tlog_core::{
    checkpoint::Checkpoint,
    hash::{leaf_hash, node_hash, Hash},
    keys::EcdsaP256Verifier,
    note::NoteVerifier,
    proof::verify_consistency,
    tile::{format_index, TILE_WIDTH},
};
use signet_verifier::rekor_v1::verify_log_entry;

async fn post(client: &reqwest::Client, url: &str, body: &serde_json::Value) -> reqwest::Response {
    client.post(url).json(body).send().await.expect("request")
}

/// Verifies a `LogEntry` map (one key) and returns (entry id, value).
fn check_entry(map: &api::LogEntry, key: &EcdsaP256Verifier) -> (String, api::LogEntryAnon) {
    assert_eq!(map.len(), 1, "a LogEntry map has exactly one key");
    let (id, anon) = map.iter().next().expect("one entry");
    assert_eq!(id.len(), 80, "entry IDs are 80 hex");
    verify_log_entry(id, anon, key).unwrap_or_else(|e| panic!("entry {id} does not verify: {e}"));
    (id.clone(), anon.clone())
}

async fn log_info(client: &reqwest::Client, s: &Server) -> api::LogInfo {
    let r = client
        .get(s.url("/api/v1/log"))
        .send()
        .await
        .expect("get log");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("log info json")
}

fn open_checkpoint(note: &str, key: &EcdsaP256Verifier) -> Checkpoint {
    let v: [&dyn NoteVerifier; 1] = [key];
    Checkpoint::open(note, &v).expect("checkpoint verifies with the log key")
}

async fn consistency(
    client: &reqwest::Client,
    s: &Server,
    first: u64,
    last: u64,
) -> api::ConsistencyProof {
    let r = client
        .get(s.url(&format!(
            "/api/v1/log/proof?firstSize={first}&lastSize={last}"
        )))
        .send()
        .await
        .expect("proof");
    assert_eq!(r.status(), StatusCode::OK, "proof {first}->{last}");
    r.json().await.expect("proof json")
}

fn hashes(v: &[String]) -> Vec<Hash> {
    v.iter()
        .map(|h| Hash::from_hex(h).expect("hex hash"))
        .collect()
}

async fn error_of(r: reqwest::Response, want: StatusCode) -> String {
    assert_eq!(r.status(), want);
    let body: api::ErrorBody = r.json().await.expect("errors are JSON {code, message}");
    assert_eq!(body.code, want.as_u16());
    assert!(!body.message.is_empty());
    body.message
}

async fn create_duplicate_and_reads(backend: Backend) {
    let s = Server::start(&backend).await;
    let client = reqwest::Client::new();
    let key = s.verifier();

    // The published key is the log key.
    let pem = client
        .get(s.url("/api/v1/log/publicKey"))
        .send()
        .await
        .expect("pk");
    assert_eq!(pem.status(), StatusCode::OK);
    assert_eq!(
        pem.headers()["content-type"].to_str().expect("ct"),
        "application/x-pem-file"
    );
    let pem = pem.text().await.expect("pem");
    assert_eq!(
        EcdsaP256Verifier::from_pem(&pem, "x")
            .expect("pem parses")
            .key_id(),
        key.key_id()
    );

    // Empty log.
    let info = log_info(&client, &s).await;
    assert_eq!(info.tree_size, 0);
    let cp0 = open_checkpoint(&info.signed_tree_head, &key);
    assert_eq!(cp0.size, 0);
    assert!(cp0.origin.starts_with("signet.test - "));
    assert_eq!(cp0.origin, format!("signet.test - {}", info.tree_id));

    // Create a few entries (avoid making index 0 the only interesting one).
    let signer = Signer::new();
    let mut created = Vec::new();
    for _ in 0..5 {
        let artefact = random_artefact();
        let (entry, digest) = signer.hashedrekord(&artefact);
        let r = post(&client, &s.url("/api/v1/log/entries"), &entry).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
        let location = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let map: api::LogEntry = r.json().await.expect("LogEntry");
        let (id, anon) = check_entry(&map, &key);
        assert_eq!(etag, id, "sigstore-go reads payload[ETag]");
        assert_eq!(location, format!("/api/v1/log/entries/{id}"));
        assert_eq!(anon.log_index, created.len() as u64);
        // The stored body is the canonical form of what was sent.
        let body: serde_json::Value =
            serde_json::from_slice(&B64.decode(&anon.body).expect("b64")).expect("body json");
        assert_eq!(body["kind"], "hashedrekord");
        assert_eq!(body["spec"]["data"]["hash"]["value"], digest.as_str());
        created.push((entry, id, anon, digest));
    }

    // Duplicate: 409 with the existing entry's Location; nothing appended.
    let (dup_entry, dup_id, ..) = &created[2];
    let r = post(&client, &s.url("/api/v1/log/entries"), dup_entry).await;
    assert_eq!(
        r.headers()["location"].to_str().expect("loc"),
        format!("/api/v1/log/entries/{dup_id}")
    );
    let msg = error_of(r, StatusCode::CONFLICT).await;
    assert!(msg.contains(dup_id.as_str()), "{msg}");
    let info = log_info(&client, &s).await;
    assert_eq!(info.tree_size, 5);
    let cp = open_checkpoint(&info.signed_tree_head, &key);
    assert_eq!(cp.root.to_hex(), info.root_hash);

    // GET by index and by UUID (64 and 80 hex) return the same, verifying entry.
    for (_, id, anon, _) in &created {
        let r = client
            .get(s.url(&format!("/api/v1/log/entries?logIndex={}", anon.log_index)))
            .send()
            .await
            .expect("by index");
        assert_eq!(r.status(), StatusCode::OK);
        let by_index: api::LogEntry = r.json().await.expect("json");
        let (id2, a2) = check_entry(&by_index, &key);
        assert_eq!(&id2, id);
        assert_eq!(a2.body, anon.body);
        assert_eq!(a2.integrated_time, anon.integrated_time);
        // The SET is signed once, at sequencing, and stored: reads return the same bytes
        // (ECDSA signatures are randomised, so a re-signed SET would differ).
        assert_eq!(
            a2.verification.signed_entry_timestamp,
            anon.verification.signed_entry_timestamp
        );
        assert_eq!(a2.verification.inclusion_proof.tree_size, 5);
        for form in [id.clone(), id[16..].to_owned()] {
            let r = client
                .get(s.url(&format!("/api/v1/log/entries/{form}")))
                .send()
                .await
                .expect("by uuid");
            assert_eq!(r.status(), StatusCode::OK, "{form}");
            let m: api::LogEntry = r.json().await.expect("json");
            assert_eq!(check_entry(&m, &key).0, *id);
        }
    }
    // Absent entries are 404 JSON; malformed ones 400.
    error_of(
        client
            .get(s.url("/api/v1/log/entries?logIndex=5"))
            .send()
            .await
            .expect("r"),
        StatusCode::NOT_FOUND,
    )
    .await;
    error_of(
        client
            .get(s.url(&format!("/api/v1/log/entries/{}", "ab".repeat(32))))
            .send()
            .await
            .expect("r"),
        StatusCode::NOT_FOUND,
    )
    .await;
    error_of(
        client
            .get(s.url("/api/v1/log/entries/nothex"))
            .send()
            .await
            .expect("r"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    error_of(
        client
            .get(s.url("/api/v1/log/entries?logIndex=-1"))
            .send()
            .await
            .expect("r"),
        StatusCode::BAD_REQUEST,
    )
    .await;

    // POST retrieve: by UUID, index and proposed entry; with and without trailing slash.
    for path in [
        "/api/v1/log/entries/retrieve",
        "/api/v1/log/entries/retrieve/",
    ] {
        let q = serde_json::json!({
            "entryUUIDs": [created[0].1, &created[1].1[16..]],
            "logIndexes": [3, 99],
            "entries": [created[4].0],
        });
        let r = post(&client, &s.url(path), &q).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let list: Vec<api::LogEntry> = r.json().await.expect("json");
        let ids: Vec<String> = list.iter().map(|m| check_entry(m, &key).0).collect();
        assert_eq!(
            ids,
            vec![
                created[0].1.clone(),
                created[1].1.clone(),
                created[3].1.clone(),
                created[4].1.clone()
            ]
        );
    }
    let too_many = serde_json::json!({ "logIndexes": (0..11).collect::<Vec<_>>() });
    error_of(
        post(&client, &s.url("/api/v1/log/entries/retrieve"), &too_many).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Index search: by artefact hash, by signer key, AND/OR.
    let by_hash = serde_json::json!({ "hash": format!("sha256:{}", created[1].3) });
    let r = post(&client, &s.url("/api/v1/index/retrieve"), &by_hash).await;
    assert_eq!(r.status(), StatusCode::OK);
    let ids: Vec<String> = r.json().await.expect("json");
    assert_eq!(ids, vec![created[1].1.clone()]);
    let by_key = serde_json::json!({
        "publicKey": { "format": "x509", "content": B64.encode(signer.public_key_pem()) }
    });
    let r = post(&client, &s.url("/api/v1/index/retrieve"), &by_key).await;
    let ids: HashSet<String> = r
        .json::<Vec<String>>()
        .await
        .expect("json")
        .into_iter()
        .collect();
    let all: HashSet<String> = created.iter().map(|c| c.1.clone()).collect();
    assert_eq!(ids, all, "every entry of this signer");
    let other = Signer::new();
    let and = serde_json::json!({
        "hash": format!("sha256:{}", created[1].3),
        "publicKey": { "format": "x509", "content": B64.encode(other.public_key_pem()) },
    });
    let r = post(&client, &s.url("/api/v1/index/retrieve"), &and).await;
    assert!(
        r.json::<Vec<String>>().await.expect("json").is_empty(),
        "AND of disjoint sets"
    );
    let mut or = and.clone();
    or["operator"] = "or".into();
    let r = post(&client, &s.url("/api/v1/index/retrieve"), &or).await;
    assert_eq!(
        r.json::<Vec<String>>().await.expect("json"),
        vec![created[1].1.clone()]
    );
    error_of(
        post(
            &client,
            &s.url("/api/v1/index/retrieve"),
            &serde_json::json!({}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    error_of(
        post(
            &client,
            &s.url("/api/v1/index/retrieve"),
            &serde_json::json!({"hash": "sha256:zz"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Consistency proofs between every pair of sizes verify against the signed roots.
    let mut roots = BTreeMap::new();
    for size in 1..=5u64 {
        let r = client
            .get(s.url(&format!("/api/v1/log/entries?logIndex={}", size - 1)))
            .send()
            .await
            .expect("r");
        let _ = r;
        roots.insert(size, s.log.root_at(size).await.expect("root"));
    }
    for first in 1..=5u64 {
        for last in first..=5u64 {
            let p = consistency(&client, &s, first, last).await;
            assert_eq!(Hash::from_hex(&p.root_hash), Some(roots[&last]));
            verify_consistency(
                first,
                last,
                &hashes(&p.hashes),
                &roots[&first],
                &roots[&last],
            )
            .unwrap_or_else(|e| panic!("{first}->{last}: {e}"));
        }
    }
    for bad in [
        "firstSize=3&lastSize=2",
        "firstSize=0&lastSize=2",
        "firstSize=1&lastSize=6",
        "firstSize=1",
        "lastSize=x",
    ] {
        error_of(
            client
                .get(s.url(&format!("/api/v1/log/proof?{bad}")))
                .send()
                .await
                .expect("r"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }

    // Tiles: the checkpoint and level-0 tile/entry bundle rebuild the signed root.
    let cp_text = client
        .get(s.url("/checkpoint"))
        .send()
        .await
        .expect("cp")
        .text()
        .await
        .expect("t");
    let cp = open_checkpoint(&cp_text, &key);
    assert_eq!(cp.size, 5);
    let tile = client
        .get(s.url(&format!("/tile/0/{}.p/5", format_index(0))))
        .send()
        .await
        .expect("tile");
    assert_eq!(tile.status(), StatusCode::OK);
    let tile = tile.bytes().await.expect("bytes");
    assert_eq!(tile.len(), 5 * 32);
    let leaves: Vec<Hash> = tile
        .chunks(32)
        .map(|c| Hash::from_slice(c).expect("32"))
        .collect();
    let bundle = client
        .get(s.url("/tile/entries/000.p/5"))
        .send()
        .await
        .expect("bundle")
        .bytes()
        .await
        .expect("bytes");
    let mut rest = &bundle[..];
    for (i, want) in leaves.iter().enumerate() {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        assert_eq!(
            leaf_hash(&rest[2..2 + len]),
            *want,
            "entry {i} of the bundle hashes to tile leaf {i}"
        );
        rest = &rest[2 + len..];
    }
    assert!(rest.is_empty());
    // MTH of 5 leaves = H(H(H(0,1),H(2,3)), 4).
    let root = node_hash(
        &node_hash(
            &node_hash(&leaves[0], &leaves[1]),
            &node_hash(&leaves[2], &leaves[3]),
        ),
        &leaves[4],
    );
    assert_eq!(root, cp.root);
    for missing in [
        "/tile/0/000",
        "/tile/0/000.p/6",
        "/tile/1/000.p/1",
        "/tile/entries/001.p/1",
        "/tile/0/0",
        "/tile/x/000",
    ] {
        let r = client.get(s.url(missing)).send().await.expect("r");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    let _ = TILE_WIDTH;
    s.stop().await;
}

async fn bad_input_is_rejected_and_nothing_written(backend: Backend) {
    let s = Server::start(&backend).await;
    let client = reqwest::Client::new();
    let signer = Signer::new();
    let (good, digest) = signer.hashedrekord(b"artefact");
    let r = post(&client, &s.url("/api/v1/log/entries"), &good).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let before = log_info(&client, &s).await;

    let sig = good["spec"]["signature"]["content"]
        .as_str()
        .expect("sig")
        .to_owned();
    let pk = good["spec"]["signature"]["publicKey"]["content"]
        .as_str()
        .expect("pk")
        .to_owned();
    let other_sig = B64.encode(
        Signer::new().hashedrekord(b"artefact").0["spec"]["signature"]["content"]
            .as_str()
            .map(|s| B64.decode(s).expect("b64"))
            .expect("sig"),
    );
    let mut flipped = digest.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).expect("utf8");
    let ed25519_pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "unknown kind",
            serde_json::json!({"kind": "rekord2", "apiVersion": "0.0.1", "spec": {}}),
        ),
        ("unknown version", {
            let mut v = good.clone();
            v["apiVersion"] = "0.0.9".into();
            v
        }),
        (
            "bad base64 signature",
            hashedrekord_json("!!!not base64", &pk, "sha256", &digest),
        ),
        (
            "bad base64 key",
            hashedrekord_json(&sig, "%%%", "sha256", &digest),
        ),
        (
            "bad hex digest",
            hashedrekord_json(&sig, &pk, "sha256", &"zz".repeat(32)),
        ),
        (
            "short digest",
            hashedrekord_json(&sig, &pk, "sha256", &digest[..62]),
        ),
        (
            "digest length vs algorithm",
            hashedrekord_json(&sig, &pk, "sha512", &digest),
        ),
        (
            "unknown algorithm",
            hashedrekord_json(&sig, &pk, "md5", &digest[..32]),
        ),
        (
            "signature by another key",
            hashedrekord_json(&other_sig, &pk, "sha256", &digest),
        ),
        (
            "digest not signed",
            hashedrekord_json(&sig, &pk, "sha256", &flipped),
        ),
        (
            "key not PEM",
            hashedrekord_json(&sig, &B64.encode("hello"), "sha256", &digest),
        ),
        (
            "ed25519 key not allowed",
            hashedrekord_json(&sig, &B64.encode(ed25519_pem), "sha256", &digest),
        ),
        (
            "missing spec",
            serde_json::json!({"kind": "hashedrekord", "apiVersion": "0.0.1"}),
        ),
        ("not an object", serde_json::json!([1, 2, 3])),
    ];
    for (what, body) in &cases {
        let r = post(&client, &s.url("/api/v1/log/entries"), body).await;
        let msg = error_of(r, StatusCode::BAD_REQUEST).await;
        eprintln!("{what}: {msg}");
    }
    // Malformed JSON (not even JSON).
    let r = client
        .post(s.url("/api/v1/log/entries"))
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .expect("r");
    error_of(r, StatusCode::BAD_REQUEST).await;
    // Over the body limit: 413.
    let huge = "a".repeat(300 * 1024);
    let r = client
        .post(s.url("/api/v1/log/entries"))
        .header("content-type", "application/json")
        .body(format!("{{\"kind\":\"{huge}\"}}"))
        .send()
        .await
        .expect("r");
    error_of(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    // Under the HTTP limit but over the entry limit: 413 too.
    let big = "a".repeat(200 * 1024);
    let r = client
        .post(s.url("/api/v1/log/entries"))
        .header("content-type", "application/json")
        .body(format!("{{\"kind\":\"{big}\"}}"))
        .send()
        .await
        .expect("r");
    error_of(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    // Unknown endpoint: JSON 404.
    error_of(
        client.get(s.url("/api/v1/nope")).send().await.expect("r"),
        StatusCode::NOT_FOUND,
    )
    .await;
    // Entry UUIDs of a UUID's byte length with a multi-byte character where a byte
    // offset would cut it: 400 (this once panicked the handler), by path and in a body.
    for uuid in [
        format!("{}é{}", "a".repeat(15), "a".repeat(63)),
        format!("{}é", "a".repeat(62)),
    ] {
        let path = format!("/api/v1/log/entries/{}", uuid.replace('é', "%C3%A9"));
        let r = client.get(s.url(&path)).send().await.expect("r");
        let msg = error_of(r, StatusCode::BAD_REQUEST).await;
        assert!(msg.contains("64 or 80 hex"), "{msg}");
        let body = serde_json::json!({"entryUUIDs": [uuid]});
        let r = post(&client, &s.url("/api/v1/log/entries/retrieve"), &body).await;
        error_of(r, StatusCode::BAD_REQUEST).await;
    }

    let after = log_info(&client, &s).await;
    assert_eq!(
        after.tree_size, before.tree_size,
        "no bad input was written"
    );
    assert_eq!(after.root_hash, before.root_hash);
    s.stop().await;
}

async fn concurrent_appends_all_prove(backend: Backend) {
    let s = Server::start(&backend).await;
    let client = reqwest::Client::new();
    let key = s.verifier();
    let tasks = 48;
    let per_task = 25;
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let client = client.clone();
        let url = s.url("/api/v1/log/entries");
        handles.push(tokio::spawn(async move {
            let signer = Signer::new();
            let mut out = Vec::new();
            for _ in 0..per_task {
                let (entry, _) = signer.hashedrekord(&random_artefact());
                let r = client.post(&url).json(&entry).send().await.expect("post");
                assert_eq!(r.status(), StatusCode::CREATED);
                out.push(r.json::<api::LogEntry>().await.expect("json"));
            }
            out
        }));
    }
    let mut responses = Vec::new();
    for h in handles {
        responses.extend(h.await.expect("task"));
    }
    let n = (tasks * per_task) as u64;
    let info = log_info(&client, &s).await;
    assert_eq!(info.tree_size, n);
    let final_root = Hash::from_hex(&info.root_hash).expect("root");
    let mut indexes = HashSet::new();
    let mut sizes = HashSet::new();
    for map in &responses {
        let (_, anon) = check_entry(map, &key);
        assert!(
            indexes.insert(anon.log_index),
            "index {} handed out twice",
            anon.log_index
        );
        let p = &anon.verification.inclusion_proof;
        sizes.insert(p.tree_size);
        // The checkpoint each client got is consistent with the final tree.
        if p.tree_size < n {
            let c = consistency(&client, &s, p.tree_size, n).await;
            let root = Hash::from_hex(&p.root_hash).expect("root");
            verify_consistency(p.tree_size, n, &hashes(&c.hashes), &root, &final_root)
                .unwrap_or_else(|e| panic!("{} -> {n}: {e}", p.tree_size));
        }
    }
    assert_eq!(indexes.len() as u64, n);
    assert!(
        sizes.len() < responses.len(),
        "group commit put several entries under one checkpoint"
    );
    // Every entry also proves against the final tree.
    for i in (0..n).step_by(7) {
        let r = client
            .get(s.url(&format!("/api/v1/log/entries?logIndex={i}")))
            .send()
            .await
            .expect("get");
        let (_, anon) = check_entry(&r.json().await.expect("json"), &key);
        assert_eq!(anon.verification.inclusion_proof.tree_size, n);
    }
    // And the stored leaves recompute the signed root.
    let entries = s.log.entries_range(0, n).await.expect("range");
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(&e.body)).collect();
    assert_eq!(mth(&leaves), final_root);
    s.stop().await;
}

async fn restart_keeps_everything(backend: Backend) {
    let s = Server::start(&backend).await;
    let client = reqwest::Client::new();
    let key = s.verifier();
    let signer = Signer::new();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let (entry, _) = signer.hashedrekord(&random_artefact());
        let r = post(&client, &s.url("/api/v1/log/entries"), &entry).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(check_entry(&r.json().await.expect("json"), &key).0);
    }
    let before = log_info(&client, &s).await;
    let pkcs8 = s.stop().await;

    // Same storage, same key; creating is refused, so this must find the log.
    let s = Server::start_with(
        &backend,
        pkcs8.clone(),
        IfMissing::Refuse,
        &common::test_config(),
    )
    .await;
    let after = log_info(&client, &s).await;
    assert_eq!(after.tree_size, before.tree_size);
    assert_eq!(after.root_hash, before.root_hash);
    assert_eq!(after.tree_id, before.tree_id);
    for (i, id) in ids.iter().enumerate() {
        let r = client
            .get(s.url(&format!("/api/v1/log/entries/{id}")))
            .send()
            .await
            .expect("get");
        let (_, anon) = check_entry(&r.json().await.expect("json"), &key);
        assert_eq!(anon.log_index, i as u64);
    }
    // Appending continues the same tree, consistent with the pre-restart checkpoint.
    let (entry, _) = signer.hashedrekord(&random_artefact());
    let r = post(&client, &s.url("/api/v1/log/entries"), &entry).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c = consistency(&client, &s, before.tree_size, before.tree_size + 1).await;
    verify_consistency(
        before.tree_size,
        before.tree_size + 1,
        &hashes(&c.hashes),
        &Hash::from_hex(&before.root_hash).expect("root"),
        &Hash::from_hex(&c.root_hash).expect("root"),
    )
    .expect("consistent across restart");
    s.stop().await;

    // A different key must not open this log.
    let other = signet_tlog_core::keys::EcdsaP256Signer::generate_pkcs8().expect("keygen");
    let storage = signet_tlog::storage::Storage::open(&backend.url())
        .await
        .expect("open");
    let signer =
        signet_tlog_core::keys::EcdsaP256Signer::from_pkcs8(&other, "signet.test").expect("key");
    let err = signet_tlog::Log::start(storage, signer, &common::test_config(), IfMissing::Refuse)
        .await
        .err()
        .expect("a foreign key is refused");
    assert!(err.to_string().contains("does not verify"), "{err}");
}

async fn concurrent_duplicates_get_one_index(backend: Backend) {
    let s = Server::start(&backend).await;
    let client = reqwest::Client::new();
    let signer = Signer::new();
    // Several distinct entries, each submitted 12 times at once: the copies race past the
    // storage lookup and must be caught by the sequencer (same batch or a later one).
    let entries: Vec<serde_json::Value> = (0..8)
        .map(|_| signer.hashedrekord(&random_artefact()).0)
        .collect();
    let mut tasks = Vec::new();
    for entry in &entries {
        for _ in 0..12 {
            let (client, url, entry) =
                (client.clone(), s.url("/api/v1/log/entries"), entry.clone());
            tasks.push(tokio::spawn(async move {
                let r = client.post(&url).json(&entry).send().await.expect("post");
                let status = r.status();
                let location = r
                    .headers()
                    .get("location")
                    .map(|v| v.to_str().expect("ascii").to_owned());
                (entry, status, location)
            }));
        }
    }
    let mut created = BTreeMap::new();
    let mut conflicts = Vec::new();
    for t in tasks {
        let (entry, status, location) = t.await.expect("task");
        let key = entry.to_string();
        match status {
            StatusCode::CREATED => assert!(
                created.insert(key, location).is_none(),
                "two 201s for one entry"
            ),
            StatusCode::CONFLICT => conflicts.push((key, location)),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        created.len(),
        entries.len(),
        "each entry created exactly once"
    );
    assert_eq!(conflicts.len(), entries.len() * 11);
    for (key, location) in conflicts {
        assert_eq!(
            created[&key], location,
            "409 points at the one created copy"
        );
    }
    assert_eq!(log_info(&client, &s).await.tree_size, entries.len() as u64);
    s.stop().await;
}

/// RFC 6962 §2.1 MTH, straight from the definition (reference for the test).
macro_rules! both_backends {
    ($($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::postgres().await).await;
                }
            )*
        }
    };
}

both_backends!(
    create_duplicate_and_reads,
    bad_input_is_rejected_and_nothing_written,
    concurrent_appends_all_prove,
    concurrent_duplicates_get_one_index,
    restart_keeps_everything
);
