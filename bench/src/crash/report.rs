//! The run's report: one record per round, totals, and every failure (JSON with
//! `--json-out`, one line per round on stderr).

use serde::Serialize;

use super::checks::AuditSummary;
use super::cluster::DbKillReport;
use super::ledger::Stats;
use super::plan::{Backend, Round};

/// What the checks after one restart covered.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckReport {
    /// Transparency-log size after the restart.
    pub tlog_size: u64,
    /// CT-log size after the restart.
    pub ct_size: u64,
    /// Acknowledged entries looked up and verified.
    pub entries_checked: u64,
    /// Issued certificates proven in the CT log.
    pub certs_checked: u64,
    /// Pre-crash log checkpoints compared with the new one.
    pub tlog_heads_checked: u64,
    /// ... of which needed (and passed) a consistency proof.
    pub tlog_proofs: u64,
    /// Pre-crash CT heads compared with the new STH.
    pub ct_heads_checked: u64,
    /// ... of which needed (and passed) a consistency proof.
    pub ct_proofs: u64,
    /// `signet audit replay`, if it ran.
    pub audit: Option<AuditSummary>,
    /// Wall time of the checks, milliseconds.
    pub millis: u64,
}

impl CheckReport {
    /// Adds the counters of `other` (sizes and audit are not summed).
    pub fn add_counts(&mut self, other: &Self) {
        self.entries_checked += other.entries_checked;
        self.certs_checked += other.certs_checked;
        self.tlog_heads_checked += other.tlog_heads_checked;
        self.tlog_proofs += other.tlog_proofs;
        self.ct_heads_checked += other.ct_heads_checked;
        self.ct_proofs += other.ct_proofs;
    }
}

/// How `signet serve` behaved while its PostgreSQL was down (database-only kills).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outage {
    /// `GET /api/v1/log` during the outage: status, or the transport error.
    pub info: String,
    /// One append sent 300 ms into the outage: status or transport error.
    pub probe: String,
    /// Milliseconds until the probe got its answer.
    pub probe_ms: u64,
    /// Whether that answer came while the database was still down.
    pub probe_answered_during_outage: bool,
    /// Milliseconds PostgreSQL took to come back (crash recovery included).
    pub db_restart_ms: u64,
    /// Milliseconds from PostgreSQL accepting connections again to the first 201.
    pub recovered_after_ms: Option<u64>,
    /// The server's exit status, if it exited instead.
    pub server_exited: Option<String>,
}

/// One round.
#[derive(Clone, Debug, Serialize)]
pub struct RoundReport {
    /// 0-based.
    pub round: u32,
    /// What the schedule said.
    pub plan: Round,
    /// Appends sent during the round.
    pub appends: Stats,
    /// Issuances sent during the round.
    pub issues: Stats,
    /// Entries acknowledged in the round (the load's and the outage probes').
    pub acked_entries: u64,
    /// Certificates issued in the round.
    pub acked_certs: u64,
    /// SIGKILLs to `signet serve` in this round (restart kill included).
    pub server_kills: u32,
    /// The database kill, if any.
    pub db_kill: Option<DbKillReport>,
    /// Server behaviour during a database-only outage.
    pub outage: Option<Outage>,
    /// Milliseconds from the (last) spawn to ready, if the server was restarted.
    pub restart_ms: Option<u64>,
    /// Checkpoints of the log seen during the round (201 answers and polling).
    pub tlog_heads_seen: u64,
    /// CT heads seen during the round.
    pub ct_heads_seen: u64,
    /// The checks after the restart.
    pub check: CheckReport,
    /// What went wrong (empty: the round passed).
    pub failures: Vec<String>,
    /// Wall time, milliseconds.
    pub millis: u64,
}

impl RoundReport {
    /// One line for the progress output.
    pub fn line(&self, of: usize) -> String {
        let c = &self.check;
        let victim = match self.plan.victim {
            super::plan::Victim::Server => "server".to_owned(),
            super::plan::Victim::Database(k) => format!("database ({k:?})"),
            super::plan::Victim::Both(k) => format!("database ({k:?}) + server"),
        };
        let restart_kill = if self.server_kills > 1 {
            " +restart kill"
        } else {
            ""
        };
        let outage = self.outage.as_ref().map_or(String::new(), |o| {
            format!(
                "; during outage: info {}, append {} after {} ms; {}",
                o.info,
                o.probe,
                o.probe_ms,
                match (&o.server_exited, o.recovered_after_ms) {
                    (Some(s), _) => format!("server exited ({s})"),
                    (None, Some(ms)) => format!("recovered {ms} ms after PG was back"),
                    (None, None) => "DID NOT RECOVER".to_owned(),
                }
            )
        });
        format!(
            "round {}/{of}: kill {victim}{restart_kill} after {} ms: {} entries + {} certs \
             acknowledged{}; restart {}{outage}; checked {} entries, {} certs, {}+{} heads \
             ({}+{} proofs); log {} / CT {}; {:.1} s{}",
            self.round + 1,
            self.plan.load_ms,
            self.acked_entries,
            self.acked_certs,
            not_acked(&self.appends, &self.issues),
            self.restart_ms
                .map_or("-".to_owned(), |ms| format!("{ms} ms")),
            c.entries_checked,
            c.certs_checked,
            c.tlog_heads_checked,
            c.ct_heads_checked,
            c.tlog_proofs,
            c.ct_proofs,
            c.tlog_size,
            c.ct_size,
            self.millis as f64 / 1000.0,
            if self.failures.is_empty() {
                String::new()
            } else {
                format!(" — {} FAILURE(S)", self.failures.len())
            }
        )
    }
}

/// What the load got besides acknowledgements, e.g. " (not: 503×3 408×16 no-answer×12)".
fn not_acked(appends: &Stats, issues: &Stats) -> String {
    let mut all = appends.clone();
    all.merge(issues);
    let mut parts: Vec<String> = all
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}×{n}"))
        .collect();
    if all.errors > 0 {
        parts.push(format!("no-answer×{}", all.errors));
    }
    if all.timeouts > 0 {
        parts.push(format!("timeout×{}", all.timeouts));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (not: {})", parts.join(" "))
    }
}

/// Kills of the whole run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Kills {
    /// SIGKILLs to `signet serve` under load.
    pub server: u32,
    /// Extra SIGKILLs to a restarting server.
    pub restart: u32,
    /// SIGKILLs to the database server.
    pub database: u32,
    /// Rounds run (each kills something once under load).
    pub rounds: u32,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Seed of the schedule: `--seed` replays it.
    pub seed: u64,
    /// Storage backend.
    pub backend: Backend,
    /// No failure.
    pub passed: bool,
    /// Kills.
    pub kills: Kills,
    /// Entries acknowledged over the run.
    pub acked_entries: u64,
    /// Certificates issued over the run.
    pub acked_certs: u64,
    /// Sums over every check, the final one included.
    pub checked: CheckReport,
    /// The final check of every acknowledged entry and certificate.
    pub final_check: Option<CheckReport>,
    /// `signet serve`'s exit status on SIGTERM at the end.
    pub clean_shutdown: Option<String>,
    /// Every round.
    pub rounds: Vec<RoundReport>,
    /// Every failure, with its round.
    pub failures: Vec<String>,
    /// Wall time, seconds.
    pub seconds: f64,
}
