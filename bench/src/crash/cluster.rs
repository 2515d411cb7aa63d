//! A throwaway PostgreSQL cluster the harness owns, so that it can kill it: `initdb` in a
//! directory of the run, `postgres` started directly (not through `pg_ctl`) on a free
//! 127.0.0.1 port with `fsync=on`, so the harness knows the postmaster's process id.
//! PostgreSQL refuses to run as root: when the harness is root the cluster runs as the
//! `postgres` system user (as `scripts/test.sh` does).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde::Serialize;

use super::plan::DbKill;
use super::proc;

/// What killing the database server did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DbKillReport {
    /// Processes of the cluster when it was killed (postmaster included).
    pub processes: usize,
    /// Milliseconds until the last of them was gone.
    pub gone_after_ms: u64,
    /// Backends that outlived the postmaster by more than the grace period and were
    /// killed by the harness (`Postmaster` kills only).
    pub orphans_killed: usize,
}

/// The cluster.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
    postmaster: Option<Child>,
    /// How many times the postmaster was started.
    pub starts: u32,
}

/// The directory holding `initdb`, `postgres`, `pg_isready` and `createdb`: `explicit`,
/// else the newest `/usr/lib/postgresql/<version>/bin`, else the directory of `initdb` on
/// `PATH`.
///
/// # Errors
/// No PostgreSQL server binaries found.
pub fn find_bin(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let has_all = |d: &Path| {
        ["initdb", "postgres", "pg_isready", "createdb"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    if let Some(d) = explicit {
        anyhow::ensure!(
            has_all(d),
            "{} lacks initdb/postgres/pg_isready/createdb",
            d.display()
        );
        return Ok(d.to_owned());
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has_all(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return Ok(d);
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if has_all(&dir) {
            return Ok(dir);
        }
    }
    bail!("PostgreSQL server binaries not found (apt-get install postgresql, or --pg-bin DIR)")
}

impl Cluster {
    /// Runs `initdb` in `root/data` (creating `root`), for a server on `127.0.0.1:port`.
    ///
    /// # Errors
    /// `initdb` failed, or the `postgres` user is missing when running as root.
    pub fn init(bin: &Path, root: &Path, port: u16) -> anyhow::Result<Self> {
        fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        let run_as = if proc::effective_uid()? == 0 {
            let ids = proc::user_ids("postgres")?
                .context("running as root, and there is no `postgres` user to run PostgreSQL")?;
            std::os::unix::fs::chown(root, Some(ids.0), Some(ids.1))
                .with_context(|| format!("chown postgres {}", root.display()))?;
            Some(ids)
        } else {
            None
        };
        let cluster = Self {
            bin: bin.to_owned(),
            root: root.to_owned(),
            port,
            run_as,
            postmaster: None,
            starts: 0,
        };
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(root.join("data"))
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .output()
            .context("running initdb")?;
        anyhow::ensure!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(cluster)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.run_as {
            use std::os::unix::process::CommandExt as _;
            cmd.uid(uid).gid(gid);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// `postgres://postgres@127.0.0.1:<port>/<db>`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The server log (all starts appended).
    pub fn log_path(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    /// Starts the postmaster and waits until it accepts connections (crash recovery
    /// included). A start refused because backends of a killed postmaster still hold its
    /// shared memory is retried until `timeout`.
    ///
    /// # Errors
    /// Not accepting connections within `timeout`.
    pub fn start(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        anyhow::ensure!(self.postmaster.is_none(), "PostgreSQL is already running");
        let started = Instant::now();
        let deadline = started + timeout;
        loop {
            let log = File::options()
                .create(true)
                .append(true)
                .open(self.log_path())
                .context("opening the PostgreSQL log")?;
            let mut child = self
                .command("postgres")
                .arg("-D")
                .arg(self.root.join("data"))
                .args(["-c", "listen_addresses=127.0.0.1", "-p"])
                .arg(self.port.to_string())
                .arg("-k")
                .arg(&self.root)
                .args(["-c", "fsync=on", "-c", "max_connections=100"])
                .stdout(Stdio::null())
                .stderr(Stdio::from(log))
                .spawn()
                .context("spawning postgres")?;
            self.starts += 1;
            loop {
                if let Some(status) = child.try_wait()? {
                    // Exited: typically the old shared memory is still attached. Retry.
                    if Instant::now() > deadline {
                        bail!(
                            "postgres exited ({status}) and did not start within {timeout:?}; \
                             log:\n{}",
                            proc::tail(&self.log_path(), 20)
                        );
                    }
                    std::thread::sleep(Duration::from_millis(200));
                    break;
                }
                if self.ready() {
                    self.postmaster = Some(child);
                    return Ok(started.elapsed());
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!(
                        "PostgreSQL did not accept connections within {timeout:?}; log:\n{}",
                        proc::tail(&self.log_path(), 20)
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    fn ready(&self) -> bool {
        self.command("pg_isready")
            .args(["-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(["-t", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// `createdb <name>`.
    ///
    /// # Errors
    /// `createdb` failed.
    pub fn createdb(&self, name: &str) -> anyhow::Result<()> {
        let out = self
            .command("createdb")
            .args(["-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(["-U", "postgres", name])
            .output()
            .context("running createdb")?;
        anyhow::ensure!(
            out.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// SIGKILL to the database server, as `how` says; returns once every process of the
    /// cluster is gone (backends of a killed postmaster get a grace period of 10 s to
    /// notice, then are killed too and counted).
    ///
    /// # Errors
    /// The cluster was not running, or some of its processes survive SIGKILL.
    pub fn kill(&mut self, how: DbKill) -> anyhow::Result<DbKillReport> {
        let mut child = self
            .postmaster
            .take()
            .context("PostgreSQL is not running")?;
        let pm = child.id();
        let backends = proc::children_of(pm);
        let started = Instant::now();
        child.kill().context("SIGKILL to the postmaster")?;
        if how == DbKill::AllProcesses {
            for &pid in &backends {
                proc::sigkill(pid);
            }
        }
        let _ = child.wait();
        let mut left = backends.clone();
        let grace = Duration::from_secs(10);
        let mut orphans_killed = 0;
        while !left.is_empty() {
            left.retain(|&pid| proc::alive(pid));
            if started.elapsed() > grace {
                for &pid in &left {
                    proc::sigkill(pid);
                }
                orphans_killed = left.len();
                let deadline = Instant::now() + grace;
                while left.iter().any(|&pid| proc::alive(pid)) {
                    anyhow::ensure!(
                        Instant::now() < deadline,
                        "PostgreSQL processes {left:?} survive SIGKILL"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(DbKillReport {
            processes: backends.len() + 1,
            gone_after_ms: started.elapsed().as_millis() as u64,
            orphans_killed,
        })
    }

    /// Kills every process of the cluster (clean-up).
    pub fn stop(&mut self) {
        if self.postmaster.is_some() {
            let _ = self.kill(DbKill::AllProcesses);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}
