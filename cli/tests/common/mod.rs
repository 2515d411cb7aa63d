//! What the end-to-end tests of the `signet` binary share: a real `signet serve
//! --insecure-dev-issuer` on a free loopback port (CA with embedded SCTs, CT log,
//! transparency log) in a temporary data directory, tokens from its development issuer,
//! and child processes without ambient token variables or proxies, so that only the
//! sources a test gives are seen and every request stays on 127.0.0.1.
#![allow(dead_code)] // each test file uses its own subset

pub mod lying_log;
pub mod raw_http;

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use base64::Engine as _;

pub const SIGNET: &str = env!("CARGO_BIN_EXE_signet");

/// Environment variables removed from every child process.
pub const AMBIENT: [&str; 9] = [
    "SIGSTORE_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

pub fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Asserts success; returns stdout.
pub fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// How to run sigstore-python: `SIGNET_SIGSTORE_PYTHON` (a path to its `sigstore`
/// script), else `sigstore` on `PATH`, else `python3 -m sigstore` when the module imports.
/// Fails (never skips) when it is missing.
pub fn sigstore_cli() -> Vec<PathBuf> {
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

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `signet serve --insecure-dev-issuer` with its data directory (`signet ca
/// init --insecure-software-keys-for-development` first).
pub struct Deployment {
    pub tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub base: String,
    _server: Server,
}

impl Deployment {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// As [`Deployment::start`], with more `signet serve` arguments.
    pub fn start_with(serve_args: &[&str]) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        ok(
            &Command::new(SIGNET)
                .args([
                    "ca",
                    "init",
                    "--insecure-software-keys-for-development",
                    "--data-dir",
                ])
                .arg(&data)
                .output()
                .unwrap(),
            "signet ca init",
        );
        let port = free_port();
        let child = Command::new(SIGNET)
            .args(["serve", "--insecure-dev-issuer", "--data-dir"])
            .arg(&data)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(serve_args)
            .env_remove("SIGNET_DATABASE_URL")
            .env_remove("SIGNET_CT_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn signet serve");
        let mut server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !data.join("trust_config.json").exists()
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        {
            if let Ok(Some(status)) = server.0.try_wait() {
                panic!("signet serve exited early: {status}");
            }
            assert!(Instant::now() < deadline, "server did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            tmp,
            data,
            base: format!("http://127.0.0.1:{port}"),
            _server: server,
        }
    }

    /// The test's own directory (the data directory is inside it).
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    pub fn trust_config(&self) -> PathBuf {
        self.data.join("trust_config.json")
    }

    /// The development issuer's URL (the certificates' OIDC issuer).
    pub fn issuer(&self) -> String {
        format!("{}/dev-issuer", self.base)
    }

    pub fn token_for(&self, sub: &str, email: &str) -> String {
        let out = Command::new(SIGNET)
            .args(["dev-token", "--server", &self.base, "--sub", sub])
            .args(["--email", email])
            .output()
            .unwrap();
        ok(&out, "signet dev-token").trim().to_owned()
    }

    /// A token for alice@example.com.
    pub fn token(&self) -> String {
        self.token_for("alice", "alice@example.com")
    }

    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// `signet ARGS` with a clean environment, in the test's directory.
    pub fn signet(&self) -> Command {
        let mut c = Command::new(SIGNET);
        c.current_dir(self.dir());
        for var in AMBIENT {
            c.env_remove(var);
        }
        c
    }

    /// `signet verify` of `file` against `bundle` for `identity` (offline, trust config).
    pub fn signet_verify(&self, bundle: &Path, file: &Path, identity: &str) -> Output {
        self.signet()
            .arg("verify")
            .arg(file)
            .arg("--bundle")
            .arg(bundle)
            .args(["--certificate-identity", identity])
            .args([
                "--certificate-oidc-issuer",
                &self.issuer(),
                "--trust-config",
            ])
            .arg(self.trust_config())
            .output()
            .unwrap()
    }
}
