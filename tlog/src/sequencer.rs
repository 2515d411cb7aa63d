//! Group commit: the single task that assigns indexes, integrates leaves into the
//! tree, signs a checkpoint and commits the whole batch in one transaction.
//!
//! Batching is natural (no fixed linger): the sequencer takes everything queued
//! (up to `max_batch`) whenever it is free, so a batch forms while the previous one
//! commits. Under light load a batch is one entry and latency is one commit; under
//! heavy load batches grow and the per-entry cost falls (PERFORMANCE.md §1.2, §5.2).
//!
//! **Invariant:** a submitter is answered `New` only after `commit_batch` returned
//! `Ok`, i.e. the entry (with its search keys), the nodes and a checkpoint covering it
//! are durable, and the search index's pending set and the published head are updated
//! before the answer is sent.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{SystemTime, UNIX_EPOCH},
};

use signet_rekor::set;
use signet_tlog_core::{
    checkpoint::Checkpoint,
    hash::Hash,
    keys::EcdsaP256Signer,
    note::NoteSigner,
    tree::{CompactRange, NodeId},
};
use tokio::sync::{mpsc, oneshot};

use crate::{
    error::LogError,
    log::{base64_std, LogFlavor},
    nodes::{NodeCache, BLOCK},
    search_index::SearchIndex,
    state::{self, Head},
    storage::{Batch, IndexRow, LogMeta, NewEntry, Storage, StoredCheckpoint},
};

/// A validated entry waiting to be sequenced.
#[derive(Debug)]
pub(crate) struct Submission {
    pub(crate) entry: LeafEntry,
    pub(crate) reply: Reply,
}

/// Complete nodes a batch's inclusion proofs need: the old frontier plus every node
/// the batch created (including its leaves). Shared by the batch's submitters, who
/// build their own proofs from it off the sequencer task.
pub(crate) type BatchNodes = Arc<HashMap<NodeId, Hash>>;

/// A leaf to append: its bytes (a canonical Rekor body, or a CT `MerkleTreeLeaf`), their
/// RFC 6962 leaf hash, and its search keys.
#[derive(Debug)]
pub(crate) struct LeafEntry {
    pub(crate) body: Vec<u8>,
    pub(crate) leaf_hash: Hash,
    pub(crate) index_keys: Vec<String>,
    pub(crate) extra: Option<Vec<u8>>,
}

/// What the sequencer answers.
#[derive(Debug)]
pub(crate) enum Sequenced {
    /// Committed at `index`; `head` covers it.
    New {
        index: u64,
        integrated_time: i64,
        head: Arc<Head>,
        nodes: BatchNodes,
        /// The entry's signed entry timestamp, as stored (`None` for a CT log).
        set: Option<Vec<u8>>,
    },
    /// An identical entry is already in the log (or earlier in the same batch) at `index`.
    Duplicate { index: u64 },
}

pub(crate) struct Sequencer {
    pub(crate) storage: Storage,
    pub(crate) signer: Arc<EcdsaP256Signer>,
    pub(crate) meta: LogMeta,
    pub(crate) range: CompactRange,
    pub(crate) head: Arc<RwLock<Arc<Head>>>,
    pub(crate) max_batch: usize,
    /// Which kind of log: decides whether entries get a SET.
    pub(crate) flavor: LogFlavor,
    pub(crate) last_time: i64,
    /// Set when a commit failed: storage may or may not hold the batch, so the
    /// in-memory range must be reloaded before the next batch.
    pub(crate) needs_resync: bool,
    /// Proof-read cache; fed with every committed node and complete leaf block.
    pub(crate) cache: Arc<NodeCache>,
    /// Leaves of the incomplete block at the right edge of the tree, when known (not
    /// after a start or a resync until the next block boundary).
    pub(crate) tail_block: Option<Vec<Hash>>,
    /// Told of every committed entry's search keys, before its submitter is answered.
    pub(crate) search: SearchIndex,
}

impl Sequencer {
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Submission>) {
        let mut subs = Vec::with_capacity(self.max_batch);
        while rx.recv_many(&mut subs, self.max_batch).await > 0 {
            let batch = std::mem::take(&mut subs);
            self.process(batch).await;
        }
        tracing::info!("sequencer stopped: all submitters gone");
    }

    async fn process(&mut self, subs: Vec<Submission>) {
        if self.needs_resync {
            match state::load(&self.storage, &self.signer, &self.meta).await {
                Ok((range, head)) => {
                    tracing::warn!(size = head.size, "resynchronised tree state from storage");
                    self.range = range;
                    self.tail_block = None;
                    self.publish(Arc::new(head));
                    self.needs_resync = false;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot reload tree state; refusing batch");
                    let reason = format!("cannot reload tree state: {e}");
                    fail_all(subs.into_iter().map(|s| s.reply), || {
                        LogError::WriteFailed {
                            reason: reason.clone(),
                        }
                    });
                    return;
                }
            }
        }
        let started = std::time::Instant::now();
        // Duplicates: one storage query per batch, not one per entry. The sequencer is
        // the only writer and runs one batch at a time, so this sees every committed
        // entry; duplicates within the batch are caught by `in_batch` below, and
        // `UNIQUE(leaf_hash)` stays the last guard.
        let leaves: Vec<Hash> = subs.iter().map(|s| s.entry.leaf_hash).collect();
        let stored = match self.storage.leaf_indexes(&leaves).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "duplicate lookup failed; refusing batch");
                let reason = format!("duplicate lookup failed: {e}");
                fail_all(subs.into_iter().map(|s| s.reply), || {
                    LogError::WriteFailed {
                        reason: reason.clone(),
                    }
                });
                return;
            }
        };
        let now = unix_now().max(self.last_time);
        let mut range = self.range.clone();
        let mut nodes: HashMap<NodeId, Hash> = CompactRange::frontier_ids(range.size())
            .into_iter()
            .zip(range.hashes().iter().copied())
            .collect();
        let mut new_nodes = Vec::new();
        let mut new_entries = Vec::new();
        let mut in_batch: HashMap<Hash, u64> = HashMap::new();
        let mut outcomes = Vec::with_capacity(subs.len());
        let mut replies = Vec::with_capacity(subs.len());
        let mut pending = subs.into_iter();
        while let Some(sub) = pending.next() {
            let leaf = sub.entry.leaf_hash;
            let outcome = if let Some(index) = stored.get(&leaf).or(in_batch.get(&leaf)).copied() {
                Outcome::Duplicate(index)
            } else {
                let index = range.size();
                // Signed here, before the commit, so that it is stored with the entry
                // and reads return it without signing again.
                let set = match self.flavor {
                    LogFlavor::CertificateTransparency => Ok(None),
                    LogFlavor::Rekor => {
                        set::sign_set(&self.signer, &base64_std(&sub.entry.body), now, index)
                            .map(Some)
                    }
                };
                let set = match set {
                    Ok(set) => set,
                    Err(e) => {
                        let msg = e.to_string();
                        replies.push(sub.reply);
                        replies.extend(pending.map(|s| s.reply));
                        fail_all(replies, || LogError::Signing(msg.clone()));
                        return;
                    }
                };
                range.append(leaf, &mut |id, h| {
                    nodes.insert(id, h);
                    if id.level > 0 {
                        new_nodes.push((id, h));
                    }
                });
                in_batch.insert(leaf, index);
                let LeafEntry {
                    body,
                    index_keys,
                    extra,
                    ..
                } = sub.entry;
                new_entries.push(NewEntry {
                    index,
                    leaf_hash: leaf,
                    body,
                    integrated_time: now,
                    set: set.clone(),
                    extra,
                    index_keys,
                });
                Outcome::New(index, set)
            };
            outcomes.push(outcome);
            replies.push(sub.reply);
        }
        if new_entries.is_empty() {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                if let Outcome::Duplicate(index) = outcome {
                    let _ = reply.send(Ok(Sequenced::Duplicate { index }));
                }
            }
            return;
        }
        let checkpoint = Checkpoint {
            origin: self.meta.origin.clone(),
            size: range.size(),
            root: range.root(),
            extensions: Vec::new(),
        };
        let note = match sign_checkpoint(&checkpoint, &self.signer) {
            Ok(n) => n,
            Err(e) => {
                let msg = e.to_string();
                fail_all(replies, || LogError::Signing(msg.clone()));
                return;
            }
        };
        let stored = StoredCheckpoint {
            size: checkpoint.size,
            root: checkpoint.root,
            note,
        };
        let batch = Batch {
            entries: &new_entries,
            nodes: &new_nodes,
            checkpoint: &stored,
        };
        let integrated = started.elapsed();
        let commit = self.storage.commit_batch(&batch).await;
        tracing::debug!(
            entries = new_entries.len(),
            nodes = new_nodes.len(),
            integrate_us = integrated.as_micros() as u64,
            commit_us = (started.elapsed() - integrated).as_micros() as u64,
            "batch"
        );
        if let Err(e) = commit {
            tracing::error!(error = %e, entries = new_entries.len(), "batch commit failed");
            self.needs_resync = true;
            let reason = e.to_string();
            fail_all(replies, || LogError::WriteFailed {
                reason: reason.clone(),
            });
            return;
        }
        self.search.committed(
            new_entries
                .iter_mut()
                .map(|e| IndexRow {
                    index: e.index,
                    keys: std::mem::take(&mut e.index_keys),
                })
                .collect(),
        );
        self.cache.insert_committed(&new_nodes);
        self.cache_blocks(&new_entries);
        self.last_time = now;
        // The checkpoint was made from this very range above.
        let head = Arc::new(Head::new(stored, range.clone()));
        self.range = range;
        self.publish(head.clone());
        let nodes = Arc::new(nodes);
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            let answer = match outcome {
                Outcome::New(index, set) => Sequenced::New {
                    index,
                    integrated_time: now,
                    head: head.clone(),
                    nodes: nodes.clone(),
                    set,
                },
                Outcome::Duplicate(index) => Sequenced::Duplicate { index },
            };
            // A submitter that went away (client disconnected) does not matter: the
            // entry is committed either way.
            let _ = reply.send(Ok(answer));
        }
    }

    /// Feeds the committed leaves into the block cache, one complete block at a time.
    fn cache_blocks(&mut self, committed: &[NewEntry]) {
        for e in committed {
            if e.index % BLOCK == 0 {
                self.tail_block = Some(Vec::with_capacity(BLOCK as usize));
            }
            if let Some(tail) = &mut self.tail_block {
                tail.push(e.leaf_hash);
                if tail.len() as u64 == BLOCK {
                    if let Ok(full) = <[Hash; BLOCK as usize]>::try_from(std::mem::take(tail)) {
                        self.cache.insert_block(e.index / BLOCK, full);
                    }
                    self.tail_block = None;
                }
            }
        }
    }

    fn publish(&self, head: Arc<Head>) {
        let mut slot = self.head.write().unwrap_or_else(|p| p.into_inner());
        *slot = head;
    }
}

enum Outcome {
    New(u64, Option<Vec<u8>>),
    Duplicate(u64),
}

/// Where the sequencer sends a submitter its answer.
type Reply = oneshot::Sender<Result<Sequenced, LogError>>;

/// Answers every submitter of a batch that was not written with the same error.
fn fail_all(replies: impl IntoIterator<Item = Reply>, err: impl Fn() -> LogError) {
    for r in replies {
        // A submitter that went away needs no answer.
        let _ = r.send(Err(err()));
    }
}

fn sign_checkpoint(
    cp: &Checkpoint,
    signer: &EcdsaP256Signer,
) -> Result<String, signet_tlog_core::checkpoint::CheckpointError> {
    let signers: [&dyn NoteSigner; 1] = [signer];
    cp.sign(&signers)
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
