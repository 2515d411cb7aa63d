//! `signet audit replay` and `signet audit inventory`: re-derive the logs from their tiles
//! without trusting the operator, prove they never forked, and answer who could sign and
//! who signed what (issue 5).
//!
//! Exit codes: 0 for clean logs (and, for an inventory with `--expect`, no unexpected
//! signer); 1 when anything failed (the report says what, at which index); 2 when the
//! audit could not start (arguments, trusted root, state file).

mod fetch;
mod inventory;
mod replay;
mod state;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use signet_audit::process::EntryChecks;
use signet_audit::report::LogName;
use signet_verifier::verify::Verifier;

use crate::cmd::verify::trust::{self, PublicGood};
use fetch::LogClient;
use replay::{Options, Replayer, Target};

/// `signet audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Download every entry of the log (and CT log), recompute the tree, check the signed
    /// checkpoint, and re-verify every entry.
    Replay(ReplayArgs),
    /// List every signing identity seen in the logs (after a replay), optionally against
    /// an expected-signer inventory, optionally following the logs.
    Inventory(InventoryArgs),
}

/// What both subcommands need.
#[derive(Args, Debug)]
pub struct LogArgs {
    /// Base URL of the transparency log (its tiles are under it: `URL/checkpoint`,
    /// `URL/tile/...`).
    #[arg(long, value_name = "URL")]
    log: String,
    /// Base URL of the certificate-transparency log (`signet serve`: `<base>/ct`).
    #[arg(long, value_name = "URL")]
    ct_log: Option<String>,
    /// The trusted root (trusted_root.json) whose keys the logs and CA must have.
    #[arg(long, value_name = "FILE", required_unless_present = "trust_config")]
    trusted_root: Option<PathBuf>,
    /// A ClientTrustConfig (`trust_config.json` of `signet serve`) instead.
    #[arg(long, value_name = "FILE", conflicts_with = "trusted_root")]
    trust_config: Option<PathBuf>,
    /// Audit state (a SQLite file): the last verified checkpoints, so the next run fetches
    /// only what is new and proves the logs still extend them. Without it, a temporary
    /// state is used and everything is fetched.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Bundles (256 entries each) fetched in parallel.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: u16,
    /// Timeout of every request, seconds.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout_secs: u64,
    /// Largest response accepted, bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_response_bytes: usize,
    /// Recompute the trees only; do not re-verify entries (INCOMPLETE AUDIT: signatures,
    /// chains and SCTs are not checked).
    #[arg(long)]
    insecure_hash_only: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// `signet audit replay`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    #[command(flatten)]
    logs: LogArgs,
}

/// `signet audit inventory`.
#[derive(Args, Debug)]
pub struct InventoryArgs {
    #[command(flatten)]
    logs: LogArgs,
    /// Expected-signer inventory (JSON): any identity outside it is an alert.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Keep watching the logs and report new entries as they arrive.
    #[arg(long)]
    follow: bool,
    /// Seconds between polls with `--follow`.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    interval_secs: u64,
}

/// Runs `signet audit`; errors are "could not audit" (exit 2).
pub fn run(args: AuditArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        match args.command {
            AuditCommand::Replay(a) => run_replay(a).await,
            AuditCommand::Inventory(a) => inventory::run(a).await,
        }
    })
}

/// The replayer and targets for `args`.
async fn prepare(args: &LogArgs) -> Result<(Replayer, Target, Option<Target>)> {
    let root = trust::load(
        args.trusted_root.as_deref(),
        args.trust_config.as_deref(),
        PublicGood::Production,
    )?;
    let verifier = Arc::new(Verifier::new(root).context("trusted root")?);
    let timeout = Duration::from_secs(args.timeout_secs);
    let tlog = Target {
        log: LogName::Tlog,
        client: LogClient::new(&args.log, timeout, args.max_response_bytes)?,
    };
    let ct = args
        .ct_log
        .as_deref()
        .map(|u| {
            Ok::<_, anyhow::Error>(Target {
                log: LogName::Ct,
                client: LogClient::new(u, timeout, args.max_response_bytes)?,
            })
        })
        .transpose()?;
    let state = state::State::open(args.state.as_deref()).await?;
    let options = Options {
        jobs: usize::from(args.jobs),
        checks: if args.insecure_hash_only {
            EntryChecks::HashOnly
        } else {
            EntryChecks::Verify
        },
        progress: !args.no_progress && !args.json && std::io::stderr().is_terminal(),
    };
    Ok((Replayer::new(verifier, state, options), tlog, ct))
}

async fn run_replay(args: ReplayArgs) -> Result<ExitCode> {
    let (mut replayer, tlog, ct) = prepare(&args.logs).await?;
    let report = replayer.run(&tlog, ct.as_ref()).await?;
    if args.logs.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_table());
    }
    Ok(if report.clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
