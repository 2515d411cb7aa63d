//! The certificate-transparency log the CA submits every precertificate to (RFC 6962
//! §3.1 `add-pre-chain`, done in-process), the SCT it returns (§3.2), and the log's signed
//! tree heads (§3.5). The log itself is a `signet-tlog` log of the CT flavour: leaves are
//! `MerkleTreeLeaf`s, stored with a [`StoredExtra`] beside them (the issuance record and
//! the precertificate), served as C2SP tiles and through the RFC 6962 §4 read API
//! ([`crate::ct_api`]).
//!
//! The SCT is signed only after the leaf is durably in the log, so every SCT this log
//! hands out is backed by an entry at a known index (there is no merge delay).
//!
//! # Tree head timestamps
//!
//! RFC 6962 §3.5 wants a tree head's timestamp to be at least that of every SCT for the
//! entries it covers. [`CtLog::signed_tree_head`] signs one tree head per tree size and
//! keeps it (same bytes, same timestamp for every `get-sth` of that size, for the life of
//! the process), with the timestamp
//!
//! `max(now, highest SCT timestamp logged so far, timestamp of the previous tree head)`.
//!
//! "Highest SCT timestamp" is exact for every entry this process logged: it is raised
//! before the entry is appended, so before any tree head can cover it. For entries logged
//! by an earlier process it is seeded, at the first tree head, from the last
//! [`SEED_SCAN_ENTRIES`] entries of the tree as it was when this [`CtLog`] was made;
//! older entries are covered by the wall clock, which would have to have stepped back
//! across a restart by more than the time those entries took to be logged. Tree head
//! timestamps never decrease. After a restart the first tree head is signed afresh (a
//! second, equally valid STH for a size already served, with a later timestamp).

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use signet_ca_core::{
    profile::Precertificate,
    sct::{self, Sct},
    signer::{CaAlgorithm, CaSigner, SignError},
    sth::{self, SignedTreeHead, SthError, TreeHead},
};
use signet_tlog::{log::AppendOutcome, Log, LogError};
use signet_tlog_core::keys::EcdsaP256Signer;
use tls_codec::{
    DeserializeBytes as _, Serialize as _, TlsByteSliceU24, TlsDeserializeBytes, TlsSerialize,
    TlsSize, TlsSliceU24,
};

/// Entries read back, at the first tree head, for the highest SCT timestamp logged by an
/// earlier process (see the module documentation).
pub const SEED_SCAN_ENTRIES: u64 = 256;

/// The version of the [`StoredExtra`] format this code writes and reads.
pub const STORED_EXTRA_VERSION: u32 = 1;

/// Largest `opaque<1..2^24-1>` (RFC 6962 §3.1 `ASN.1Cert` and the chain vector).
const MAX_U24_VECTOR: usize = 0xff_ffff;

/// The CT log key as a [`CaSigner`] (ECDSA P-256, what RFC 6962 §2.1.4 logs use).
struct CtKey(EcdsaP256Signer);

impl CaSigner for CtKey {
    fn algorithm(&self) -> CaAlgorithm {
        CaAlgorithm::EcdsaP256Sha256
    }
    fn public_key_der(&self) -> &[u8] {
        self.0.public_key_der()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.0.sign(message).map_err(|e| SignError {
            reason: e.to_string(),
        })
    }
}

/// Why a precertificate could not be logged, or a tree head signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtError {
    /// Building the leaf or the SCT failed.
    #[error("{0}")]
    Encoding(String),
    /// The issuance record or precertificate could not be stored.
    #[error("CT entry extra: {0}")]
    Extra(#[from] ExtraError),
    /// The log refused or failed the append, or a read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The same precertificate is already logged (cannot happen with random serials).
    #[error("precertificate already logged at index {index}")]
    Duplicate {
        /// Where.
        index: u64,
    },
    /// Signing the tree head failed.
    #[error("signing the tree head: {0}")]
    TreeHead(#[from] SthError),
    /// A stored leaf is not an RFC 6962 v1 `MerkleTreeLeaf`.
    #[error("CT log entry {index} is not an RFC 6962 v1 timestamped MerkleTreeLeaf")]
    MalformedLeaf {
        /// The entry.
        index: u64,
    },
}

/// Why a [`StoredExtra`] could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtraError {
    /// The issuance record handed to the log is not JSON.
    #[error("the issuance record is not JSON: {0}")]
    RecordNotJson(#[source] serde_json::Error),
    /// The precertificate is empty (RFC 6962 `ASN.1Cert` is `opaque<1..2^24-1>`).
    #[error("the precertificate is empty")]
    EmptyPrecertificate,
    /// Encoding the JSON failed.
    #[error("encoding the stored extra: {0}")]
    Encode(#[source] serde_json::Error),
    /// The stored bytes are not the JSON object of the format.
    #[error("stored extra is not a JSON object of the documented format: {0}")]
    Malformed(#[source] serde_json::Error),
    /// The stored object has no `version`: an issuance record written before the
    /// precertificate was stored beside it.
    #[error("stored extra has no version: the entry was logged before precertificates were stored, its extra is the bare issuance record")]
    Unversioned,
    /// A version this code does not read.
    #[error("stored extra version {version} is not supported (this code reads version {STORED_EXTRA_VERSION})")]
    UnsupportedVersion {
        /// The stored version.
        version: u32,
    },
    /// `precertificate` is not standard base64.
    #[error("stored precertificate is not base64: {0}")]
    PrecertificateBase64(#[source] base64::DecodeError),
}

/// What the CT log stores beside each leaf, outside the tree (the log's `extra` column):
/// the issuance record and the precertificate, so that `get-entries` can serve the
/// RFC 6962 `PrecertChainEntry` and auditors can tie each entry to who got it and why.
///
/// **Format (version 1), the one auditors read**: a UTF-8 JSON object
///
/// ```json
/// {"version":1,"issuanceRecord":{...},"precertificate":"MIIC..."}
/// ```
///
/// * `version`: the number 1 ([`STORED_EXTRA_VERSION`]);
/// * `issuanceRecord`: the issuance record (`crate::issuance::IssuanceRecord`) as the CA
///   wrote it, embedded verbatim as a JSON value;
/// * `precertificate`: the precertificate DER (with its CT poison extension), standard
///   base64 with padding (RFC 4648 §4).
///
/// Readers ignore other members. The issuer chain is not stored per entry: it is the CA's
/// chain (`CaKeys::chain_der`). Entries written before this format hold the bare issuance
/// record; [`StoredExtra::decode`] reports them as [`ExtraError::Unversioned`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredExtra {
    /// The issuance record, JSON bytes exactly as stored.
    pub issuance_record: Vec<u8>,
    /// The precertificate DER.
    pub precertificate_der: Vec<u8>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtraOut<'a> {
    version: u32,
    issuance_record: &'a RawValue,
    precertificate: String,
}

#[derive(Deserialize)]
struct ExtraVersion {
    version: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtraIn<'a> {
    #[serde(borrow)]
    issuance_record: &'a RawValue,
    precertificate: String,
}

impl StoredExtra {
    /// Encodes `issuance_record` (JSON) and `precertificate_der` in the version-1 format.
    ///
    /// # Errors
    /// [`ExtraError::RecordNotJson`] or [`ExtraError::EmptyPrecertificate`].
    pub fn encode(
        issuance_record: &[u8],
        precertificate_der: &[u8],
    ) -> Result<Vec<u8>, ExtraError> {
        if precertificate_der.is_empty() {
            return Err(ExtraError::EmptyPrecertificate);
        }
        let record: &RawValue =
            serde_json::from_slice(issuance_record).map_err(ExtraError::RecordNotJson)?;
        serde_json::to_vec(&ExtraOut {
            version: STORED_EXTRA_VERSION,
            issuance_record: record,
            precertificate: base64::engine::general_purpose::STANDARD.encode(precertificate_der),
        })
        .map_err(ExtraError::Encode)
    }

    /// Decodes a stored extra (see the format above).
    ///
    /// # Errors
    /// [`ExtraError::Malformed`], [`ExtraError::Unversioned`] (an entry from before the
    /// format), [`ExtraError::UnsupportedVersion`], [`ExtraError::PrecertificateBase64`]
    /// or [`ExtraError::EmptyPrecertificate`].
    pub fn decode(stored: &[u8]) -> Result<Self, ExtraError> {
        let ExtraVersion { version } =
            serde_json::from_slice(stored).map_err(ExtraError::Malformed)?;
        match version {
            None => return Err(ExtraError::Unversioned),
            Some(STORED_EXTRA_VERSION) => {}
            Some(version) => return Err(ExtraError::UnsupportedVersion { version }),
        }
        let wire: ExtraIn<'_> = serde_json::from_slice(stored).map_err(ExtraError::Malformed)?;
        let precertificate_der = base64::engine::general_purpose::STANDARD
            .decode(&wire.precertificate)
            .map_err(ExtraError::PrecertificateBase64)?;
        if precertificate_der.is_empty() {
            return Err(ExtraError::EmptyPrecertificate);
        }
        Ok(Self {
            issuance_record: wire.issuance_record.get().as_bytes().to_vec(),
            precertificate_der,
        })
    }
}

/// RFC 6962 §3.1 `PrecertChainEntry`, wire form: `ASN.1Cert pre_certificate;
/// ASN.1Cert precertificate_chain<0..2^24-1>;` with `opaque ASN.1Cert<1..2^24-1>`.
#[derive(TlsSerialize, TlsSize)]
struct PrecertChainEntryWire<'a> {
    pre_certificate: TlsByteSliceU24<'a>,
    precertificate_chain: TlsSliceU24<'a, TlsByteSliceU24<'a>>,
}

/// The RFC 6962 §3.1 `PrecertChainEntry` of a precertificate issued under `chain_der`
/// (issuer first, root last): what `get-entries` returns as `extra_data` (§4.6).
///
/// # Errors
/// [`CtError::Encoding`] if a certificate is empty or one of them, or the chain, exceeds
/// 2^24−1 bytes.
pub fn precert_chain_entry(precert_der: &[u8], chain_der: &[Vec<u8>]) -> Result<Vec<u8>, CtError> {
    let check = |what: &str, len: usize| {
        if len == 0 || len > MAX_U24_VECTOR {
            return Err(CtError::Encoding(format!(
                "PrecertChainEntry: {what} is {len} bytes, outside 1..=2^24-1"
            )));
        }
        Ok(())
    };
    check("the precertificate", precert_der.len())?;
    let mut chain_len = 0usize;
    for cert in chain_der {
        check("a chain certificate", cert.len())?;
        chain_len += 3 + cert.len();
    }
    if chain_len > MAX_U24_VECTOR {
        return Err(CtError::Encoding(format!(
            "PrecertChainEntry: the chain is {chain_len} bytes, more than 2^24-1"
        )));
    }
    let chain: Vec<TlsByteSliceU24<'_>> = chain_der.iter().map(|c| TlsByteSliceU24(c)).collect();
    PrecertChainEntryWire {
        pre_certificate: TlsByteSliceU24(precert_der),
        precertificate_chain: TlsSliceU24(&chain),
    }
    .tls_serialize_detached()
    .map_err(|e| CtError::Encoding(format!("PrecertChainEntry: {e}")))
}

/// The leading fields of an RFC 6962 §3.4 `MerkleTreeLeaf` (v1, timestamped_entry).
#[derive(TlsDeserializeBytes, TlsSize)]
struct LeafPrefix {
    version: u8,
    leaf_type: u8,
    timestamp: u64,
}

/// The timestamp (ms) of an RFC 6962 v1 timestamped-entry `MerkleTreeLeaf`: the
/// timestamp of its SCT.
#[must_use]
pub fn leaf_timestamp(leaf_input: &[u8]) -> Option<u64> {
    let (prefix, _) = LeafPrefix::tls_deserialize_bytes(leaf_input).ok()?;
    (prefix.version == 0 && prefix.leaf_type == 0).then_some(prefix.timestamp)
}

/// A logged precertificate.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The SCT to embed.
    pub sct: Sct,
    /// The CT log index of the entry.
    pub index: u64,
}

/// The signed-tree-head cache (see the module documentation).
#[derive(Default)]
struct SthState {
    /// The newest tree head signed, served again while the tree does not grow.
    latest: Option<Arc<SignedTreeHead>>,
    /// Whether the SCT high-water mark has been seeded from the stored tail.
    seeded: bool,
}

/// The CA's CT log.
#[derive(Clone)]
pub struct CtLog {
    log: Log,
    key: Arc<CtKey>,
    /// Highest SCT timestamp (ms) handed to the log, raised before each append.
    sct_high_water: Arc<AtomicU64>,
    /// Tree size when this `CtLog` was made: the tail of entries from earlier processes.
    startup_size: u64,
    sth: Arc<tokio::sync::Mutex<SthState>>,
}

impl std::fmt::Debug for CtLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtLog")
            .field("origin", &self.log.meta().origin)
            .finish_non_exhaustive()
    }
}

impl CtLog {
    /// Wraps a started CT-flavoured log and its key (the same key the log signs
    /// checkpoints with).
    #[must_use]
    pub fn new(log: Log, key: EcdsaP256Signer) -> Self {
        let startup_size = log.head().size;
        Self {
            log,
            key: Arc::new(CtKey(key)),
            sct_high_water: Arc::new(AtomicU64::new(0)),
            startup_size,
            sth: Arc::new(tokio::sync::Mutex::new(SthState::default())),
        }
    }

    /// The log.
    #[must_use]
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// DER SubjectPublicKeyInfo of the log key (for `ctlogs` in the trusted root).
    #[must_use]
    pub fn public_key_der(&self) -> &[u8] {
        self.key.public_key_der()
    }

    /// Logs `precert` with its issuance `record` (JSON; stored with the precertificate
    /// as a [`StoredExtra`]) and search `keys`, then signs its SCT (RFC 6962 §3.1–3.2)
    /// with the same timestamp as the leaf.
    ///
    /// # Errors
    /// [`CtError`]; nothing is logged on error.
    pub async fn add_pre_chain(
        &self,
        precert: &Precertificate,
        record: Vec<u8>,
        keys: Vec<String>,
        timestamp_ms: u64,
    ) -> Result<Logged, CtError> {
        let entry = precert
            .ct_entry()
            .map_err(|e| CtError::Encoding(e.to_string()))?;
        let leaf = sct::merkle_tree_leaf(&entry, timestamp_ms, &[])
            .map_err(|e| CtError::Encoding(e.to_string()))?;
        let extra = StoredExtra::encode(&record, precert.der())?;
        // Before the append: any tree head covering this entry sees its timestamp.
        self.sct_high_water
            .fetch_max(timestamp_ms, Ordering::SeqCst);
        let index = match self.log.append_leaf(leaf, keys, Some(extra)).await? {
            AppendOutcome::Created(p) => p.entry.index,
            AppendOutcome::Duplicate { index, .. } => return Err(CtError::Duplicate { index }),
        };
        let sct = sct::sign_sct(self.key.as_ref(), &entry, timestamp_ms)
            .map_err(|e| CtError::Encoding(e.to_string()))?;
        Ok(Logged { sct, index })
    }

    /// The signed tree head (RFC 6962 §3.5) of the newest published tree: signed once per
    /// tree size and kept, with a timestamp at least that of every SCT of the entries it
    /// covers (see the module documentation).
    ///
    /// # Errors
    /// [`CtError::Log`] reading the stored tail (first call only),
    /// [`CtError::MalformedLeaf`], [`CtError::TreeHead`] if signing fails.
    pub async fn signed_tree_head(&self) -> Result<Arc<SignedTreeHead>, CtError> {
        let mut state = self.sth.lock().await;
        if !state.seeded {
            let tail = self.max_stored_sct_timestamp().await?;
            self.sct_high_water.fetch_max(tail, Ordering::SeqCst);
            state.seeded = true;
        }
        // Read under the lock, so the cached head only ever moves forward.
        let head = self.log.head();
        if let Some(latest) = &state.latest {
            if latest.tree_head.tree_size == head.size
                && latest.tree_head.sha256_root_hash == head.root.0
            {
                return Ok(latest.clone());
            }
        }
        let previous = state
            .latest
            .as_ref()
            .map_or(0, |s| s.tree_head.timestamp_ms);
        // After reading the head: every entry it covers raised the mark before its append.
        let timestamp_ms = unix_millis_now()
            .max(self.sct_high_water.load(Ordering::SeqCst))
            .max(previous);
        let signed = Arc::new(sth::sign_tree_head(
            self.key.as_ref(),
            &TreeHead {
                timestamp_ms,
                tree_size: head.size,
                sha256_root_hash: head.root.0,
            },
        )?);
        state.latest = Some(signed.clone());
        Ok(signed)
    }

    /// Highest leaf (SCT) timestamp among the last [`SEED_SCAN_ENTRIES`] entries of the
    /// tree this `CtLog` started with.
    async fn max_stored_sct_timestamp(&self) -> Result<u64, CtError> {
        let start = self.startup_size.saturating_sub(SEED_SCAN_ENTRIES);
        let entries = self
            .log
            .entries_range(start, self.startup_size - start)
            .await?;
        let mut max = 0;
        for e in &entries {
            let ts = leaf_timestamp(&e.body).ok_or(CtError::MalformedLeaf { index: e.index })?;
            max = max.max(ts);
        }
        Ok(max)
    }
}

fn unix_millis_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn stored_extra_round_trip_keeps_the_record_verbatim() {
        let record = br#"{"identity":{"san":"a@example.com"},"notBefore":5}"#;
        let stored = StoredExtra::encode(record, b"\x30\x03\x02\x01\x01").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&stored).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["issuanceRecord"]["identity"]["san"], "a@example.com");
        assert_eq!(v["precertificate"], "MAMCAQE=");
        let back = StoredExtra::decode(&stored).unwrap();
        assert_eq!(back.issuance_record, record);
        assert_eq!(back.precertificate_der, b"\x30\x03\x02\x01\x01");
    }

    #[test]
    fn stored_extra_refusals() {
        assert!(matches!(
            StoredExtra::encode(b"not json", b"\x30\x00"),
            Err(ExtraError::RecordNotJson(_))
        ));
        assert!(matches!(
            StoredExtra::encode(b"{}", b""),
            Err(ExtraError::EmptyPrecertificate)
        ));
        // The bare issuance record of entries logged before this format.
        assert!(matches!(
            StoredExtra::decode(br#"{"identity":{},"allowedBy":{}}"#),
            Err(ExtraError::Unversioned)
        ));
        assert!(matches!(
            StoredExtra::decode(br#"{"version":2,"x":1}"#),
            Err(ExtraError::UnsupportedVersion { version: 2 })
        ));
        assert!(matches!(
            StoredExtra::decode(br#"{"version":1,"issuanceRecord":{}}"#),
            Err(ExtraError::Malformed(_))
        ));
        assert!(matches!(
            StoredExtra::decode(br#"{"version":1,"issuanceRecord":{},"precertificate":"@@"}"#),
            Err(ExtraError::PrecertificateBase64(_))
        ));
        assert!(matches!(
            StoredExtra::decode(b"\xff"),
            Err(ExtraError::Malformed(_))
        ));
    }

    #[test]
    fn precert_chain_entry_layout() {
        let got = precert_chain_entry(&[0xaa, 0xbb], &[vec![1], vec![2, 3]]).unwrap();
        assert_eq!(
            got,
            [0, 0, 2, 0xaa, 0xbb, 0, 0, 9, 0, 0, 1, 1, 0, 0, 2, 2, 3]
        );
        assert_eq!(
            precert_chain_entry(&[1], &[]).unwrap(),
            [0, 0, 1, 1, 0, 0, 0]
        );
        assert!(precert_chain_entry(&[], &[]).is_err());
        assert!(precert_chain_entry(&[1], &[vec![]]).is_err());
    }

    #[test]
    fn leaf_timestamps() {
        let mut leaf = vec![0, 0];
        leaf.extend_from_slice(&1_234_567u64.to_be_bytes());
        leaf.extend_from_slice(&[0, 1]);
        assert_eq!(leaf_timestamp(&leaf), Some(1_234_567));
        leaf[0] = 1;
        assert_eq!(leaf_timestamp(&leaf), None);
        assert_eq!(leaf_timestamp(&[0, 0, 1]), None);
    }
}
