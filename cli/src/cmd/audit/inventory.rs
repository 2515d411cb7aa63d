//! `signet audit inventory`: every signing identity the logs show (after a replay), which
//! issuance rule allowed it, and, with `--expect`, every identity outside the
//! expected-signer inventory as an alert. `--follow` replays again every interval and
//! prints each new entry as it arrives.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use signet_audit::expect::{ExpectedSigners, SeenIdentity};
use signet_audit::report::Report;

use super::state::IdentityRow;
use super::{prepare, InventoryArgs};

/// Largest expected-signer file read.
const MAX_EXPECT_BYTES: u64 = 1024 * 1024;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityOut<'a> {
    issuer: &'a str,
    san: &'a str,
    repository: Option<&'a str>,
    #[serde(rename = "ref")]
    git_ref: Option<&'a str>,
    workflow: Option<&'a str>,
    environment: Option<&'a str>,
    certificates: i64,
    signatures: i64,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    allowed_by: &'a [String],
    /// `None` without `--expect`; else whether a rule allows it.
    expected: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyOut<'a> {
    fingerprint: &'a str,
    signatures: i64,
    first_seen: i64,
    last_seen: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InventoryOut<'a> {
    identities: Vec<IdentityOut<'a>>,
    keys: Vec<KeyOut<'a>>,
    alerts: usize,
    replay: &'a Report,
}

fn seen(row: &IdentityRow) -> SeenIdentity {
    SeenIdentity {
        issuer: row.issuer.clone(),
        san: row.san.clone(),
        repository: row.repository.clone(),
        git_ref: row.git_ref.clone(),
        workflow: row.workflow.clone(),
        environment: row.environment.clone(),
    }
}

/// Runs `signet audit inventory`.
pub async fn run(args: InventoryArgs) -> Result<ExitCode> {
    let expected = match &args.expect {
        Some(path) => {
            let len = std::fs::metadata(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .len();
            if len > MAX_EXPECT_BYTES {
                anyhow::bail!("{} is larger than {MAX_EXPECT_BYTES} bytes", path.display());
            }
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                ExpectedSigners::from_json(&bytes)
                    .with_context(|| format!("{}", path.display()))?,
            )
        }
        None => None,
    };
    let (mut replayer, tlog, ct) = prepare(&args.logs).await?;
    let report = replayer.run(&tlog, ct.as_ref()).await?;
    let identities = replayer.state().identities().await?;
    let keys = replayer.state().keys().await?;
    let verdict = |row: &IdentityRow| expected.as_ref().map(|e| e.allowing(&seen(row)).is_some());
    let alerts = identities
        .iter()
        .filter(|r| verdict(r) == Some(false))
        .count();
    if args.logs.json {
        let out = InventoryOut {
            identities: identities
                .iter()
                .map(|r| IdentityOut {
                    issuer: &r.issuer,
                    san: &r.san,
                    repository: r.repository.as_deref(),
                    git_ref: r.git_ref.as_deref(),
                    workflow: r.workflow.as_deref(),
                    environment: r.environment.as_deref(),
                    certificates: r.certificates,
                    signatures: r.signatures,
                    first_seen: r.first_seen,
                    last_seen: r.last_seen,
                    allowed_by: &r.allowed_by,
                    expected: verdict(r),
                })
                .collect(),
            keys: keys
                .iter()
                .map(|(f, n, first, last)| KeyOut {
                    fingerprint: f,
                    signatures: *n,
                    first_seen: *first,
                    last_seen: *last,
                })
                .collect(),
            alerts,
            replay: &report,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", report.to_table());
        for r in &identities {
            println!("{}", table_line(r, verdict(r)));
        }
        for (f, n, first, last) in &keys {
            println!("key {f}  signatures {n}  first {first}  last {last}");
        }
        if expected.is_some() {
            println!(
                "{alerts} identit{} outside the expected signers",
                if alerts == 1 { "y" } else { "ies" }
            );
        }
    }
    if !report.clean || alerts > 0 {
        return Ok(ExitCode::FAILURE);
    }
    if !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    follow(
        replayer,
        &tlog,
        ct.as_ref(),
        expected.as_ref(),
        args.interval_secs,
    )
    .await
}

fn table_line(r: &IdentityRow, expected: Option<bool>) -> String {
    let mut line = format!(
        "{}{}  issuer {}  certificates {}  signatures {}  first {}  last {}  allowed by [{}]",
        match expected {
            Some(false) => "ALERT unexpected signer: ",
            _ => "",
        },
        r.san,
        r.issuer,
        r.certificates,
        r.signatures,
        r.first_seen.map_or("-".to_owned(), |t| t.to_string()),
        r.last_seen.map_or("-".to_owned(), |t| t.to_string()),
        r.allowed_by.join("; ")
    );
    for (name, value) in [
        ("repository", &r.repository),
        ("ref", &r.git_ref),
        ("workflow", &r.workflow),
        ("environment", &r.environment),
    ] {
        if let Some(v) = value {
            line.push_str(&format!("  {name} {v}"));
        }
    }
    line
}

/// Replays again every `interval_secs`, printing new entries and alerts; returns only
/// when a replay fails (exit 1) or an unexpected signer appears.
async fn follow(
    mut replayer: super::Replayer,
    tlog: &super::Target,
    ct: Option<&super::Target>,
    expected: Option<&ExpectedSigners>,
    interval_secs: u64,
) -> Result<ExitCode> {
    loop {
        tokio::time::sleep(Duration::from_secs(interval_secs)).await;
        replayer.events = Some(Vec::new());
        let report = replayer.run(tlog, ct).await?;
        for line in replayer.events.take().unwrap_or_default() {
            println!("{line}");
        }
        if !report.clean {
            print!("{}", report.to_table());
            return Ok(ExitCode::FAILURE);
        }
        if let Some(expected) = expected {
            let identities = replayer.state().identities().await?;
            let unexpected: Vec<&IdentityRow> = identities
                .iter()
                .filter(|r| expected.allowing(&seen(r)).is_none())
                .collect();
            if !unexpected.is_empty() {
                for r in unexpected {
                    println!("{}", table_line(r, Some(false)));
                }
                return Ok(ExitCode::FAILURE);
            }
        }
    }
}
