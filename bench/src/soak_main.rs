//! `soak`: a long run of mixed signing, logging and reading against `signet serve` at a
//! fixed fraction of the mix's measured maximum, sampling the server's memory, file
//! descriptors and threads, and judging whether they stay flat (issue 6). See
//! `bench/README.md`, "Soak", and `bench/run-soak.sh`.
//!
//! Exit status: 0 = flat and no failed request; 1 = the verdict failed (or the run was
//! cut short); 2 = the soak could not run.

mod soak;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use soak::output::{calibration_text, summary, verdict_text, write_all};
use soak::run::{run, Outcome, RunArgs};
use soak::series::{evidence, SoakRecord};
use soak::verdict::{judge, Bounds};

#[derive(Parser, Debug)]
#[command(
    name = "soak",
    about = "Soak test of signet serve: mixed load at a fraction of the maximum, memory and fds judged flat (loopback only)",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Judge a saved `soak.json` again, with other bounds or another warm-up.
    Verdict {
        /// The record a soak wrote.
        file: PathBuf,
        /// Warm-up to leave out [default: the run's].
        #[arg(long, value_parser = soak::duration::parse)]
        warmup: Option<Duration>,
        #[command(flatten)]
        bounds: Bounds,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Verdict {
            file,
            warmup,
            bounds,
        }) => rejudge(file, *warmup, bounds),
        None => soak(&cli.run),
    };
    result.unwrap_or_else(|e| {
        eprintln!("soak: error: {e:#}");
        ExitCode::from(2)
    })
}

fn soak(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(run(args))?;
    // Sender tasks still waiting on a dead connection must not hold the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Outcome::Calibrated(cal, rates) => {
            print!("{}", calibration_text(&cal, &rates, args.load_fraction));
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Soak(record) => {
            let text = summary(&record);
            if let Some(dir) = &args.out {
                write_all(dir, &record, &text)?;
                eprintln!(
                    "soak: wrote samples.csv, soak.json and summary.txt to {}",
                    dir.display()
                );
            }
            print!("{text}");
            Ok(if record.verdict.pass {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn rejudge(file: &PathBuf, warmup: Option<Duration>, bounds: &Bounds) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let record: SoakRecord =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let warmup_s = warmup.map_or(record.config.warmup_s, |w| w.as_secs_f64());
    let verdict = judge(&evidence(&record, warmup_s), bounds);
    print!("{}", verdict_text(&verdict));
    Ok(if verdict.pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
