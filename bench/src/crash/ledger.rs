//! What the clients were told: every acknowledged entry (201) and certificate (200), and
//! every checkpoint the server handed out, with the keys that verify them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Serialize;
use signet_ca_core::sth::{verify_tree_head, DigitallySigned, SignedTreeHead, TreeHead};
use signet_tlog_core::checkpoint::Checkpoint;
use signet_tlog_core::hash::Hash;
use signet_tlog_core::keys::EcdsaP256Verifier;
use signet_tlog_core::note::NoteVerifier;

/// An entry the log acknowledged with 201 (PROTOCOL.md §4.1).
#[derive(Clone, Debug)]
pub struct AckedEntry {
    /// The `logIndex` it was given.
    pub index: u64,
    /// Its UUID (the key of the `LogEntry` map).
    pub uuid: String,
    /// RFC 6962 leaf hash of the canonical body returned.
    pub leaf: Hash,
    /// Round in which it was acknowledged.
    pub round: u32,
}

/// A certificate the CA issued (200 with a chain, PROTOCOL.md §2.4).
#[derive(Clone, Debug)]
pub struct AckedCert {
    /// Leaf hash of the precertificate `MerkleTreeLeaf` (RFC 6962 §3.4), rebuilt from the
    /// final certificate and its embedded SCT.
    pub leaf: Hash,
    /// The SCT's timestamp, milliseconds.
    pub sct_ms: u64,
    /// Round in which it was issued.
    pub round: u32,
}

/// Tree heads seen, by size. Two roots for one size is a fork.
#[derive(Clone, Debug, Default)]
pub struct Heads {
    by_size: BTreeMap<u64, Hash>,
}

impl Heads {
    /// Records `(size, root)`.
    ///
    /// # Errors
    /// Another root was seen for this size (a fork), as a message.
    pub fn insert(&mut self, size: u64, root: Hash) -> Result<(), String> {
        match self.by_size.get(&size) {
            Some(r) if *r != root => Err(format!(
                "two roots for tree size {size}: {} and {}",
                r.to_hex(),
                root.to_hex()
            )),
            Some(_) => Ok(()),
            None => {
                self.by_size.insert(size, root);
                Ok(())
            }
        }
    }

    /// Whether `size` was seen.
    pub fn contains(&self, size: u64) -> bool {
        self.by_size.contains_key(&size)
    }

    /// All `(size, root)` pairs, smallest first.
    pub fn all(&self) -> Vec<(u64, Hash)> {
        self.by_size.iter().map(|(s, r)| (*s, *r)).collect()
    }

    /// Number of sizes seen.
    pub fn len(&self) -> usize {
        self.by_size.len()
    }
}

/// Per-kind request counters of a round.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Requests sent.
    pub sent: u64,
    /// Acknowledged (201 / 200 with a valid body).
    pub acked: u64,
    /// Other HTTP statuses, by code.
    pub statuses: BTreeMap<u16, u64>,
    /// No HTTP answer (connection refused or cut).
    pub errors: u64,
    /// No answer within the request timeout.
    pub timeouts: u64,
}

impl Stats {
    /// Adds `other` in.
    pub fn merge(&mut self, other: &Self) {
        self.sent += other.sent;
        self.acked += other.acked;
        for (k, v) in &other.statuses {
            *self.statuses.entry(*k).or_default() += v;
        }
        self.errors += other.errors;
        self.timeouts += other.timeouts;
    }
}

/// The log keys, from the `trusted_root.json` the server wrote (PROTOCOL.md §7).
#[derive(Debug)]
pub struct Keys {
    /// The transparency log's key (checkpoints, SETs).
    pub tlog: EcdsaP256Verifier,
    /// The CT log's key as a note verifier (`/ct/checkpoint`).
    pub ct_note: EcdsaP256Verifier,
    /// The CT log's DER SubjectPublicKeyInfo (SCTs, RFC 6962 STHs).
    pub ct_spki: Vec<u8>,
}

impl Keys {
    /// Reads `trusted_root.json` in `data_dir`; `host` is the note key name (the host of
    /// the public URL).
    ///
    /// # Errors
    /// Missing file, or keys that do not parse.
    pub fn load(data_dir: &Path, host: &str) -> anyhow::Result<Self> {
        let path = data_dir.join("trusted_root.json");
        let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let root: serde_json::Value = serde_json::from_slice(&text)?;
        let raw = |list: &str| -> anyhow::Result<Vec<u8>> {
            let b64 = root[list][0]["publicKey"]["rawBytes"]
                .as_str()
                .with_context(|| format!("{list}[0].publicKey.rawBytes missing"))?;
            Ok(B64.decode(b64)?)
        };
        let ct_spki = raw("ctlogs")?;
        Ok(Self {
            tlog: EcdsaP256Verifier::from_spki_der(&raw("tlogs")?, host)?,
            ct_note: EcdsaP256Verifier::from_spki_der(&ct_spki, host)?,
            ct_spki,
        })
    }

    /// A transparency-log checkpoint note, verified.
    ///
    /// # Errors
    /// Malformed or not signed by the log, as a message.
    pub fn open_tlog(&self, note: &str) -> Result<Checkpoint, String> {
        let v: [&dyn NoteVerifier; 1] = [&self.tlog];
        Checkpoint::open(note, &v).map_err(|e| format!("log checkpoint does not verify: {e}"))
    }

    /// A CT-log checkpoint note (`/ct/checkpoint`), verified.
    ///
    /// # Errors
    /// Malformed or not signed by the CT log, as a message.
    pub fn open_ct(&self, note: &str) -> Result<Checkpoint, String> {
        let v: [&dyn NoteVerifier; 1] = [&self.ct_note];
        Checkpoint::open(note, &v).map_err(|e| format!("CT checkpoint does not verify: {e}"))
    }

    /// An RFC 6962 §4.3 `get-sth` answer, verified.
    ///
    /// # Errors
    /// Malformed or not signed by the CT log, as a message.
    pub fn open_sth(&self, body: &[u8]) -> Result<TreeHead, String> {
        #[derive(serde::Deserialize)]
        struct Sth {
            tree_size: u64,
            timestamp: u64,
            sha256_root_hash: String,
            tree_head_signature: String,
        }
        let sth: Sth = serde_json::from_slice(body).map_err(|e| format!("get-sth: {e}"))?;
        let root = B64
            .decode(&sth.sha256_root_hash)
            .ok()
            .and_then(|r| <[u8; 32]>::try_from(r).ok())
            .ok_or("get-sth: bad sha256_root_hash")?;
        let sig = B64
            .decode(&sth.tree_head_signature)
            .map_err(|e| format!("get-sth: tree_head_signature: {e}"))?;
        let signed = SignedTreeHead {
            tree_head: TreeHead {
                timestamp_ms: sth.timestamp,
                tree_size: sth.tree_size,
                sha256_root_hash: root,
            },
            signature: DigitallySigned::from_bytes(&sig)
                .map_err(|e| format!("get-sth: tree_head_signature: {e}"))?,
        };
        verify_tree_head(&signed, &self.ct_spki)
            .map_err(|e| format!("get-sth: the STH does not verify: {e}"))?;
        Ok(signed.tree_head)
    }
}

/// What the clients of one round were told, filled concurrently.
#[derive(Debug, Default)]
pub struct RoundLedger {
    /// Entries acknowledged.
    pub entries: Mutex<Vec<AckedEntry>>,
    /// Certificates issued.
    pub certs: Mutex<Vec<AckedCert>>,
    /// Transparency-log checkpoints handed out (201 answers, `GET /api/v1/log`).
    pub tlog_heads: Mutex<Heads>,
    /// CT-log heads handed out (`/ct/checkpoint`, `get-sth`).
    pub ct_heads: Mutex<Heads>,
    /// Anything wrong in what the server said while it ran.
    pub failures: Mutex<Vec<String>>,
}

/// Locks a mutex, recovering the data if a task panicked while holding it.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RoundLedger {
    /// Records a failure.
    pub fn fail(&self, message: String) {
        lock(&self.failures).push(message);
    }

    /// Records a transparency-log head, or a fork.
    pub fn tlog_head(&self, size: u64, root: Hash) {
        if let Err(e) = lock(&self.tlog_heads).insert(size, root) {
            self.fail(format!("log fork: {e}"));
        }
    }

    /// Records a CT-log head, or a fork.
    pub fn ct_head(&self, size: u64, root: Hash) {
        if let Err(e) = lock(&self.ct_heads).insert(size, root) {
            self.fail(format!("CT log fork: {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_detect_forks() {
        let mut h = Heads::default();
        h.insert(3, Hash([1; 32])).unwrap();
        h.insert(3, Hash([1; 32])).unwrap();
        h.insert(5, Hash([2; 32])).unwrap();
        assert!(h.insert(3, Hash([9; 32])).is_err());
        assert_eq!(h.all(), vec![(3, Hash([1; 32])), (5, Hash([2; 32]))]);
        assert!(h.contains(5) && !h.contains(4));
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn stats_merge() {
        let mut a = Stats {
            sent: 2,
            acked: 1,
            ..Stats::default()
        };
        a.statuses.insert(503, 1);
        let mut b = a.clone();
        b.errors = 4;
        a.merge(&b);
        assert_eq!((a.sent, a.acked, a.errors), (4, 2, 4));
        assert_eq!(a.statuses[&503], 2);
    }
}
