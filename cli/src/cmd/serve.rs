//! `signet serve`: runs the transparency log over HTTP.
//!
//! Data directory layout (all state lives there unless `--database-url` names PostgreSQL):
//!
//! * `tlog-key.pem`: the log's ECDSA P-256 key (PKCS#8, mode 0600), generated on first start.
//! * `tlog-created`: marker written once the log exists in the database; from then on a
//!   missing log in the database is an error, never a reason to create a new one.
//! * `tlog.sqlite` (+ `-wal`, `-shm`): the SQLite database (default backend).
//! * `lock`: held for the process lifetime so two servers never share a directory.

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context, Result};
use clap::Args;
use signet_tlog::{http::HttpLimits, storage::Storage, IfMissing, Log, LogConfig};
use signet_tlog_core::keys::EcdsaP256Signer;

/// `signet serve` arguments.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Directory holding all state (keys, SQLite database).
    #[arg(long, default_value = "signet-data")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Database URL: `sqlite:PATH` or `postgres://...` (default: SQLite in the data directory).
    #[arg(long, env = "SIGNET_DATABASE_URL")]
    database_url: Option<String>,
    /// Host name in the log's checkpoint origin (`<host> - <treeID>`), fixed at creation.
    #[arg(long, default_value = "localhost")]
    origin_host: String,
    /// Most entries committed per transaction (group commit).
    #[arg(long, default_value_t = 512)]
    max_batch: usize,
    /// Submissions queued for the sequencer before new ones get 503.
    #[arg(long, default_value_t = 16384)]
    queue_capacity: usize,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, default_value_t = 256 * 1024)]
    max_body_bytes: usize,
}

const KEY_FILE: &str = "tlog-key.pem";
const CREATED_MARKER: &str = "tlog-created";

/// Runs the server until interrupted.
pub fn run(args: ServeArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<()> {
    fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating data directory {}", args.data_dir.display()))?;
    let _lock = lock_data_dir(&args.data_dir)?;
    let url = match &args.database_url {
        Some(u) => u.clone(),
        None => format!("sqlite:{}", args.data_dir.join("tlog.sqlite").display()),
    };
    let storage = Storage::open(&url)
        .await
        .context("opening the log database")?;
    let key_path = args.data_dir.join(KEY_FILE);
    let marker = args.data_dir.join(CREATED_MARKER);
    let meta = storage.meta().await.context("reading log metadata")?;
    let has_log = meta.is_some();
    // The note key name is the origin's host, fixed when the log was created.
    let key_name = meta
        .as_ref()
        .and_then(|m| m.origin.rsplit_once(" - ").map(|(host, _)| host.to_owned()))
        .unwrap_or_else(|| args.origin_host.clone());
    let (signer, if_missing) = match (key_path.exists(), has_log) {
        (true, _) => (load_key(&key_path, &key_name)?, creation_allowed(&marker)),
        (false, false) => (create_key(&key_path, &key_name)?, IfMissing::Create),
        (false, true) => bail!(
            "the database holds a log but {} is missing; refusing to start with a new key",
            key_path.display()
        ),
    };
    let config = LogConfig {
        origin_host: args.origin_host.clone(),
        max_batch: args.max_batch,
        queue_capacity: args.queue_capacity,
        ..LogConfig::default()
    };
    let log = Log::start(storage, signer, &config, if_missing)
        .await
        .context("starting the transparency log")?;
    if !marker.exists() {
        fs::write(&marker, format!("{}\n", log.meta().tree_id))
            .with_context(|| format!("writing {}", marker.display()))?;
    }
    let limits = HttpLimits {
        max_body_bytes: args.max_body_bytes,
        ..HttpLimits::default()
    };
    let app = signet_tlog::http::router(log, &limits);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(addr = %listener.local_addr()?, data_dir = %args.data_dir.display(), "signet serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    Ok(())
}

/// A log may be created only before it was ever created from this directory.
fn creation_allowed(marker: &Path) -> IfMissing {
    if marker.exists() {
        IfMissing::Refuse
    } else {
        IfMissing::Create
    }
}

fn load_key(path: &Path, name: &str) -> Result<EcdsaP256Signer> {
    let pem = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    EcdsaP256Signer::from_pkcs8_pem(&pem, name)
        .with_context(|| format!("loading log key {}", path.display()))
}

fn create_key(path: &Path, name: &str) -> Result<EcdsaP256Signer> {
    let der = EcdsaP256Signer::generate_pkcs8().context("generating the log key")?;
    let pem = EcdsaP256Signer::pkcs8_pem(&der).context("encoding the log key")?;
    let tmp = path.with_extension("pem.tmp");
    {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(pem.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path).with_context(|| format!("installing {}", path.display()))?;
    if let Some(dir) = path.parent() {
        File::open(dir).and_then(|d| d.sync_all()).ok();
    }
    tracing::info!(path = %path.display(), "generated a new log key");
    EcdsaP256Signer::from_pkcs8(&der, name).context("loading the new log key")
}

fn lock_data_dir(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.try_lock()
        .map_err(|_| anyhow::anyhow!("{} is in use by another signet process", dir.display()))?;
    Ok(f)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
