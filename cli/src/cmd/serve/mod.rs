//! `signet serve`: runs the transparency log and the certificate authority (with its CT
//! log) over HTTP, each also startable alone (`--services`).
//!
//! Data directory layout (all state lives there unless `--database-url` names PostgreSQL):
//!
//! * `tlog-key.pem`, `tlog-created`, `tlog.sqlite`: the transparency log (see `logs`).
//! * `ct-key.pem`, `ct-created`, `ct.sqlite`: the CA's CT log, kept the same way.
//! * `ca-chain.pem`, `ca-keys.json` (+ the insecure dev key file): the CA, written by
//!   `signet ca init`.
//! * `trusted_root.json`, `signing_config.json`, `trust_config.json`: written at every
//!   start when both the log and the CA run, for Sigstore clients.
//! * `lock`: held for the process lifetime so two servers never share a directory.

mod ca;
mod guard;
mod logs;
mod net;

use std::{fs, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use clap::Args;
use signet_tlog::{http::HttpLimits, ratelimit::Rate, LogConfig};

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
    /// Host name in the log's checkpoint origin (`<host> - <treeID>`) and its note key
    /// name, fixed at creation. Default: the host of the public URL, which sigstore-js
    /// requires the key name to match (its trusted-root `baseUrl` must contain it).
    #[arg(long)]
    origin_host: Option<String>,
    /// Most entries committed per transaction (group commit).
    #[arg(long, default_value_t = 512)]
    max_batch: usize,
    /// Submissions queued for the sequencer before new ones get 503.
    #[arg(long, default_value_t = 16384)]
    queue_capacity: usize,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, default_value_t = 256 * 1024)]
    max_body_bytes: usize,
    /// Services to run, comma-separated (`tlog`, `ca`). Default: the log, plus the CA when
    /// the data directory holds one (`signet ca init`).
    #[arg(long, value_delimiter = ',')]
    services: Option<Vec<Service>>,
    /// The OIDC issuers the CA trusts and their issuance policy (JSON; see
    /// `signet-ca-identity`'s `IdentityConfig`).
    #[arg(long)]
    ca_issuers: Option<PathBuf>,
    /// Mount an insecure development OIDC issuer at `/dev-issuer` and trust it (tokens
    /// from `signet dev-token`). Never in production: anyone who reaches it gets
    /// certificates.
    #[arg(long)]
    insecure_dev_issuer: bool,
    /// The URL clients use to reach this server (trust files, development issuer).
    /// Default: `http://<listen address>`.
    #[arg(long)]
    public_url: Option<String>,
    /// Database URL of the CA's CT log (default: SQLite `ct.sqlite` in the data directory).
    #[arg(long, env = "SIGNET_CT_DATABASE_URL")]
    ct_database_url: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Connection, time and rate limits (README "Limits").
#[derive(Args, Debug)]
struct LimitArgs {
    /// Connections open at once; at the cap new clients wait in the listen backlog.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Connections open at once from one client address (IPv6: per /64); more are closed.
    #[arg(long, default_value_t = 512)]
    max_connections_per_address: usize,
    /// Seconds for a request's head to arrive, and for an idle keep-alive connection.
    #[arg(long, default_value_t = 10)]
    header_read_timeout_secs: u64,
    /// Seconds for a whole request, body included (408 beyond).
    #[arg(long, default_value_t = 30)]
    request_timeout_secs: u64,
    /// Seconds a response write may stay blocked on a client that does not read.
    #[arg(long, default_value_t = 30)]
    write_timeout_secs: u64,
    /// Writes (log entries, certificates) per client address, as `<n>/<s|m|h>`
    /// (429 with Retry-After beyond). Default: unlimited.
    #[arg(long, value_name = "RATE")]
    rate_limit_writes_per_address: Option<Rate>,
    /// Reads per client address, as `<n>/<s|m|h>`. Default: unlimited.
    #[arg(long, value_name = "RATE")]
    rate_limit_reads_per_address: Option<Rate>,
    /// Certificates per OIDC identity (issuer and SAN), as `<n>/<s|m|h>`. Default:
    /// unlimited.
    #[arg(long, value_name = "RATE")]
    rate_limit_per_identity: Option<Rate>,
    /// Log entries per signing key or certificate, as `<n>/<s|m|h>`. Default: unlimited.
    #[arg(long, value_name = "RATE")]
    rate_limit_per_signer: Option<Rate>,
}

/// A service `signet serve` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Service {
    /// The Rekor v1 transparency log.
    Tlog,
    /// The certificate authority (Fulcio v2) with its CT log.
    Ca,
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
    let _lock = crate::cmd::data_dir::lock(&args.data_dir)?;
    let (run_tlog, run_ca) = match &args.services {
        Some(list) => (list.contains(&Service::Tlog), list.contains(&Service::Ca)),
        None => (true, ca::initialised(&args.data_dir)),
    };
    if !run_tlog && !run_ca {
        anyhow::bail!("--services names no service to run");
    }
    if !run_ca && args.insecure_dev_issuer {
        anyhow::bail!(
            "--insecure-dev-issuer needs the CA: run `signet ca init` on this data directory first"
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let local = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let origin_host = match &args.origin_host {
        Some(host) => host.clone(),
        None => reqwest::Url::parse(&public_url)
            .with_context(|| format!("--public-url {public_url} is not a URL"))?
            .host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
            .with_context(|| format!("--public-url {public_url} has no host"))?,
    };

    let mut app = axum::Router::new();
    let mut tlog = None;
    if run_tlog {
        let config = LogConfig {
            origin_host: origin_host.clone(),
            max_batch: args.max_batch,
            queue_capacity: args.queue_capacity,
            signer_rate_limit: args.limits.rate_limit_per_signer,
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
            request_timeout: Duration::from_secs(args.limits.request_timeout_secs),
            ..HttpLimits::default()
        };
        app = app.merge(signet_tlog::http::router(log.clone(), &limits));
        tlog = Some(log);
    }
    if run_ca {
        let started = ca::start(&ca::CaOptions {
            data_dir: &args.data_dir,
            issuers_file: args.ca_issuers.as_deref(),
            dev_issuer: if args.insecure_dev_issuer {
                ca::DevIssuer::InsecurelyEnabled
            } else {
                ca::DevIssuer::Off
            },
            public_url: &public_url,
            origin_host: &origin_host,
            ct_database_url: args.ct_database_url.as_deref(),
            identity_rate_limit: args.limits.rate_limit_per_identity,
        })
        .await?;
        if let Some(log) = &tlog {
            ca::write_trust_files(
                &args.data_dir,
                &public_url,
                &started.ca,
                log,
                started.dev_issuer_url.clone(),
            )?;
        }
        app = app.merge(started.router);
    } else {
        tracing::info!("certificate authority not started (no CA in the data directory; `signet ca init` creates one)");
    }
    tracing::info!(addr = %local, data_dir = %args.data_dir.display(), tlog = run_tlog, ca = run_ca, "signet serving");
    let app = edge_layers(app, &args.limits);
    let conn_limits = net::ConnLimits {
        max_connections: args.limits.max_connections,
        max_connections_per_address: args.limits.max_connections_per_address,
        header_read_timeout: Duration::from_secs(args.limits.header_read_timeout_secs.max(1)),
        write_timeout: Duration::from_secs(args.limits.write_timeout_secs.max(1)),
    };
    net::serve(listener, app, &conn_limits, shutdown_signal()).await;
    Ok(())
}

/// The layers every route gets at the edge: the request time limit (the log's routes also
/// carry their own) and the per-address rate limits.
fn edge_layers(app: axum::Router, limits: &LimitArgs) -> axum::Router {
    let app = app.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        Duration::from_secs(limits.request_timeout_secs.max(1)),
    ));
    let by_address = guard::AddressLimits::new(
        limits.rate_limit_writes_per_address,
        limits.rate_limit_reads_per_address,
    );
    if !by_address.any() {
        return app;
    }
    app.layer(axum::middleware::from_fn_with_state(
        Arc::new(by_address),
        guard::limit_by_address,
    ))
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
