//! The sustained load a kill interrupts: appenders (`POST /api/v1/log/entries` with fresh
//! hashedrekord entries, PROTOCOL.md §4.1), issuers (`POST /api/v2/signingCert`, §2.1)
//! and a poller of the heads (`GET /api/v1/log`, `/ct/checkpoint`, `/ct/ct/v1/get-sth`).
//!
//! Only a complete 201 (log) or 200 with a certificate chain (CA) counts as acknowledged;
//! a refused or cut connection, a timeout or any other status is "not acknowledged", and
//! the client moves on to a fresh entry (nothing is ever resubmitted).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand::RngCore as _;
use signet_bench::entries::KeyPool;
use signet_ca_core::profile::{precert_tbs_from_final, IssuerCertificate};
use signet_ca_core::sct::{issuer_key_hash, merkle_tree_leaf, verify_embedded_sct, PrecertEntry};
use signet_rekor::api;
use signet_tlog_core::hash::{leaf_hash, Hash};
use tokio::task::JoinHandle;

use super::ledger::{lock, AckedCert, AckedEntry, Keys, RoundLedger, Stats};

/// What every load task shares.
#[derive(Debug)]
pub struct LoadCtx {
    /// HTTP client (loopback, per-request timeout).
    pub client: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Log keys.
    pub keys: Arc<Keys>,
    /// Entry signing keys.
    pub pool: Arc<KeyPool>,
    /// Where acknowledgements go.
    pub ledger: Arc<RoundLedger>,
    /// The round.
    pub round: u32,
}

/// Running load tasks.
#[derive(Debug)]
pub struct Load {
    stop: Arc<AtomicBool>,
    appenders: Vec<JoinHandle<Stats>>,
    issuers: Vec<JoinHandle<Stats>>,
    poller: JoinHandle<()>,
}

/// The outcome of one request.
#[derive(Debug)]
pub enum Answer {
    /// 201 (log) or 200 with a certificate chain (CA), recorded in the ledger.
    Acked,
    /// Another status (or a success whose body was wrong: a failure is recorded).
    Status(u16),
    /// No HTTP answer.
    Error(String),
    /// No answer within the timeout.
    Timeout,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Acked => f.write_str("acknowledged"),
            Self::Status(s) => write!(f, "status {s}"),
            Self::Error(e) => write!(f, "no answer ({e})"),
            Self::Timeout => f.write_str("timeout"),
        }
    }
}

impl Answer {
    fn of(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else {
            // The innermost cause says what happened (refused, reset...).
            let mut cause: &dyn std::error::Error = e;
            while let Some(inner) = cause.source() {
                cause = inner;
            }
            Self::Error(cause.to_string())
        }
    }

    fn count(self, stats: &mut Stats) -> Duration {
        match self {
            Self::Acked => {
                stats.acked += 1;
                Duration::ZERO
            }
            Self::Status(s) => {
                *stats.statuses.entry(s).or_default() += 1;
                Duration::from_millis(10)
            }
            Self::Error(_) => {
                stats.errors += 1;
                Duration::from_millis(20)
            }
            Self::Timeout => {
                stats.timeouts += 1;
                Duration::ZERO
            }
        }
    }
}

/// Starts `appenders` appending tasks, `issuers` issuing tasks (sending `bodies`
/// round-robin) and the head poller.
pub fn start(
    ctx: &Arc<LoadCtx>,
    appenders: usize,
    issuers: usize,
    bodies: &Arc<Vec<Vec<u8>>>,
) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let appenders = (0..appenders)
        .map(|w| tokio::spawn(append_loop(ctx.clone(), stop.clone(), w)))
        .collect();
    let issuers = if bodies.is_empty() {
        Vec::new()
    } else {
        (0..issuers)
            .map(|w| tokio::spawn(issue_loop(ctx.clone(), stop.clone(), bodies.clone(), w)))
            .collect()
    };
    let poller = tokio::spawn(poll_loop(ctx.clone(), stop.clone()));
    Load {
        stop,
        appenders,
        issuers,
        poller,
    }
}

impl Load {
    /// Stops every task and returns the append and issue counters.
    ///
    /// # Errors
    /// A task did not finish within `timeout` (a request hung past its own timeout).
    pub async fn stop(self, timeout: Duration) -> anyhow::Result<(Stats, Stats)> {
        self.stop.store(true, Ordering::SeqCst);
        let join = async {
            let mut appends = Stats::default();
            for h in self.appenders {
                appends.merge(&h.await?);
            }
            let mut issues = Stats::default();
            for h in self.issuers {
                issues.merge(&h.await?);
            }
            self.poller.await?;
            Ok::<_, tokio::task::JoinError>((appends, issues))
        };
        match tokio::time::timeout(timeout, join).await {
            Ok(r) => Ok(r?),
            Err(_) => anyhow::bail!("load clients did not stop within {timeout:?}: a request hung"),
        }
    }
}

async fn append_loop(ctx: Arc<LoadCtx>, stop: Arc<AtomicBool>, worker: usize) -> Stats {
    let url = format!("{}/api/v1/log/entries", ctx.base);
    let mut stats = Stats::default();
    let mut n = worker;
    while !stop.load(Ordering::Relaxed) {
        let mut artefact = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut artefact);
        let body = match ctx.pool.entry(n, &artefact) {
            Ok(b) => b,
            Err(e) => {
                ctx.ledger
                    .fail(format!("harness: signing an entry failed: {e}"));
                break;
            }
        };
        n += 1;
        stats.sent += 1;
        let pause = append_once(&ctx, &url, body, None).await.count(&mut stats);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    stats
}

/// One fresh entry appended with its own `timeout` (the outage probes); a 201 is
/// recorded like any other.
pub async fn probe_append(ctx: &LoadCtx, n: usize, timeout: Duration) -> Answer {
    let mut artefact = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut artefact);
    match ctx.pool.entry(n, &artefact) {
        Ok(body) => {
            let url = format!("{}/api/v1/log/entries", ctx.base);
            append_once(ctx, &url, body, Some(timeout)).await
        }
        Err(e) => Answer::Error(format!("harness: signing an entry failed: {e}")),
    }
}

async fn append_once(ctx: &LoadCtx, url: &str, body: Vec<u8>, timeout: Option<Duration>) -> Answer {
    let mut req = ctx
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(t) = timeout {
        req = req.timeout(t);
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return Answer::of(&e),
    };
    let status = resp.status().as_u16();
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        // Cut mid-body: the client never saw a complete 201.
        Err(e) => return Answer::of(&e),
    };
    if status != 201 {
        return Answer::Status(status);
    }
    match record_entry(ctx, &bytes) {
        Ok(()) => Answer::Acked,
        Err(e) => {
            ctx.ledger.fail(format!("a 201 answer is wrong: {e}"));
            Answer::Status(201)
        }
    }
}

/// Records a 201 `LogEntry` answer and the checkpoint it carries.
fn record_entry(ctx: &LoadCtx, body: &[u8]) -> Result<(), String> {
    let map: api::LogEntry = serde_json::from_slice(body).map_err(|e| format!("body: {e}"))?;
    let mut it = map.into_iter();
    let (Some((uuid, entry)), None) = (it.next(), it.next()) else {
        return Err("not exactly one entry".to_owned());
    };
    let canonical = B64
        .decode(&entry.body)
        .map_err(|e| format!("body is not base64: {e}"))?;
    let proof = &entry.verification.inclusion_proof;
    if proof.log_index != entry.log_index || proof.log_index >= proof.tree_size {
        return Err(format!(
            "logIndex {} with an inclusion proof for index {} in a tree of {}",
            entry.log_index, proof.log_index, proof.tree_size
        ));
    }
    if !lock(&ctx.ledger.tlog_heads).contains(proof.tree_size) {
        let cp = ctx.keys.open_tlog(&proof.checkpoint)?;
        if cp.size != proof.tree_size || cp.root.to_hex() != proof.root_hash {
            return Err(format!(
                "inclusion proof for size {} root {} with a checkpoint of size {} root {}",
                proof.tree_size,
                proof.root_hash,
                cp.size,
                cp.root.to_hex()
            ));
        }
        ctx.ledger.tlog_head(cp.size, cp.root);
    }
    lock(&ctx.ledger.entries).push(AckedEntry {
        index: entry.log_index,
        uuid,
        leaf: leaf_hash(&canonical),
        round: ctx.round,
    });
    Ok(())
}

async fn issue_loop(
    ctx: Arc<LoadCtx>,
    stop: Arc<AtomicBool>,
    bodies: Arc<Vec<Vec<u8>>>,
    worker: usize,
) -> Stats {
    let url = format!("{}/api/v2/signingCert", ctx.base);
    let mut stats = Stats::default();
    let mut n = worker;
    while !stop.load(Ordering::Relaxed) {
        let body = bodies[n % bodies.len()].clone();
        n += 1;
        stats.sent += 1;
        let pause = issue_once(&ctx, &url, body).await.count(&mut stats);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    stats
}

async fn issue_once(ctx: &LoadCtx, url: &str, body: Vec<u8>) -> Answer {
    let resp = match ctx
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Answer::of(&e),
    };
    let status = resp.status().as_u16();
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Answer::of(&e),
    };
    if status != 200 {
        return Answer::Status(status);
    }
    match issued_leaf(&bytes, &ctx.keys.ct_spki) {
        Ok((leaf, sct_ms)) => {
            lock(&ctx.ledger.certs).push(AckedCert {
                leaf,
                sct_ms,
                round: ctx.round,
            });
            Answer::Acked
        }
        Err(e) => {
            ctx.ledger
                .fail(format!("a 200 signingCert answer is wrong: {e}"));
            Answer::Status(200)
        }
    }
}

/// From a `signedCertificateEmbeddedSct` answer (PROTOCOL.md §2.4): checks the embedded
/// SCT against the CT key and returns the leaf hash of the precertificate entry the CT log
/// must hold (RFC 6962 §3.4 `MerkleTreeLeaf`, rebuilt from the final certificate: TBS
/// without the SCT list, issuer key hash, the SCT's timestamp) and the SCT's timestamp.
///
/// # Errors
/// Anything that does not parse or verify, as a message.
pub fn issued_leaf(body: &[u8], ct_spki: &[u8]) -> Result<(Hash, u64), String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("body: {e}"))?;
    let chain = v["signedCertificateEmbeddedSct"]["chain"]["certificates"]
        .as_array()
        .ok_or("no signedCertificateEmbeddedSct.chain.certificates")?;
    let der = |i: usize| -> Result<Vec<u8>, String> {
        let pem = chain
            .get(i)
            .and_then(|c| c.as_str())
            .ok_or(format!("no certificate {i} in the chain"))?;
        let (label, der) = spki::der::pem::decode_vec(pem.as_bytes())
            .map_err(|e| format!("certificate {i}: {e}"))?;
        if label != "CERTIFICATE" {
            return Err(format!("certificate {i}: PEM label {label}"));
        }
        Ok(der)
    };
    let (leaf_der, issuer_der) = (der(0)?, der(1)?);
    let sct = verify_embedded_sct(&leaf_der, &issuer_der, ct_spki)
        .map_err(|e| format!("embedded SCT: {e}"))?;
    let issuer = IssuerCertificate::from_der(&issuer_der).map_err(|e| format!("issuer: {e}"))?;
    let entry = PrecertEntry {
        issuer_key_hash: issuer_key_hash(issuer.spki_der()),
        tbs_certificate: precert_tbs_from_final(&leaf_der)
            .map_err(|e| format!("precertificate TBS: {e}"))?,
    };
    let leaf = merkle_tree_leaf(&entry, sct.timestamp_ms, &sct.extensions)
        .map_err(|e| format!("MerkleTreeLeaf: {e}"))?;
    Ok((leaf_hash(&leaf), sct.timestamp_ms))
}

async fn poll_loop(ctx: Arc<LoadCtx>, stop: Arc<AtomicBool>) {
    let base = &ctx.base;
    while !stop.load(Ordering::Relaxed) {
        if let Some(body) = get_ok(&ctx.client, &format!("{base}/api/v1/log")).await {
            match serde_json::from_slice::<api::LogInfo>(&body) {
                Ok(info) => match ctx.keys.open_tlog(&info.signed_tree_head) {
                    Ok(cp) => ctx.ledger.tlog_head(cp.size, cp.root),
                    Err(e) => ctx.ledger.fail(format!("GET /api/v1/log: {e}")),
                },
                Err(e) => ctx.ledger.fail(format!("GET /api/v1/log: {e}")),
            }
        }
        if let Some(body) = get_ok(&ctx.client, &format!("{base}/ct/checkpoint")).await {
            match ctx.keys.open_ct(&String::from_utf8_lossy(&body)) {
                Ok(cp) => ctx.ledger.ct_head(cp.size, cp.root),
                Err(e) => ctx.ledger.fail(format!("GET /ct/checkpoint: {e}")),
            }
        }
        if let Some(body) = get_ok(&ctx.client, &format!("{base}/ct/ct/v1/get-sth")).await {
            match ctx.keys.open_sth(&body) {
                Ok(h) => ctx.ledger.ct_head(h.tree_size, Hash(h.sha256_root_hash)),
                Err(e) => ctx.ledger.fail(e),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The body of a 200 answer; `None` for anything else (the server may be down).
async fn get_ok(client: &reqwest::Client, url: &str) -> Option<Vec<u8>> {
    let resp = client.get(url).send().await.ok()?;
    if resp.status() != reqwest::StatusCode::OK {
        return None;
    }
    resp.bytes().await.ok().map(|b| b.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    // A well-formed answer is checked end to end by the crash test itself: a wrong leaf
    // hash would make every certificate "missing" from the CT log.
    #[test]
    fn issued_leaf_refuses_malformed_answers() {
        let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        for body in [
            b"not json".to_vec(),
            b"{}".to_vec(),
            serde_json::to_vec(&serde_json::json!({
                "signedCertificateEmbeddedSct": {"chain": {"certificates": [pem]}}
            }))
            .unwrap(),
            serde_json::to_vec(&serde_json::json!({
                "signedCertificateEmbeddedSct": {"chain": {"certificates": [pem, pem, pem]}}
            }))
            .unwrap(),
        ] {
            assert!(issued_leaf(&body, &[]).is_err());
        }
    }
}
