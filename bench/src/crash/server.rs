//! The `signet serve` process under test: always the same data directory and the same
//! 127.0.0.1 port (the port is in the checkpoint origin and the trust files), stderr of
//! every incarnation appended to one log file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use super::proc;

/// The databases of the two logs, when not SQLite.
#[derive(Clone, Debug)]
pub struct DbUrls {
    /// `--database-url` (the transparency log).
    pub tlog: String,
    /// `--ct-database-url` (the CA's CT log).
    pub ct: String,
}

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// The `signet` binary.
    pub signet: PathBuf,
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// Port on 127.0.0.1.
    pub port: u16,
    /// PostgreSQL databases, or `None` for SQLite in the data directory.
    pub db: Option<DbUrls>,
    /// Where stderr goes (appended).
    pub log: PathBuf,
}

/// The server, running or not.
#[derive(Debug)]
pub struct Server {
    spec: ServerSpec,
    child: Option<Child>,
    /// Processes spawned so far.
    pub spawned: u32,
}

impl Server {
    /// A server that is not running yet.
    pub fn new(spec: ServerSpec) -> Self {
        Self {
            spec,
            child: None,
            spawned: 0,
        }
    }

    /// Base URL, `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.spec.port)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.spec.data_dir
    }

    /// The stderr log.
    pub fn log_path(&self) -> &Path {
        &self.spec.log
    }

    /// `signet ca init --insecure-software-keys-for-development` on the data directory.
    ///
    /// # Errors
    /// The ceremony failed.
    pub fn ca_init(&self) -> anyhow::Result<()> {
        let out = Command::new(&self.spec.signet)
            .args(["ca", "init", "--data-dir"])
            .arg(&self.spec.data_dir)
            .arg("--insecure-software-keys-for-development")
            .stdin(Stdio::null())
            .output()
            .context("running signet ca init")?;
        anyhow::ensure!(
            out.status.success(),
            "signet ca init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// Spawns `signet serve --insecure-dev-issuer` (log and CA).
    ///
    /// # Errors
    /// Already running, or the spawn failed.
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(self.child.is_none(), "signet serve is already running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.spec.log)
            .context("opening the server log")?;
        let mut cmd = Command::new(&self.spec.signet);
        cmd.args(["serve", "--data-dir"])
            .arg(&self.spec.data_dir)
            .args(["--listen", &format!("127.0.0.1:{}", self.spec.port)])
            .arg("--insecure-dev-issuer")
            .env_remove("SIGNET_DATABASE_URL")
            .env_remove("SIGNET_CT_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        if let Some(db) = &self.spec.db {
            cmd.args(["--database-url", &db.tlog, "--ct-database-url", &db.ct]);
        }
        self.child = Some(cmd.spawn().context("spawning signet serve")?);
        self.spawned += 1;
        Ok(())
    }

    /// Whether a process was spawned and has not been reaped.
    pub fn is_spawned(&self) -> bool {
        self.child.is_some()
    }

    /// The exit status, if the process has exited by itself (it is then forgotten).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        Some(status)
    }

    /// SIGKILL (`Child::kill` on Unix) and reap. Returns false if it had already exited.
    ///
    /// # Errors
    /// Not running.
    pub fn kill9(&mut self) -> anyhow::Result<bool> {
        let mut child = self.child.take().context("signet serve is not running")?;
        if child.try_wait()?.is_some() {
            return Ok(false);
        }
        child.kill().context("SIGKILL to signet serve")?;
        child.wait().context("reaping signet serve")?;
        Ok(true)
    }

    /// Polls `GET /api/v1/log` and `GET /ct/checkpoint` until both answer 200.
    ///
    /// # Errors
    /// The process exited, or was not ready within `timeout` ("does not restart").
    pub async fn wait_ready(
        &mut self,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let base = self.base();
        loop {
            if let Some(status) = self.exited() {
                bail!(
                    "signet serve exited while starting ({status}); log:\n{}",
                    proc::tail(&self.spec.log, 15)
                );
            }
            let ok = |r: Result<reqwest::Response, reqwest::Error>| {
                r.is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
            };
            let log = client.get(format!("{base}/api/v1/log")).send().await;
            if ok(log) {
                let ct = client.get(format!("{base}/ct/checkpoint")).send().await;
                if ok(ct) {
                    return Ok(started.elapsed());
                }
            }
            if started.elapsed() > timeout {
                bail!(
                    "signet serve did not become ready within {timeout:?} (it does not restart); \
                     log:\n{}",
                    proc::tail(&self.spec.log, 15)
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGTERM and wait for a clean exit.
    ///
    /// # Errors
    /// Not running, or still running after `timeout` (then killed).
    pub fn stop(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("signet serve is not running")?;
        proc::sigterm(child.id());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("signet serve did not exit within {timeout:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
