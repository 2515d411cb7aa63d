//! The certificate-transparency log the CA submits every precertificate to (RFC 6962
//! §3.1 `add-pre-chain`, done in-process), and the SCT it returns (§3.2). The log itself
//! is a `signet-tlog` log of the CT flavour: leaves are `MerkleTreeLeaf`s, stored with the
//! issuance record beside them, served as C2SP tiles.
//!
//! The SCT is signed only after the leaf is durably in the log, so every SCT this log
//! hands out is backed by an entry at a known index (there is no merge delay).

use std::sync::Arc;

use signet_ca_core::{
    profile::Precertificate,
    sct::{self, Sct},
    signer::{CaAlgorithm, CaSigner, SignError},
};
use signet_tlog::{log::AppendOutcome, Log, LogError};
use signet_tlog_core::keys::EcdsaP256Signer;

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

/// Why a precertificate could not be logged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtError {
    /// Building the leaf or the SCT failed.
    #[error("{0}")]
    Encoding(String),
    /// The log refused or failed the append.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The same precertificate is already logged (cannot happen with random serials).
    #[error("precertificate already logged at index {index}")]
    Duplicate {
        /// Where.
        index: u64,
    },
}

/// A logged precertificate.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The SCT to embed.
    pub sct: Sct,
    /// The CT log index of the entry.
    pub index: u64,
}

/// The CA's CT log.
#[derive(Clone)]
pub struct CtLog {
    log: Log,
    key: Arc<CtKey>,
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
        Self {
            log,
            key: Arc::new(CtKey(key)),
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

    /// Logs `precert` with its issuance `record` and search `keys`, then signs its SCT
    /// (RFC 6962 §3.1–3.2) with the same timestamp as the leaf.
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
        let index = match self.log.append_leaf(leaf, keys, Some(record)).await? {
            AppendOutcome::Created(p) => p.entry.index,
            AppendOutcome::Duplicate { index, .. } => return Err(CtError::Duplicate { index }),
        };
        let sct = sct::sign_sct(self.key.as_ref(), &entry, timestamp_ms)
            .map_err(|e| CtError::Encoding(e.to_string()))?;
        Ok(Logged { sct, index })
    }
}
