//! End-to-end tests of the real `signet serve` process: crash (SIGKILL) under load and
//! restart with every acknowledged entry intact; refusal to start on unsafe state.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use signet_rekor::api;
use signet_tlog_core::{
    checkpoint::Checkpoint,
    hash::Hash,
    keys::{EcdsaP256Signer, EcdsaP256Verifier},
    note::NoteVerifier,
    proof::verify_consistency,
};
use signet_verifier::rekor_v1::verify_log_entry;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `signet serve` on `dir` and `127.0.0.1:port`, with the embedded SQLite default.
fn serve_command(dir: &Path, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("SIGNET_DATABASE_URL");
    cmd
}

fn spawn_serve(dir: &Path, port: u16) -> Child {
    serve_command(dir, port)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn signet serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("signet serve exited early: {status}");
        }
        if let Ok(r) = client.get(format!("{base}/api/v1/log")).send().await {
            if r.status() == StatusCode::OK {
                return;
            }
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `Child::kill` sends SIGKILL on Unix: the process gets no chance to flush or clean up.
fn sigkill(child: &mut Child) {
    child.kill().expect("kill -9");
    let _ = child.wait();
}

fn log_key(dir: &Path) -> EcdsaP256Verifier {
    let pem = std::fs::read_to_string(dir.join("tlog-key.pem")).expect("key file");
    EcdsaP256Signer::from_pkcs8_pem(&pem, "127.0.0.1") // the host of the default public URL
        .expect("key")
        .verifier()
}

fn proposal(signer: &EcdsaP256Signer, n: u64) -> serde_json::Value {
    let artefact = format!("artefact {n} {:?}", Instant::now());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, artefact.as_bytes());
    let sig = signer.sign(artefact.as_bytes()).expect("sign");
    api::hashedrekord_proposal(
        &sig,
        signer.public_key_pem().as_bytes(),
        "sha256",
        digest.as_ref(),
    )
}

/// A `signet serve` process on a fresh data directory, ready to answer.
struct Running {
    dir: tempfile::TempDir,
    port: u16,
    base: String,
    client: reqwest::Client,
    child: Child,
}

async fn start_fresh() -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut child = spawn_serve(dir.path(), port);
    wait_ready(&client, &base, &mut child).await;
    Running {
        dir,
        port,
        base,
        client,
        child,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_nothing_acknowledged() {
    let Running {
        dir,
        port,
        base,
        client,
        mut child,
    } = start_fresh().await;
    let key = log_key(dir.path());

    // 16 writers append until the server dies; every 201 is remembered.
    let acked: Arc<Mutex<Vec<(String, api::LogEntryAnon)>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..16u64 {
        let (client, base, acked) = (client.clone(), base.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            let der = EcdsaP256Signer::generate_pkcs8().expect("keygen");
            let signer = EcdsaP256Signer::from_pkcs8(&der, "w").expect("key");
            for n in 0.. {
                let body = proposal(&signer, w * 1_000_000 + n);
                match client
                    .post(format!("{base}/api/v1/log/entries"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let map: api::LogEntry = match r.json().await {
                            Ok(m) => m,
                            Err(_) => return, // connection cut mid-body: not acknowledged
                        };
                        let (id, anon) = map.into_iter().next().expect("one entry");
                        acked.lock().expect("lock").push((id, anon));
                    }
                    _ => return, // server gone
                }
            }
        }));
    }
    // Let some entries land, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().expect("lock").len() < 300 {
        assert!(Instant::now() < deadline, "appends too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sigkill(&mut child);
    for w in writers {
        w.await.expect("writer");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 300);

    // Restart on the same directory.
    let mut child = spawn_serve(dir.path(), port);
    wait_ready(&client, &base, &mut child).await;
    let info: api::LogInfo = client
        .get(format!("{base}/api/v1/log"))
        .send()
        .await
        .expect("info")
        .json()
        .await
        .expect("json");
    let verifiers: [&dyn NoteVerifier; 1] = [&key];
    let head = Checkpoint::open(&info.signed_tree_head, &verifiers).expect("checkpoint verifies");
    assert!(head.size >= acked.len() as u64);
    for (id, before) in &acked {
        let r = client
            .get(format!(
                "{base}/api/v1/log/entries?logIndex={}",
                before.log_index
            ))
            .send()
            .await
            .expect("get");
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "acknowledged index {} missing",
            before.log_index
        );
        let map: api::LogEntry = r.json().await.expect("json");
        let (id2, after) = map.iter().next().expect("entry");
        assert_eq!(
            id2, id,
            "index {} now holds another entry",
            before.log_index
        );
        assert_eq!(after.body, before.body);
        verify_log_entry(id2, after, &key).expect("entry verifies after restart");
        // The checkpoint handed out before the crash is consistent with the new one.
        let p = &before.verification.inclusion_proof;
        if p.tree_size < head.size {
            let c: api::ConsistencyProof = client
                .get(format!(
                    "{base}/api/v1/log/proof?firstSize={}&lastSize={}",
                    p.tree_size, head.size
                ))
                .send()
                .await
                .expect("proof")
                .json()
                .await
                .expect("json");
            let proof: Vec<Hash> = c
                .hashes
                .iter()
                .map(|h| Hash::from_hex(h).expect("hex"))
                .collect();
            verify_consistency(
                p.tree_size,
                head.size,
                &proof,
                &Hash::from_hex(&p.root_hash).expect("hex"),
                &head.root,
            )
            .expect("pre-crash checkpoint consistent with post-restart checkpoint");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn run_to_exit(dir: &Path, port: u16) -> (bool, String) {
    let out = serve_command(dir, port).output().expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_unsafe_state() {
    let Running {
        dir,
        port,
        mut child,
        ..
    } = start_fresh().await;

    // A second server on the same directory is refused while the first runs.
    let (ok, err) = run_to_exit(dir.path(), free_port());
    assert!(!ok);
    assert!(err.contains("in use by another signet process"), "{err}");
    let _ = child.kill();
    let _ = child.wait();

    // The log key is gone but the database holds a log: refuse, never mint a new key.
    let key = dir.path().join("tlog-key.pem");
    let saved = std::fs::read(&key).expect("key");
    std::fs::remove_file(&key).expect("rm key");
    let (ok, err) = run_to_exit(dir.path(), port);
    assert!(!ok);
    assert!(err.contains("tlog-key.pem is missing"), "{err}");
    assert!(!key.exists(), "no new key was written");

    // A foreign key is refused (the newest checkpoint does not verify with it).
    let other = EcdsaP256Signer::generate_pkcs8().expect("keygen");
    std::fs::write(&key, EcdsaP256Signer::pkcs8_pem(&other).expect("pem")).expect("write");
    let (ok, err) = run_to_exit(dir.path(), port);
    assert!(!ok);
    assert!(err.contains("does not verify"), "{err}");

    // The database is gone but the log was created here: refuse to create a new log.
    std::fs::write(&key, &saved).expect("restore key");
    for f in ["tlog.sqlite", "tlog.sqlite-wal", "tlog.sqlite-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    let (ok, err) = run_to_exit(dir.path(), port);
    assert!(!ok);
    assert!(err.contains("refusing to create a new log"), "{err}");
}
