//! End-to-end tests of the real `signet` binary: `signet ca init` (the key ceremony, with
//! insecure software keys and with a throwaway SoftHSM2 token) and `signet dev-token`
//! against a development issuer served on 127.0.0.1 by the test.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

use std::{
    fs,
    io::ErrorKind,
    net::TcpListener as StdTcpListener,
    path::Path,
    process::{Command, Output},
    time::{Duration, Instant},
};

use base64::Engine as _;
use serde_json::Value;
use signet_ca::keys::{self, KeyError, CHAIN_FILE, INSECURE_KEY_FILE, KEYS_FILE};
use signet_hsm::{testing, Pin};
use signet_oidc::dev_issuer::InsecureDevIssuer;

/// The binary, with none of the environment that would change what it does.
fn signet() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    for var in [
        "SIGNET_HSM_PIN",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs to exit; panics with the output if the exit status is not `want_ok`.
fn run(cmd: &mut Command, want_ok: bool) -> Output {
    let out = cmd.output().expect("run signet");
    assert_eq!(
        out.status.success(),
        want_ok,
        "{cmd:?}: {}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// `openssl x509 -fingerprint -sha256` form of each certificate in a PEM chain.
fn pem_fingerprints(chain_pem: &[u8]) -> Vec<String> {
    use x509_cert::der::Encode;
    x509_cert::Certificate::load_pem_chain(chain_pem)
        .expect("chain parses")
        .iter()
        .map(|c| {
            let der = c.to_der().expect("der");
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect()
}

fn ca_files(dir: &Path) -> Vec<&'static str> {
    [CHAIN_FILE, KEYS_FILE, INSECURE_KEY_FILE]
        .into_iter()
        .filter(|f| dir.join(f).exists())
        .collect()
}

#[test]
fn insecure_ceremony_creates_the_ca_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data"); // does not exist yet: the ceremony creates it
    let out = run(
        signet()
            .args(["ca", "init", "--data-dir"])
            .arg(&data)
            .args([
                "--insecure-software-keys-for-development",
                "--organization",
                "Example Org",
                "--root-common-name",
                "example-root",
                "--intermediate-common-name",
                "example-issuing",
            ]),
        true,
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        ca_files(&data),
        [CHAIN_FILE, KEYS_FILE, INSECURE_KEY_FILE],
        "{stdout}"
    );
    assert!(stderr.contains("WARNING"), "{stderr}");
    assert!(
        stderr.contains("Anyone who can read it can issue certificates"),
        "{stderr}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(data.join(INSECURE_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
    }

    // The report names what was created and the fingerprints of the certificates on disk.
    let chain = fs::read(data.join(CHAIN_FILE)).unwrap();
    let fps = pem_fingerprints(&chain);
    assert_eq!(fps.len(), 2);
    for fp in &fps {
        assert!(stdout.contains(fp), "fingerprint {fp} missing:\n{stdout}");
    }
    for want in [
        CHAIN_FILE,
        KEYS_FILE,
        INSECURE_KEY_FILE,
        "CN=example-root,O=Example Org",
        "CN=example-issuing,O=Example Org",
        "valid from ",
        "Self-test: passed",
    ] {
        assert!(stdout.contains(want), "{want:?} missing:\n{stdout}");
    }
    // Root first in the report, intermediate (first in the chain file) second.
    assert!(stdout.find(&fps[1]).unwrap() < stdout.find(&fps[0]).unwrap());

    // What the server will load.
    let ca = keys::load(&data, None, 1).expect("the new CA loads");
    assert_eq!(
        ca.root_subject,
        ("Example Org".to_owned(), "example-root".to_owned())
    );

    // A second ceremony is refused and leaves the CA as it was.
    let key_before = fs::read(data.join(INSECURE_KEY_FILE)).unwrap();
    let out = run(
        signet()
            .args(["ca", "init", "--data-dir"])
            .arg(&data)
            .arg("--insecure-software-keys-for-development"),
        false,
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("signet: error: ") && stderr.contains("already exists"),
        "{stderr}"
    );
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert_eq!(fs::read(data.join(CHAIN_FILE)).unwrap(), chain);
    assert_eq!(fs::read(data.join(INSECURE_KEY_FILE)).unwrap(), key_before);
}

#[test]
fn key_store_must_be_exactly_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cases: [(&[&str], &str); 5] = [
        // Both stores.
        (
            &[
                "--insecure-software-keys-for-development",
                "--pkcs11-module",
                "/nonexistent/module.so",
                "--token-label",
                "t",
            ],
            "cannot be used with",
        ),
        // Neither.
        (&[], "required arguments were not provided"),
        // An incomplete PKCS#11 store.
        (
            &["--pkcs11-module", "/nonexistent/module.so"],
            "--token-label",
        ),
        (&["--token-label", "t"], "--pkcs11-module"),
        // A PKCS#11 option with the software store.
        (
            &[
                "--insecure-software-keys-for-development",
                "--key-label-prefix",
                "x",
            ],
            "--pkcs11-module",
        ),
    ];
    for (args, want) in cases {
        let out = signet()
            .args(["ca", "init", "--data-dir"])
            .arg(&data)
            .args(args)
            .env("SIGNET_HSM_PIN", "1234")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: usage error\n{stderr}"
        );
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!data.exists(), "{args:?} created the data directory");
    }
}

#[test]
fn ceremony_refuses_a_locked_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    // What a running `signet serve` holds.
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data.join("lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let init = || {
        let mut cmd = signet();
        cmd.args(["ca", "init", "--data-dir"])
            .arg(data)
            .arg("--insecure-software-keys-for-development");
        cmd
    };
    let out = run(&mut init(), false);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("in use by another signet process"),
        "{stderr}"
    );
    assert!(ca_files(data).is_empty());

    drop(lock);
    run(&mut init(), true);
    assert_eq!(ca_files(data), [CHAIN_FILE, KEYS_FILE, INSECURE_KEY_FILE]);
}

#[test]
fn pkcs11_ceremony_with_softhsm() {
    let hsm = testing::softhsm_token("signet-cli-ceremony");
    let conf = std::env::var_os("SOFTHSM2_CONF").expect("softhsm_token sets SOFTHSM2_CONF");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let init = |dir: &Path, pin: Option<&str>| {
        let mut cmd = signet();
        cmd.args(["ca", "init", "--data-dir"])
            .arg(dir)
            .arg("--pkcs11-module")
            .arg(&hsm.module)
            .args(["--token-label", &hsm.token_label])
            .args(["--key-label-prefix", "cli-test"])
            .env("SOFTHSM2_CONF", &conf);
        if let Some(pin) = pin {
            cmd.env("SIGNET_HSM_PIN", pin);
        }
        cmd
    };

    // No PIN: refused before anything is created.
    let out = run(&mut init(&data, None), false);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("set SIGNET_HSM_PIN"), "{stderr}");
    assert!(!data.exists());

    // A wrong PIN: the token refuses the login; no CA is recorded.
    let out = run(&mut init(&data, Some("not-the-pin")), false);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("wrong user PIN"), "{stderr}");
    assert!(ca_files(&data).is_empty());

    // The right PIN.
    let out = run(&mut init(&data, Some(testing::TEST_USER_PIN)), true);
    let stdout = text(&out.stdout);
    assert_eq!(ca_files(&data), [CHAIN_FILE, KEYS_FILE], "no key file");
    for want in [
        format!("token {:?}", hsm.token_label),
        "\"cli-test-root\"".to_owned(),
        "\"cli-test-intermediate\"".to_owned(),
        "non-extractable".to_owned(),
        "Self-test: passed".to_owned(),
    ] {
        assert!(stdout.contains(&want), "{want:?} missing:\n{stdout}");
    }
    for fp in pem_fingerprints(&fs::read(data.join(CHAIN_FILE)).unwrap()) {
        assert!(stdout.contains(&fp), "fingerprint {fp} missing:\n{stdout}");
    }
    assert!(!text(&out.stderr).contains("WARNING"));
    let keys_json = fs::read_to_string(data.join(KEYS_FILE)).unwrap();
    let record: Value = serde_json::from_str(&keys_json).unwrap();
    assert_eq!(record["kind"], "pkcs11");
    assert_eq!(record["token_label"], hsm.token_label.as_str());
    assert_eq!(record["intermediate_key_label"], "cli-test-intermediate");
    assert!(!keys_json.contains(testing::TEST_USER_PIN), "PIN on disk");

    // The server's load (in this process, against the keys the child made).
    let ca = keys::load(&data, Some(Pin::new(testing::TEST_USER_PIN)), 1)
        .expect("the new CA loads from the token");
    assert_eq!(
        ca.root_subject,
        ("signet".to_owned(), "signet-root".to_owned())
    );
    assert!(matches!(
        keys::load(&data, None, 1),
        Err(KeyError::PinRequired)
    ));

    // A second ceremony with the same labels in the same token, into a fresh directory:
    // the token refuses to create a second key under the label.
    let other = tmp.path().join("other");
    let out = run(&mut init(&other, Some(testing::TEST_USER_PIN)), false);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\"cli-test-root\" already exists in token"),
        "{stderr}"
    );
    assert!(ca_files(&other).is_empty());
}

/// A listener that stands in for a proxy: the tests point the proxy variables at it and
/// then check that nothing connected.
struct ProxyTrap {
    listener: StdTcpListener,
    url: String,
}

impl ProxyTrap {
    fn new() -> Self {
        let listener = StdTcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        Self { listener, url }
    }

    fn set(&self, cmd: &mut Command) {
        for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"] {
            cmd.env(var, &self.url);
        }
    }

    fn assert_untouched(&self) {
        match self.listener.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Ok((_, peer)) => panic!("a connection reached the proxy from {peer}"),
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// A listener on 127.0.0.1 and its base URL `http://127.0.0.1:PORT`.
async fn bind_loopback() -> (String, tokio::net::TcpListener) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (base, listener)
}

/// Runs the binary off the runtime's threads (the server under test runs on them).
async fn run_async(mut cmd: Command, want_ok: bool) -> Output {
    tokio::task::spawn_blocking(move || run(&mut cmd, want_ok))
        .await
        .unwrap()
}

fn dev_token(server: &str, args: &[&str]) -> Command {
    let mut cmd = signet();
    cmd.args(["dev-token", "--server", server]).args(args);
    cmd
}

/// The JSON payload of a compact JWS, not verified.
fn payload(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS: {token}");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_mints_through_the_development_issuer() {
    let (base, listener) = bind_loopback().await;
    let issuer = InsecureDevIssuer::generate(&format!("{base}/dev-issuer")).unwrap();
    // Nested as `signet serve --insecure-dev-issuer` nests it.
    let app = axum::Router::new().nest("/dev-issuer", issuer.router());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let trap = ProxyTrap::new();

    let mut cmd = dev_token(
        &base,
        &[
            "--sub",
            "alice",
            "--email",
            "a@example.com",
            "--claim",
            "run_id=42",
            "--claim",
            r#"quoted="42""#,
            "--claim",
            "team=infra",
            "--lifetime",
            "120",
        ],
    );
    trap.set(&mut cmd);
    let out = run_async(cmd, true).await;
    let stdout = text(&out.stdout);
    // Just the token and a newline, for `TOKEN=$(signet dev-token ...)`.
    let token = stdout.strip_suffix('\n').expect("ends with a newline");
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{stdout:?}"
    );
    let claims = payload(token);
    assert_eq!(claims["iss"], format!("{base}/dev-issuer"));
    assert_eq!(claims["aud"], "sigstore");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["email"], "a@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["run_id"], Value::from(42), "a number");
    assert_eq!(claims["quoted"], Value::from("42"), "a string");
    assert_eq!(claims["team"], "infra");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );
    trap.assert_untouched();

    // `localhost` reaches the same server (it is resolved to loopback).
    let port = base.rsplit(':').next().unwrap();
    let mut cmd = dev_token(&format!("http://localhost:{port}/"), &["--sub", "bob"]);
    trap.set(&mut cmd);
    let out = run_async(cmd, true).await;
    assert_eq!(payload(text(&out.stdout).trim_end())["sub"], "bob");
    trap.assert_untouched();

    // The issuer's refusals come back with its message.
    for (args, want) in [
        (
            &["--sub", "alice", "--claim", "aud=other"][..],
            "claim `aud` is set by the issuer",
        ),
        (
            &["--sub", "alice", "--lifetime", "7200"][..],
            "7200 s is outside",
        ),
    ] {
        let out = run_async(dev_token(&base, args), false).await;
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with("signet: error: the development issuer refused the request: "),
            "{stderr}"
        );
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }

    // Refused before any request.
    let out = run_async(
        dev_token(&base, &["--sub", "a", "--claim", "x=1", "--claim", "x=2"]),
        false,
    )
    .await;
    assert!(text(&out.stderr).contains("more than once"));
    let out = run_async(dev_token(&base, &["--sub", ""]), false).await;
    assert_eq!(out.status.code(), Some(2), "usage error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_refuses_non_loopback_servers_without_connecting() {
    let trap = ProxyTrap::new();
    for server in [
        // TEST-NET-1 (RFC 5737): a connection attempt would hang until the timeout.
        "http://192.0.2.1:3000",
        "https://[2001:db8::1]/",
        "http://localhost.example:3000",
        "http://0.0.0.0:3000",
    ] {
        let mut cmd = dev_token(server, &["--sub", "alice"]);
        trap.set(&mut cmd);
        let started = Instant::now();
        let out = run_async(cmd, false).await;
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("refused") && stderr.contains("on this machine"),
            "{server}: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{server}: took {:?}",
            started.elapsed()
        );
        assert!(out.stdout.is_empty());
    }
    trap.assert_untouched();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_explains_a_server_without_the_issuer() {
    // A server that answers, but has no development issuer.
    let (base, listener) = bind_loopback().await;
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "signet" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let out = run_async(dev_token(&base, &["--sub", "alice"]), false).await;
    let stderr = text(&out.stderr);
    assert!(stderr.contains("404"), "{stderr}");
    assert!(
        stderr.contains("start it with `signet serve --insecure-dev-issuer`"),
        "{stderr}"
    );

    // Nothing listening.
    let closed = {
        let l = StdTcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = run_async(dev_token(&closed, &["--sub", "alice"]), false).await;
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot connect to"), "{stderr}");
    assert!(out.stdout.is_empty());
}
