//! The crash test (issue 6): `signet serve` (log + CA) on SQLite or on a PostgreSQL cluster
//! the harness owns, under sustained concurrent appends and certificate issuances, killed
//! with SIGKILL at random moments; after every restart nothing it acknowledged may be
//! missing and every head it handed out must be consistent with the new one
//! (ARCHITECTURE.md invariant 2: a 201 only after the batch's transaction committed).
//!
//! * [`plan`]: the seeded kill schedule.
//! * [`server`] and [`cluster`]: the processes under test (with [`proc`] plumbing).
//! * [`load`]: appenders, issuers and the head poller; [`ledger`]: what they were told.
//! * [`round`]: one kill, the restart, and [`checks`] after it.
//! * [`report`]: per-round and run reports.

pub mod checks;
pub mod cluster;
pub mod ledger;
pub mod load;
pub mod plan;
pub mod proc;
pub mod report;
pub mod round;
pub mod server;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use signet_bench::entries::KeyPool;
use signet_bench::http::LogClient;
use signet_bench::issue::{mint_identities, request_bodies, RequestForm};
use signet_bench::target::Target;

use self::checks::Checker;
use self::cluster::Cluster;
use self::ledger::{AckedCert, AckedEntry, Keys};
use self::plan::{Backend, PlanOptions};
use self::report::{CheckReport, Kills, RunReport};
use self::server::{DbUrls, Server, ServerSpec};

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `signet` binary.
    pub signet: PathBuf,
    /// Storage backend.
    pub backend: Backend,
    /// Seed of the schedule and of the sampling.
    pub seed: u64,
    /// The schedule's shape.
    pub plan: PlanOptions,
    /// Concurrent appending clients.
    pub appenders: usize,
    /// Concurrent issuing clients.
    pub issuers: usize,
    /// Entries (and certificates) from earlier rounds re-checked after each restart,
    /// besides every one acknowledged in the round.
    pub sample_old: usize,
    /// Pre-crash heads per log compared with the new head after each restart (the
    /// smallest and the largest always; a seeded sample of the others).
    pub max_heads: usize,
    /// Requests in flight during the checks.
    pub check_workers: usize,
    /// Timeout of every load request.
    pub request_timeout: Duration,
    /// Longest a (re)start may take before "the server does not restart".
    pub ready_timeout: Duration,
    /// Longest the server may take to append again once PostgreSQL is back.
    pub recovery_timeout: Duration,
    /// PostgreSQL binaries (default: found).
    pub pg_bin: Option<PathBuf>,
    /// Directory for the data, the logs and the PostgreSQL cluster (must exist).
    pub work_dir: PathBuf,
}

/// A free TCP port on 127.0.0.1.
///
/// # Errors
/// Binding failed.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// What rounds share: the processes, the keys and everything acknowledged so far.
pub struct Harness {
    cfg: Config,
    server: Server,
    cluster: Option<Cluster>,
    api: LogClient,
    keys: Arc<Keys>,
    pool: Arc<KeyPool>,
    checker: Arc<Checker>,
    /// Issuance request bodies, with tokens of the running incarnation's dev issuer.
    bodies: Arc<Vec<Vec<u8>>>,
    entries: Vec<AckedEntry>,
    certs: Vec<AckedCert>,
    heads: checks::NewHeads,
    audit_state: PathBuf,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("entries", &self.entries.len())
            .field("certs", &self.certs.len())
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// Sets up the database (PostgreSQL: a new cluster and two databases), runs the CA
    /// ceremony, starts the server and reads its keys.
    ///
    /// # Errors
    /// Any set-up step failed.
    pub async fn start(cfg: Config) -> anyhow::Result<Self> {
        let data_dir = cfg.work_dir.join("data");
        let (cluster, db) = match cfg.backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let bin = cluster::find_bin(cfg.pg_bin.as_deref())?;
                let mut c = Cluster::init(&bin, &cfg.work_dir.join("pg"), free_port()?)?;
                c.start(Duration::from_secs(60))?;
                c.createdb("signet_tlog")?;
                c.createdb("signet_ct")?;
                let db = DbUrls {
                    tlog: c.url("signet_tlog"),
                    ct: c.url("signet_ct"),
                };
                (Some(c), Some(db))
            }
        };
        let mut server = Server::new(ServerSpec {
            signet: cfg.signet.clone(),
            data_dir: data_dir.clone(),
            port: free_port()?,
            db,
            log: cfg.work_dir.join("signet-serve.log"),
        });
        server.ca_init()?;
        let api = LogClient::new(Target::parse(&server.base())?, cfg.request_timeout)?;
        server.spawn()?;
        server
            .wait_ready(api.http(), cfg.ready_timeout)
            .await
            .context("first start")?;
        let keys = Arc::new(Keys::load(&data_dir, "127.0.0.1")?);
        let checker = Arc::new(Checker {
            client: api.http().clone(),
            base: server.base(),
            keys: keys.clone(),
            workers: cfg.check_workers,
        });
        let heads = checker
            .heads()
            .await
            .map_err(|e| anyhow::anyhow!("first start: {e}"))?;
        let mut h = Self {
            audit_state: cfg.work_dir.join("audit-state.sqlite"),
            cfg,
            server,
            cluster,
            api,
            keys,
            pool: Arc::new(KeyPool::generate(16)?),
            checker,
            bodies: Arc::new(Vec::new()),
            entries: Vec::new(),
            certs: Vec::new(),
            heads,
        };
        h.mint().await?;
        Ok(h)
    }

    /// New issuance bodies from the running server's development issuer (its signing key
    /// is new at every start, so old tokens stop verifying).
    async fn mint(&mut self) -> anyhow::Result<()> {
        let url = format!("{}/dev-issuer/token", self.server.base());
        let ids = mint_identities(&self.api, &url, 4, 3600).await?;
        self.bodies = Arc::new(request_bodies(&ids, 16, RequestForm::Csr)?);
        Ok(())
    }

    /// Runs the whole schedule, then the final check and a clean shutdown.
    ///
    /// # Errors
    /// A harness failure (not a finding: findings are in the report).
    pub async fn run(mut self, progress: &mut dyn FnMut(&str)) -> anyhow::Result<RunReport> {
        let started = Instant::now();
        let rounds = plan::plan(self.cfg.seed, &self.cfg.plan);
        let mut report = RunReport {
            seed: self.cfg.seed,
            backend: self.cfg.backend,
            passed: false,
            kills: Kills::default(),
            acked_entries: 0,
            acked_certs: 0,
            checked: CheckReport::default(),
            final_check: None,
            clean_shutdown: None,
            rounds: Vec::new(),
            failures: Vec::new(),
            seconds: 0.0,
        };
        for (i, plan) in rounds.iter().enumerate() {
            let r = self.round(i as u32, *plan).await?;
            progress(&r.line(rounds.len()));
            report.kills.rounds += 1;
            report.kills.server += u32::from(plan.victim.kills_server());
            report.kills.restart += r.server_kills - u32::from(plan.victim.kills_server());
            report.kills.database += u32::from(r.db_kill.is_some());
            report.acked_entries += r.acked_entries;
            report.acked_certs += r.acked_certs;
            report.checked.add_counts(&r.check);
            for f in &r.failures {
                progress(&format!("  FAILURE (round {}): {f}", i + 1));
                report.failures.push(format!("round {}: {f}", i + 1));
            }
            let failed = !r.failures.is_empty();
            report.rounds.push(r);
            if failed {
                break;
            }
        }
        if report.failures.is_empty() {
            progress(&format!(
                "final check: all {} entries and {} certificates",
                self.entries.len(),
                self.certs.len()
            ));
            let (check, failures) = self.final_check().await;
            report.checked.add_counts(&check);
            report.final_check = Some(check);
            report.failures.extend(failures.into_iter().map(|f| {
                progress(&format!("  FAILURE (final check): {f}"));
                format!("final check: {f}")
            }));
            match self.server.stop(Duration::from_secs(30)) {
                Ok(status) => {
                    report.clean_shutdown = Some(status.to_string());
                    if !status.success() {
                        report
                            .failures
                            .push(format!("signet serve exited with {status} on SIGTERM"));
                    }
                }
                Err(e) => report.failures.push(format!("shutdown: {e}")),
            }
        }
        if let Some(c) = &mut self.cluster {
            c.stop();
        }
        report.passed = report.failures.is_empty();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Every acknowledged entry and certificate, against the current heads.
    async fn final_check(&mut self) -> (CheckReport, Vec<String>) {
        let started = Instant::now();
        let mut failures = Vec::new();
        let heads = match self.checker.heads().await {
            Ok(h) => h,
            Err(e) => return (CheckReport::default(), vec![e]),
        };
        let entries = Arc::new(self.entries.clone());
        let certs = Arc::new(self.certs.clone());
        failures.extend(self.checker.entries(entries.clone()).await);
        failures.extend(self.checker.certs(certs.clone(), heads.ct).await);
        let check = CheckReport {
            tlog_size: heads.tlog.0,
            ct_size: heads.ct.tree_size,
            entries_checked: entries.len() as u64,
            certs_checked: certs.len() as u64,
            millis: started.elapsed().as_millis() as u64,
            ..CheckReport::default()
        };
        (check, round::clip_failures(failures))
    }
}
