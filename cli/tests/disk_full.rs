//! A disk that fills up (issue 6): `signet serve` runs with its data directory on a small
//! tmpfs of its own (a private mount namespace made with `unshare`, so the test needs no
//! privilege beyond user namespaces), the test fills that filesystem through
//! `/proc/<pid>/root`, and then:
//!
//! * log appends and certificate requests fail with 503 and `Retry-After`, reads go on;
//! * nothing is half-written: the tree size moves only by the appends that got a 201;
//! * once space returns, appends and signing resume at the next index, and an auditor
//!   replay recomputes the whole tree from storage and verifies every entry.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::{
    fs,
    io::Write as _,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine as _;
use common::{free_port, ok, raw_http::request, Server, SIGNET};
use signet_tlog_core::keys::EcdsaP256Signer;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The server, its filesystem seen from outside (`/proc/<pid>/root/<mount>`), and address.
struct OnTmpfs {
    /// Killed and reaped on drop (its mount namespace, and the tmpfs, go with it).
    _server: Server,
    fs_root: PathBuf,
    addr: String,
}

impl OnTmpfs {
    fn start(mount: &Path) -> Self {
        fs::create_dir_all(mount).unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let script = r#"set -e
mount -t tmpfs -o size=24m signet-test "$1"
"$2" ca init --insecure-software-keys-for-development --data-dir "$1/data" >/dev/null
exec "$2" serve --insecure-dev-issuer --data-dir "$1/data" --listen "$3""#;
        let child = Command::new("unshare")
            .args([
                "--user",
                "--map-root-user",
                "--mount",
                "sh",
                "-c",
                script,
                "sh",
            ])
            .arg(mount)
            .arg(SIGNET)
            .arg(&addr)
            .env_remove("SIGNET_DATABASE_URL")
            .env_remove("SIGNET_CT_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare (util-linux) must be installed");
        let mut server = Server(child);
        let rel = mount.strip_prefix("/").unwrap();
        let fs_root = PathBuf::from(format!("/proc/{}/root", server.0.id())).join(rel);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !fs_root.join("data/trust_config.json").exists()
            || std::net::TcpStream::connect(&addr).is_err()
        {
            if let Ok(Some(status)) = server.0.try_wait() {
                panic!("signet serve in its own mount namespace exited: {status}");
            }
            assert!(Instant::now() < deadline, "server did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            _server: server,
            fs_root,
            addr,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Fills the filesystem with a ballast file until it refuses another byte.
    fn fill(&self) {
        let mut f = fs::File::create(self.fs_root.join("ballast")).unwrap();
        for chunk in [1 << 20, 4096, 1] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).and_then(|()| f.sync_data()).is_ok() {}
        }
        assert!(
            fs::File::create(self.fs_root.join("probe"))
                .and_then(|mut p| p.write_all(&[0u8; 4096]).and_then(|()| p.sync_all()))
                .is_err(),
            "the filesystem still takes writes"
        );
        let _ = fs::remove_file(self.fs_root.join("probe"));
    }

    fn free(&self) {
        fs::remove_file(self.fs_root.join("ballast")).unwrap();
    }

    fn tree_size(&self) -> u64 {
        let (code, text) = request(&self.addr, "GET", "/api/v1/log", b"");
        assert_eq!(code, 200, "reads must go on: {text}");
        json_body(&text)["treeSize"].as_u64().unwrap()
    }
}

fn json_body(response: &str) -> serde_json::Value {
    let body = response.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"))
}

/// A hashedrekord proposal for `artefact`, signed by `key`.
fn proposal(key: &EcdsaP256Signer, artefact: &[u8]) -> Vec<u8> {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, artefact);
    let sig = key.sign(artefact).unwrap();
    serde_json::to_vec(&serde_json::json!({
        "kind": "hashedrekord",
        "apiVersion": "0.0.1",
        "spec": {
            "signature": {
                "content": B64.encode(sig),
                "publicKey": { "content": B64.encode(key.public_key_pem()) }
            },
            "data": { "hash": { "algorithm": "sha256", "value": hex(digest.as_ref()) } }
        }
    }))
    .unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sign_file(server: &OnTmpfs, dir: &Path, name: &str) -> std::process::Output {
    let file = dir.join(name);
    fs::write(&file, name).unwrap();
    let token = Command::new(SIGNET)
        .args(["dev-token", "--server", &server.base(), "--sub", "alice"])
        .args(["--email", "alice@example.com"])
        .output()
        .unwrap();
    let token = ok(&token, "signet dev-token").trim().to_owned();
    Command::new(SIGNET)
        .arg("sign")
        .arg(&file)
        .args(["--identity-token", &token, "--trust-config"])
        .arg(server.fs_root.join("data/trust_config.json"))
        .output()
        .unwrap()
}

#[test]
fn a_full_disk_answers_503_writes_nothing_and_service_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let server = OnTmpfs::start(&tmp.path().join("mnt"));
    let pkcs8 = EcdsaP256Signer::generate_pkcs8().unwrap();
    let key = EcdsaP256Signer::from_pkcs8(&pkcs8, "artefact-signer").unwrap();
    ok(
        &sign_file(&server, tmp.path(), "before.txt"),
        "signing before the disk fills",
    );
    let before = server.tree_size();

    server.fill();
    // SQLite may still write into WAL pages it already holds; keep appending until the
    // disk says no. Every 201 is counted; the first 503 must come within a few hundred.
    let mut acknowledged = 0u64;
    let mut refusal = None;
    for i in 0..500u32 {
        let (code, text) = request(
            &server.addr,
            "POST",
            "/api/v1/log/entries",
            &proposal(&key, format!("while full {i}").as_bytes()),
        );
        match code {
            201 => acknowledged += 1,
            503 => {
                refusal = Some(text);
                break;
            }
            other => panic!("append on a full disk answered {other}: {text}"),
        }
    }
    let refusal = refusal.expect("500 appends on a full disk all succeeded");
    assert!(
        refusal.to_ascii_lowercase().contains("retry-after: 1"),
        "{refusal}"
    );
    assert!(
        refusal.contains("storage refused the write, nothing was written"),
        "{refusal}"
    );
    assert_eq!(
        server.tree_size(),
        before + acknowledged,
        "the tree moved by something other than acknowledged appends"
    );
    // Signing needs the CT log to commit the precertificate: refused too, no bundle.
    let out = sign_file(&server, tmp.path(), "during.txt");
    assert!(!out.status.success(), "signing on a full disk succeeded");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("503"), "{stderr}");
    assert!(!tmp.path().join("during.txt.sigstore.json").exists());

    server.free();
    let size = server.tree_size();
    assert_eq!(size, before + acknowledged);
    let (code, text) = request(
        &server.addr,
        "POST",
        "/api/v1/log/entries",
        &proposal(&key, b"after the disk was freed"),
    );
    assert_eq!(code, 201, "{text}");
    assert_eq!(
        json_body(&text)
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()["logIndex"],
        size
    );
    ok(
        &sign_file(&server, tmp.path(), "after.txt"),
        "signing after space returned",
    );

    // Everything in storage still hashes to the signed checkpoints and re-verifies.
    let out = Command::new(SIGNET)
        .args(["audit", "replay", "--no-progress", "--log", &server.base()])
        .args(["--ct-log", &format!("{}/ct", server.base())])
        .arg("--trust-config")
        .arg(server.fs_root.join("data/trust_config.json"))
        .output()
        .unwrap();
    ok(&out, "signet audit replay after the disk-full episode");
    drop(server);
}
