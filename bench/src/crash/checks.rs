//! What is checked after every restart, against the restarted server (no load running):
//!
//! 1. the new heads: `GET /api/v1/log` (note verified with the log key), `get-sth` (RFC
//!    6962 §4.3, signature verified with the CT key) and `/ct/checkpoint` (note verified);
//! 2. every acknowledged entry given: `GET /api/v1/log/entries?logIndex=N` answers 200 with
//!    the same UUID and the same body (leaf hash), and the whole answer verifies
//!    (`signet_verifier::rekor_v1::verify_log_entry`: SET, inclusion proof, checkpoint);
//! 3. every issued certificate given: its precertificate leaf is in the CT log
//!    (`get-proof-by-hash`, inclusion verified against the new STH, RFC 9162 §2.1.3.2), and
//!    the STH is not older than its SCT (RFC 6962 §3.5);
//! 4. every head handed out before the crash is consistent with the new one: not larger,
//!    the same root at the same size, else a consistency proof from the server
//!    (`/api/v1/log/proof`, `get-sth-consistency`) verified with `signet-tlog-core`
//!    (RFC 9162 §2.1.4.2);
//! 5. `signet audit replay --insecure-hash-only` with a persistent state: every leaf hash
//!    recomputed from the tiles (i.e. from storage) folds to the signed checkpoint of each
//!    log, and the logs still extend what the previous replay verified.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Serialize;
use signet_ca_core::sth::TreeHead;
use signet_rekor::api;
use signet_tlog_core::hash::{leaf_hash, Hash};
use signet_tlog_core::proof::{verify_consistency, verify_inclusion};
use signet_verifier::rekor_v1::verify_log_entry;

use super::ledger::{AckedCert, AckedEntry, Keys};

/// Talks to the restarted server.
#[derive(Debug)]
pub struct Checker {
    /// HTTP client.
    pub client: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Log keys.
    pub keys: Arc<Keys>,
    /// Requests in flight.
    pub workers: usize,
}

/// The heads of the restarted server.
#[derive(Clone, Copy, Debug)]
pub struct NewHeads {
    /// Transparency log: size and root of its signed checkpoint.
    pub tlog: (u64, Hash),
    /// CT log: its signed tree head.
    pub ct: TreeHead,
}

impl NewHeads {
    /// The CT head as `(size, root)`.
    pub fn ct_pair(&self) -> (u64, Hash) {
        (self.ct.tree_size, Hash(self.ct.sha256_root_hash))
    }
}

/// What `signet audit replay` reported.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditSummary {
    /// Transparency-log size it verified.
    pub tlog_size: u64,
    /// CT-log size it verified.
    pub ct_size: u64,
    /// Entries it fetched and hashed (both logs; incremental after the first replay).
    pub entries_fetched: u64,
    /// Wall time, milliseconds.
    pub millis: u64,
}

fn clip(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    s.chars().take(300).collect()
}

/// Runs `check(i)` for `i` in `0..n` on `workers` tasks; returns the failures.
async fn par<F, Fut>(n: usize, workers: usize, check: F) -> Vec<String>
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..workers.max(1))
        .map(|_| {
            let (next, check) = (next.clone(), check.clone());
            tokio::spawn(async move {
                let mut failures = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    if let Err(e) = check(i).await {
                        failures.push(e);
                    }
                }
                failures
            })
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        match h.await {
            Ok(f) => failures.extend(f),
            Err(e) => failures.push(format!("harness: a check task failed: {e}")),
        }
    }
    failures
}

impl Checker {
    /// `GET url` → (status, body), retrying transport errors three times: the server is
    /// up, so a transport error that persists is itself a failure.
    async fn get(&self, url: &str, query: &[(&str, String)]) -> Result<(u16, Vec<u8>), String> {
        let mut last = String::new();
        for attempt in 0..4 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            match self.client.get(url).query(query).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.bytes().await {
                        Ok(b) => return Ok((status, b.to_vec())),
                        Err(e) => last = e.to_string(),
                    }
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!(
            "GET {url}: no answer from the restarted server: {last}"
        ))
    }

    async fn get_200(&self, url: &str, query: &[(&str, String)]) -> Result<Vec<u8>, String> {
        let (status, body) = self.get(url, query).await?;
        if status != 200 {
            return Err(format!(
                "GET {url} {query:?}: status {status}: {}",
                clip(&body)
            ));
        }
        Ok(body)
    }

    /// Step 1: the new heads, verified, once they stopped moving: after a database outage
    /// the server may still commit submissions whose clients gave up (408) after the load
    /// stopped. Up to 10 s; a log that never settles is checked as last seen.
    ///
    /// # Errors
    /// A head missing or not verifying, as a message.
    pub async fn heads(&self) -> Result<NewHeads, String> {
        let (mut last, _) = self.heads_once().await?;
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let (now, settled) = self.heads_once().await?;
            if settled && now.tlog == last.tlog && now.ct_pair() == last.ct_pair() {
                return Ok(now);
            }
            last = now;
        }
        Ok(last)
    }

    /// The heads, and whether the CT checkpoint read after the STH had the same size.
    async fn heads_once(&self) -> Result<(NewHeads, bool), String> {
        let base = &self.base;
        let body = self.get_200(&format!("{base}/api/v1/log"), &[]).await?;
        let info: api::LogInfo =
            serde_json::from_slice(&body).map_err(|e| format!("GET /api/v1/log: {e}"))?;
        let cp = self.keys.open_tlog(&info.signed_tree_head)?;
        if cp.size != info.tree_size || cp.root.to_hex() != info.root_hash {
            return Err(format!(
                "GET /api/v1/log: treeSize {} rootHash {} but its checkpoint says {} {}",
                info.tree_size,
                info.root_hash,
                cp.size,
                cp.root.to_hex()
            ));
        }
        let sth = self.keys.open_sth(
            &self
                .get_200(&format!("{base}/ct/ct/v1/get-sth"), &[])
                .await?,
        )?;
        let note = self.get_200(&format!("{base}/ct/checkpoint"), &[]).await?;
        let ct_cp = self.keys.open_ct(&String::from_utf8_lossy(&note))?;
        // Read after the STH: the same head, or a newer one if an issuance landed between.
        if ct_cp.size < sth.tree_size
            || (ct_cp.size == sth.tree_size && ct_cp.root.0 != sth.sha256_root_hash)
        {
            return Err(format!(
                "CT log: /ct/checkpoint has size {} root {}, the earlier get-sth size {} root {}",
                ct_cp.size,
                ct_cp.root.to_hex(),
                sth.tree_size,
                Hash(sth.sha256_root_hash).to_hex()
            ));
        }
        let settled = ct_cp.size == sth.tree_size;
        let heads = NewHeads {
            tlog: (cp.size, cp.root),
            ct: sth,
        };
        Ok((heads, settled))
    }

    async fn check_entry(&self, e: &AckedEntry) -> Result<(), String> {
        let what = || {
            format!(
                "entry acknowledged in round {} at index {} (uuid {})",
                e.round, e.index, e.uuid
            )
        };
        let (status, body) = self
            .get(
                &format!("{}/api/v1/log/entries", self.base),
                &[("logIndex", e.index.to_string())],
            )
            .await?;
        if status != 200 {
            return Err(format!(
                "LOST: {}: GET answered {status}: {}",
                what(),
                clip(&body)
            ));
        }
        let map: api::LogEntry =
            serde_json::from_slice(&body).map_err(|err| format!("{}: {err}", what()))?;
        let mut it = map.iter();
        let (Some((uuid, entry)), None) = (it.next(), it.next()) else {
            return Err(format!("{}: not exactly one entry in the answer", what()));
        };
        if *uuid != e.uuid || entry.log_index != e.index {
            return Err(format!(
                "LOST: {}: index {} now holds uuid {uuid}",
                what(),
                entry.log_index
            ));
        }
        let canonical = B64
            .decode(&entry.body)
            .map_err(|err| format!("{}: body: {err}", what()))?;
        if leaf_hash(&canonical) != e.leaf {
            return Err(format!("ALTERED: {}: the body changed", what()));
        }
        verify_log_entry(uuid, entry, &self.keys.tlog)
            .map_err(|err| format!("{}: the answer does not verify: {err}", what()))?;
        Ok(())
    }

    /// Step 2 over `entries`.
    pub async fn entries(self: &Arc<Self>, entries: Arc<Vec<AckedEntry>>) -> Vec<String> {
        let this = self.clone();
        par(entries.len(), self.workers, move |i| {
            let (this, entries) = (this.clone(), entries.clone());
            async move { this.check_entry(&entries[i]).await }
        })
        .await
    }

    async fn check_cert(&self, c: &AckedCert, sth: &TreeHead) -> Result<(), String> {
        let what = || {
            format!(
                "certificate issued in round {} (SCT {} ms, CT leaf {})",
                c.round,
                c.sct_ms,
                c.leaf.to_hex()
            )
        };
        let (status, body) = self
            .get(
                &format!("{}/ct/ct/v1/get-proof-by-hash", self.base),
                &[
                    ("hash", B64.encode(c.leaf.as_bytes())),
                    ("tree_size", sth.tree_size.to_string()),
                ],
            )
            .await?;
        if status != 200 {
            return Err(format!(
                "LOST: {} is not in the CT log of size {}: status {status}: {}",
                what(),
                sth.tree_size,
                clip(&body)
            ));
        }
        #[derive(serde::Deserialize)]
        struct Proof {
            leaf_index: u64,
            audit_path: Vec<String>,
        }
        let p: Proof =
            serde_json::from_slice(&body).map_err(|e| format!("{}: proof: {e}", what()))?;
        let path = p
            .audit_path
            .iter()
            .map(|h| B64.decode(h).ok().and_then(|b| Hash::from_slice(&b)))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| format!("{}: bad audit_path", what()))?;
        verify_inclusion(
            p.leaf_index,
            sth.tree_size,
            &c.leaf,
            &path,
            &Hash(sth.sha256_root_hash),
        )
        .map_err(|e| format!("{}: inclusion proof does not verify: {e}", what()))?;
        if sth.timestamp_ms < c.sct_ms {
            return Err(format!(
                "{}: the STH of size {} is dated {} ms, before the SCT",
                what(),
                sth.tree_size,
                sth.timestamp_ms
            ));
        }
        Ok(())
    }

    /// Step 3 over `certs`.
    pub async fn certs(self: &Arc<Self>, certs: Arc<Vec<AckedCert>>, sth: TreeHead) -> Vec<String> {
        let this = self.clone();
        par(certs.len(), self.workers, move |i| {
            let (this, certs) = (this.clone(), certs.clone());
            async move { this.check_cert(&certs[i], &sth).await }
        })
        .await
    }

    /// One old head against the new one: `Ok(true)` if a proof was verified, `Ok(false)`
    /// if none was needed (empty tree, or the same size and root).
    async fn check_consistency(
        &self,
        ct: bool,
        old: (u64, Hash),
        new: (u64, Hash),
    ) -> Result<bool, String> {
        let log = if ct { "CT log" } else { "log" };
        let ((s1, r1), (s2, r2)) = (old, new);
        if s1 == 0 {
            return Ok(false);
        }
        if s1 > s2 {
            return Err(format!(
                "ROLLED BACK: the {log} handed out a head of size {s1} before the crash, and \
                 restarted at size {s2}"
            ));
        }
        if s1 == s2 {
            return if r1 == r2 {
                Ok(false)
            } else {
                Err(format!(
                    "FORK: {log} size {s1}: root {} before the crash, {} after",
                    r1.to_hex(),
                    r2.to_hex()
                ))
            };
        }
        let proof: Vec<Hash> = if ct {
            let body = self
                .get_200(
                    &format!("{}/ct/ct/v1/get-sth-consistency", self.base),
                    &[("first", s1.to_string()), ("second", s2.to_string())],
                )
                .await?;
            #[derive(serde::Deserialize)]
            struct C {
                consistency: Vec<String>,
            }
            let c: C = serde_json::from_slice(&body).map_err(|e| format!("{log}: {e}"))?;
            c.consistency
                .iter()
                .map(|h| B64.decode(h).ok().and_then(|b| Hash::from_slice(&b)))
                .collect::<Option<_>>()
                .ok_or(format!("{log}: bad consistency hash"))?
        } else {
            let body = self
                .get_200(
                    &format!("{}/api/v1/log/proof", self.base),
                    &[("firstSize", s1.to_string()), ("lastSize", s2.to_string())],
                )
                .await?;
            let c: api::ConsistencyProof =
                serde_json::from_slice(&body).map_err(|e| format!("{log}: {e}"))?;
            if c.root_hash != r2.to_hex() {
                return Err(format!(
                    "{log}: consistency proof to size {s2} names root {}, the checkpoint {}",
                    c.root_hash,
                    r2.to_hex()
                ));
            }
            c.hashes
                .iter()
                .map(|h| Hash::from_hex(h))
                .collect::<Option<_>>()
                .ok_or(format!("{log}: bad consistency hash"))?
        };
        verify_consistency(s1, s2, &proof, &r1, &r2).map_err(|e| {
            format!(
                "INCONSISTENT: the {log} head of size {s1} (root {}) handed out before the \
                 crash is not consistent with the new head of size {s2} (root {}): {e}",
                r1.to_hex(),
                r2.to_hex()
            )
        })?;
        Ok(true)
    }

    /// Step 4 over `old` heads of the log (`ct` false) or CT log (`ct` true); returns the
    /// failures and the number of proofs verified.
    pub async fn consistency(
        self: &Arc<Self>,
        ct: bool,
        old: Arc<Vec<(u64, Hash)>>,
        new: (u64, Hash),
    ) -> (Vec<String>, u64) {
        let proved = Arc::new(AtomicUsize::new(0));
        let (this, counter) = (self.clone(), proved.clone());
        let failures = par(old.len(), self.workers, move |i| {
            let (this, old, counter) = (this.clone(), old.clone(), counter.clone());
            async move {
                if this.check_consistency(ct, old[i], new).await? {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
        })
        .await;
        (failures, proved.load(Ordering::Relaxed) as u64)
    }
}

/// Step 5: `signet audit replay --insecure-hash-only` of both logs with the persistent
/// `state`; stdout and stderr go to `out_dir`.
///
/// # Errors
/// Not clean, not the expected heads, or did not finish within `timeout`, as a message.
pub fn audit(
    signet: &Path,
    base: &str,
    data_dir: &Path,
    state: &Path,
    out_dir: &Path,
    heads: &NewHeads,
    timeout: Duration,
) -> Result<AuditSummary, String> {
    let started = Instant::now();
    let out_path: PathBuf = out_dir.join("audit.out.json");
    let err_path: PathBuf = out_dir.join("audit.err.txt");
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("harness: {e}"));
    let mut child = Command::new(signet)
        .args(["audit", "replay", "--log", base, "--ct-log"])
        .arg(format!("{base}/ct"))
        .arg("--trust-config")
        .arg(data_dir.join("trust_config.json"))
        .arg("--state")
        .arg(state)
        .args(["--insecure-hash-only", "--json", "--no-progress"])
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?)
        .spawn()
        .map_err(|e| format!("harness: spawning signet audit: {e}"))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "signet audit replay did not finish within {timeout:?}"
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("harness: waiting for signet audit: {e}")),
        }
    };
    let out = std::fs::read(&out_path).unwrap_or_default();
    let err = std::fs::read(&err_path).unwrap_or_default();
    let report: serde_json::Value = serde_json::from_slice(&out).map_err(|e| {
        format!(
            "signet audit replay ({status}) printed no report ({e}): {}",
            clip(&err)
        )
    })?;
    if !status.success() || report["clean"] != serde_json::Value::Bool(true) {
        return Err(format!(
            "AUDIT: signet audit replay ({status}) found the logs not clean: {}",
            report["failures"]
        ));
    }
    let mut summary = AuditSummary::default();
    let logs = report["logs"].as_array().cloned().unwrap_or_default();
    for (role, (size, root)) in [("tlog", heads.tlog), ("ct", heads.ct_pair())] {
        let log = logs
            .iter()
            .find(|l| l["role"] == role)
            .ok_or(format!("signet audit replay: no {role} in the report"))?;
        let got_size = log["treeSize"].as_u64().unwrap_or(u64::MAX);
        let got_root = log["rootHash"].as_str().unwrap_or_default();
        // The same head, or a newer one if the log moved since (its consistency with the
        // earlier replays is the audit's own check, with the saved state).
        if got_size < size || (got_size == size && got_root != root.to_hex()) {
            return Err(format!(
                "AUDIT: {role} replayed to size {got_size} root {got_root}, the signed head is \
                 size {size} root {}",
                root.to_hex()
            ));
        }
        summary.entries_fetched += log["entriesFetched"].as_u64().unwrap_or(0);
        if role == "tlog" {
            summary.tlog_size = got_size;
        } else {
            summary.ct_size = got_size;
        }
    }
    summary.millis = started.elapsed().as_millis() as u64;
    Ok(summary)
}
