//! One round: load, the kill the schedule says, the restart (of the database and/or the
//! server), then the checks against what the clients were told.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;
use signet_tlog_core::hash::Hash;

use super::checks;
use super::cluster::DbKillReport;
use super::ledger::{lock, RoundLedger, Stats};
use super::load::{self, Answer, LoadCtx};
use super::plan::{DbKill, Round, Victim};
use super::report::{CheckReport, Outage, RoundReport};
use super::Harness;

/// At most this many failure messages per check step; the rest are counted.
const MAX_FAILURES: usize = 20;

/// Keeps the first [`MAX_FAILURES`] messages and counts the others.
pub fn clip_failures(mut failures: Vec<String>) -> Vec<String> {
    if failures.len() > MAX_FAILURES {
        let more = failures.len() - MAX_FAILURES;
        failures.truncate(MAX_FAILURES);
        failures.push(format!("... and {more} more like these"));
    }
    failures
}

/// A seeded sample of `n` items.
fn sample<T: Clone>(items: &[T], n: usize, rng: &mut StdRng) -> Vec<T> {
    items.choose_multiple(rng, n).cloned().collect()
}

/// At most `max` heads: the smallest and the largest, and a seeded sample of the others.
fn sample_heads(heads: Vec<(u64, Hash)>, max: usize, rng: &mut StdRng) -> Vec<(u64, Hash)> {
    let max = max.max(2);
    if heads.len() <= max {
        return heads;
    }
    let last = heads.len() - 1;
    let mut out: Vec<(u64, Hash)> = heads[1..last]
        .choose_multiple(rng, max - 2)
        .copied()
        .collect();
    out.push(heads[0]);
    out.push(heads[last]);
    out
}

/// Stops the load; a client that does not stop in time is a hang.
async fn stop_load(
    load: load::Load,
    timeout: Duration,
    failures: &mut Vec<String>,
) -> (Stats, Stats) {
    match load.stop(timeout).await {
        Ok(s) => s,
        Err(e) => {
            failures.push(format!("HANG: {e}"));
            (Stats::default(), Stats::default())
        }
    }
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

impl Harness {
    /// Runs round `i` of the schedule.
    ///
    /// # Errors
    /// A harness failure (the database could not be restarted, a spawn failed...);
    /// findings are in the report's `failures`.
    pub(super) async fn round(&mut self, i: u32, plan: Round) -> anyhow::Result<RoundReport> {
        let started = Instant::now();
        let mut failures = Vec::new();
        let ledger = Arc::new(RoundLedger::default());
        // The heads verified after the previous restart were handed out too.
        ledger.tlog_head(self.heads.tlog.0, self.heads.tlog.1);
        let (ct_size, ct_root) = self.heads.ct_pair();
        ledger.ct_head(ct_size, ct_root);
        let ctx = Arc::new(LoadCtx {
            client: self.api.http().clone(),
            base: self.server.base(),
            keys: self.keys.clone(),
            pool: self.pool.clone(),
            ledger: ledger.clone(),
            round: i,
        });
        let load = load::start(&ctx, self.cfg.appenders, self.cfg.issuers, &self.bodies);
        tokio::time::sleep(ms(plan.load_ms)).await;

        let mut server_kills = 0;
        let mut db_kill = None;
        let mut outage = None;
        let stop_timeout = self.cfg.request_timeout + ms(15_000);
        let (appends, issues);
        match plan.victim {
            Victim::Server => {
                server_kills += self.kill_server(&mut failures)?;
                (appends, issues) = stop_load(load, stop_timeout, &mut failures).await;
            }
            Victim::Database(how) => {
                db_kill = Some(self.kill_db(how)?);
                // The load goes on through the outage and the recovery.
                outage = Some(
                    self.observe_outage(&ctx, plan.outage_ms, &mut failures)
                        .await?,
                );
                (appends, issues) = stop_load(load, stop_timeout, &mut failures).await;
            }
            Victim::Both(how) => {
                db_kill = Some(self.kill_db(how)?);
                server_kills += self.kill_server(&mut failures)?;
                (appends, issues) = stop_load(load, stop_timeout, &mut failures).await;
                tokio::time::sleep(ms(plan.outage_ms)).await;
                self.start_db()?;
            }
        }

        let mut restart_ms = None;
        let _ = self.server.exited();
        let mut ready = true;
        if !self.server.is_spawned() {
            match self.restart(plan.restart_kill_ms, &mut server_kills).await {
                Ok(ms) => restart_ms = Some(ms),
                Err(e) => {
                    ready = false;
                    failures.push(format!("DOES NOT RESTART: {e:#}"));
                }
            }
        }
        failures.extend(std::mem::take(&mut *lock(&ledger.failures)));
        let acked_entries = lock(&ledger.entries).len() as u64;
        let acked_certs = lock(&ledger.certs).len() as u64;
        let tlog_heads_seen = lock(&ledger.tlog_heads).len() as u64;
        let ct_heads_seen = lock(&ledger.ct_heads).len() as u64;
        let check = if ready {
            self.check_round(&ledger, plan.check_seed, &mut failures)
                .await
        } else {
            CheckReport::default()
        };
        Ok(RoundReport {
            round: i,
            plan,
            appends,
            issues,
            acked_entries,
            acked_certs,
            server_kills,
            db_kill,
            outage,
            restart_ms,
            tlog_heads_seen,
            ct_heads_seen,
            check,
            failures,
            millis: started.elapsed().as_millis() as u64,
        })
    }

    /// SIGKILL to the server: 1 if it was running, 0 (and a failure) if it had exited.
    fn kill_server(&mut self, failures: &mut Vec<String>) -> anyhow::Result<u32> {
        if self.server.kill9()? {
            Ok(1)
        } else {
            failures.push(format!(
                "signet serve had exited by itself before the kill; log:\n{}",
                super::proc::tail(self.server.log_path(), 15)
            ));
            Ok(0)
        }
    }

    fn kill_db(&mut self, how: DbKill) -> anyhow::Result<DbKillReport> {
        let cluster = self
            .cluster
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no database server to kill with SQLite"))?;
        tokio::task::block_in_place(|| cluster.kill(how))
    }

    fn start_db(&mut self) -> anyhow::Result<Duration> {
        let cluster = self
            .cluster
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no database server with SQLite"))?;
        tokio::task::block_in_place(|| cluster.start(Duration::from_secs(60)))
    }

    /// Spawns the server again (killing it once more `restart_kill_ms` after the spawn if
    /// asked), waits until it is ready and mints new tokens; returns the start time.
    async fn restart(
        &mut self,
        restart_kill_ms: Option<u64>,
        kills: &mut u32,
    ) -> anyhow::Result<u64> {
        self.server.spawn()?;
        if let Some(delay) = restart_kill_ms {
            tokio::time::sleep(ms(delay)).await;
            if let Some(status) = self.server.exited() {
                anyhow::bail!(
                    "signet serve exited by itself while starting ({status}); log:\n{}",
                    super::proc::tail(self.server.log_path(), 15)
                );
            }
            self.server.kill9()?;
            *kills += 1;
            self.server.spawn()?;
        }
        let took = self
            .server
            .wait_ready(self.api.http(), self.cfg.ready_timeout)
            .await?;
        self.mint().await?;
        Ok(took.as_millis() as u64)
    }

    /// The database is down and the server was left running: what does it answer, does it
    /// recover once the database is back, or does it exit?
    async fn observe_outage(
        &mut self,
        ctx: &Arc<LoadCtx>,
        outage_ms: u64,
        failures: &mut Vec<String>,
    ) -> anyhow::Result<Outage> {
        let probe_ctx = ctx.clone();
        let probe_timeout = self.cfg.recovery_timeout;
        let probe = tokio::spawn(async move {
            tokio::time::sleep(ms(300)).await;
            let t = Instant::now();
            let answer = load::probe_append(&probe_ctx, 0, probe_timeout).await;
            (answer, t.elapsed(), Instant::now())
        });
        let info_client = ctx.client.clone();
        let info_url = format!("{}/api/v1/log", ctx.base);
        let info = tokio::spawn(async move {
            tokio::time::sleep(ms(300)).await;
            match info_client
                .get(&info_url)
                .timeout(Duration::from_secs(10))
                .send()
                .await
            {
                Ok(r) => format!("status {}", r.status().as_u16()),
                Err(e) if e.is_timeout() => "timeout (10 s)".to_owned(),
                Err(e) => format!("no answer ({e})"),
            }
        });
        tokio::time::sleep(ms(outage_ms)).await;
        let db_restart = self.start_db()?;
        let back = Instant::now();
        let deadline = back + self.cfg.recovery_timeout;
        let (mut recovered, mut exited) = (None, None);
        let mut n = 1;
        loop {
            if let Some(status) = self.server.exited() {
                exited = Some(status.to_string());
                break;
            }
            if let Answer::Acked = load::probe_append(ctx, n, Duration::from_secs(10)).await {
                recovered = Some(back.elapsed().as_millis() as u64);
                break;
            }
            n += 1;
            if Instant::now() > deadline {
                failures.push(format!(
                    "HANG: signet serve neither appended again nor exited within {:?} after \
                     PostgreSQL came back; log:\n{}",
                    self.cfg.recovery_timeout,
                    super::proc::tail(self.server.log_path(), 15)
                ));
                break;
            }
            tokio::time::sleep(ms(200)).await;
        }
        let (answer, took, answered_at) = probe.await?;
        Ok(Outage {
            info: info.await?,
            probe: answer.to_string(),
            probe_ms: took.as_millis() as u64,
            probe_answered_during_outage: answered_at < back,
            db_restart_ms: db_restart.as_millis() as u64,
            recovered_after_ms: recovered,
            server_exited: exited,
        })
    }

    /// The checks after a restart (see [`checks`]); what was acknowledged in the round
    /// joins the run's ledger afterwards.
    async fn check_round(
        &mut self,
        ledger: &RoundLedger,
        seed: u64,
        failures: &mut Vec<String>,
    ) -> CheckReport {
        let started = Instant::now();
        let round_entries = std::mem::take(&mut *lock(&ledger.entries));
        let round_certs = std::mem::take(&mut *lock(&ledger.certs));
        let mut report = CheckReport::default();
        let heads = match self.checker.heads().await {
            Ok(h) => h,
            Err(e) => {
                failures.push(format!("after the restart: {e}"));
                return report;
            }
        };
        report.tlog_size = heads.tlog.0;
        report.ct_size = heads.ct.tree_size;
        let mut rng = StdRng::seed_from_u64(seed);

        let mut entries = round_entries.clone();
        entries.extend(sample(&self.entries, self.cfg.sample_old, &mut rng));
        report.entries_checked = entries.len() as u64;
        failures.extend(clip_failures(self.checker.entries(Arc::new(entries)).await));

        let mut certs = round_certs.clone();
        certs.extend(sample(&self.certs, self.cfg.sample_old, &mut rng));
        report.certs_checked = certs.len() as u64;
        failures.extend(clip_failures(
            self.checker.certs(Arc::new(certs), heads.ct).await,
        ));

        let tlog_old = sample_heads(lock(&ledger.tlog_heads).all(), self.cfg.max_heads, &mut rng);
        report.tlog_heads_checked = tlog_old.len() as u64;
        let (f, proofs) = self
            .checker
            .consistency(false, Arc::new(tlog_old), heads.tlog)
            .await;
        report.tlog_proofs = proofs;
        failures.extend(clip_failures(f));

        let ct_old = sample_heads(lock(&ledger.ct_heads).all(), self.cfg.max_heads, &mut rng);
        report.ct_heads_checked = ct_old.len() as u64;
        let (f, proofs) = self
            .checker
            .consistency(true, Arc::new(ct_old), heads.ct_pair())
            .await;
        report.ct_proofs = proofs;
        failures.extend(clip_failures(f));

        let (signet, base) = (self.cfg.signet.clone(), self.server.base());
        let (data_dir, state) = (self.server.data_dir().to_owned(), self.audit_state.clone());
        let out_dir = self.cfg.work_dir.clone();
        let audit = tokio::task::spawn_blocking(move || {
            checks::audit(
                &signet,
                &base,
                &data_dir,
                &state,
                &out_dir,
                &heads,
                Duration::from_secs(600),
            )
        })
        .await;
        match audit {
            Ok(Ok(summary)) => report.audit = Some(summary),
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(format!("harness: audit task: {e}")),
        }

        self.entries.extend(round_entries);
        self.certs.extend(round_certs);
        self.heads = heads;
        report.millis = started.elapsed().as_millis() as u64;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_sampling_keeps_the_ends() {
        let heads: Vec<(u64, Hash)> = (0..100).map(|i| (i, Hash([i as u8; 32]))).collect();
        let mut rng = StdRng::seed_from_u64(1);
        let s = sample_heads(heads.clone(), 10, &mut rng);
        assert_eq!(s.len(), 10);
        assert!(s.contains(&heads[0]) && s.contains(&heads[99]));
        assert_eq!(sample_heads(heads[..5].to_vec(), 10, &mut rng).len(), 5);
    }

    #[test]
    fn failures_are_clipped_and_counted() {
        let f: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        let c = clip_failures(f);
        assert_eq!(c.len(), MAX_FAILURES + 1);
        assert_eq!(c[MAX_FAILURES], "... and 5 more like these");
        assert_eq!(clip_failures(vec!["a".into()]), ["a"]);
    }
}
