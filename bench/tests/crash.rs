//! The CI run of the crash test (issue 6): 10 SIGKILLs of `signet serve` under load on
//! SQLite, and 10 on PostgreSQL of which at least 2 kill the database server; after every
//! restart nothing acknowledged may be missing and every checkpoint handed out must be
//! consistent with the new one. The full run (50 kills each) is `bench/run-crash-test.sh`.
//!
//! The seed is random per run and printed; `SIGNET_CRASH_SEED=N` replays one. `SIGNET_BIN`
//! names the `signet` binary to test; by default it is built (same profile) first.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

/// The two runs share the machine's two cores: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The `signet` binary: `SIGNET_BIN`, else the workspace's, beside this package's
/// binaries. It is brought up to date with `cargo test --workspace --no-run` (same profile):
/// under `cargo test --workspace` (CI) that is a no-op, and it builds `signet` with the very
/// features that run uses, so the binary is never rebuilt back and forth.
fn signet_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("SIGNET_BIN") {
        return PathBuf::from(p);
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_crash-test"));
    let dir = exe.parent().expect("binary directory").to_owned();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["test", "--quiet", "--workspace", "--no-run"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(profile) => {
            cmd.args(["--profile", profile]);
        }
        None => panic!("unexpected binary directory {}", dir.display()),
    }
    let status = cmd.status().expect("running cargo test --no-run");
    assert!(status.success(), "building the workspace failed");
    let signet = dir.join("signet");
    assert!(
        signet.is_file(),
        "{} missing after the build",
        signet.display()
    );
    signet
}

fn seed() -> u64 {
    match std::env::var("SIGNET_CRASH_SEED") {
        Ok(s) => s.parse().expect("SIGNET_CRASH_SEED must be a number"),
        Err(_) => rand::random(),
    }
}

/// Runs `crash-test` with 10 kills and returns its JSON report.
fn run(backend: &str) -> Value {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let signet = signet_bin();
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let seed = seed();
    eprintln!("crash test on {backend}: seed {seed} (SIGNET_CRASH_SEED={seed} replays it)");
    let status = Command::new(env!("CARGO_BIN_EXE_crash-test"))
        .arg("--signet")
        .arg(&signet)
        .args(["--backend", backend, "--kills", "10", "--seed"])
        .arg(seed.to_string())
        // Shorter than the full run's defaults: a debug build is slow, and what matters
        // is that kills land while requests are in flight.
        .args(["--load-ms", "300-1500", "--outage-ms", "300-2000"])
        .args(["--appenders", "12", "--issuers", "3", "--sample-old", "200"])
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .arg("--json-out")
        .arg(&report)
        .status()
        .expect("running crash-test");
    if !status.success() {
        let kept = dir.keep();
        panic!(
            "crash test on {backend} failed ({status}), seed {seed}: the failures are printed \
             above; data and logs kept in {}",
            kept.display()
        );
    }
    read_report(&report)
}

fn read_report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("report written")).expect("report JSON")
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// What every run must show, whatever the backend.
fn assert_common(r: &Value) {
    assert_eq!(r["passed"], true, "{}", r["failures"]);
    assert_eq!(r["failures"].as_array().map(Vec::len), Some(0));
    assert_eq!(u(&r["kills"]["rounds"]), 10);
    let acked = u(&r["acked_entries"]);
    let certs = u(&r["acked_certs"]);
    assert!(acked > 0, "no entry was acknowledged");
    assert!(certs > 0, "no certificate was issued");
    // The final check looked up every acknowledged entry and certificate.
    let fin = &r["final_check"];
    assert_eq!(u(&fin["entries_checked"]), acked);
    assert_eq!(u(&fin["certs_checked"]), certs);
    assert!(u(&fin["tlog_size"]) >= acked);
    assert!(u(&fin["ct_size"]) >= certs);
    assert_eq!(r["clean_shutdown"], "exit status: 0");
    let rounds = r["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 10);
    let mut proofs = 0;
    let mut prev_size = 0;
    for round in rounds {
        let check = &round["check"];
        // Every acknowledged entry of the round was looked up after the restart.
        assert!(u(&round["acked_entries"]) >= u(&round["appends"]["acked"]));
        assert!(u(&check["entries_checked"]) >= u(&round["acked_entries"]));
        assert!(u(&check["certs_checked"]) >= u(&round["acked_certs"]));
        assert!(u(&check["tlog_heads_checked"]) >= 1);
        assert!(check["audit"].is_object(), "audit replay ran: {round}");
        assert!(u(&check["audit"]["tlog_size"]) >= u(&check["tlog_size"]));
        let size = u(&check["tlog_size"]);
        assert!(size >= prev_size, "log shrank across rounds");
        prev_size = size;
        proofs += u(&check["tlog_proofs"]);
        if round["plan"]["victim"]["kind"] != "database" {
            assert!(round["restart_ms"].is_u64(), "server restarted: {round}");
            assert!(u(&round["server_kills"]) >= 1);
        }
    }
    assert!(
        proofs > 0,
        "no consistency proof was needed: nothing was appended?"
    );
}

#[test]
fn sqlite_ten_kills_lose_nothing_acknowledged() {
    let r = run("sqlite");
    assert_common(&r);
    assert_eq!(u(&r["kills"]["database"]), 0);
    assert!(u(&r["kills"]["server"]) >= 10);
}

#[test]
fn postgres_ten_kills_including_the_database_lose_nothing_acknowledged() {
    let r = run("postgres");
    assert_common(&r);
    assert!(u(&r["kills"]["database"]) >= 2, "{}", r["kills"]);
    assert!(u(&r["kills"]["server"]) + u(&r["kills"]["database"]) >= 10);
    let rounds = r["rounds"].as_array().expect("rounds");
    let outages: Vec<&Value> = rounds
        .iter()
        .filter(|x| x["plan"]["victim"]["kind"] == "database")
        .map(|x| &x["outage"])
        .collect();
    assert!(!outages.is_empty(), "no database-only kill");
    for o in outages {
        // The server either appended again once PostgreSQL was back, or exited (and was
        // restarted); hanging is a failure the harness reports itself.
        assert!(
            o["recovered_after_ms"].is_u64() || o["server_exited"].is_string(),
            "{o}"
        );
    }
}
