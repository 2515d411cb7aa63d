//! The Signet entry-metadata extension (`GET /signet/v1/entry-meta/<N>[.p/<W>]`, contract
//! in `signet_tlog::http`), read through a real server on 127.0.0.1 beside the C2SP entry
//! bundles it describes, on both storage backends: what an auditor replaying the log needs
//! to re-verify every entry from bulk reads.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

mod common;

use std::collections::HashMap;

use base64::Engine as _;
use common::{random_artefact, Backend, Server, Signer, B64};
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};
use signet_rekor::{api, set::set_payload};
use signet_tlog::{log::AppendOutcome, LogConfig, LogFlavor};
use signet_tlog_core::{
    hash::leaf_hash,
    keys::EcdsaP256Verifier,
    tile::{format_index, TILE_WIDTH},
};

const FULL_CACHE: &str = "public, max-age=31536000, immutable";

/// `GET` a path; returns the response.
async fn get(client: &reqwest::Client, s: &Server, path: &str) -> reqwest::Response {
    client.get(s.url(path)).send().await.expect("request")
}

/// The leaves of `/tile/entries/<bundle>` (C2SP: big-endian u16 length, then the bytes).
async fn entry_bundle(client: &reqwest::Client, s: &Server, bundle: &str) -> Vec<Vec<u8>> {
    let r = get(client, s, &format!("/tile/entries/{bundle}")).await;
    assert_eq!(r.status(), StatusCode::OK, "tile/entries/{bundle}");
    let bytes = r.bytes().await.expect("bundle bytes");
    let mut rest = &bytes[..];
    let mut leaves = Vec::new();
    while !rest.is_empty() {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        leaves.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    leaves
}

/// `/signet/v1/entry-meta/<bundle>`, checking status, content type and cache headers;
/// returns the raw JSON (to check which members are absent) and the parsed DTO.
async fn entry_meta(
    client: &reqwest::Client,
    s: &Server,
    bundle: &str,
    cache: &str,
) -> (serde_json::Value, api::EntryMetaBundle) {
    let r = get(client, s, &format!("/signet/v1/entry-meta/{bundle}")).await;
    assert_eq!(r.status(), StatusCode::OK, "entry-meta/{bundle}");
    assert_eq!(
        r.headers()["content-type"].to_str().expect("ascii"),
        "application/json",
        "entry-meta/{bundle}"
    );
    assert_eq!(
        r.headers()["cache-control"].to_str().expect("ascii"),
        cache,
        "entry-meta/{bundle}"
    );
    let raw: serde_json::Value = r.json().await.expect("entry-meta JSON");
    let parsed: api::EntryMetaBundle =
        serde_json::from_value(raw.clone()).expect("entry-meta has the documented shape");
    (raw, parsed)
}

/// 404 with the `{code, message}` JSON error body.
async fn assert_not_found(client: &reqwest::Client, s: &Server, path: &str) {
    let r = get(client, s, path).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    let body: api::ErrorBody = r.json().await.expect("404 is JSON {code, message}");
    assert_eq!(body.code, 404, "{path}");
    assert!(!body.message.is_empty(), "{path}");
}

/// Checks one metadata bundle against the entry bundle it describes: same count, logIndex
/// sequence from `first`, each SET verifying over the entry's body with the log key (and
/// not over a neighbour's), dsse `extra` the submitted envelope hashing to envelopeHash,
/// no `extra` on hashedrekord entries. Returns how many dsse entries it saw.
fn check_rekor_meta(
    first: u64,
    leaves: &[Vec<u8>],
    raw: &serde_json::Value,
    meta: &api::EntryMetaBundle,
    key: &EcdsaP256Verifier,
    envelopes: &HashMap<String, String>,
) -> usize {
    assert_eq!(meta.entries.len(), leaves.len(), "one element per entry");
    assert_eq!(
        raw["entries"].as_array().expect("array").len(),
        leaves.len()
    );
    let log_id = hex::encode(key.key_id());
    let mut dsse = 0;
    for (i, (m, body)) in meta.entries.iter().zip(leaves).enumerate() {
        let index = first + i as u64;
        assert_eq!(m.log_index, index, "element {i}");
        let set = B64
            .decode(
                m.signed_entry_timestamp
                    .as_deref()
                    .expect("Rekor entries have a SET"),
            )
            .expect("SET is standard base64");
        let body_b64 = B64.encode(body);
        let payload =
            set_payload(&body_b64, m.integrated_time, &log_id, index).expect("SET payload");
        key.verify(&payload, &set)
            .unwrap_or_else(|e| panic!("SET of entry {index} does not verify: {e}"));
        // The check can fail: the same SET over another index does not verify.
        let shifted =
            set_payload(&body_b64, m.integrated_time, &log_id, index + 1).expect("payload");
        assert!(key.verify(&shifted, &set).is_err(), "SET binds logIndex");

        let parsed: serde_json::Value = serde_json::from_slice(body).expect("body JSON");
        match parsed["kind"].as_str().expect("kind") {
            "dsse" => {
                dsse += 1;
                let extra = B64
                    .decode(
                        m.extra
                            .as_deref()
                            .expect("dsse entries keep their envelope"),
                    )
                    .expect("extra is standard base64");
                let envelope_hash = parsed["spec"]["envelopeHash"]["value"]
                    .as_str()
                    .expect("envelopeHash");
                assert_eq!(hex::encode(Sha256::digest(&extra)), envelope_hash);
                assert_eq!(
                    Some(&String::from_utf8(extra).expect("UTF-8 envelope")),
                    envelopes.get(envelope_hash),
                    "extra is the envelope text exactly as submitted"
                );
            }
            "hashedrekord" => {
                assert_eq!(m.extra, None, "entry {index}: hashedrekord stores no extra");
                assert!(raw["entries"][i].get("extra").is_none(), "absent, not null");
            }
            other => panic!("unexpected kind {other}"),
        }
    }
    dsse
}

async fn rekor_entry_meta_matches_entry_bundles(backend: Backend) {
    let s = Server::start(&backend).await;
    let client = reqwest::Client::new();
    let key = s.verifier();

    // More than one bundle: 256 + 21 entries, every fifth a dsse entry, from a few
    // concurrent clients (so batches interleave kinds).
    let total = TILE_WIDTH + 21;
    let tasks = 4u64;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let client = client.clone();
        let url = s.url("/api/v1/log/entries");
        handles.push(tokio::spawn(async move {
            let signer = Signer::new();
            let mut envelopes = Vec::new();
            for n in (t..total).step_by(tasks as usize) {
                let (proposed, envelope) = if n % 5 == 0 {
                    let statement = serde_json::json!({
                        "_type": "https://in-toto.io/Statement/v1",
                        "subject": [{"name": "a", "digest": {"sha256": hex::encode(random_artefact())}}],
                        "predicateType": "https://example.test/none",
                        "predicate": {},
                    });
                    let (p, e) = signer.dsse(statement.to_string().as_bytes());
                    (p, Some(e))
                } else {
                    (signer.hashedrekord(&random_artefact()).0, None)
                };
                let r = client.post(&url).json(&proposed).send().await.expect("post");
                assert_eq!(r.status(), StatusCode::CREATED);
                envelopes.extend(envelope);
            }
            envelopes
        }));
    }
    let mut envelopes = HashMap::new();
    for h in handles {
        for e in h.await.expect("task") {
            envelopes.insert(hex::encode(Sha256::digest(e.as_bytes())), e);
        }
    }
    let dsse_submitted = envelopes.len();
    assert_eq!(dsse_submitted as u64, total.div_ceil(5));
    assert_eq!(s.log.head().size, total);

    // Full bundle 0 and partial bundle 1 (its whole current width), and smaller partials
    // of each (W below the current width is served, as for tiles).
    let mut dsse_seen = 0;
    let partial = total - TILE_WIDTH;
    for (n, width, cache) in [
        (0u64, TILE_WIDTH, FULL_CACHE),
        (1, partial, "no-cache"),
        (0, 7, "no-cache"),
        (1, 3, "no-cache"),
    ] {
        let suffix = if width == TILE_WIDTH {
            String::new()
        } else {
            format!(".p/{width}")
        };
        let bundle = format!("{}{suffix}", format_index(n));
        let leaves = entry_bundle(&client, &s, &bundle).await;
        assert_eq!(leaves.len() as u64, width, "tile/entries/{bundle}");
        let (raw, meta) = entry_meta(&client, &s, &bundle, cache).await;
        let dsse = check_rekor_meta(n * TILE_WIDTH, &leaves, &raw, &meta, &key, &envelopes);
        if width == TILE_WIDTH || n == 1 && width == partial {
            dsse_seen += dsse;
        }
        // The same SET and integrated time as the Rekor read API serves for the entry.
        for m in meta.entries.iter().step_by(50) {
            let r = get(
                &client,
                &s,
                &format!("/api/v1/log/entries?logIndex={}", m.log_index),
            )
            .await;
            let map: api::LogEntry = r.json().await.expect("LogEntry");
            let anon = map.values().next().expect("one entry");
            assert_eq!(anon.integrated_time, m.integrated_time);
            assert_eq!(
                Some(&anon.verification.signed_entry_timestamp),
                m.signed_entry_timestamp.as_ref()
            );
            assert_eq!(
                leaf_hash(&B64.decode(&anon.body).expect("b64")),
                leaf_hash(&leaves[(m.log_index - n * TILE_WIDTH) as usize])
            );
        }
    }
    assert_eq!(
        dsse_seen, dsse_submitted,
        "every dsse entry's envelope is served"
    );

    // Not (yet) in the tree: 404 like the tile handler.
    for missing in [
        "/signet/v1/entry-meta/001".to_owned(),
        format!("/signet/v1/entry-meta/001.p/{}", partial + 1),
        "/signet/v1/entry-meta/002.p/1".to_owned(),
        "/signet/v1/entry-meta/x001/000".to_owned(),
    ] {
        assert_not_found(&client, &s, &missing).await;
    }
    // Malformed paths: 404 JSON too.
    for garbage in [
        "/signet/v1/entry-meta/",
        "/signet/v1/entry-meta/0",
        "/signet/v1/entry-meta/1",
        "/signet/v1/entry-meta/0/000",
        "/signet/v1/entry-meta/entries/000",
        "/signet/v1/entry-meta/000.p/0",
        "/signet/v1/entry-meta/000.p/256",
        "/signet/v1/entry-meta/000.p/07",
        "/signet/v1/entry-meta/000/",
        "/signet/v1/entry-meta/x000/001",
        "/signet/v1/entry-meta/abc",
        "/signet/v1/entry-meta",
    ] {
        assert_not_found(&client, &s, garbage).await;
    }
    s.stop().await;
}

async fn ct_entry_meta_on_the_tiles_router(backend: Backend) {
    let config = LogConfig {
        origin_host: "ct.signet.test".to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        ..LogConfig::default()
    };
    let s = Server::start_tiles_only(&backend, &config).await;
    let client = reqwest::Client::new();
    // Only the tiles API is served here.
    assert_not_found(&client, &s, "/api/v1/log").await;

    let mut extras = Vec::new();
    for i in 0..9u32 {
        let extra = (i % 3 != 0).then(|| format!("issuance record {i}").into_bytes());
        let out = s
            .log
            .append_leaf(format!("leaf {i}").into_bytes(), vec![], extra.clone())
            .await
            .expect("append leaf");
        assert!(matches!(out, AppendOutcome::Created(_)), "{out:?}");
        extras.push(extra);
    }
    let leaves = entry_bundle(&client, &s, "000.p/9").await;
    assert_eq!(leaves.len(), 9);
    let (raw, meta) = entry_meta(&client, &s, "000.p/9", "no-cache").await;
    assert_eq!(meta.entries.len(), 9);
    for (i, m) in meta.entries.iter().enumerate() {
        assert_eq!(m.log_index, i as u64);
        assert_eq!(leaves[i], format!("leaf {i}").into_bytes());
        assert_eq!(
            raw["entries"][i].get("signedEntryTimestamp"),
            None,
            "a CT log has no SET: the member is absent"
        );
        let stored = s.log.entry_by_index(i as u64).await.expect("read");
        assert_eq!(m.integrated_time, stored.entry.integrated_time);
        assert_eq!(
            m.extra.as_deref().map(|e| B64.decode(e).expect("b64")),
            extras[i],
            "entry {i}"
        );
    }
    assert_not_found(&client, &s, "/signet/v1/entry-meta/000.p/10").await;
    assert_not_found(&client, &s, "/signet/v1/entry-meta/000").await;
    assert_not_found(&client, &s, "/signet/v1/entry-meta/zzz").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rekor_entry_meta_matches_entry_bundles() {
    rekor_entry_meta_matches_entry_bundles(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rekor_entry_meta_matches_entry_bundles() {
    rekor_entry_meta_matches_entry_bundles(Backend::postgres().await).await;
}

#[tokio::test]
async fn sqlite_ct_entry_meta_on_the_tiles_router() {
    ct_entry_meta_on_the_tiles_router(Backend::sqlite()).await;
}

#[tokio::test]
async fn postgres_ct_entry_meta_on_the_tiles_router() {
    ct_entry_meta_on_the_tiles_router(Backend::postgres().await).await;
}
