//! The soak's operations against one `signet serve` (log + CA + development issuer).
//!
//! * Signing does what `signet sign` does (ARCHITECTURE.md, `cmd::sign`): a certificate
//!   for a P-256 key from `POST /api/v2/signingCert` with a CSR (PROTOCOL.md §2.1), then a
//!   hashedrekord 0.0.1 entry (§4.1) whose signature is by that key over a fresh random
//!   artefact and whose `publicKey` is the new leaf certificate. Keys and their CSRs are
//!   made before the run and used round-robin; the CA keeps no per-key state, so each
//!   request still costs a new certificate, CT entry and log entry.
//! * Plain appends sign a fresh random artefact with one of a few pool keys, inline.
//! * Reads, at parameters the run knows to exist: inclusion proofs by index, entries by
//!   UUID (sampled uniformly from every entry the run created), consistency proofs,
//!   tiles (level-0 and level-1 hash tiles and entry bundles, full or the right edge,
//!   C2SP tlog-tiles, §5.2) and the checkpoint.
//!
//! Every answer is checked cheaply (status, shape, counts); proofs are not verified
//! cryptographically (the verifier's job; it would cost the shared CPU).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use anyhow::Context as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand::distributions::{Distribution as _, WeightedIndex};
use rand::{Rng as _, RngCore as _};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use signet_audit::bundle::{split_entry_bundle, split_hash_tile};
use signet_bench::entries::{KeyPool, ARTEFACT_LEN};
use signet_bench::http::{check_consistency, check_inclusion, LogClient};
use signet_bench::read::{pick_index, pick_pair};
use signet_bench::stats::{ErrorKind, Outcome};
use signet_tlog_core::tile::{tile_width_at, EntryBundleId, TileId, TILE_WIDTH};

use super::record::{Op, Phase, Recorder, Stream};

/// Relative weights of the five reads: inclusion, by UUID, consistency, tile, checkpoint.
pub const READ_WEIGHTS: [(Op, u32); 5] = [
    (Op::ReadInclusion, 30),
    (Op::ReadUuid, 20),
    (Op::ReadConsistency, 15),
    (Op::ReadTile, 25),
    (Op::ReadCheckpoint, 10),
];

/// Entries remembered for reads by UUID (a uniform sample of all created ones).
const RESERVOIR: usize = 4096;
/// Bytes of an unexpected answer kept in a failure note.
const NOTE_BODY: usize = 200;

/// The soak's HTTP client: as the other load generators' (`LogClient`: no proxy, no
/// redirects, unbounded idle pool, `TCP_NODELAY`, `timeout` per request), but an idle
/// connection is dropped after `idle`. That must stay below the server's own idle close
/// (`signet serve` closes a keep-alive connection idle for its header-read timeout,
/// 10 s by default, without announcing it): a request sent on a connection the server
/// is closing at that moment fails, and would be counted against the server.
///
/// # Errors
/// If the client cannot be built.
pub fn soak_client(
    timeout: std::time::Duration,
    idle: std::time::Duration,
) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(usize::MAX)
        .pool_idle_timeout(idle)
        .tcp_nodelay(true)
        .timeout(timeout)
        .build()
        .context("building the HTTP client")
}

/// An error and its sources on one line (reqwest's own text hides the cause).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// P-256 keys with their PKCS#10 requests, and the current development-issuer tokens.
pub struct CertKeys {
    keys: Vec<(EcdsaKeyPair, String)>,
    tokens: RwLock<Arc<Vec<String>>>,
    next: AtomicUsize,
    rng: SystemRandom,
}

impl std::fmt::Debug for CertKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertKeys")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl CertKeys {
    /// `count` keys, each with base64 of its PEM CSR (PROTOCOL.md §2.1).
    ///
    /// # Errors
    /// Key generation or CSR encoding failed.
    pub fn generate(count: usize) -> anyhow::Result<Self> {
        let rng = SystemRandom::new();
        let keys = (0..count.max(1))
            .map(|_| {
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                    .map_err(|_| anyhow::anyhow!("P-256 key generation failed"))?;
                let rc = rcgen::KeyPair::try_from(pkcs8.as_ref()).context("rcgen key")?;
                let csr = rcgen::CertificateParams::new(Vec::<String>::new())?
                    .serialize_request(&rc)?
                    .pem()?;
                let pair =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
                        .map_err(|_| anyhow::anyhow!("P-256 key"))?;
                Ok((pair, B64.encode(csr)))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            keys,
            tokens: RwLock::new(Arc::new(Vec::new())),
            next: AtomicUsize::new(0),
            rng,
        })
    }

    /// Replaces the tokens requests are made with.
    pub fn set_tokens(&self, tokens: Vec<String>) {
        *self
            .tokens
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(tokens);
    }

    /// The next key's index and its `signingCert` request body.
    fn request(&self) -> Option<(usize, Vec<u8>)> {
        let tokens = Arc::clone(
            &self
                .tokens
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let i = n % self.keys.len();
        let token = tokens.get(n % tokens.len().max(1))?;
        let body = json!({
            "credentials": {"oidcIdentityToken": token},
            "certificateSigningRequest": self.keys[i].1,
        });
        serde_json::to_vec(&body).ok().map(|b| (i, b))
    }

    /// A hashedrekord 0.0.1 entry (PROTOCOL.md §4.1): key `i` signs a fresh random
    /// artefact (ECDSA P-256/SHA-256; the log verifies over the digest), the public key
    /// is the certificate `leaf_pem` issued for key `i`.
    fn entry(&self, i: usize, leaf_pem: &str) -> Option<Vec<u8>> {
        let mut artefact = [0u8; ARTEFACT_LEN];
        rand::thread_rng().fill_bytes(&mut artefact);
        let sig = self.keys.get(i)?.0.sign(&self.rng, &artefact).ok()?;
        let body = json!({
            "kind": "hashedrekord",
            "apiVersion": "0.0.1",
            "spec": {
                "signature": {
                    "content": B64.encode(sig.as_ref()),
                    "publicKey": {"content": B64.encode(leaf_pem)},
                },
                "data": {"hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(artefact))}},
            },
        });
        serde_json::to_vec(&body).ok()
    }
}

/// A uniform sample of the entries this run created: `(entryID, logIndex)`.
#[derive(Debug, Default)]
struct Reservoir {
    items: Vec<(String, u64)>,
    seen: u64,
}

/// What the run knows exists on the server.
#[derive(Debug, Default)]
pub struct Known {
    size: AtomicU64,
    entries: Mutex<Reservoir>,
}

impl Known {
    /// The largest published tree size seen (in an append's inclusion proof or a
    /// checkpoint).
    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }

    fn saw_size(&self, size: u64) {
        self.size.fetch_max(size, Ordering::Relaxed);
    }

    fn saw_entry(&self, uuid: String, index: u64) {
        let mut r = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r.seen += 1;
        if r.items.len() < RESERVOIR {
            r.items.push((uuid, index));
        } else {
            // Algorithm R: keep the new one with probability RESERVOIR / seen.
            let j = rand::thread_rng().gen_range(0..r.seen);
            if let Some(slot) = usize::try_from(j).ok().and_then(|j| r.items.get_mut(j)) {
                *slot = (uuid, index);
            }
        }
    }

    fn pick_entry(&self) -> Option<(String, u64)> {
        let r = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if r.items.is_empty() {
            return None;
        }
        let j = rand::thread_rng().gen_range(0..r.items.len());
        r.items.get(j).cloned()
    }
}

/// Everything an operation needs.
pub struct Ctx {
    /// The loopback-only target and its URLs (its own pool serves set-up requests).
    pub client: Arc<LogClient>,
    /// The pool the operations and the sampler use (see [`soak_client`]).
    http: reqwest::Client,
    /// Where outcomes go.
    pub rec: Recorder,
    /// What exists on the server.
    pub known: Known,
    /// Keys for certificates, and the tokens.
    pub certs: CertKeys,
    pool: KeyPool,
    reads: WeightedIndex<u32>,
    entries_url: String,
    signing_cert_url: String,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("target", self.client.target())
            .finish_non_exhaustive()
    }
}

/// `POST /api/v2/signingCert` answer (§2.4): the chain of the embedded-SCT form.
#[derive(Deserialize)]
struct Issued {
    #[serde(rename = "signedCertificateEmbeddedSct")]
    sct: IssuedChain,
}

#[derive(Deserialize)]
struct IssuedChain {
    chain: Certificates,
}

#[derive(Deserialize)]
struct Certificates {
    certificates: Vec<String>,
}

/// The leaf of a three-certificate PEM chain (leaf, intermediate, root).
fn leaf_of(body: &[u8]) -> Option<String> {
    let issued: Issued = serde_json::from_slice(body).ok()?;
    let certs = issued.sct.chain.certificates;
    let all_pem = certs
        .iter()
        .all(|c| c.starts_with("-----BEGIN CERTIFICATE-----"));
    (certs.len() == 3 && all_pem).then(|| certs.into_iter().next())?
}

#[derive(Deserialize)]
struct EntryMin {
    #[serde(rename = "logIndex")]
    log_index: u64,
    verification: VerificationMin,
}

#[derive(Deserialize)]
struct VerificationMin {
    #[serde(rename = "inclusionProof")]
    inclusion_proof: TreeSizeMin,
}

#[derive(Deserialize)]
struct TreeSizeMin {
    #[serde(rename = "treeSize")]
    tree_size: u64,
}

/// `(entryID, logIndex, treeSize)` of a one-entry `LogEntry` map (§4.1) keyed by an 80-hex
/// entry ID (§4.2) whose index lies inside the proof's tree.
fn created(body: &[u8]) -> Option<(String, u64, u64)> {
    let map: HashMap<String, EntryMin> = serde_json::from_slice(body).ok()?;
    let mut it = map.into_iter();
    let (Some((uuid, e)), None) = (it.next(), it.next()) else {
        return None;
    };
    let size = e.verification.inclusion_proof.tree_size;
    let hex80 = uuid.len() == 80 && uuid.bytes().all(|b| b.is_ascii_hexdigit());
    (hex80 && e.log_index < size).then_some((uuid, e.log_index, size))
}

/// The tree size of a checkpoint note (§4.5, §5.3): origin, size, base64 root, a blank
/// line, then at least one signature line.
fn checkpoint_size(body: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(body).ok()?;
    let lines: Vec<&str> = text.split('\n').collect();
    let well_formed = lines.len() >= 5
        && !lines[0].is_empty()
        && lines[2].len() == 44
        && lines[3].is_empty()
        && lines[4].starts_with('\u{2014}');
    well_formed.then(|| lines[1].parse().ok())?
}

impl Ctx {
    /// A context for the server behind `client`, sending with `http`, with `certs` and
    /// `pool`.
    ///
    /// # Errors
    /// Histogram creation (not expected).
    pub fn new(
        client: Arc<LogClient>,
        http: reqwest::Client,
        certs: CertKeys,
        pool: KeyPool,
    ) -> anyhow::Result<Self> {
        let target = client.target().clone();
        Ok(Self {
            http,
            rec: Recorder::new()?,
            known: Known::default(),
            certs,
            pool,
            reads: WeightedIndex::new(READ_WEIGHTS.iter().map(|(_, w)| *w))?,
            entries_url: target.join("/api/v1/log/entries"),
            signing_cert_url: target.join("/api/v2/signingCert"),
            client,
        })
    }

    /// Sends `req`; the outcome is `ok_status` with a body `check` accepts. Anything else
    /// is also noted with the body's start (or the transport error) for the report.
    async fn exchange(
        &self,
        op: Op,
        req: reqwest::RequestBuilder,
        ok_status: u16,
        check: impl FnOnce(&[u8]) -> bool,
    ) -> Outcome {
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                self.rec.note(format!("{}: {}", op.name(), chain(&e)));
                return Outcome::Error(ErrorKind::of(&e));
            }
        };
        let status = resp.status().as_u16();
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                self.rec
                    .note(format!("{}: reading the body: {}", op.name(), chain(&e)));
                return Outcome::Error(ErrorKind::of(&e));
            }
        };
        let outcome = if status != ok_status {
            Outcome::Status(status)
        } else if check(&body) {
            return Outcome::Ok;
        } else {
            Outcome::Invalid
        };
        let head = String::from_utf8_lossy(&body[..body.len().min(NOTE_BODY)]).into_owned();
        self.rec
            .note(format!("{}: status {status}: {head}", op.name()));
        outcome
    }

    fn post(&self, url: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
        self.http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
    }

    fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.http.get(url)
    }

    /// The transparency log's and the CT log's tree sizes (`GET /api/v1/log`, the CT
    /// checkpoint), for the sampler; `None` for one that does not answer.
    pub async fn tree_sizes(&self) -> (Option<u64>, Option<u64>) {
        #[derive(Deserialize)]
        struct LogInfo {
            #[serde(rename = "treeSize")]
            tree_size: u64,
        }
        let target = self.client.target();
        let log = async {
            let resp = self.get(&target.join("/api/v1/log")).send().await.ok()?;
            let body = resp.bytes().await.ok()?;
            serde_json::from_slice::<LogInfo>(&body)
                .ok()
                .map(|i| i.tree_size)
        };
        let ct = async {
            let resp = self.get(&target.join("/ct/checkpoint")).send().await.ok()?;
            checkpoint_size(&resp.bytes().await.ok()?)
        };
        tokio::join!(log, ct)
    }

    /// Runs one request of `stream` scheduled (or started) at `t0`, recording it under
    /// `phase`.
    pub async fn run(&self, stream: Stream, phase: Phase, t0: Instant) -> Outcome {
        match stream {
            Stream::Sign => self.sign(phase, t0).await,
            Stream::Append => self.append(phase, t0).await,
            Stream::Read => self.read(phase, t0).await,
        }
    }

    fn finish(&self, phase: Phase, op: Op, t0: Instant, outcome: Outcome) -> Outcome {
        self.rec.record(phase, op, outcome, t0.elapsed());
        outcome
    }

    /// Posts an entry and remembers what it created.
    async fn post_entry(&self, op: Op, body: Vec<u8>) -> Outcome {
        let mut got = None;
        let req = self.post(&self.entries_url, body);
        let outcome = self
            .exchange(op, req, 201, |b| {
                got = created(b);
                got.is_some()
            })
            .await;
        if let Some((uuid, index, size)) = got {
            self.known.saw_size(size);
            self.known.saw_entry(uuid, index);
        }
        outcome
    }

    async fn sign(&self, phase: Phase, t0: Instant) -> Outcome {
        let Some((key, body)) = self.certs.request() else {
            self.rec.note("sign: no token (minting failed)".to_owned());
            return self.finish(phase, Op::Sign, t0, Outcome::Invalid);
        };
        let started = Instant::now();
        let mut leaf = None;
        let req = self.post(&self.signing_cert_url, body);
        let issued = self
            .exchange(Op::SignIssue, req, 200, |b| {
                leaf = leaf_of(b);
                leaf.is_some()
            })
            .await;
        self.finish(phase, Op::SignIssue, started, issued);
        let Some(leaf) = leaf else {
            return self.finish(phase, Op::Sign, t0, issued);
        };
        let Some(entry) = self.certs.entry(key, &leaf) else {
            self.rec
                .note("sign: signing the artefact failed".to_owned());
            return self.finish(phase, Op::Sign, t0, Outcome::Invalid);
        };
        let started = Instant::now();
        let appended = self.post_entry(Op::SignAppend, entry).await;
        self.finish(phase, Op::SignAppend, started, appended);
        self.finish(phase, Op::Sign, t0, appended)
    }

    async fn append(&self, phase: Phase, t0: Instant) -> Outcome {
        let mut artefact = [0u8; ARTEFACT_LEN];
        let key = {
            let mut rng = rand::thread_rng();
            rng.fill_bytes(&mut artefact);
            rng.gen::<u32>() as usize
        };
        let Ok(body) = self.pool.entry(key, &artefact) else {
            self.rec.note("append: signing the entry failed".to_owned());
            return self.finish(phase, Op::Append, t0, Outcome::Invalid);
        };
        let outcome = self.post_entry(Op::Append, body).await;
        self.finish(phase, Op::Append, t0, outcome)
    }

    async fn read(&self, phase: Phase, t0: Instant) -> Outcome {
        let size = self.known.size().max(1);
        let base = self.client.target().base();
        // Parameters first: the thread-local RNG must not live across an await.
        let (op, plan) = {
            let mut rng = rand::thread_rng();
            let op = READ_WEIGHTS[self.reads.sample(&mut rng)].0;
            let plan = match op {
                Op::ReadInclusion => ReadPlan::Inclusion(pick_index(&mut rng, size)),
                Op::ReadUuid => ReadPlan::Uuid(self.known.pick_entry()),
                Op::ReadConsistency => ReadPlan::Consistency(pick_pair(&mut rng, size)),
                Op::ReadTile => ReadPlan::Tile(tile_pick(size, rng.gen(), rng.gen())),
                _ => ReadPlan::Checkpoint,
            };
            (op, plan)
        };
        let mut url = String::with_capacity(128);
        let outcome = match plan {
            ReadPlan::Inclusion(index) => {
                self.client.inclusion_url(&mut url, index);
                self.exchange(op, self.get(&url), 200, |b| check_inclusion(b, index))
                    .await
            }
            ReadPlan::Uuid(None) => {
                self.rec.note("read.uuid: no entry created yet".to_owned());
                Outcome::Invalid
            }
            ReadPlan::Uuid(Some((uuid, index))) => {
                url = format!("{}/{uuid}", self.entries_url);
                self.exchange(op, self.get(&url), 200, |b| {
                    created(b).is_some_and(|(u, i, _)| u == uuid && i == index)
                        && check_inclusion(b, index)
                })
                .await
            }
            ReadPlan::Consistency((first, last)) => {
                self.client.consistency_url(&mut url, first, last);
                self.exchange(op, self.get(&url), 200, check_consistency)
                    .await
            }
            ReadPlan::Tile((path, check)) => {
                url = format!("{base}/{path}");
                self.exchange(op, self.get(&url), 200, |b| check.accepts(b))
                    .await
            }
            ReadPlan::Checkpoint => {
                url = format!("{base}/checkpoint");
                let mut seen = None;
                let outcome = self
                    .exchange(op, self.get(&url), 200, |b| {
                        seen = checkpoint_size(b);
                        seen.is_some()
                    })
                    .await;
                if let Some(s) = seen {
                    self.known.saw_size(s);
                }
                outcome
            }
        };
        self.finish(phase, op, t0, outcome)
    }
}

/// One read's parameters.
enum ReadPlan {
    Inclusion(u64),
    Uuid(Option<(String, u64)>),
    Consistency((u64, u64)),
    Tile((String, TileCheck)),
    Checkpoint,
}

/// What a tile answer must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TileCheck {
    /// `width` hashes of 32 bytes.
    Hashes { width: u16 },
    /// `width` length-prefixed entries starting at `first`.
    Entries { first: u64, width: u16 },
}

impl TileCheck {
    fn accepts(self, body: &[u8]) -> bool {
        match self {
            TileCheck::Hashes { width } => split_hash_tile(body, width).is_ok(),
            TileCheck::Entries { first, width } => split_entry_bundle(body, first, width)
                .is_ok_and(|e| e.iter().all(|x| !x.is_empty())),
        }
    }
}

/// A random existing tile of a tree of `size` leaves: a level-0 or level-1 hash tile or
/// an entry bundle (`kind % 3`), at a uniformly random index `pick` (full, or the right
/// edge's partial tile), and the check its answer must pass (C2SP tlog-tiles, §5.2).
fn tile_pick(size: u64, pick: u64, kind: u64) -> (String, TileCheck) {
    let level: u8 = if kind % 3 == 1 && size >= TILE_WIDTH {
        1
    } else {
        0
    };
    let nodes = size >> (8 * u32::from(level));
    let tiles = nodes.div_ceil(TILE_WIDTH).max(1);
    let index = pick % tiles;
    let width = tile_width_at(level, index, size).max(1);
    if kind % 3 == 2 {
        let b = EntryBundleId { index, width };
        (
            b.path(),
            TileCheck::Entries {
                first: b.first_entry(),
                width,
            },
        )
    } else {
        let t = TileId {
            level,
            index,
            width,
        };
        (t.path(), TileCheck::Hashes { width })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_exist_in_the_tree() {
        // 1000 leaves: level 0 has tiles 0..=3 (the last 232 wide), level 1 one tile of 3.
        let (p, c) = tile_pick(1000, 3, 0);
        assert_eq!(p, "tile/0/003.p/232");
        assert_eq!(c, TileCheck::Hashes { width: 232 });
        let (p, _) = tile_pick(1000, 1, 0);
        assert_eq!(p, "tile/0/001");
        let (p, c) = tile_pick(1000, 7, 1);
        assert_eq!(p, "tile/1/000.p/3");
        assert_eq!(c, TileCheck::Hashes { width: 3 });
        let (p, c) = tile_pick(1000, 2, 2);
        assert_eq!(p, "tile/entries/002");
        assert_eq!(
            c,
            TileCheck::Entries {
                first: 512,
                width: 256
            }
        );
        // Below 256 leaves there is no level-1 tile: level 0 instead.
        assert_eq!(tile_pick(10, 5, 1).0, "tile/0/000.p/10");
        for pick in 0..2000u64 {
            for kind in 0..3 {
                let (p, c) = tile_pick(70_000, pick * 7919, kind);
                let w = match c {
                    TileCheck::Hashes { width } | TileCheck::Entries { width, .. } => width,
                };
                assert!((1..=256).contains(&w), "{p}");
            }
        }
    }

    #[test]
    fn failure_notes_carry_the_cause() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        ));
        assert_eq!(chain(&e), "error sending request: connection reset by peer");
    }

    #[test]
    fn tile_checks() {
        assert!(TileCheck::Hashes { width: 2 }.accepts(&[0u8; 64]));
        assert!(!TileCheck::Hashes { width: 2 }.accepts(&[0u8; 63]));
        let bundle = [0u8, 2, b'{', b'}', 0, 1, b'x'];
        assert!(TileCheck::Entries { first: 0, width: 2 }.accepts(&bundle));
        assert!(!TileCheck::Entries { first: 0, width: 3 }.accepts(&bundle));
        assert!(!TileCheck::Entries { first: 0, width: 1 }.accepts(&[0, 0]));
    }

    #[test]
    fn answers_are_checked() {
        let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        let ok = json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [pem, "-----BEGIN CERTIFICATE-----\nAQ==\n", pem]}}});
        assert_eq!(
            leaf_of(&serde_json::to_vec(&ok).unwrap()).as_deref(),
            Some(pem)
        );
        let two = json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [pem, pem]}}});
        assert_eq!(leaf_of(&serde_json::to_vec(&two).unwrap()), None);

        let id = "a".repeat(80);
        let entry = |index: u64, size: u64| {
            serde_json::to_vec(&json!({ id.clone(): {"logIndex": index, "verification": {"inclusionProof": {"treeSize": size}}}})).unwrap()
        };
        assert_eq!(created(&entry(4, 5)), Some((id.clone(), 4, 5)));
        assert_eq!(created(&entry(5, 5)), None, "index outside the tree");
        let short = serde_json::to_vec(
            &json!({"abc": {"logIndex": 0, "verification": {"inclusionProof": {"treeSize": 1}}}}),
        )
        .unwrap();
        assert_eq!(created(&short), None);

        let root = B64.encode([0u8; 32]);
        let note = format!("host - 42\n17\n{root}\n\n\u{2014} host AAAA\n");
        assert_eq!(checkpoint_size(note.as_bytes()), Some(17));
        assert_eq!(
            checkpoint_size(format!("host - 42\n17\n{root}\n").as_bytes()),
            None
        );
        assert_eq!(checkpoint_size(b"x\ny\nz\n\n\xe2\x80\x94 s\n"), None);
    }

    #[test]
    fn reservoir_stays_bounded_and_uniformish() {
        let k = Known::default();
        assert_eq!(k.pick_entry(), None);
        for i in 0..(3 * RESERVOIR as u64) {
            k.saw_entry(format!("{i}"), i);
        }
        let r = k.entries.lock().unwrap();
        assert_eq!(r.items.len(), RESERVOIR);
        assert_eq!(r.seen, 3 * RESERVOIR as u64);
        // About a third of the kept entries come from each third of the stream.
        let old = r
            .items
            .iter()
            .filter(|(_, i)| *i < RESERVOIR as u64)
            .count();
        assert!((900..1850).contains(&old), "{old}");
        drop(r);
        k.saw_size(10);
        k.saw_size(7);
        assert_eq!(k.size(), 10);
    }

    #[test]
    fn certificate_requests_rotate_keys_and_tokens() {
        let c = CertKeys::generate(3).unwrap();
        assert!(c.request().is_none(), "no token yet");
        c.set_tokens(vec!["t0".into(), "t1".into()]);
        let (i, body) = c.request().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["credentials"]["oidcIdentityToken"], "t1");
        assert_eq!(i, 1);
        let csr = B64
            .decode(v["certificateSigningRequest"].as_str().unwrap())
            .unwrap();
        assert!(String::from_utf8(csr)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        let e: serde_json::Value = serde_json::from_slice(&c.entry(i, "PEM").unwrap()).unwrap();
        assert_eq!(e["kind"], "hashedrekord");
        assert_eq!(
            e["spec"]["signature"]["publicKey"]["content"],
            B64.encode("PEM")
        );
        assert_eq!(
            e["spec"]["data"]["hash"]["value"].as_str().unwrap().len(),
            64
        );
    }
}
