//! `signet serve`: runs the transparency log over HTTP.
//!
//! Data directory layout (all state lives there unless `--database-url` names PostgreSQL):
//!
//! * `tlog-key.pem`: the log's ECDSA P-256 key (PKCS#8, mode 0600), generated on first start.
//! * `tlog-created`: marker written once the log exists in the database; from then on a
//!   missing log in the database is an error, never a reason to create a new one.
//! * `tlog.sqlite` (+ `-wal`, `-shm`): the SQLite database (default backend).
//! * `lock`: held for the process lifetime so two servers never share a directory.

mod logs;

use std::{
    fs::{self, File, OpenOptions},
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use clap::Args;
use signet_tlog::{http::HttpLimits, LogConfig};

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
    let config = LogConfig {
        origin_host: args.origin_host.clone(),
        max_batch: args.max_batch,
        queue_capacity: args.queue_capacity,
        ..LogConfig::default()
    };
    let log = logs::open(
        &args.data_dir,
        logs::TLOG,
        args.database_url.as_deref(),
        &config,
    )
    .await?;
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
