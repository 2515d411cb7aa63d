//! End-to-end smoke test of the `soak` binary against a real in-process server on
//! 127.0.0.1: the transparency log, the CA with its CT log (software key from the key
//! ceremony) and the development OIDC issuer, wired as `signet serve
//! --insecure-dev-issuer` wires them. This test process is the server the soak samples.
//!
//! A short run (about 20 s) must end with a passing verdict, its counts must match what
//! the two logs hold, and its saved record must fail `soak verdict` once a leak, an fd
//! leak or a missed rate is put into it.
#![allow(clippy::expect_used, clippy::unwrap_used)] // helpers outside the #[test] fns too

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::{json, Value};
use signet_ca::{
    ct::CtLog,
    keys::{self, CeremonyKeys, CeremonyParams},
    Ca,
};
use signet_ca_core::profile::DEFAULT_LEAF_VALIDITY;
use signet_ca_identity::{IdentityConfig, IssuerRegistry};
use signet_oidc::{dev_issuer::InsecureDevIssuer, TokenVerifier, VerifierConfig};
use signet_tlog::{http::HttpLimits, storage::Storage, IfMissing, Log, LogConfig, LogFlavor};
use signet_tlog_core::keys::EcdsaP256Signer;

const SOAK: &str = env!("CARGO_BIN_EXE_soak");

async fn open_log(dir: &Path, stem: &str, config: &LogConfig) -> Log {
    let url = format!("sqlite:{}", dir.join(format!("{stem}.sqlite")).display());
    let key = EcdsaP256Signer::generate_pkcs8().unwrap();
    let signer = EcdsaP256Signer::from_pkcs8(&key, &config.origin_host).unwrap();
    Log::start(
        Storage::open(&url).await.unwrap(),
        signer,
        config,
        IfMissing::Create,
    )
    .await
    .unwrap()
}

/// Serves log + CA + CT log + development issuer on an ephemeral loopback port.
async fn serve(dir: &Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = InsecureDevIssuer::generate(&format!("{base}/dev-issuer")).unwrap();
    let config: IdentityConfig = serde_json::from_value(json!({
        "issuers": [{"issuer_url": issuer.issuer_url(), "issuer_type": "email"}]
    }))
    .unwrap();
    keys::init(
        dir,
        &CeremonyKeys::InsecureSoftwareKeysForDevelopment,
        &CeremonyParams::default(),
    )
    .unwrap();
    let ct_config = LogConfig {
        origin_host: "127.0.0.1".to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        ..LogConfig::default()
    };
    let ct_log = open_log(dir, "ct", &ct_config).await;
    let ct_key = EcdsaP256Signer::generate_pkcs8().unwrap();
    let ct = CtLog::new(
        ct_log.clone(),
        EcdsaP256Signer::from_pkcs8(&ct_key, "127.0.0.1").unwrap(),
    );
    let ca = Ca::new(
        IssuerRegistry::from_config(&config).unwrap(),
        TokenVerifier::new(VerifierConfig::default()).unwrap(),
        keys::load(dir, None, 1).unwrap(),
        ct,
        DEFAULT_LEAF_VALIDITY,
    );
    let tlog_config = LogConfig {
        origin_host: "127.0.0.1".to_owned(),
        ..LogConfig::default()
    };
    let tlog = open_log(dir, "tlog", &tlog_config).await;
    let limits = HttpLimits::default();
    let app = signet_tlog::http::router(tlog, &limits).merge(
        signet_ca::http::router(Arc::new(ca))
            .nest("/ct", signet_tlog::http::tiles_router(ct_log, &limits))
            .nest("/dev-issuer", issuer.router()),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::new(SOAK).args(args).output().unwrap())
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// Bounds loose enough for a debug build whose server shares this test's process and a
/// busy machine; the verdict logic itself is tested on injected series below.
const LOOSE: [&str; 8] = [
    "--rss-growth-percent",
    "100",
    "--rss-growth-mib",
    "256",
    "--socket-tolerance",
    "64",
    "--compare-window",
    "3s",
];

fn ok_of(record: &Value, phase: &str, op: &str) -> u64 {
    record["phases"][phase]
        .as_array()
        .map(|reports| {
            reports
                .iter()
                .filter(|r| r["workload"] == op)
                .map(|r| r["ok"].as_u64().unwrap())
                .sum()
        })
        .unwrap_or(0)
}

fn total_ok(record: &Value, op: &str) -> u64 {
    ["seed", "calibrate", "warmup", "measure"]
        .iter()
        .map(|p| ok_of(record, p, op))
        .sum()
}

/// A client that never goes through a proxy (loopback stays loopback).
fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn tree_size(url: &str) -> u64 {
    let v: Value = http().get(url).send().await.unwrap().json().await.unwrap();
    v["treeSize"].as_u64().unwrap()
}

async fn ct_size(base: &str) -> u64 {
    let url = format!("{base}/ct/checkpoint");
    let note = http().get(url).send().await.unwrap().text().await.unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_runs_end_to_end_and_its_verdict_can_fail() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let base = serve(data.path()).await;
    let pid = std::process::id().to_string();
    let out_dir = out.path().display().to_string();

    let mut args = strings(&[
        "--url",
        &base,
        "--server-pid",
        &pid,
        "--duration",
        "14s",
        "--warmup",
        "5s",
        "--sample-every",
        "1s",
        "--calibrate",
        "3s",
        "--calibrate-warmup",
        "1s",
        "--calibrate-concurrency",
        "8",
        "--load-fraction",
        "0.25",
        "--cert-keys",
        "4",
        "--identities",
        "2",
        "--data-dir",
        &data.path().display().to_string(),
        "--out",
        &out_dir,
    ]);
    args.extend(strings(&LOOSE));
    args.extend(strings(&["--min-rate-fraction", "0.8"]));
    let o = run(args).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("verdict: PASS"), "{}", text(&o));

    let record: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("soak.json")).unwrap()).unwrap();
    assert_eq!(record["verdict"]["pass"], true);
    assert_eq!(record["completion"]["ended"], "completed");
    let cal = &record["calibration"];
    assert!(cal["ops_per_s"].as_f64().unwrap() > 0.0, "{cal}");
    assert_eq!(cal["failed"], 0);
    // The soak's rates are a quarter of the calibrated maximum, in the mix's proportions.
    let rates = &record["rates"];
    let rate = |k: &str| rates[k].as_f64().unwrap();
    let max = cal["ops_per_s"].as_f64().unwrap();
    assert!((rate("sign") + rate("append") + rate("read") - 0.25 * max).abs() < 1e-6 * max);
    assert!((rate("append") / rate("sign") - 3.0).abs() < 1e-9);
    assert!((rate("read") / rate("sign") - 8.0).abs() < 1e-9);

    // Every operation succeeded after the warm-up, and nothing failed anywhere.
    for op in [
        "sign",
        "sign.issue",
        "sign.append",
        "append",
        "read.inclusion",
        "read.uuid",
        "read.consistency",
        "read.tile",
        "read.checkpoint",
    ] {
        assert!(ok_of(&record, "measure", op) > 0, "no {op} succeeded");
    }
    assert_eq!(
        record["failure_notes_total"], 0,
        "{}",
        record["failure_notes"]
    );

    // What the soak counted is what the logs hold: each successful signing or append is
    // one transparency-log entry, each issuance one CT entry.
    let appended = total_ok(&record, "sign.append") + total_ok(&record, "append");
    assert_eq!(tree_size(&format!("{base}/api/v1/log")).await, appended);
    assert_eq!(ct_size(&base).await, total_ok(&record, "sign.issue"));
    assert_eq!(total_ok(&record, "sign"), total_ok(&record, "sign.append"));

    // One sample per second: before the load, through seed and calibration, then 14 s
    // of soak; the judged ones are those after the 5 s warm-up.
    let samples = record["samples"].as_array().unwrap();
    let judged = samples
        .iter()
        .filter(|s| s["soak_t_s"].as_f64().is_some_and(|t| t >= 5.0))
        .count();
    assert!(judged >= 8, "{judged} judged samples");
    for s in samples {
        assert!(s["rss_kib"].as_u64().unwrap() > 0);
        assert!(s["fds"].as_u64().unwrap() >= s["fd_sockets"].as_u64().unwrap());
        assert!(s["threads"].as_u64().unwrap() >= 2);
    }
    let last = samples.last().unwrap();
    assert!(last["data_dir_bytes"].as_u64().unwrap() > 0);
    assert_eq!(last["tree_size"].as_u64().unwrap(), appended);
    let csv = std::fs::read_to_string(out.path().join("samples.csv")).unwrap();
    assert_eq!(csv.lines().count(), samples.len() + 1);
    assert!(csv.starts_with("t_s,soak_t_s,phase,window_s,rss_kib,"));
    assert!(std::fs::read_to_string(out.path().join("summary.txt"))
        .unwrap()
        .contains("verdict: PASS"));

    // Judging the saved record again: the same bounds pass...
    let file = out.path().join("soak.json");
    let rejudge = |file: &Path, min_rate_fraction: &str| {
        let mut a = strings(&["verdict", &file.display().to_string()]);
        a.extend(strings(&LOOSE));
        a.extend(strings(&["--min-rate-fraction", min_rate_fraction]));
        run(a)
    };
    let o = rejudge(&file, "0.8").await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // ...a rate floor above what was achieved fails...
    let o = rejudge(&file, "1.5").await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("[FAIL] rate.sign"));

    // ...and so do a memory leak and an fd leak put into the real series.
    let inject = |field: &str, per_second: f64| {
        let mut r = record.clone();
        for s in r["samples"].as_array_mut().unwrap() {
            if let Some(t) = s["soak_t_s"].as_f64() {
                let v = s[field].as_u64().unwrap();
                s[field] = json!(v + (t * per_second) as u64);
            }
        }
        let path = out.path().join(format!("leak-{field}.json"));
        std::fs::write(&path, serde_json::to_vec(&r).unwrap()).unwrap();
        path
    };
    // 200 MiB/s: 1.8 GiB over the judged 9 s, beyond even the loose bounds.
    let leaky = inject("rss_kib", 200.0 * 1024.0);
    let o = rejudge(&leaky, "0.8").await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let verdict = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(verdict.contains("[FAIL] rss"), "{verdict}");
    assert!(verdict.contains("[pass] fds"), "{verdict}");
    let fd_leak = inject("fds", 4.0); // 4 files a second, no sockets
    let o = rejudge(&fd_leak, "0.8").await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let verdict = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        verdict.contains("[FAIL] fds") && verdict.contains("[pass] rss"),
        "{verdict}"
    );
}

#[tokio::test]
async fn no_server_is_an_error_not_a_verdict() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let pid = std::process::id().to_string();
    let o = run(strings(&[
        "--url",
        &url,
        "--server-pid",
        &pid,
        "--wait-ready",
        "1s",
    ]))
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did not answer"));
    // Only loopback targets.
    let o = run(strings(&[
        "--url",
        "http://192.0.2.1:80",
        "--server-pid",
        &pid,
    ]))
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("non-loopback"));
}
