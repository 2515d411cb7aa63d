//! `signet`: Signet's command-line entry point.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Ca(args) => cmd::ca::run(args),
        Command::DevToken(args) => cmd::dev_token::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("signet: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
