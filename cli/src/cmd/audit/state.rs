//! The auditor's state (`--state FILE`, a SQLite database; a temporary one without it):
//! the last verified checkpoint of each log with its compact range, the leaf hashes seen
//! (to find where a rewritten history diverges), every certificate and key seen with its
//! use, and the per-entry failures found (reported again on every run: an entry that
//! failed stays failed).
//!
//! A log's replay runs in one transaction: the checkpoint, leaves, certificates and
//! failures it found are committed together, and only when the tree verified. A log that
//! lied leaves the saved state as it was, so the next run checks against it again.

use std::path::Path;

use anyhow::{Context, Result};
use signet_audit::process::EntryRecord;
use signet_audit::report::{Failure, LogName, UnusedCertificate};
use signet_tlog_core::hash::{Hash, HASH_SIZE};
use signet_tlog_core::tree::CompactRange;
use signet_verifier::audit::AuditedSigner;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, Row as _, SqliteConnection};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS logs (
  role TEXT PRIMARY KEY, url TEXT NOT NULL, origin TEXT NOT NULL, log_id TEXT NOT NULL,
  size INTEGER NOT NULL, root BLOB NOT NULL, frontier BLOB NOT NULL, checkpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (
  role TEXT NOT NULL, bundle INTEGER NOT NULL, hashes BLOB NOT NULL, PRIMARY KEY (role, bundle));
CREATE TABLE IF NOT EXISTS certs (
  tbs BLOB PRIMARY KEY, issuer TEXT NOT NULL, san TEXT NOT NULL, repository TEXT,
  git_ref TEXT, workflow TEXT, environment TEXT, not_before INTEGER NOT NULL,
  ct_index INTEGER, issued_at INTEGER, allowed_issuer TEXT, allowed_rule TEXT,
  signatures INTEGER NOT NULL DEFAULT 0, first_signed INTEGER, last_signed INTEGER,
  first_tlog_index INTEGER);
CREATE TABLE IF NOT EXISTS keys (
  fingerprint TEXT PRIMARY KEY, signatures INTEGER NOT NULL, first_signed INTEGER NOT NULL,
  last_signed INTEGER NOT NULL, first_tlog_index INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
  log TEXT NOT NULL, idx INTEGER NOT NULL, check_name TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (log, idx, check_name));
";

/// A log's saved checkpoint.
#[derive(Clone, Debug)]
pub struct SavedLog {
    /// Checkpoint origin.
    pub origin: String,
    /// Log ID (hex).
    pub log_id: String,
    /// Tree size.
    pub size: u64,
    /// Root.
    pub root: Hash,
    /// Compact range at `size`.
    pub range: CompactRange,
}

/// One identity row of the inventory.
#[derive(Clone, Debug, Default)]
pub struct IdentityRow {
    /// Issuer.
    pub issuer: String,
    /// SAN.
    pub san: String,
    /// CI claims.
    pub repository: Option<String>,
    /// CI ref.
    pub git_ref: Option<String>,
    /// CI workflow.
    pub workflow: Option<String>,
    /// CI environment.
    pub environment: Option<String>,
    /// Certificates in the CT log.
    pub certificates: i64,
    /// Signatures in the transparency log.
    pub signatures: i64,
    /// First seen (Unix seconds).
    pub first_seen: Option<i64>,
    /// Last seen.
    pub last_seen: Option<i64>,
    /// Issuance rules that allowed its certificates (`issuer / rule`).
    pub allowed_by: Vec<String>,
}

/// The open state database.
pub struct State {
    conn: SqliteConnection,
    _temp: Option<tempfile::TempDir>,
}

fn role(log: LogName) -> &'static str {
    log.as_str()
}

fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).context("value beyond SQLite's integer range")
}

impl State {
    /// Opens (creating if needed) the state at `path`, or a temporary one.
    pub async fn open(path: Option<&Path>) -> Result<Self> {
        let (file, temp) = match path {
            Some(p) => (p.to_path_buf(), None),
            None => {
                let dir = tempfile::tempdir().context("temporary state directory")?;
                (dir.path().join("audit.sqlite"), Some(dir))
            }
        };
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .with_context(|| format!("opening the audit state {}", file.display()))?;
        sqlx::raw_sql(SCHEMA)
            .execute(&mut conn)
            .await
            .with_context(|| {
                format!(
                    "audit state {} is not a Signet audit database",
                    file.display()
                )
            })?;
        Ok(Self { conn, _temp: temp })
    }

    /// Begins the transaction of one log's replay.
    pub async fn begin(&mut self) -> Result<()> {
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Commits it.
    pub async fn commit(&mut self) -> Result<()> {
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        Ok(())
    }

    /// Rolls it back: nothing the replay found is kept.
    pub async fn rollback(&mut self) -> Result<()> {
        sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await?;
        Ok(())
    }

    /// The saved checkpoint of `log`.
    pub async fn saved(&mut self, log: LogName) -> Result<Option<SavedLog>> {
        let Some(row) =
            sqlx::query("SELECT origin, log_id, size, root, frontier FROM logs WHERE role = ?")
                .bind(role(log))
                .fetch_optional(&mut self.conn)
                .await?
        else {
            return Ok(None);
        };
        let size = u64::try_from(row.try_get::<i64, _>("size")?).context("saved size")?;
        let root = Hash::from_slice(&row.try_get::<Vec<u8>, _>("root")?).context("saved root")?;
        let frontier: Vec<u8> = row.try_get("frontier")?;
        let hashes = frontier
            .chunks(HASH_SIZE)
            .map(Hash::from_slice)
            .collect::<Option<Vec<_>>>()
            .context("saved frontier")?;
        let range = CompactRange::from_parts(size, hashes).context("saved frontier")?;
        if range.root() != root {
            anyhow::bail!(
                "the audit state is corrupt: the saved frontier does not hash to the saved root"
            );
        }
        Ok(Some(SavedLog {
            origin: row.try_get("origin")?,
            log_id: row.try_get("log_id")?,
            size,
            root,
            range,
        }))
    }

    /// Saves `log`'s verified checkpoint.
    pub async fn save_checkpoint(
        &mut self,
        log: LogName,
        url: &str,
        saved: &SavedLog,
        note: &str,
    ) -> Result<()> {
        let frontier: Vec<u8> = saved
            .range
            .hashes()
            .iter()
            .flat_map(|h| h.as_bytes().iter().copied())
            .collect();
        sqlx::query(
            "INSERT INTO logs (role, url, origin, log_id, size, root, frontier, checkpoint) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(role) DO UPDATE SET url = excluded.url, \
             origin = excluded.origin, log_id = excluded.log_id, size = excluded.size, \
             root = excluded.root, frontier = excluded.frontier, checkpoint = excluded.checkpoint",
        )
        .bind(role(log))
        .bind(url)
        .bind(&saved.origin)
        .bind(&saved.log_id)
        .bind(to_i64(saved.size)?)
        .bind(saved.root.as_bytes().as_slice())
        .bind(frontier)
        .bind(note)
        .execute(&mut self.conn)
        .await?;
        Ok(())
    }

    /// The leaves saved for bundle `bundle` of `log`.
    pub async fn leaves(&mut self, log: LogName, bundle: u64) -> Result<Vec<Hash>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT hashes FROM leaves WHERE role = ? AND bundle = ?")
                .bind(role(log))
                .bind(to_i64(bundle)?)
                .fetch_optional(&mut self.conn)
                .await?;
        Ok(row
            .map(|(b,)| b.chunks(HASH_SIZE).filter_map(Hash::from_slice).collect())
            .unwrap_or_default())
    }

    /// Saves the leaves of bundle `bundle` of `log`.
    pub async fn save_leaves(&mut self, log: LogName, bundle: u64, leaves: &[Hash]) -> Result<()> {
        let bytes: Vec<u8> = leaves
            .iter()
            .flat_map(|h| h.as_bytes().iter().copied())
            .collect();
        sqlx::query("INSERT OR REPLACE INTO leaves (role, bundle, hashes) VALUES (?, ?, ?)")
            .bind(role(log))
            .bind(to_i64(bundle)?)
            .bind(bytes)
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Records a verified entry: a certificate issued (CT) or a signature (tlog).
    pub async fn record(&mut self, record: &EntryRecord) -> Result<()> {
        match record {
            EntryRecord::Issued { index, entry } => {
                let c = &entry.certificate;
                sqlx::query(
                    "INSERT INTO certs (tbs, issuer, san, repository, git_ref, workflow, environment, \
                     not_before, ct_index, issued_at, allowed_issuer, allowed_rule) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tbs) DO UPDATE SET \
                     ct_index = COALESCE(certs.ct_index, excluded.ct_index), \
                     issued_at = COALESCE(certs.issued_at, excluded.issued_at), \
                     allowed_issuer = excluded.allowed_issuer, allowed_rule = excluded.allowed_rule",
                )
                .bind(c.precert_tbs_sha256.as_slice())
                .bind(&c.identity.issuer)
                .bind(san_of(c))
                .bind(&c.ci.repository)
                .bind(&c.ci.git_ref)
                .bind(&c.ci.workflow)
                .bind(&c.ci.environment)
                .bind(unix(c.not_before))
                .bind(to_i64(*index)?)
                .bind(to_i64(entry.timestamp_ms / 1000)?)
                .bind(&entry.issuance.allowed_by_issuer)
                .bind(&entry.issuance.allowed_by_rule)
                .execute(&mut self.conn)
                .await?;
            }
            EntryRecord::Signed {
                index,
                integrated_time,
                signers,
            } => {
                for signer in signers {
                    match signer {
                        AuditedSigner::Certificate(c) => {
                            sqlx::query(
                                "INSERT INTO certs (tbs, issuer, san, repository, git_ref, workflow, \
                                 environment, not_before, signatures, first_signed, last_signed, \
                                 first_tlog_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) \
                                 ON CONFLICT(tbs) DO UPDATE SET signatures = certs.signatures + 1, \
                                 first_signed = MIN(COALESCE(certs.first_signed, excluded.first_signed), excluded.first_signed), \
                                 last_signed = MAX(COALESCE(certs.last_signed, excluded.last_signed), excluded.last_signed), \
                                 first_tlog_index = COALESCE(certs.first_tlog_index, excluded.first_tlog_index)",
                            )
                            .bind(c.precert_tbs_sha256.as_slice())
                            .bind(&c.identity.issuer)
                            .bind(san_of(c))
                            .bind(&c.ci.repository)
                            .bind(&c.ci.git_ref)
                            .bind(&c.ci.workflow)
                            .bind(&c.ci.environment)
                            .bind(unix(c.not_before))
                            .bind(integrated_time)
                            .bind(integrated_time)
                            .bind(to_i64(*index)?)
                            .execute(&mut self.conn)
                            .await?;
                        }
                        AuditedSigner::Key { fingerprint } => {
                            sqlx::query(
                                "INSERT INTO keys (fingerprint, signatures, first_signed, last_signed, \
                                 first_tlog_index) VALUES (?, 1, ?, ?, ?) ON CONFLICT(fingerprint) DO UPDATE \
                                 SET signatures = keys.signatures + 1, \
                                 first_signed = MIN(keys.first_signed, excluded.first_signed), \
                                 last_signed = MAX(keys.last_signed, excluded.last_signed)",
                            )
                            .bind(fingerprint)
                            .bind(integrated_time)
                            .bind(integrated_time)
                            .bind(to_i64(*index)?)
                            .execute(&mut self.conn)
                            .await?;
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// Keeps a per-entry failure (reported again on later runs).
    pub async fn save_finding(&mut self, f: &Failure) -> Result<()> {
        let Some(index) = f.index else {
            return Ok(());
        };
        sqlx::query(
            "INSERT OR REPLACE INTO findings (log, idx, check_name, message) VALUES (?, ?, ?, ?)",
        )
        .bind(f.log.as_str())
        .bind(to_i64(index)?)
        .bind(&f.check)
        .bind(&f.message)
        .execute(&mut self.conn)
        .await?;
        Ok(())
    }

    /// Per-entry failures saved by earlier runs, for `log`, below `before` (this run's
    /// first new index).
    pub async fn findings(&mut self, log: LogName, before: u64) -> Result<Vec<Failure>> {
        let rows = sqlx::query(
            "SELECT idx, check_name, message FROM findings WHERE log = ? AND idx < ? ORDER BY idx",
        )
        .bind(log.as_str())
        .bind(to_i64(before)?)
        .fetch_all(&mut self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Failure {
                    log,
                    index: Some(u64::try_from(r.try_get::<i64, _>("idx")?)?),
                    check: r.try_get("check_name")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }

    /// Certificates that signed in the transparency log but are not in the CT log.
    pub async fn certificates_missing_from_ct(&mut self) -> Result<Vec<Failure>> {
        let rows = sqlx::query(
            "SELECT san, issuer, first_tlog_index FROM certs WHERE signatures > 0 AND ct_index IS NULL ORDER BY first_tlog_index",
        )
        .fetch_all(&mut self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                let san: String = r.try_get("san")?;
                let issuer: String = r.try_get("issuer")?;
                let index: Option<i64> = r.try_get("first_tlog_index")?;
                Ok(Failure::new(
                    LogName::Tlog,
                    index.and_then(|i| u64::try_from(i).ok()),
                    signet_audit::report::CT_MISSING,
                    format!("the certificate of {san} ({issuer}) that signed this entry is not in the CT log"),
                ))
            })
            .collect()
    }

    /// CT-logged certificates that never signed.
    pub async fn unused_certificates(&mut self) -> Result<Vec<UnusedCertificate>> {
        let rows = sqlx::query(
            "SELECT ct_index, san, issuer, not_before FROM certs WHERE ct_index IS NOT NULL AND signatures = 0 ORDER BY ct_index",
        )
        .fetch_all(&mut self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnusedCertificate {
                    ct_index: u64::try_from(r.try_get::<i64, _>("ct_index")?)?,
                    san: r.try_get("san")?,
                    issuer: r.try_get("issuer")?,
                    not_before: r.try_get("not_before")?,
                })
            })
            .collect()
    }

    /// Every identity seen, with its certificates, signatures and the rules that allowed it.
    pub async fn identities(&mut self) -> Result<Vec<IdentityRow>> {
        let rows = sqlx::query(
            "SELECT issuer, san, repository, git_ref, workflow, environment, \
             COUNT(ct_index) AS certificates, SUM(signatures) AS signatures, \
             MIN(MIN(COALESCE(issued_at, first_signed), COALESCE(first_signed, issued_at))) AS first_seen, \
             MAX(MAX(COALESCE(issued_at, last_signed), COALESCE(last_signed, issued_at))) AS last_seen, \
             GROUP_CONCAT(DISTINCT allowed_issuer || ' / ' || allowed_rule) AS allowed_by \
             FROM certs GROUP BY issuer, san, repository, git_ref, workflow, environment \
             ORDER BY issuer, san",
        )
        .fetch_all(&mut self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                let allowed: Option<String> = r.try_get("allowed_by")?;
                Ok(IdentityRow {
                    issuer: r.try_get("issuer")?,
                    san: r.try_get("san")?,
                    repository: r.try_get("repository")?,
                    git_ref: r.try_get("git_ref")?,
                    workflow: r.try_get("workflow")?,
                    environment: r.try_get("environment")?,
                    certificates: r.try_get("certificates")?,
                    signatures: r.try_get::<Option<i64>, _>("signatures")?.unwrap_or(0),
                    first_seen: r.try_get("first_seen")?,
                    last_seen: r.try_get("last_seen")?,
                    allowed_by: allowed
                        .map(|a| a.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Managed keys seen: `(fingerprint, signatures, first, last)`.
    pub async fn keys(&mut self) -> Result<Vec<(String, i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT fingerprint, signatures, first_signed, last_signed FROM keys ORDER BY fingerprint",
        )
        .fetch_all(&mut self.conn)
        .await?)
    }
}

fn san_of(c: &signet_verifier::audit::AuditedCertificate) -> String {
    c.identity
        .sans
        .first()
        .map(|s| s.value().to_owned())
        .unwrap_or_default()
}

fn unix(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
