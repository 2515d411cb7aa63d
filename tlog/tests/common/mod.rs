//! Test harness: a real log server on 127.0.0.1 over real SQLite or PostgreSQL.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::net::SocketAddr;

use base64::Engine as _;
use signet_tlog::{http::HttpLimits, storage::Storage, IfMissing, Log, LogConfig};
use signet_tlog_core::{
    hash::{empty_root, node_hash, Hash},
    keys::{EcdsaP256Signer, EcdsaP256Verifier},
};
use tokio::{sync::oneshot, task::JoinHandle};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where a test log keeps its data.
pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Backend {
    pub fn sqlite() -> Self {
        Backend::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    /// A fresh, empty PostgreSQL database on the cluster named by
    /// `SIGNET_TEST_POSTGRES_URL` (set by `scripts/test.sh`, which starts a throwaway
    /// cluster on 127.0.0.1). Fails the test when the variable is unset: a skipped
    /// PostgreSQL suite must never look like a passing one.
    pub async fn postgres() -> Self {
        let admin = std::env::var("SIGNET_TEST_POSTGRES_URL").expect(
            "SIGNET_TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, \
             which starts a throwaway PostgreSQL cluster on 127.0.0.1",
        );
        let name = format!("signet_test_{:016x}", rand_u64());
        let pool = sqlx::PgPool::connect(&admin)
            .await
            .expect("connect to test cluster");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("create test database");
        pool.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Backend::Postgres(format!("{base}/{name}"))
    }

    pub fn url(&self) -> String {
        match self {
            Backend::Sqlite(dir) => format!("sqlite:{}", dir.path().join("tlog.sqlite").display()),
            Backend::Postgres(url) => url.clone(),
        }
    }
}

/// Runs SQL statements on the backend's database from a connection of its own (the
/// product code runs unchanged: faults, simulated crashes).
pub async fn execute(backend: &Backend, statements: &[&str]) {
    execute_at(&backend.url(), statements).await;
}

/// [`execute`] on the database holding the search index: SQLite keeps it in a file of
/// its own beside the log's, PostgreSQL in the log's database.
pub async fn execute_on_search_index(backend: &Backend, statements: &[&str]) {
    match backend {
        Backend::Sqlite(dir) => {
            let url = format!("sqlite:{}", dir.path().join("tlog.index.sqlite").display());
            execute_at(&url, statements).await;
        }
        Backend::Postgres(url) => execute_at(url, statements).await,
    }
}

async fn execute_at(url: &str, statements: &[&str]) {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        for s in statements {
            sqlx::query(s).execute(&mut c).await.expect(s);
        }
        c.close().await.expect("close");
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        for s in statements {
            sqlx::query(s).execute(&mut c).await.expect(s);
        }
        c.close().await.expect("close");
    }
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).expect("rng");
    u64::from_le_bytes(b)
}

/// A running server.
pub struct Server {
    pub base: String,
    pub addr: SocketAddr,
    pub key_pkcs8: Vec<u8>,
    pub log: Log,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

pub fn test_config() -> LogConfig {
    LogConfig {
        origin_host: "signet.test".to_owned(),
        ..LogConfig::default()
    }
}

impl Server {
    /// Starts a new log (fresh key) on `backend`.
    pub async fn start(backend: &Backend) -> Server {
        let key = EcdsaP256Signer::generate_pkcs8().expect("keygen");
        Self::start_with(backend, key, IfMissing::Create, &test_config()).await
    }

    pub async fn start_with(
        backend: &Backend,
        key_pkcs8: Vec<u8>,
        if_missing: IfMissing,
        config: &LogConfig,
    ) -> Server {
        let storage = Storage::open(&backend.url()).await.expect("open storage");
        let signer = EcdsaP256Signer::from_pkcs8(&key_pkcs8, &config.origin_host).expect("key");
        let log = Log::start(storage, signer, config, if_missing)
            .await
            .expect("start log");
        let app = signet_tlog::http::router(log.clone(), &HttpLimits::default());
        Self::serve(log, key_pkcs8, app).await
    }

    /// Starts a new log (fresh key) on `backend` serving only the tiles API
    /// ([`signet_tlog::http::tiles_router`]), as the CT log does.
    pub async fn start_tiles_only(backend: &Backend, config: &LogConfig) -> Server {
        let key_pkcs8 = EcdsaP256Signer::generate_pkcs8().expect("keygen");
        let storage = Storage::open(&backend.url()).await.expect("open storage");
        let signer = EcdsaP256Signer::from_pkcs8(&key_pkcs8, &config.origin_host).expect("key");
        let log = Log::start(storage, signer, config, IfMissing::Create)
            .await
            .expect("start log");
        let app = signet_tlog::http::tiles_router(log.clone(), &HttpLimits::default());
        Self::serve(log, key_pkcs8, app).await
    }

    async fn serve(log: Log, key_pkcs8: Vec<u8>, app: axum::Router) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
        });
        Server {
            base: format!("http://{addr}"),
            addr,
            key_pkcs8,
            log,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn verifier(&self) -> EcdsaP256Verifier {
        EcdsaP256Signer::from_pkcs8(&self.key_pkcs8, "signet.test")
            .expect("key")
            .verifier()
    }

    pub async fn stop(mut self) -> Vec<u8> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        self.key_pkcs8.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// A signer of test artefacts.
pub struct Signer {
    key: EcdsaP256Signer,
}

impl Signer {
    pub fn new() -> Self {
        let der = EcdsaP256Signer::generate_pkcs8().expect("keygen");
        Signer {
            key: EcdsaP256Signer::from_pkcs8(&der, "artefact-signer").expect("key"),
        }
    }

    pub fn public_key_pem(&self) -> String {
        self.key.public_key_pem()
    }

    /// A valid dsse 0.0.1 proposed entry whose envelope (in-toto payload type) carries
    /// `payload`, signed by this signer, and the envelope text exactly as submitted. The
    /// text is pretty-printed on purpose: the log must keep these bytes, not a re-encoding.
    pub fn dsse(&self, payload: &[u8]) -> (serde_json::Value, String) {
        let payload_type = "application/vnd.in-toto+json";
        // DSSE v1 PAE (DSSE protocol.md), computed here independently of the log.
        let mut pae = format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            payload.len()
        )
        .into_bytes();
        pae.extend_from_slice(payload);
        let sig = self.key.sign(&pae).expect("sign");
        let envelope = serde_json::to_string_pretty(&serde_json::json!({
            "payloadType": payload_type,
            "payload": B64.encode(payload),
            "signatures": [{ "keyid": "", "sig": B64.encode(sig) }],
        }))
        .expect("envelope json");
        let proposed = serde_json::json!({
            "kind": "dsse",
            "apiVersion": "0.0.1",
            "spec": {
                "proposedContent": {
                    "envelope": envelope,
                    "verifiers": [B64.encode(self.public_key_pem())],
                }
            }
        });
        (proposed, envelope)
    }

    /// A valid hashedrekord 0.0.1 proposed entry for `artefact`, and its hex digest.
    pub fn hashedrekord(&self, artefact: &[u8]) -> (serde_json::Value, String) {
        let digest = hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            artefact,
        ));
        let sig = self.key.sign(artefact).expect("sign");
        (
            hashedrekord_json(
                &B64.encode(sig),
                &B64.encode(self.public_key_pem()),
                "sha256",
                &digest,
            ),
            digest,
        )
    }
}

pub fn hashedrekord_json(
    sig_b64: &str,
    key_b64: &str,
    alg: &str,
    digest_hex: &str,
) -> serde_json::Value {
    serde_json::json!({
        "kind": "hashedrekord",
        "apiVersion": "0.0.1",
        "spec": {
            "signature": { "content": sig_b64, "publicKey": { "content": key_b64 } },
            "data": { "hash": { "algorithm": alg, "value": digest_hex } }
        }
    })
}

pub fn random_artefact() -> Vec<u8> {
    let mut b = vec![0u8; 48];
    aws_lc_rs::rand::fill(&mut b).expect("rng");
    b
}

/// RFC 9162 §2.1.1 MTH, straight from the definition (an independent check of the
/// roots and proofs the log serves).
pub fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            // k: the largest power of two smaller than n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}
