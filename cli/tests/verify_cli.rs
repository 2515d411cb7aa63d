//! `signet verify` and `signet verify-bundle` as processes, on real Sigstore bundles from
//! the public vectors: exit code 0 only when every check passed, otherwise a non-zero
//! exit and exactly one line naming the failed check; and no network access at all
//! (every socket system call is traced).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");
const WILLIAM: &str = "william@yossarian.net";
const GITHUB_OAUTH: &str = "https://github.com/login/oauth";

fn vector(rel: &str) -> PathBuf {
    signet_testdata::vectors_dir().join(rel)
}

fn signet(args: &[&str]) -> Output {
    Command::new(SIGNET)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run signet")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Exit 0 and one `OK:` line on stdout.
fn assert_ok(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: {stderr}");
    assert!(
        stdout.starts_with("OK: ") && stdout.lines().count() == 1,
        "{what}: {stdout}"
    );
}

/// A non-zero exit, nothing on stdout, and exactly one line on stderr that contains `want`.
fn assert_fails(out: &Output, want: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what}: verification passed");
    assert!(
        out.stdout.is_empty(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "{what}: not one line: {stderr}");
    assert!(stderr.starts_with("signet: error: "), "{what}: {stderr}");
    assert!(
        stderr.contains(want),
        "{what}: {stderr:?} does not say {want:?}"
    );
}

#[test]
fn verify_accepts_a_good_bundle_and_names_the_failed_check_otherwise() {
    let artefact = vector("sigstore-python/bundle_v3.txt");
    let bundle = vector("sigstore-python/bundle_v3.txt.sigstore");
    let root = vector("trust/staging-trusted_root.json");
    let verify = |file: &str, bundle: &Path, identity: &str, issuer: &str| {
        signet(&[
            "verify",
            file,
            "--bundle",
            p(bundle),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
            "--trusted-root",
            p(&root),
        ])
    };
    assert_ok(
        &verify(p(&artefact), &bundle, WILLIAM, GITHUB_OAUTH),
        "good bundle",
    );
    let digest = hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &std::fs::read(&artefact).unwrap(),
    ));
    assert_ok(
        &verify(&format!("sha256:{digest}"), &bundle, WILLIAM, GITHUB_OAUTH),
        "by digest",
    );
    // The built-in staging root is the same trust.
    assert_ok(
        &signet(&[
            "verify",
            p(&artefact),
            "--bundle",
            p(&bundle),
            "--certificate-identity-regexp",
            r"william@yossarian\.net",
            "--certificate-oidc-issuer",
            GITHUB_OAUTH,
            "--staging",
        ]),
        "built-in staging root, identity pattern",
    );

    assert_fails(
        &verify(p(&artefact), &bundle, "mallory@example.com", GITHUB_OAUTH),
        "identity",
        "other identity",
    );
    assert_fails(
        &verify(
            p(&artefact),
            &bundle,
            WILLIAM,
            "https://accounts.google.com",
        ),
        "issuer",
        "other issuer",
    );
    assert_fails(
        &verify(
            p(&vector("sigstore-python/a.txt")),
            &bundle,
            WILLIAM,
            GITHUB_OAUTH,
        ),
        "signature",
        "other artefact",
    );
    assert_fails(
        &verify(
            &format!("sha256:{}", "0".repeat(64)),
            &bundle,
            WILLIAM,
            GITHUB_OAUTH,
        ),
        "message digest",
        "other digest",
    );
    assert_fails(
        &verify("sha256:1234", &bundle, WILLIAM, GITHUB_OAUTH),
        "64 hex digits",
        "malformed digest",
    );
    assert_fails(
        &verify(
            p(&vector("sigstore-python/bundle_cve_2022_36056.txt")),
            &vector("sigstore-python/bundle_cve_2022_36056.txt.sigstore"),
            WILLIAM,
            GITHUB_OAUTH,
        ),
        "does not match the bundle",
        "CVE-2022-36056",
    );
    assert_fails(
        &verify(
            p(&artefact),
            &vector("sigstore-python/bundle_no_log_entry.txt.sigstore"),
            WILLIAM,
            GITHUB_OAUTH,
        ),
        "no transparency-log entry",
        "no log entry",
    );
    // Production trust (the default) does not know the staging log.
    assert_fails(
        &signet(&[
            "verify",
            p(&artefact),
            "--bundle",
            p(&bundle),
            "--certificate-identity",
            WILLIAM,
            "--certificate-oidc-issuer",
            GITHUB_OAUTH,
        ]),
        "no tlog in the trusted root",
        "production root",
    );

    // Files that are missing, truncated or not bundles.
    let tmp = tempfile::tempdir().unwrap();
    assert_fails(
        &verify(
            p(&artefact),
            &tmp.path().join("absent.json"),
            WILLIAM,
            GITHUB_OAUTH,
        ),
        "cannot read bundle",
        "missing bundle",
    );
    let truncated = tmp.path().join("truncated.json");
    let json = std::fs::read(&bundle).unwrap();
    std::fs::write(&truncated, &json[..json.len() / 2]).unwrap();
    assert_fails(
        &verify(p(&artefact), &truncated, WILLIAM, GITHUB_OAUTH),
        "bundle",
        "truncated bundle",
    );
    assert_fails(
        &verify(
            p(&tmp.path().join("absent.txt")),
            &bundle,
            WILLIAM,
            GITHUB_OAUTH,
        ),
        "cannot read",
        "missing artefact",
    );
    assert_fails(
        &signet(&[
            "verify",
            p(&artefact),
            "--bundle",
            p(&bundle),
            "--certificate-identity-regexp",
            "(unclosed",
            "--certificate-oidc-issuer",
            GITHUB_OAUTH,
            "--staging",
        ]),
        "regexp",
        "bad pattern",
    );
}

#[test]
fn verify_bundle_speaks_the_conformance_protocol() {
    let artefact = vector("sigstore-python/staging-rekor-v2.txt");
    let bundle = vector("sigstore-python/staging-rekor-v2.txt.sigstore.json");
    let run = |extra: &[&str], file: &str| {
        let mut args = vec!["verify-bundle", "--bundle", p(&bundle)];
        args.extend_from_slice(extra);
        args.push(file);
        signet(&args)
    };
    let identity = [
        "--certificate-identity",
        "jku@goto.fi",
        "--certificate-oidc-issuer",
        GITHUB_OAUTH,
    ];
    let mut staging = vec!["--staging"];
    staging.extend_from_slice(&identity);
    assert_ok(&run(&staging, p(&artefact)), "--staging");
    let root = vector("trust/staging-trusted_root.json");
    let mut explicit = vec!["--trusted-root", p(&root)];
    explicit.extend_from_slice(&identity);
    assert_ok(&run(&explicit, p(&artefact)), "--trusted-root");
    // Without --staging the production root is used: the staging log is unknown to it.
    assert_fails(
        &run(&identity, p(&artefact)),
        "trusted root",
        "production root",
    );
    assert_fails(
        &run(&staging, p(&vector("sigstore-python/a.txt"))),
        "signature",
        "other artefact",
    );
}

/// Verification never opens a network connection: every socket-related system call of
/// the process is traced (strace; `.ci/run` installs it) for a passing and a failing run.
#[test]
fn verification_makes_no_socket_system_call() {
    let strace = Command::new("strace").arg("-V").output();
    assert!(
        strace.is_ok_and(|o| o.status.success()),
        "strace is not installed (.ci/run installs it)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let artefact = vector("sigstore-python/bundle_v3.txt");
    let bundle = vector("sigstore-python/bundle_v3.txt.sigstore");
    for (identity, should_pass) in [(WILLIAM, true), ("mallory@example.com", false)] {
        let log = tmp.path().join(format!("trace-{should_pass}"));
        let out = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=%network", "-o", p(&log), SIGNET])
            .args(["verify", p(&artefact), "--bundle", p(&bundle)])
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", GITHUB_OAUTH, "--staging"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.success(),
            should_pass,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let trace = std::fs::read_to_string(&log).unwrap();
        let calls: Vec<&str> = trace
            .lines()
            .filter(|l| !l.contains("+++ exited"))
            .collect();
        assert!(
            calls.is_empty(),
            "network system calls during verification: {calls:#?}"
        );
    }
    // The tracer does see network calls when there are some (the check can fail).
    let log = tmp.path().join("trace-dev-token");
    let _ = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%network", "-o", p(&log), SIGNET])
        .args(["dev-token", "--server", "http://127.0.0.1:9", "--sub", "x"])
        .output()
        .unwrap();
    let trace = std::fs::read_to_string(&log).unwrap();
    assert!(
        trace.contains("socket(") || trace.contains("connect("),
        "{trace}"
    );
}
