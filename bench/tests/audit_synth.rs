//! The synthetic log generator and the replay driver of `audit-bench`, with real crypto:
//! a generated log replays clean, and each kind of tampering is found at its index by
//! the check that names it. These double as tests of `signet_verifier::audit` and
//! `signet_audit` on entries made exactly as the services make them.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use signet_audit::process::EntryChecks;
use signet_audit::report::{ENTRY_ALTERED, FETCH, HASH_TILE, MALFORMED_TILE};
use signet_bench::synth_log::generate::{
    encode_entry_bundle, write_file, GenerateOptions, Generator,
};
use signet_bench::synth_log::replay::{self, ReplayOptions, ReplayOutcome};
use signet_bench::synth_log::{bundle_paths, read_params, CHECKPOINT_FILE, TRUSTED_ROOT_FILE};
use signet_rekor::api::EntryMetaBundle;
use signet_tlog_core::checkpoint::parse_rekor_v1_origin;
use signet_tlog_core::hash::{leaf_hash, Hash};
use signet_verifier::audit::Auditor;

const N: u64 = 600;
const K: u32 = 2;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One log generated for all tests (each test works on its own copy), and its generator
/// (to re-sign what a test alters, as a lying log would).
fn template() -> &'static (Generator, tempfile::TempDir) {
    static TEMPLATE: OnceLock<(Generator, tempfile::TempDir)> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let generator = Generator::new(GenerateOptions {
            entries: N,
            signatures_per_certificate: K,
            threads: 2,
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let mut calls = 0;
        let params = generator.write(&log, &mut |_| calls += 1).unwrap();
        assert_eq!(params.entries, N);
        assert_eq!(calls, 3, "one progress call per bundle");
        (generator, dir)
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A fresh copy of the template log, and its generator.
fn fresh() -> (tempfile::TempDir, &'static Generator) {
    let (generator, dir) = template();
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&dir.path().join("log"), copy.path());
    (copy, generator)
}

fn run(dir: &Path, checks: EntryChecks) -> ReplayOutcome {
    let opened = replay::open(dir).unwrap();
    let auditor = Auditor::new(Arc::clone(&opened.verifier));
    let checkpoint = replay::verify_checkpoint(&auditor, &opened.note).unwrap();
    replay::replay(
        dir,
        &auditor,
        &checkpoint,
        &ReplayOptions {
            threads: 2,
            checks,
            window: 2,
        },
    )
    .unwrap()
}

/// `(index, check)` of every failure.
fn found(o: &ReplayOutcome) -> Vec<(Option<u64>, String)> {
    assert_eq!(o.failure_count, o.failures.len() as u64);
    o.failures
        .iter()
        .map(|f| (f.index, f.check.clone()))
        .collect()
}

/// Bundle `b`'s entries and entry-meta.
fn read_bundle(dir: &Path, b: u64) -> (Vec<Vec<u8>>, EntryMetaBundle) {
    let (width, paths) = bundle_paths(b, N);
    let bytes = std::fs::read(dir.join(&paths.entries)).unwrap();
    let entries = signet_audit::bundle::split_entry_bundle(&bytes, b * 256, width)
        .unwrap()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let meta = serde_json::from_slice(&std::fs::read(dir.join(&paths.meta)).unwrap()).unwrap();
    (entries, meta)
}

/// Writes bundle `b` back: entries, its hash tile (re-hashed), entry-meta.
fn write_bundle(dir: &Path, b: u64, entries: &[Vec<u8>], meta: &EntryMetaBundle) {
    let (_, paths) = bundle_paths(b, N);
    write_file(dir, &paths.entries, &encode_entry_bundle(entries).unwrap()).unwrap();
    let tile: Vec<u8> = entries
        .iter()
        .flat_map(|e| *leaf_hash(e).as_bytes())
        .collect();
    write_file(dir, &paths.hash_tile, &tile).unwrap();
    write_file(dir, &paths.meta, &serde_json::to_vec(meta).unwrap()).unwrap();
}

fn body_json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn a_generated_log_replays_clean_in_both_modes() {
    let (dir, _) = fresh();
    let hashed = run(dir.path(), EntryChecks::HashOnly);
    assert!(hashed.failures.is_empty(), "{:?}", hashed.failures);
    assert_eq!((hashed.size, hashed.entries, hashed.records), (N, N, 0));
    let verified = run(dir.path(), EntryChecks::Verify);
    assert!(verified.failures.is_empty(), "{:?}", verified.failures);
    assert_eq!((verified.entries, verified.records), (N, N));
    assert!(
        verified.bytes_read > hashed.bytes_read,
        "verify also reads entry-meta"
    );
}

#[test]
fn the_log_is_made_as_the_services_make_it() {
    let (dir, _) = fresh();
    let params = read_params(dir.path()).unwrap();
    assert_eq!((params.entries, params.signatures_per_certificate), (N, K));

    // Checkpoint: Rekor v1 origin "<host> - <treeID>", one signature line named after the host.
    let note = std::fs::read_to_string(dir.path().join(CHECKPOINT_FILE)).unwrap();
    let origin = note.lines().next().unwrap();
    assert_eq!(
        parse_rekor_v1_origin(origin).unwrap(),
        (params.host.as_str(), params.tree_id)
    );
    assert!(
        note.contains(&format!("\n\u{2014} {} ", params.host)),
        "{note}"
    );
    assert_eq!(note.lines().nth(1), Some("600"));

    // Trusted root: logIds are SHA-256 of the keys, the log's baseUrl is http://<host>.
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(TRUSTED_ROOT_FILE)).unwrap())
            .unwrap();
    for list in ["tlogs", "ctlogs"] {
        let log = &root[list][0];
        let key = B64
            .decode(log["publicKey"]["rawBytes"].as_str().unwrap())
            .unwrap();
        let id = B64.decode(log["logId"]["keyId"].as_str().unwrap()).unwrap();
        assert_eq!(
            id,
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &key).as_ref()
        );
    }
    assert_eq!(
        root["tlogs"][0]["baseUrl"],
        format!("http://{}", params.host)
    );
    assert_eq!(
        root["certificateAuthorities"][0]["certChain"]["certificates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Entries: hashedrekord 0.0.1 with a certificate; K entries per certificate, never
    // across a bundle; SETs and integrated times in entry-meta, nothing stored beside.
    let (entries, meta) = read_bundle(dir.path(), 0);
    assert_eq!(entries.len(), 256);
    let cert = |e: &[u8]| {
        let v = body_json(e);
        assert_eq!(
            (v["kind"].as_str(), v["apiVersion"].as_str()),
            (Some("hashedrekord"), Some("0.0.1"))
        );
        let pem = B64
            .decode(
                v["spec"]["signature"]["publicKey"]["content"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----\n"));
        pem
    };
    assert_eq!(cert(&entries[0]), cert(&entries[1]));
    assert_ne!(cert(&entries[1]), cert(&entries[2]));
    assert_eq!(cert(&entries[2]), cert(&entries[3]));
    assert_eq!(meta.entries.len(), 256);
    for (i, m) in meta.entries.iter().enumerate() {
        assert_eq!(m.log_index, i as u64);
        assert!(m.signed_entry_timestamp.is_some());
        assert!(m.extra.is_none());
    }
    let (last, last_meta) = read_bundle(dir.path(), 2);
    assert_eq!((last.len(), last_meta.entries.len()), (88, 88));
    assert_eq!(last_meta.entries[0].log_index, 512);
}

#[test]
fn an_entry_altered_after_inclusion_is_found_at_its_index() {
    let (dir, _) = fresh();
    let (mut entries, meta) = read_bundle(dir.path(), 1);
    // Entry 300: one hex digit of the recorded digest changed, nothing re-signed.
    let e = &mut entries[300 - 256];
    let at = e.windows(9).position(|w| w == b"\"value\":\"").unwrap() + 9;
    e[at] = if e[at] == b'0' { b'1' } else { b'0' };
    let (_, paths) = bundle_paths(1, N);
    write_file(
        dir.path(),
        &paths.entries,
        &encode_entry_bundle(&entries).unwrap(),
    )
    .unwrap();
    drop(meta);

    let hashed = run(dir.path(), EntryChecks::HashOnly);
    assert_eq!(found(&hashed), vec![(Some(300), ENTRY_ALTERED.to_owned())]);
    let verified = run(dir.path(), EntryChecks::Verify);
    let f = found(&verified);
    assert!(
        f.contains(&(Some(300), "signed-entry-timestamp".to_owned())),
        "{f:?}"
    );
    assert!(f.contains(&(Some(300), ENTRY_ALTERED.to_owned())), "{f:?}");
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(verified.records, N - 1);
}

#[test]
fn a_set_from_another_entry_fails_the_set_check() {
    let (dir, _) = fresh();
    let (entries, mut meta) = read_bundle(dir.path(), 0);
    meta.entries[17].signed_entry_timestamp = meta.entries[18].signed_entry_timestamp.clone();
    write_bundle(dir.path(), 0, &entries, &meta);

    assert!(run(dir.path(), EntryChecks::HashOnly).failures.is_empty());
    let verified = run(dir.path(), EntryChecks::Verify);
    assert_eq!(
        found(&verified),
        vec![(Some(17), "signed-entry-timestamp".to_owned())]
    );
    assert_eq!(verified.records, N - 1);
}

#[test]
fn a_signature_the_log_signed_for_but_that_does_not_verify_is_found() {
    // Entries 40 and 41 share a certificate (K = 2). The log records 41's signature for
    // 40's digest and signs everything over it: SET, tile, checkpoint.
    let (dir, generator) = fresh();
    let (mut entries, mut meta) = read_bundle(dir.path(), 0);
    let mut forged = body_json(&entries[40]);
    forged["spec"]["signature"]["content"] =
        body_json(&entries[41])["spec"]["signature"]["content"].clone();
    entries[40] = serde_json::to_vec(&forged).unwrap();
    let m = &mut meta.entries[40];
    m.signed_entry_timestamp = Some(
        B64.encode(
            generator
                .sign_set(&entries[40], m.integrated_time, 40)
                .unwrap(),
        ),
    );
    write_bundle(dir.path(), 0, &entries, &meta);
    generator.reseal(dir.path()).unwrap();

    assert!(run(dir.path(), EntryChecks::HashOnly).failures.is_empty());
    let verified = run(dir.path(), EntryChecks::Verify);
    assert_eq!(found(&verified), vec![(Some(40), "signature".to_owned())]);
}

#[test]
fn an_entry_integrated_after_its_certificate_expired_fails_the_chain() {
    // The log claims (and signs) an integrated time an hour later: the 10-minute
    // certificate is no longer valid then.
    let (dir, generator) = fresh();
    let (entries, mut meta) = read_bundle(dir.path(), 2);
    let m = &mut meta.entries[5];
    assert_eq!(m.log_index, 517);
    m.integrated_time += 3_600;
    m.signed_entry_timestamp = Some(
        B64.encode(
            generator
                .sign_set(&entries[5], m.integrated_time, 517)
                .unwrap(),
        ),
    );
    write_bundle(dir.path(), 2, &entries, &meta);

    let verified = run(dir.path(), EntryChecks::Verify);
    assert_eq!(
        found(&verified),
        vec![(Some(517), "certificate-chain".to_owned())]
    );
}

#[test]
fn a_hash_tile_that_lies_is_told_apart_from_an_altered_entry() {
    let (dir, _) = fresh();
    let (_, paths) = bundle_paths(0, N);
    let path = dir.path().join(&paths.hash_tile);
    let mut tile = std::fs::read(&path).unwrap();
    tile[5 * 32] ^= 1;
    std::fs::write(&path, tile).unwrap();
    let hashed = run(dir.path(), EntryChecks::HashOnly);
    assert_eq!(found(&hashed), vec![(Some(5), HASH_TILE.to_owned())]);
}

#[test]
fn a_truncated_bundle_and_a_missing_file_are_reported_not_fatal() {
    let (dir, _) = fresh();
    let (_, paths) = bundle_paths(1, N);
    let path = dir.path().join(&paths.entries);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    let hashed = run(dir.path(), EntryChecks::HashOnly);
    let f = found(&hashed);
    assert_eq!(
        f,
        vec![
            (Some(511), MALFORMED_TILE.to_owned()),
            // The tree cannot be recomputed past the bundle that does not split.
            (Some(256), "root-mismatch".to_owned()),
        ]
    );

    let (dir, _) = fresh();
    let (_, paths) = bundle_paths(2, N);
    std::fs::remove_file(dir.path().join(&paths.meta)).unwrap();
    let verified = run(dir.path(), EntryChecks::Verify);
    assert_eq!(found(&verified), vec![(Some(512), FETCH.to_owned())]);
    assert_eq!(verified.records, 512);
    assert_eq!(verified.entries, N, "the tree is still recomputed");
}

#[test]
fn a_checkpoint_by_another_key_is_refused() {
    let (dir, _) = fresh();
    let stranger = Generator::new(GenerateOptions {
        entries: N,
        signatures_per_certificate: 1,
        threads: 1,
    })
    .unwrap();
    let note = stranger.sign_checkpoint(N, Hash::from([7; 32])).unwrap();
    write_file(dir.path(), CHECKPOINT_FILE, note.as_bytes()).unwrap();
    let opened = replay::open(dir.path()).unwrap();
    let auditor = Auditor::new(Arc::clone(&opened.verifier));
    let err = replay::verify_checkpoint(&auditor, &opened.note)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("checkpoint: log-key:"), "{err}");
}

#[test]
fn a_window_of_one_on_one_thread_gives_the_same_verdict() {
    let (dir, _) = fresh();
    let opened = replay::open(dir.path()).unwrap();
    let auditor = Auditor::new(Arc::clone(&opened.verifier));
    let checkpoint = replay::verify_checkpoint(&auditor, &opened.note).unwrap();
    let o = replay::replay(
        dir.path(),
        &auditor,
        &checkpoint,
        &ReplayOptions {
            threads: 1,
            checks: EntryChecks::Verify,
            window: 1,
        },
    )
    .unwrap();
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    assert_eq!(o.records, N);
}

#[test]
fn generation_refuses_bad_parameters_and_a_non_empty_directory() {
    for (entries, k, threads) in [(0, 1, 1), (10, 0, 1), (10, 257, 1), (10, 1, 0)] {
        assert!(Generator::new(GenerateOptions {
            entries,
            signatures_per_certificate: k,
            threads,
        })
        .is_err());
    }
    let (dir, generator) = fresh();
    let err = generator
        .write(dir.path(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("not empty"), "{err}");
}
