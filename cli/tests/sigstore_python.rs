//! Interoperability with a Sigstore client nobody on the team wrote: sigstore-python 4.5.1
//! (`.ci/run` installs it from PyPI) signs an artefact against a real `signet serve`
//! (CA with embedded SCTs, transparency log) pointed at by the `trust_config.json` the
//! server writes, then verifies the bundle offline against the same trust config.
//!
//! The `sigstore` command is taken from `SIGNET_SIGSTORE_PYTHON` or `PATH`; the test fails
//! (never skips) when it is missing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");

/// How to run sigstore-python: `SIGNET_SIGSTORE_PYTHON` (a path to its `sigstore`
/// script), else `sigstore` on `PATH`, else `python3 -m sigstore` when the module imports.
fn sigstore_cli() -> Vec<PathBuf> {
    if let Ok(p) = std::env::var("SIGNET_SIGSTORE_PYTHON") {
        return vec![PathBuf::from(p)];
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("sigstore"))
            .find(|p| p.is_file())
    });
    if let Some(p) = on_path {
        return vec![p];
    }
    let module = Command::new("python3")
        .args(["-c", "import sigstore"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        module,
        "sigstore-python 4.5.1 is not installed: `python3 -m pip install sigstore==4.5.1` \
         (.ci/run does this)"
    );
    vec!["python3".into(), "-m".into(), "sigstore".into()]
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run command")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, port: u16) -> Server {
    let child = Command::new(SIGNET)
        .args(["serve", "--insecure-dev-issuer", "--data-dir"])
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("SIGNET_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn signet serve");
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join("trust_config.json").exists()
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("signet serve exited early: {status}");
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

#[test]
fn sigstore_python_signs_and_verifies_against_signet() {
    let sigstore = sigstore_cli();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    ok(
        &run(Command::new(SIGNET)
            .args([
                "ca",
                "init",
                "--insecure-software-keys-for-development",
                "--data-dir",
            ])
            .arg(&data)),
        "signet ca init",
    );
    let port = free_port();
    let _server = serve(&data, port);
    let base = format!("http://127.0.0.1:{port}");
    let token = ok(
        &run(Command::new(SIGNET).args([
            "dev-token",
            "--server",
            &base,
            "--sub",
            "alice",
            "--email",
            "alice@example.com",
        ])),
        "signet dev-token",
    );
    let token = token.trim();
    let artefact = tmp.path().join("artefact.txt");
    std::fs::write(&artefact, b"signed by sigstore-python through signet\n").unwrap();
    let trust = data.join("trust_config.json");
    // No ambient credentials or TUF: everything comes from the trust config.
    let sigstore_cmd = || {
        let mut c = Command::new(&sigstore[0]);
        c.args(&sigstore[1..])
            .env_remove("SIGSTORE_ID_TOKEN")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL");
        c
    };
    ok(
        &run(sigstore_cmd()
            .arg("--trust-config")
            .arg(&trust)
            .args(["sign", "--identity-token", token])
            .arg(&artefact)),
        "sigstore sign",
    );
    let bundle = tmp.path().join("artefact.txt.sigstore.json");
    assert!(bundle.exists(), "bundle written");
    let issuer = format!("{base}/dev-issuer");
    let verify = |identity: &str, file: &Path| {
        run(sigstore_cmd()
            .arg("--trust-config")
            .arg(&trust)
            .args(["verify", "identity", "--cert-identity", identity])
            .args(["--cert-oidc-issuer", &issuer, "--bundle"])
            .arg(&bundle)
            .arg(file))
    };
    ok(&verify("alice@example.com", &artefact), "sigstore verify");
    // The same bundle does not verify for another identity, nor for another artefact.
    assert!(!verify("bob@example.com", &artefact).status.success());
    let other = tmp.path().join("other.txt");
    std::fs::write(&other, b"something else\n").unwrap();
    assert!(!verify("alice@example.com", &other).status.success());

    // Signet's own verifier accepts sigstore-python's bundle, for that signer and that
    // artefact only.
    let signet_verify = |identity: &str, file: &Path, bundle: &Path| {
        run(Command::new(SIGNET)
            .arg("verify")
            .arg(file)
            .arg("--bundle")
            .arg(bundle)
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", &issuer, "--trust-config"])
            .arg(&trust))
    };
    ok(
        &signet_verify("alice@example.com", &artefact, &bundle),
        "signet verify of sigstore-python's bundle",
    );
    assert!(!signet_verify("bob@example.com", &artefact, &bundle)
        .status
        .success());
    assert!(!signet_verify("alice@example.com", &other, &bundle)
        .status
        .success());

    // A DSSE attestation by sigstore-python (a dsse 0.0.1 entry in Signet's log) verifies
    // with `signet verify` for its subject.
    let predicate = tmp.path().join("predicate.json");
    std::fs::write(&predicate, br#"{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#).unwrap();
    let attestation = tmp.path().join("artefact.txt.attestation.sigstore.json");
    ok(
        &run(sigstore_cmd()
            .arg("--trust-config")
            .arg(&trust)
            .args([
                "attest",
                "--predicate-type",
                "https://slsa.dev/provenance/v1",
            ])
            .arg("--predicate")
            .arg(&predicate)
            .args(["--identity-token", token, "--bundle"])
            .arg(&attestation)
            .arg(&artefact)),
        "sigstore attest",
    );
    ok(
        &signet_verify("alice@example.com", &artefact, &attestation),
        "signet verify of sigstore-python's DSSE attestation",
    );
    assert!(!signet_verify("alice@example.com", &other, &attestation)
        .status
        .success());

    // The two certificates sigstore-python obtained (sign, attest) are in the CT log, readable through the
    // RFC 6962 §4 API that `signet serve` mounts under /ct.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let get = |path: &str| -> Value {
        let url = format!("{base}/ct{path}");
        rt.block_on(async {
            let resp = reqwest::get(&url).await.unwrap();
            assert_eq!(resp.status(), 200, "GET {url}");
            resp.json().await.unwrap()
        })
    };
    let sth = get("/ct/v1/get-sth");
    assert_eq!(sth["tree_size"], 2, "{sth}");
    let entries = get("/ct/v1/get-entries?start=0&end=1");
    assert_eq!(
        entries["entries"].as_array().map(Vec::len),
        Some(2),
        "{entries}"
    );
    let roots = get("/ct/v1/get-roots");
    let chain = std::fs::read_to_string(data.join("ca-chain.pem")).unwrap();
    let root_b64 = roots["certificates"][0].as_str().unwrap().to_owned();
    assert!(
        chain.replace('\n', "").contains(&root_b64[..64]),
        "get-roots names the CA root of ca-chain.pem"
    );
}
