//! `signet`: Signet's command-line entry point.

mod cmd;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: the servers allocate and free per request
/// (see `cli/Cargo.toml` for the measurement).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Signet: keyless signing with a transparency log.
#[derive(Parser, Debug)]
#[command(name = "signet", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the Signet services (transparency log).
    Serve(cmd::serve::ServeArgs),
    /// Certificate authority administration (key ceremony).
    Ca(cmd::ca::CaArgs),
    /// Print an identity token from the INSECURE development issuer of
    /// `signet serve --insecure-dev-issuer` (development only; loopback servers only).
    DevToken(cmd::dev_token::DevTokenArgs),
    /// Sign a file keylessly: identity token → 10-minute certificate → log entry → bundle.
    Sign(cmd::sign::SignArgs),
    /// Sign an in-toto attestation (DSSE bundle) about one or more subjects.
    Attest(cmd::sign::AttestArgs),
    /// Verify a file (or `sha256:<hex>` digest) against a bundle, offline.
    Verify(cmd::verify::VerifyArgs),
    /// Sigstore conformance-suite protocol: sign a file into a bundle.
    SignBundle(cmd::sign::SignBundleArgs),
    /// Sigstore conformance-suite protocol: verify a bundle.
    VerifyBundle(cmd::verify::VerifyBundleArgs),
    /// Auditors: replay the logs from their tiles, and list who could sign and who signed.
    Audit(cmd::audit::AuditArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    // The server's log lines are formatted by the thread that logs them but written by a
    // background thread through a buffer, flushed whenever its queue is empty: a server
    // logging one line per issued certificate must not pay a write(2) per line on its
    // request threads (measured: 12% of issuance throughput). `lossy(false)`: when the
    // queue is full, loggers wait rather than drop lines. The guard flushes what is left
    // on drop. One-shot commands write to stderr directly: the writer thread and its
    // queue cost a `signet verify` about a quarter of its run time.
    let log_guard = if matches!(cli.command, Command::Serve(_)) {
        let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .thread_name("signet-log")
            .finish(std::io::BufWriter::new(std::io::stderr()));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(ansi)
            .with_writer(writer)
            .init();
        Some(guard)
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(ansi)
            .with_writer(std::io::stderr)
            .init();
        None
    };
    if let Command::Audit(args) = cli.command {
        // Its own exit codes: 0 clean, 1 not clean (reported), 2 could not audit.
        return match cmd::audit::run(args) {
            Ok(code) => code,
            Err(e) => {
                let message = format!("{e:#}");
                let one_line: Vec<&str> = message.split_whitespace().collect();
                eprintln!("signet: error: {}", one_line.join(" "));
                ExitCode::from(2)
            }
        };
    }
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Ca(args) => cmd::ca::run(args),
        Command::DevToken(args) => cmd::dev_token::run(args),
        Command::Sign(args) => cmd::sign::run_sign(args),
        Command::Attest(args) => cmd::sign::run_attest(args),
        Command::Verify(args) => cmd::verify::run_verify(args),
        Command::SignBundle(args) => cmd::sign::run_sign_bundle(args),
        Command::VerifyBundle(args) => cmd::verify::run_verify_bundle(args),
        Command::Audit(_) => unreachable!("handled above"),
    };
    // Every log line is out before the final error line.
    drop(log_guard);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Always one line: some causes (e.g. regex parse errors) span several.
            let message = format!("{e:#}");
            let one_line: Vec<&str> = message.split_whitespace().collect();
            eprintln!("signet: error: {}", one_line.join(" "));
            ExitCode::FAILURE
        }
    }
}
