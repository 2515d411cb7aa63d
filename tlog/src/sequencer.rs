//! Group commit: the single task that assigns indexes, integrates leaves into the
//! tree, signs a checkpoint and commits the whole batch in one transaction.
//!
//! Batching is natural (no fixed linger): the sequencer takes everything queued
//! (up to `max_batch`) whenever it is free, so a batch forms while the previous one
//! commits. Under light load a batch is one entry and latency is one commit; under
//! heavy load batches grow and the per-entry cost falls (PERFORMANCE.md §1.2, §5.2).
//!
//! **Invariant:** a submitter is answered `New` only after `commit_batch` returned
//! `Ok`, i.e. the entry, the nodes and a checkpoint covering it are durable, and the
//! published head is updated before the answer is sent.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{SystemTime, UNIX_EPOCH},
};

use signet_rekor::entry::CanonicalEntry;
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
    nodes::NodeCache,
    state::{self, Head},
    storage::{Batch, LogMeta, NewEntry, Storage, StoredCheckpoint},
};

/// A validated entry waiting to be sequenced.
#[derive(Debug)]
pub(crate) struct Submission {
    pub(crate) entry: CanonicalEntry,
    pub(crate) reply: Reply,
}

/// Complete nodes a batch's inclusion proofs need: the old frontier plus every node
/// the batch created (including its leaves). Shared by the batch's submitters, who
/// build their own proofs from it off the sequencer task.
pub(crate) type BatchNodes = Arc<HashMap<NodeId, Hash>>;

/// What the sequencer answers.
#[derive(Debug)]
pub(crate) enum Sequenced {
    /// Committed at `index`; `head` covers it.
    New {
        index: u64,
        integrated_time: i64,
        head: Arc<Head>,
        nodes: BatchNodes,
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
    pub(crate) last_time: i64,
    /// Set when a commit failed: storage may or may not hold the batch, so the
    /// in-memory range must be reloaded before the next batch.
    pub(crate) needs_resync: bool,
    /// Proof-read cache; fed with every committed node.
    pub(crate) cache: Arc<NodeCache>,
    /// Leaves committed most recently (see [`RecentLeaves`]).
    pub(crate) recent: RecentLeaves,
}

/// The leaf hashes of the most recently committed entries, and their indexes.
///
/// Duplicate detection is split so that no storage read sits on the sequencer's path:
/// `Log::append` looks the leaf up in storage *before* queueing. An identical entry can
/// only be committed after that lookup if it was ahead in the queue or in a batch being
/// committed, i.e. among the last `queue_capacity + 2 * max_batch` commits. This window
/// is at least that large, so the sequencer catches every such race from memory; the
/// `UNIQUE(leaf_hash)` constraint stays as the last guard (a violation fails the batch
/// with nothing written).
#[derive(Debug)]
pub(crate) struct RecentLeaves {
    index: HashMap<Hash, u64>,
    order: std::collections::VecDeque<Hash>,
    capacity: usize,
}

impl RecentLeaves {
    pub(crate) fn new(queue_capacity: usize, max_batch: usize) -> Self {
        let capacity = queue_capacity + 4 * max_batch;
        Self {
            index: HashMap::with_capacity(capacity),
            order: std::collections::VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    fn get(&self, leaf: &Hash) -> Option<u64> {
        self.index.get(leaf).copied()
    }

    fn insert(&mut self, leaf: Hash, index: u64) {
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.index.remove(&old);
            }
        }
        self.order.push_back(leaf);
        self.index.insert(leaf, index);
    }
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
        for sub in subs {
            let leaf = sub.entry.leaf_hash;
            let outcome =
                if let Some(index) = self.recent.get(&leaf).or(in_batch.get(&leaf).copied()) {
                    Outcome::Duplicate(index)
                } else {
                    let index = range.size();
                    range.append(leaf, &mut |id, h| {
                        nodes.insert(id, h);
                        if id.level > 0 {
                            new_nodes.push((id, h));
                        }
                    });
                    in_batch.insert(leaf, index);
                    let CanonicalEntry {
                        body, index_keys, ..
                    } = sub.entry;
                    new_entries.push(NewEntry {
                        index,
                        leaf_hash: leaf,
                        body,
                        integrated_time: now,
                        index_keys,
                    });
                    Outcome::New(index)
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
        self.cache.insert_committed(&new_nodes);
        for e in &new_entries {
            self.recent.insert(e.leaf_hash, e.index);
        }
        self.range = range;
        self.last_time = now;
        let head = Arc::new(Head::from(stored));
        self.publish(head.clone());
        let nodes = Arc::new(nodes);
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            let answer = match outcome {
                Outcome::New(index) => Sequenced::New {
                    index,
                    integrated_time: now,
                    head: head.clone(),
                    nodes: nodes.clone(),
                },
                Outcome::Duplicate(index) => Sequenced::Duplicate { index },
            };
            // A submitter that went away (client disconnected) does not matter: the
            // entry is committed either way.
            let _ = reply.send(Ok(answer));
        }
    }

    fn publish(&self, head: Arc<Head>) {
        let mut slot = self.head.write().unwrap_or_else(|p| p.into_inner());
        *slot = head;
    }
}

enum Outcome {
    New(u64),
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
