//! The log's in-memory state: the compact range (O(log n) hashes) and the newest
//! signed checkpoint, loaded from and checked against storage.

use signet_tlog_core::{
    checkpoint::Checkpoint,
    hash::Hash,
    keys::EcdsaP256Signer,
    note::NoteVerifier,
    proof,
    tree::{root_from_frontier, CompactRange},
};

use crate::{
    error::LogError,
    storage::{LogMeta, Storage, StoredCheckpoint},
};

/// The newest published tree head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// Signed checkpoint (note text).
    pub note: String,
    /// The frontier of the tree of `size` (O(log n) hashes): every proof against this
    /// head takes its right-edge nodes from here instead of storage.
    pub frontier: CompactRange,
}

impl Head {
    /// The head for a committed checkpoint and `frontier`, the compact range of the very
    /// tree the checkpoint was signed for (the sequencer's range after the batch, or the
    /// range [`load`] checked against the stored root).
    pub(crate) fn new(c: StoredCheckpoint, frontier: CompactRange) -> Self {
        debug_assert_eq!(frontier.size(), c.size);
        Head {
            size: c.size,
            root: c.root,
            note: c.note,
            frontier,
        }
    }
}

/// Loads the newest checkpoint and the compact range for its size, and checks that
/// they agree: the checkpoint verifies with `signer`'s key, names this log's origin,
/// and its root equals the root recomputed from the stored frontier nodes.
///
/// # Errors
/// [`LogError::Inconsistent`] if any check fails; storage errors otherwise.
pub async fn load(
    storage: &Storage,
    signer: &EcdsaP256Signer,
    meta: &LogMeta,
) -> Result<(CompactRange, Head), LogError> {
    let stored = storage
        .latest_checkpoint()
        .await?
        .ok_or_else(|| LogError::Inconsistent("log has no checkpoint".to_owned()))?;
    let cp = open_own(&stored.note, signer).map_err(|e| {
        LogError::Inconsistent(format!(
            "newest checkpoint does not verify with the log key in the data directory: {e}"
        ))
    })?;
    if cp.origin != meta.origin || cp.size != stored.size || cp.root != stored.root {
        return Err(LogError::Inconsistent(format!(
            "newest checkpoint (origin {:?}, size {}) does not match its row (origin {:?}, size {})",
            cp.origin, cp.size, meta.origin, stored.size
        )));
    }
    let ids = CompactRange::frontier_ids(stored.size);
    let found = storage.nodes(&ids).await?;
    let hashes = ids
        .iter()
        .map(|id| {
            found.get(id).copied().ok_or_else(|| {
                LogError::Inconsistent(format!(
                    "stored tree lacks node {id:?} of size {}",
                    stored.size
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if root_from_frontier(&hashes) != stored.root {
        return Err(LogError::Inconsistent(format!(
            "stored tree of size {} does not hash to its checkpoint's root",
            stored.size
        )));
    }
    let range = CompactRange::from_parts(stored.size, hashes)
        .map_err(|e| LogError::Inconsistent(e.to_string()))?;
    let head = Head::new(stored, range.clone());
    Ok((range, head))
}

fn open_own(
    note: &str,
    signer: &EcdsaP256Signer,
) -> Result<Checkpoint, signet_tlog_core::checkpoint::CheckpointError> {
    let verifier = signer.verifier();
    let verifiers: [&dyn NoteVerifier; 1] = [&verifier];
    Checkpoint::open(note, &verifiers)
}

/// Root hash of the tree of `size`, from stored nodes.
pub async fn root_at(storage: &Storage, size: u64) -> Result<Hash, LogError> {
    let plan = proof::root_plan(size);
    let found = storage.nodes(plan.node_ids()).await?;
    let out = plan.assemble(|id| found.get(&id).copied())?;
    out.first()
        .copied()
        .ok_or_else(|| LogError::Inconsistent("root plan produced no hash".to_owned()))
}
