//! `signet audit replay` end to end (issue 5): against a real `signet serve` on loopback,
//! and against a deliberately lying log server (`common::lying_log`) that serves
//! snapshots of a real deployment's transparency and CT logs with one lie at a time: an
//! entry altered after inclusion, a hash tile that does not match the checkpoint, a
//! checkpoint with a bad signature, truncated tiles and bundles, oversized and endless
//! responses, a history forked after the auditor saved its state, a log that shrank, a
//! certificate missing from the CT log.
//!
//! Each lie must be reported (`--json`) with its check and its index, with exit code 1;
//! an honest log gives exit code 0. The auditor must never hang: every run is bounded
//! here, and the runs against endless responses must end within a bound asserted below.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::lying_log::{self, LyingLog, Snapshot, Trick};
use common::*;

use std::{
    io::Read as _,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use serde_json::Value;

/// Longest any audit run may take before the test kills it and fails.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// Bound on a run against a hanging or endless server with `--timeout-secs 2`.
const HANG_BOUND: Duration = Duration::from_secs(30);
/// `--max-response-bytes` of the runs against oversized answers.
const MAX_RESPONSE: &str = "1048576";

// The shared recording (below): files signed in one `signet sign` run, then one
// attestation, then one more file signed by another run (another certificate).
/// Files signed first: indexes 0..FILES (bundle 0 full, bundle 1 partial).
const FILES: u64 = 290;
/// Index of the attestation (dsse).
const ATTESTATION: u64 = FILES;
/// Size of the log before the last signing.
const BEFORE: u64 = FILES + 1;
/// Index of the last signing.
const LAST: u64 = BEFORE;
/// Size of the log at the end.
const SIZE: u64 = LAST + 1;

// ---------------------------------------------------------------------------------------
// Running the auditor.

/// One finished `signet audit replay --json` run.
struct Audit {
    code: Option<i32>,
    report: Value,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Audit {
    fn describe(&self) -> String {
        format!(
            "exit {:?} after {:?}\nstdout: {}\nstderr: {}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }

    /// `(log, index, check)` of every failure.
    fn failures(&self) -> Vec<(String, Option<u64>, String)> {
        self.report["failures"]
            .as_array()
            .unwrap_or_else(|| panic!("no failures array: {}", self.describe()))
            .iter()
            .map(|f| {
                (
                    f["log"].as_str().unwrap().to_owned(),
                    f["index"].as_u64(),
                    f["check"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// The summary of the log of `role` (`tlog` or `ct`).
    fn log(&self, role: &str) -> &Value {
        self.report["logs"]
            .as_array()
            .unwrap_or_else(|| panic!("no logs array: {}", self.describe()))
            .iter()
            .find(|l| l["role"] == role)
            .unwrap_or_else(|| panic!("no {role} summary: {}", self.describe()))
    }

    fn never_panicked(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "the auditor crashed: {}",
            self.describe()
        );
    }

    /// Exit 0, `clean`, no failure.
    fn assert_clean(&self) {
        self.never_panicked();
        assert_eq!(self.code, Some(0), "{}", self.describe());
        assert_eq!(self.report["clean"], true, "{}", self.describe());
        assert_eq!(self.failures(), vec![], "{}", self.describe());
    }

    /// Exit 1, not `clean`, and a failure of `check` at `index` in `log`.
    fn assert_failed(&self, log: &str, index: Option<u64>, check: &str) {
        self.never_panicked();
        assert_eq!(self.code, Some(1), "{}", self.describe());
        assert_eq!(self.report["clean"], false, "{}", self.describe());
        let want = (log.to_owned(), index, check.to_owned());
        assert!(
            self.failures().contains(&want),
            "expected {want:?} among the failures: {}",
            self.describe()
        );
    }

    /// Every failure is at one of `indexes` of `log` (nothing reported elsewhere).
    fn assert_only_at(&self, log: &str, indexes: &[Option<u64>]) {
        for f in self.failures() {
            assert!(
                f.0 == log && indexes.contains(&f.1),
                "unexpected failure {f:?} (expected only {log} at {indexes:?}): {}",
                self.describe()
            );
        }
    }
}

/// Where the auditor's trust comes from.
enum Trust<'a> {
    Root(&'a Path),
    Config(&'a Path),
}

/// `signet audit replay` of `log` (and `ct`), `--json --no-progress`, with `extra`
/// arguments; killed (and the test failed) past [`RUN_LIMIT`].
fn replay(log: &str, ct: Option<&str>, trust: &Trust<'_>, extra: &[&str]) -> Audit {
    let mut cmd = Command::new(SIGNET);
    for var in AMBIENT {
        cmd.env_remove(var);
    }
    cmd.args(["audit", "replay", "--log", log]);
    if let Some(ct) = ct {
        cmd.args(["--ct-log", ct]);
    }
    match trust {
        Trust::Root(p) => cmd.arg("--trusted-root").arg(p),
        Trust::Config(p) => cmd.arg("--trust-config").arg(p),
    };
    cmd.args(["--json", "--no-progress"]).args(extra);
    run_bounded(cmd)
}

fn run_bounded(mut cmd: Command) -> Audit {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`signet audit replay` did not finish within {RUN_LIMIT:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    let audit = Audit {
        code: status.code(),
        report,
        stdout,
        stderr,
        elapsed,
    };
    if matches!(audit.code, Some(0 | 1)) {
        assert!(
            audit.report.is_object(),
            "exit 0/1 without a JSON report on stdout: {}",
            audit.describe()
        );
    }
    audit
}

// ---------------------------------------------------------------------------------------
// The shared recording: one real deployment, signed into, snapshotted, then stopped.

/// Snapshots of one real deployment's logs, and what the auditor needs to check them.
struct Recording {
    /// `trusted_root.json` of the deployment.
    trusted_root: Vec<u8>,
    /// Its transparency log's key (`tlog-key.pem`), to sign a forked history.
    tlog_key_pem: String,
    /// The development issuer's URL.
    issuer: String,
    /// The logs before the last signing (tlog size [`BEFORE`]).
    tlog_before: Snapshot,
    ct_before: Snapshot,
    /// The logs at the end (tlog size [`SIZE`]).
    tlog: Snapshot,
    ct: Snapshot,
    /// notBefore (Unix seconds) of the last signing's certificate.
    last_not_before: i64,
}

fn recording() -> &'static Recording {
    static RECORDING: OnceLock<Recording> = OnceLock::new();
    RECORDING.get_or_init(record)
}

fn record() -> Recording {
    let d = Deployment::start();
    let names: Vec<String> = (0..FILES).map(|i| format!("f{i:03}.txt")).collect();
    for (i, name) in names.iter().enumerate() {
        d.write(name, format!("artefact number {i}\n").as_bytes());
    }
    let out = d
        .signet()
        .arg("sign")
        .args(&names)
        .args(["--identity-token", &d.token(), "--trust-config"])
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&out, "signet sign of the first files");
    attest(&d, "app.tar");
    let tlog_before = Snapshot::download(&d.base);
    let ct_before = Snapshot::download(&format!("{}/ct", d.base));
    assert_eq!(tlog_before.size, BEFORE);
    let last = sign(&d, &["last.txt"]);
    let tlog = Snapshot::download(&d.base);
    let ct = Snapshot::download(&format!("{}/ct", d.base));
    assert_eq!(tlog.size, SIZE);
    assert_eq!(
        ct.size,
        ct_before.size + 1,
        "the last signing has its own certificate"
    );
    let bundle = read_json(&last[0]);
    assert_eq!(
        bundle["verificationMaterial"]["tlogEntries"][0]["logIndex"],
        LAST.to_string()
    );
    Recording {
        trusted_root: std::fs::read(d.data.join("trusted_root.json")).unwrap(),
        tlog_key_pem: std::fs::read_to_string(d.data.join("tlog-key.pem")).unwrap(),
        issuer: d.issuer(),
        tlog_before,
        ct_before,
        tlog,
        ct,
        last_not_before: not_before(&bundle),
    }
}

/// Signs `files` (written first) in one `signet sign`; returns their bundles.
fn sign(d: &Deployment, files: &[&str]) -> Vec<PathBuf> {
    for f in files {
        d.write(f, format!("content of {f}\n").as_bytes());
    }
    let out = d
        .signet()
        .arg("sign")
        .args(files)
        .args(["--identity-token", &d.token(), "--trust-config"])
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&out, "signet sign");
    files
        .iter()
        .map(|f| d.dir().join(format!("{f}.sigstore.json")))
        .collect()
}

/// One in-toto attestation about `subject` (a dsse entry).
fn attest(d: &Deployment, subject: &str) {
    d.write(subject, b"the built application\n");
    let predicate = d.write(
        "predicate.json",
        br#"{"buildDefinition":{"buildType":"https://example.com/build/v1"}}"#,
    );
    let out = d
        .signet()
        .args(["attest", "--type", "https://slsa.dev/provenance/v1"])
        .arg("--predicate")
        .arg(&predicate)
        .arg(subject)
        .args(["--identity-token", &d.token(), "--trust-config"])
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&out, "signet attest");
}

/// notBefore (Unix seconds) of a bundle's leaf certificate.
fn not_before(bundle: &Value) -> i64 {
    let der = b64(bundle["verificationMaterial"]["certificate"]["rawBytes"]
        .as_str()
        .unwrap());
    let cert = <x509_cert::Certificate as x509_cert::der::Decode>::from_der(&der).unwrap();
    i64::try_from(
        cert.tbs_certificate
            .validity
            .not_before
            .to_unix_duration()
            .as_secs(),
    )
    .unwrap()
}

/// A test's own directory with the recording's trusted root in it.
struct Scratch {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Scratch {
    fn new(rec: &Recording) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("trusted_root.json");
        std::fs::write(&root, &rec.trusted_root).unwrap();
        Self { dir, root }
    }

    fn trust(&self) -> Trust<'_> {
        Trust::Root(&self.root)
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// `replay` of the fixture's two logs.
    fn replay(&self, fixture: &LyingLog, extra: &[&str]) -> Audit {
        replay(
            &fixture.url(),
            Some(&fixture.ct_url()),
            &self.trust(),
            extra,
        )
    }
}

/// The recording's final logs with `lie` applied to the transparency log.
fn lying_tlog(rec: &Recording, lie: impl FnOnce(&mut Snapshot)) -> LyingLog {
    let mut tlog = rec.tlog.clone();
    lie(&mut tlog);
    LyingLog::start(&tlog, Some(&rec.ct))
}

// ---------------------------------------------------------------------------------------
// The fixture itself.

#[test]
fn a_rebuilt_snapshot_is_the_real_log_byte_for_byte() {
    let rec = recording();
    // The recording covers two entry bundles and a level-1 tile.
    assert!(rec.tlog.files.contains_key("tile/1/000.p/1"));
    assert!(rec.tlog.files.contains_key("tile/0/000"));
    assert!(rec
        .tlog
        .files
        .contains_key(&format!("tile/entries/001.p/{}", SIZE - 256)));
    for snapshot in [&rec.tlog, &rec.tlog_before] {
        let signer = lying_log::log_signer(&rec.tlog_key_pem, snapshot);
        let rebuilt = Snapshot::build(&snapshot.origin(), &signer, &snapshot.leaves());
        assert_eq!(rebuilt.size, snapshot.size);
        assert_eq!(
            rebuilt.files.keys().collect::<Vec<_>>(),
            snapshot.files.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &snapshot.files {
            assert!(rebuilt.files[path] == *bytes, "{path} differs");
        }
        // Same checkpoint text and key; the ECDSA signature is a fresh one.
        let note = signet_tlog_core::note::Note::parse(&snapshot.checkpoint).unwrap();
        let again = signet_tlog_core::note::Note::parse(&rebuilt.checkpoint).unwrap();
        assert_eq!(note.text, again.text);
        assert_eq!(note.signatures[0].name, again.signatures[0].name);
        assert_eq!(note.signatures[0].key_hint, again.signatures[0].key_hint);
        let verifier = signer.verifier();
        let verifiers: [&dyn signet_tlog_core::note::NoteVerifier; 1] = [&verifier];
        again.verify(&verifiers).unwrap();
    }
    // A fork differs from the first swapped index on, and only in what it must.
    let signer = lying_log::log_signer(&rec.tlog_key_pem, &rec.tlog);
    let fork = rec.tlog.fork_swapping(280, &signer);
    let (real, forked) = (rec.tlog.leaves(), fork.leaves());
    assert_eq!(real[..280], forked[..280]);
    assert_eq!(real[282..], forked[282..]);
    assert_eq!(real[280].body, forked[281].body);
    assert_ne!(fork.body().root, rec.tlog.body().root);
    assert_eq!(
        fork.files[&fork.entry_bundle(0)],
        rec.tlog.files[&rec.tlog.entry_bundle(0)]
    );
    // The lies change what they say and nothing else.
    let mut altered = rec.tlog.clone();
    altered.alter_entry(270);
    let changed: Vec<usize> = altered
        .leaves()
        .iter()
        .zip(rec.tlog.leaves())
        .enumerate()
        .filter(|(_, (a, b))| **a != *b)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(changed, vec![270]);
    assert_eq!(altered.checkpoint, rec.tlog.checkpoint);
}

#[test]
fn the_fixture_serves_a_snapshot_as_the_real_server_does() {
    let d = Deployment::start();
    sign(&d, &["a.txt", "b.txt"]);
    attest(&d, "app.tar");
    let tlog = Snapshot::download(&d.base);
    let ct = Snapshot::download(&format!("{}/ct", d.base));
    assert_eq!(tlog.size, 3);
    assert_eq!(ct.size, 2);
    let fixture = LyingLog::start(&tlog, Some(&ct));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |url: String| {
        rt.block_on(async {
            let resp = client.get(&url).send().await.unwrap();
            (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
        })
    };
    let mut compared = 0;
    for (prefix, snapshot) in [("", &tlog), ("/ct", &ct)] {
        let paths = std::iter::once("checkpoint".to_owned()).chain(snapshot.files.keys().cloned());
        for path in paths {
            let real = get(format!("{}{prefix}/{path}", d.base));
            let fake = get(format!("{}{prefix}/{path}", fixture.url()));
            assert_eq!(real.0, 200, "{prefix}/{path}");
            assert!(real == fake, "{prefix}/{path} differs");
            compared += 1;
        }
    }
    // checkpoint, entries, entry-meta and tile 0, for each log.
    assert_eq!(compared, 8);
    assert_eq!(get(format!("{}/tile/entries/001", fixture.url())).0, 404);
    assert!(fixture
        .requests()
        .contains(&"/ct/signet/v1/entry-meta/000.p/2".to_owned()));
}

// ---------------------------------------------------------------------------------------
// Honest logs.

#[test]
fn a_real_deployment_replays_clean_and_incrementally() {
    let d = Deployment::start();
    sign(&d, &["1.txt", "2.txt", "3.txt", "4.txt", "5.txt"]);
    attest(&d, "app.tar");
    let ct_url = format!("{}/ct", d.base);
    let trust_config = d.trust_config();

    let audit = replay(&d.base, Some(&ct_url), &Trust::Config(&trust_config), &[]);
    audit.assert_clean();
    let tlog = Snapshot::download(&d.base);
    let ct = Snapshot::download(&ct_url);
    let summary = audit.log("tlog");
    assert_eq!(summary["treeSize"], 6, "{}", audit.describe());
    assert_eq!(summary["entriesVerified"], 6, "{}", audit.describe());
    assert_eq!(summary["rootHash"], tlog.body().root.to_hex());
    assert_eq!(summary["origin"], tlog.origin());
    // The URL as given, up to a final '/'.
    assert_eq!(
        summary["url"].as_str().unwrap().trim_end_matches('/'),
        d.base
    );
    assert_eq!(audit.log("ct")["treeSize"], 2);
    assert_eq!(audit.log("ct")["rootHash"], ct.body().root.to_hex());
    assert_eq!(audit.report["unusedCertificates"], serde_json::json!([]));

    // The same log served by the fixture gives the same report.
    let fixture = LyingLog::start(&tlog, Some(&ct));
    let again = replay(
        &fixture.url(),
        Some(&fixture.ct_url()),
        &Trust::Root(&d.data.join("trusted_root.json")),
        &[],
    );
    again.assert_clean();
    assert_eq!(again.log("tlog")["rootHash"], summary["rootHash"]);
    assert_eq!(again.log("tlog")["entriesVerified"], 6);
    assert!(fixture
        .requests()
        .contains(&"/signet/v1/entry-meta/000.p/6".to_owned()));
    drop(fixture);

    // --state: the first run saves, the next one starts from it.
    let state = d.dir().join("audit-state.sqlite");
    let state_arg = state.to_str().unwrap();
    let first = replay(
        &d.base,
        Some(&ct_url),
        &Trust::Config(&trust_config),
        &["--state", state_arg],
    );
    first.assert_clean();
    assert!(state.exists());
    assert_eq!(first.log("tlog")["previousTreeSize"], Value::Null);
    sign(&d, &["6.txt", "7.txt"]);
    let second = replay(
        &d.base,
        Some(&ct_url),
        &Trust::Config(&trust_config),
        &["--state", state_arg],
    );
    second.assert_clean();
    let summary = second.log("tlog");
    assert_eq!(summary["previousTreeSize"], 6, "{}", second.describe());
    assert_eq!(summary["treeSize"], 8);
    assert!(summary["entriesFetched"].as_u64().unwrap() <= 8);
    assert_eq!(second.log("ct")["previousTreeSize"], 2);
    assert_eq!(second.log("ct")["treeSize"], 3);

    // A certificate issued whose signature never reached the log: listed, not a failure.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut config: Value = read_json(&d.data.join("signing_config.json"));
    config["rekorTlogUrls"][0]["url"] = closed.as_str().into();
    let config_path = d.write(
        "signing_config_closed_log.json",
        config.to_string().as_bytes(),
    );
    d.write("never.txt", b"never logged\n");
    let issued_from = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let out = d
        .signet()
        .args(["sign", "never.txt", "--identity-token", &d.token()])
        .arg("--signing-config")
        .arg(&config_path)
        .arg("--trusted-root")
        .arg(d.data.join("trusted_root.json"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "signing with a closed log succeeded");
    assert_eq!(
        Snapshot::download(&ct_url).size,
        4,
        "the certificate was CT-logged"
    );
    let audit = replay(&d.base, Some(&ct_url), &Trust::Config(&trust_config), &[]);
    audit.assert_clean();
    let unused = audit.report["unusedCertificates"].as_array().unwrap();
    assert_eq!(unused.len(), 1, "{}", audit.describe());
    assert_eq!(unused[0]["ctIndex"], 3);
    assert_eq!(unused[0]["san"], "alice@example.com");
    assert_eq!(unused[0]["issuer"], d.issuer());
    let nb = unused[0]["notBefore"].as_i64().unwrap();
    assert!(
        (issued_from - 120..=issued_from + 120).contains(&nb),
        "{nb}"
    );
}

#[test]
fn the_recorded_logs_replay_clean() {
    let rec = recording();
    let s = Scratch::new(rec);
    let fixture = LyingLog::start(&rec.tlog, Some(&rec.ct));
    let audit = s.replay(&fixture, &["--jobs", "2"]);
    audit.assert_clean();
    let tlog = audit.log("tlog");
    assert_eq!(tlog["treeSize"], SIZE);
    assert_eq!(tlog["entriesVerified"], SIZE);
    assert_eq!(tlog["entriesFetched"], SIZE);
    assert_eq!(tlog["rootHash"], rec.tlog.body().root.to_hex());
    assert_eq!(tlog["origin"], rec.tlog.origin());
    let ct = audit.log("ct");
    assert_eq!(ct["treeSize"], rec.ct.size);
    assert_eq!(ct["entriesVerified"], rec.ct.size);
    assert_eq!(audit.report["unusedCertificates"], serde_json::json!([]));
    // Everything came through the tiles API and the entry-meta bundles of both logs.
    let requests = fixture.requests();
    for path in [
        "/checkpoint".to_owned(),
        format!("/{}", rec.tlog.entry_bundle(0)),
        format!("/{}", rec.tlog.entry_bundle(1)),
        format!("/{}", rec.tlog.entry_meta(1)),
        format!("/{}", rec.tlog.hash_tile(0, 1)),
        "/ct/checkpoint".to_owned(),
        format!("/ct/{}", rec.ct.entry_bundle(0)),
        format!("/ct/{}", rec.ct.entry_meta(0)),
    ] {
        assert!(requests.contains(&path), "{path} not fetched: {requests:?}");
    }
}

#[test]
fn an_incremental_run_fetches_only_what_is_new() {
    let rec = recording();
    let s = Scratch::new(rec);
    let state = s.path("state.sqlite");
    let before = LyingLog::start(&rec.tlog_before, Some(&rec.ct_before));
    let first = s.replay(&before, &["--state", &state]);
    first.assert_clean();
    assert_eq!(first.log("tlog")["treeSize"], BEFORE);
    drop(before);

    let after = LyingLog::start(&rec.tlog, Some(&rec.ct));
    let second = s.replay(&after, &["--state", &state]);
    second.assert_clean();
    let tlog = second.log("tlog");
    assert_eq!(tlog["previousTreeSize"], BEFORE, "{}", second.describe());
    assert_eq!(tlog["treeSize"], SIZE);
    assert_eq!(tlog["rootHash"], rec.tlog.body().root.to_hex());
    // Only the last (partial) bundle is read again; the full bundle 0 is not.
    assert!(
        tlog["entriesFetched"].as_u64().unwrap() <= SIZE - 256,
        "{}",
        second.describe()
    );
    assert!(
        tlog["entriesVerified"].as_u64().unwrap() <= SIZE - 256,
        "{}",
        second.describe()
    );
    let requests = after.requests();
    assert!(
        !requests.contains(&format!("/{}", rec.tlog.entry_bundle(0))),
        "bundle 0 fetched again: {requests:?}"
    );
    assert!(requests.contains(&format!("/{}", rec.tlog.entry_bundle(1))));
    assert_eq!(second.log("ct")["previousTreeSize"], rec.ct_before.size);
    assert_eq!(second.log("ct")["treeSize"], rec.ct.size);

    // Nothing new: still clean, nothing re-verified.
    let third = s.replay(&after, &["--state", &state]);
    third.assert_clean();
    assert_eq!(third.log("tlog")["previousTreeSize"], SIZE);
    assert_eq!(
        third.log("tlog")["entriesVerified"],
        0,
        "{}",
        third.describe()
    );
}

// ---------------------------------------------------------------------------------------
// Lies.

#[test]
fn an_entry_altered_after_inclusion_is_reported_at_its_index() {
    let rec = recording();
    let s = Scratch::new(rec);
    for k in [270, 5, ATTESTATION] {
        let fixture = lying_tlog(rec, |t| t.alter_entry(k));
        let audit = s.replay(&fixture, &[]);
        audit.assert_failed("tlog", Some(k), "entry-altered");
        audit.assert_only_at("tlog", &[Some(k)]);
    }
    // In the CT log too.
    let mut ct = rec.ct.clone();
    ct.alter_entry(1);
    let fixture = LyingLog::start(&rec.tlog, Some(&ct));
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("ct", Some(1), "entry-altered");
}

#[test]
fn a_hash_tile_that_does_not_match_the_checkpoint_is_reported_at_its_index() {
    let rec = recording();
    let s = Scratch::new(rec);
    let fixture = lying_tlog(rec, |t| {
        t.alter_tile_leaf(3);
        t.alter_tile_leaf(287);
    });
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("tlog", Some(3), "hash-tile");
    audit.assert_failed("tlog", Some(287), "hash-tile");
    audit.assert_only_at("tlog", &[Some(3), Some(287)]);
}

#[test]
fn a_checkpoint_with_a_bad_signature_is_reported() {
    let rec = recording();
    let s = Scratch::new(rec);
    let fixture = lying_tlog(rec, Snapshot::corrupt_checkpoint_signature);
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("tlog", None, "checkpoint-signature");
    audit.assert_only_at("tlog", &[None]);

    let mut ct = rec.ct.clone();
    ct.corrupt_checkpoint_signature();
    let fixture = LyingLog::start(&rec.tlog, Some(&ct));
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("ct", None, "checkpoint-signature");
}

#[test]
fn truncated_tiles_and_bundles_are_reported_at_their_index() {
    let rec = recording();
    let s = Scratch::new(rec);
    // An entry bundle cut off inside entry 280.
    let fixture = lying_tlog(rec, |t| t.truncate_entry(280));
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("tlog", Some(280), "malformed-tile");
    // A hash tile missing part of its last hash.
    let fixture = lying_tlog(rec, |t| {
        let path = t.hash_tile(0, 0);
        t.truncate(&path, 7);
    });
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("tlog", Some(0), "malformed-tile");
    // An entry-meta bundle cut short.
    let fixture = lying_tlog(rec, |t| {
        let path = t.entry_meta(1);
        t.truncate(&path, 10);
    });
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("tlog", Some(256), "malformed-tile");
}

#[test]
fn oversized_responses_are_cut_off_and_reported() {
    let rec = recording();
    let s = Scratch::new(rec);
    let args = ["--max-response-bytes", MAX_RESPONSE, "--timeout-secs", "20"];
    // 64 MiB, chunked: only counting the bytes stops it.
    let path = format!("/{}", rec.tlog.entry_bundle(1));
    let fixture = LyingLog::start_with(&rec.tlog, Some(&rec.ct), &[(&path, Trick::Oversized)]);
    let audit = s.replay(&fixture, &args);
    audit.assert_failed("tlog", Some(256), "response-too-large");
    assert!(audit.elapsed < HANG_BOUND, "{}", audit.describe());
    // 1 GiB declared.
    let fixture = LyingLog::start_with(
        &rec.tlog,
        Some(&rec.ct),
        &[("/ct/checkpoint", Trick::DeclaredHuge)],
    );
    let audit = s.replay(&fixture, &args);
    audit.assert_failed("ct", None, "response-too-large");
    assert!(audit.elapsed < HANG_BOUND, "{}", audit.describe());
}

#[test]
fn a_server_that_never_answers_times_out() {
    let rec = recording();
    let s = Scratch::new(rec);
    let args = ["--timeout-secs", "2"];
    let cases: [(String, Trick, Option<u64>); 4] = [
        (
            format!("/{}", rec.tlog.entry_bundle(1)),
            Trick::Hang,
            Some(256),
        ),
        (
            format!("/{}", rec.tlog.hash_tile(0, 0)),
            Trick::Hang,
            Some(0),
        ),
        (
            format!("/{}", rec.tlog.entry_meta(1)),
            Trick::Trickle,
            Some(256),
        ),
        ("/checkpoint".to_owned(), Trick::Hang, None),
    ];
    for (path, trick, index) in &cases {
        let fixture = LyingLog::start_with(&rec.tlog, Some(&rec.ct), &[(path, *trick)]);
        let audit = s.replay(&fixture, &args);
        audit.assert_failed("tlog", *index, "fetch");
        assert!(
            audit.elapsed < HANG_BOUND,
            "{path} ({trick:?}): {}",
            audit.describe()
        );
        assert!(fixture.requests().contains(path));
    }
}

#[test]
fn a_history_forked_after_the_saved_state_is_reported_where_it_diverges() {
    let rec = recording();
    let signer = lying_log::log_signer(&rec.tlog_key_pem, &rec.tlog);
    for k in [280, 100] {
        let fork = rec.tlog.fork_swapping(k, &signer);
        let s = Scratch::new(rec);
        // On its own, the fork is a valid log: only the saved state can tell.
        let fixture = LyingLog::start(&fork, Some(&rec.ct));
        s.replay(&fixture, &[]).assert_clean();
        drop(fixture);

        let state = s.path("state.sqlite");
        let honest = LyingLog::start(&rec.tlog_before, Some(&rec.ct_before));
        s.replay(&honest, &["--state", &state]).assert_clean();
        drop(honest);
        let fixture = LyingLog::start(&fork, Some(&rec.ct));
        let audit = s.replay(&fixture, &["--state", &state]);
        audit.assert_failed("tlog", Some(k), "inconsistent-with-state");
        let first = audit
            .failures()
            .into_iter()
            .filter(|f| f.2 == "inconsistent-with-state")
            .map(|f| f.1)
            .min()
            .unwrap();
        assert_eq!(first, Some(k), "{}", audit.describe());
    }
}

#[test]
fn a_log_that_shrank_is_reported() {
    let rec = recording();
    let s = Scratch::new(rec);
    let state = s.path("state.sqlite");
    let honest = LyingLog::start(&rec.tlog, Some(&rec.ct));
    s.replay(&honest, &["--state", &state]).assert_clean();
    drop(honest);
    let smaller = LyingLog::start(&rec.tlog_before, Some(&rec.ct));
    let audit = s.replay(&smaller, &["--state", &state]);
    // Reported at the first index the log no longer has.
    audit.assert_failed("tlog", Some(BEFORE), "log-shrank");
    audit.assert_only_at("tlog", &[Some(BEFORE)]);
}

#[test]
fn the_ct_cross_check_finds_missing_and_unused_certificates() {
    let rec = recording();
    let s = Scratch::new(rec);
    // The last signing's certificate is not in the CT log served.
    let fixture = LyingLog::start(&rec.tlog, Some(&rec.ct_before));
    let audit = s.replay(&fixture, &[]);
    audit.assert_failed("tlog", Some(LAST), "ct-missing");
    audit.assert_only_at("tlog", &[Some(LAST)]);

    // The CT log holds a certificate that never signed in the transparency log served.
    let fixture = LyingLog::start(&rec.tlog_before, Some(&rec.ct));
    let audit = s.replay(&fixture, &[]);
    audit.assert_clean();
    assert_eq!(
        audit.report["unusedCertificates"],
        serde_json::json!([{
            "ctIndex": rec.ct.size - 1,
            "san": "alice@example.com",
            "issuer": rec.issuer,
            "notBefore": rec.last_not_before,
        }]),
        "{}",
        audit.describe()
    );
}

#[test]
fn bad_arguments_exit_2() {
    let rec = recording();
    let s = Scratch::new(rec);
    let fixture = LyingLog::start(&rec.tlog, Some(&rec.ct));
    let missing = s.path("missing.json");
    let audit = replay(&fixture.url(), None, &Trust::Root(Path::new(&missing)), &[]);
    assert_eq!(audit.code, Some(2), "{}", audit.describe());
    audit.never_panicked();
    let garbage = s.path("garbage.sqlite");
    std::fs::write(&garbage, b"not a database").unwrap();
    let audit = s.replay(&fixture, &["--state", &garbage]);
    assert_eq!(audit.code, Some(2), "{}", audit.describe());
    audit.never_panicked();
}
