//! The log's domain API. HTTP handlers call exactly one of these methods each.

use std::sync::{Arc, RwLock};

use rand::Rng;
use signet_rekor::{
    entry::{self, CanonicalEntry, EntryLimits},
    set,
    uuid::{EntryUuid, UuidError},
};
use signet_tlog_core::{
    checkpoint::{rekor_v1_origin, Checkpoint},
    hash::{empty_root, Hash},
    keys::EcdsaP256Signer,
    note::NoteSigner,
    proof,
    tile::{entry_bundle_width_at, tile_width_at, EntryBundleId, TilePath},
};
use tokio::sync::{mpsc, oneshot};

use crate::{
    error::LogError,
    nodes::NodeCache,
    ratelimit::{KeyedLimit, Rate},
    search_index::SearchIndex,
    sequencer::{LeafEntry, Sequenced, Sequencer, Submission},
    state::{self, Head},
    storage::{LogMeta, Storage, StoredCheckpoint, StoredEntry},
};

/// Most entries one `POST /api/v1/log/entries/retrieve` may ask for (Rekor: 10, else 422).
pub const MAX_RETRIEVE: usize = 10;
/// Most results `POST /api/v1/index/retrieve` returns.
pub const MAX_INDEX_RESULTS: u32 = 1000;

/// Log configuration. Every field is documented with its default.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Host name in the checkpoint origin `<host> - <treeID>` and the note key name.
    /// Fixed when the log is created. Default `localhost`.
    pub origin_host: String,
    /// Most entries committed in one transaction. Default 512.
    pub max_batch: usize,
    /// Submissions waiting for the sequencer before new ones get 503. Default 16384.
    pub queue_capacity: usize,
    /// Size limits on proposed entries.
    pub entry_limits: EntryLimits,
    /// Most upper Merkle nodes kept in memory for proofs (~100 bytes each). Default 2^19
    /// (covers every such node of a log of 8 million entries).
    pub node_cache_capacity: usize,
    /// Most 16-leaf blocks of leaf hashes kept in memory for proofs (~600 bytes each).
    /// Default 2^16 (every leaf of a log of a million entries, ~40 MB).
    pub leaf_block_cache_capacity: usize,
    /// Which kind of log this is. Default [`LogFlavor::Rekor`].
    pub flavor: LogFlavor,
    /// Most Rekor entries one signer (key or certificate, [`CanonicalEntry::signer`]) may
    /// add per period; beyond it [`LogError::RateLimited`] (429). Default: no limit.
    pub signer_rate_limit: Option<Rate>,
}

/// What a log's entries are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFlavor {
    /// Rekor v1 entries (hashedrekord, dsse), each with a signed entry timestamp.
    #[default]
    Rekor,
    /// RFC 6962 certificate transparency: raw `MerkleTreeLeaf` leaves from the CT
    /// front-end, which signs its own SCTs; no SET.
    CertificateTransparency,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            origin_host: "localhost".to_owned(),
            max_batch: 512,
            queue_capacity: 16384,
            entry_limits: EntryLimits::default(),
            node_cache_capacity: 1 << 19,
            leaf_block_cache_capacity: 1 << 16,
            flavor: LogFlavor::Rekor,
            signer_rate_limit: None,
        }
    }
}

/// Whether [`Log::start`] may create a log in empty storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfMissing {
    /// Create the log (first start of a new data directory).
    Create,
    /// Refuse: storage must already hold this log.
    Refuse,
}

/// An entry with its inclusion proof against a signed checkpoint, and its SET.
#[derive(Clone, Debug)]
pub struct ProvenEntry {
    /// The stored entry.
    pub entry: StoredEntry,
    /// Inclusion proof hashes (leaf to root) for `head.size`.
    pub proof: Vec<Hash>,
    /// The checkpoint the proof is against.
    pub head: Arc<Head>,
    /// Signed entry timestamp (DER ECDSA); empty for a CT log.
    pub set: Vec<u8>,
}

/// What the log stores beside one published leaf but does not hash into the tree
/// (served by `GET /signet/v1/entry-meta/...`, see [`crate::http`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryMeta {
    /// Tree index.
    pub index: u64,
    /// Unix seconds at which the entry was integrated.
    pub integrated_time: i64,
    /// Signed entry timestamp (DER ECDSA) over this entry, as [`Log::entry_by_index`]
    /// returns it; `None` on a certificate-transparency log.
    pub set: Option<Vec<u8>>,
    /// Data stored beside the leaf: the submitted envelope text of a dsse entry, the
    /// issuance record of a CT leaf; `None` when nothing is (hashedrekord).
    pub extra: Option<Vec<u8>>,
}

/// Result of an append.
#[derive(Debug)]
pub enum AppendOutcome {
    /// Newly logged.
    Created(ProvenEntry),
    /// Already in the log at this index.
    Duplicate {
        /// Index of the existing entry.
        index: u64,
        /// Its leaf hash.
        leaf_hash: Hash,
    },
}

/// A consistency proof with the root of the larger tree.
#[derive(Clone, Debug)]
pub struct ConsistencyAnswer {
    /// Root of the tree at `last_size`.
    pub root: Hash,
    /// RFC 6962 proof hashes.
    pub proof: Vec<Hash>,
}

/// The transparency log.
#[derive(Clone)]
pub struct Log {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    signer: Arc<EcdsaP256Signer>,
    meta: LogMeta,
    log_id_hex: String,
    head: Arc<RwLock<Arc<Head>>>,
    tx: mpsc::Sender<Submission>,
    limits: EntryLimits,
    cache: Arc<NodeCache>,
    flavor: LogFlavor,
    signer_limit: Option<KeyedLimit<String>>,
    search: SearchIndex,
}

impl Log {
    /// Opens the log in `storage` (creating it if allowed and absent), checks the stored
    /// tree against its newest checkpoint, and starts the sequencer task.
    ///
    /// # Errors
    /// Storage errors; [`LogError::Inconsistent`] if the log is missing (with
    /// [`IfMissing::Refuse`]) or its stored state does not verify with `signer`.
    pub async fn start(
        storage: Storage,
        signer: EcdsaP256Signer,
        config: &LogConfig,
        if_missing: IfMissing,
    ) -> Result<Self, LogError> {
        let meta = match (storage.meta().await?, if_missing) {
            (Some(meta), _) => meta,
            (None, IfMissing::Refuse) => {
                return Err(LogError::Inconsistent(
                    "the database holds no log, but the data directory already has a log key; \
                     refusing to create a new log over existing state"
                        .to_owned(),
                ))
            }
            (None, IfMissing::Create) => create(&storage, &signer, &config.origin_host).await?,
        };
        let (range, head) = state::load(&storage, &signer, &meta).await?;
        let search = SearchIndex::start(storage.clone(), head.size).await?;
        tracing::info!(origin = %meta.origin, size = head.size, root = %head.root, "log opened");
        let head = Arc::new(RwLock::new(Arc::new(head)));
        let signer = Arc::new(signer);
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let cache = Arc::new(NodeCache::new(
            config.node_cache_capacity,
            config.leaf_block_cache_capacity,
        ));
        let sequencer = Sequencer {
            storage: storage.clone(),
            signer: signer.clone(),
            meta: meta.clone(),
            range,
            head: head.clone(),
            max_batch: config.max_batch.max(1),
            flavor: config.flavor,
            last_time: 0,
            needs_resync: false,
            cache: cache.clone(),
            tail_block: None,
            search: search.clone(),
        };
        tokio::spawn(sequencer.run(rx));
        Ok(Self {
            inner: Arc::new(Inner {
                log_id_hex: hex::encode(signer.key_id()),
                storage,
                signer,
                meta,
                head,
                tx,
                limits: config.entry_limits.clone(),
                cache,
                flavor: config.flavor,
                signer_limit: config.signer_rate_limit.map(KeyedLimit::new),
                search,
            }),
        })
    }

    /// The newest published checkpoint.
    pub fn head(&self) -> Arc<Head> {
        self.inner
            .head
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Log identity.
    pub fn meta(&self) -> &LogMeta {
        &self.inner.meta
    }

    /// Hex log ID (SHA-256 of the key's SPKI).
    pub fn log_id_hex(&self) -> &str {
        &self.inner.log_id_hex
    }

    /// The log's public key as PEM.
    pub fn public_key_pem(&self) -> String {
        self.inner.signer.public_key_pem()
    }

    /// Entry size limits.
    pub fn limits(&self) -> &EntryLimits {
        &self.inner.limits
    }

    /// Validates and appends a proposed entry (Rekor v1 `ProposedEntry` JSON). Returns once
    /// the entry and a checkpoint covering it are durable.
    ///
    /// # Errors
    /// [`LogError::InvalidEntry`] for bad input (nothing written), [`LogError::Overloaded`]
    /// when the queue is full, storage errors (nothing written).
    pub async fn append(&self, proposed_json: &[u8]) -> Result<AppendOutcome, LogError> {
        if self.inner.flavor != LogFlavor::Rekor {
            return Err(LogError::BadRequest(
                "this is a certificate-transparency log; it takes no Rekor entries".to_owned(),
            ));
        }
        let entry = entry::canonicalize(proposed_json, &self.inner.limits)?;
        // After verification: only the key's holder can spend its quota.
        if let Some(limit) = &self.inner.signer_limit {
            limit
                .check(&entry.signer)
                .map_err(|retry_after| LogError::RateLimited {
                    limit: "signer",
                    rate: limit.rate(),
                    retry_after,
                })?;
        }
        self.append_canonical(entry).await
    }

    async fn append_canonical(&self, entry: CanonicalEntry) -> Result<AppendOutcome, LogError> {
        let CanonicalEntry {
            body,
            leaf_hash,
            index_keys,
            extra,
            ..
        } = entry;
        self.append_leaf_entry(LeafEntry {
            body,
            leaf_hash,
            index_keys,
            extra,
        })
        .await
    }

    /// Appends a raw leaf to a certificate-transparency log: `leaf_input` is the RFC 6962
    /// §3.4 `MerkleTreeLeaf` the CT front-end built (it checked the chain and chose the
    /// timestamp its SCT signs). Search keys let auditors find entries by identity;
    /// `extra` is stored beside the leaf, outside the tree (the issuance record).
    ///
    /// # Errors
    /// [`LogError::BadRequest`] on a Rekor-flavoured log (its entries must go through
    /// [`Log::append`]'s validation); otherwise as [`Log::append`].
    pub async fn append_leaf(
        &self,
        leaf_input: Vec<u8>,
        index_keys: Vec<String>,
        extra: Option<Vec<u8>>,
    ) -> Result<AppendOutcome, LogError> {
        if self.inner.flavor != LogFlavor::CertificateTransparency {
            return Err(LogError::BadRequest(
                "raw leaves are accepted only by a certificate-transparency log".to_owned(),
            ));
        }
        let leaf_hash = signet_tlog_core::hash::leaf_hash(&leaf_input);
        self.append_leaf_entry(LeafEntry {
            body: leaf_input,
            leaf_hash,
            index_keys,
            extra,
        })
        .await
    }

    async fn append_leaf_entry(&self, entry: LeafEntry) -> Result<AppendOutcome, LogError> {
        let leaf_hash = entry.leaf_hash;
        // Duplicates are found by the sequencer, one storage query per batch.
        // The sequencer takes the body into storage; keep a copy for the response.
        let body = entry.body.clone();
        let extra = entry.extra.clone();
        let (reply, rx) = oneshot::channel();
        self.inner
            .tx
            .try_send(Submission { entry, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => LogError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => LogError::ShuttingDown,
            })?;
        match rx.await.map_err(|_| LogError::ShuttingDown)?? {
            Sequenced::Duplicate { index } => Ok(AppendOutcome::Duplicate { index, leaf_hash }),
            Sequenced::New {
                index,
                integrated_time,
                head,
                nodes,
                set,
            } => {
                let proof = proof::inclusion_plan(index, head.size)?
                    .assemble(|id| nodes.get(&id).copied())?;
                let entry = StoredEntry {
                    index,
                    leaf_hash,
                    body,
                    integrated_time,
                    set: set.clone(),
                    extra,
                };
                let set = set.unwrap_or_default();
                Ok(AppendOutcome::Created(ProvenEntry {
                    entry,
                    proof,
                    head,
                    set,
                }))
            }
        }
    }

    /// The entry at `index` with a proof against the newest checkpoint.
    ///
    /// # Errors
    /// [`LogError::NotFound`] if `index` is not in the published tree.
    pub async fn entry_by_index(&self, index: u64) -> Result<ProvenEntry, LogError> {
        let head = self.head();
        if index >= head.size {
            return Err(LogError::NotFound(format!(
                "no entry at log index {index} (tree size {})",
                head.size
            )));
        }
        let entry = self
            .inner
            .storage
            .entry_by_index(index)
            .await?
            .ok_or_else(|| {
                LogError::Inconsistent(format!("entry {index} missing below tree size"))
            })?;
        self.prove(entry, head).await
    }

    /// The entry with this UUID: 64 hex (leaf hash) or 80 hex (tree ID + leaf hash).
    ///
    /// # Errors
    /// [`LogError::BadRequest`] for a malformed UUID; [`LogError::NotFound`].
    pub async fn entry_by_uuid(&self, uuid: &str) -> Result<ProvenEntry, LogError> {
        let leaf = self.parse_uuid(uuid)?;
        self.entry_by_leaf(&leaf)
            .await?
            .ok_or_else(|| LogError::NotFound(format!("no entry with UUID {uuid}")))
    }

    async fn entry_by_leaf(&self, leaf: &Hash) -> Result<Option<ProvenEntry>, LogError> {
        let head = self.head();
        match self.inner.storage.entry_by_leaf(leaf).await? {
            Some(e) if e.index < head.size => Ok(Some(self.prove(e, head).await?)),
            _ => Ok(None),
        }
    }

    /// `POST /api/v1/log/entries/retrieve`: entries by UUID, by index and by proposed entry.
    /// Items that are not found are left out (Rekor behaviour).
    ///
    /// # Errors
    /// [`LogError::TooManyItems`] over [`MAX_RETRIEVE`]; bad UUIDs or entries.
    pub async fn retrieve(
        &self,
        uuids: &[String],
        indexes: &[i64],
        proposed: &[serde_json::Value],
    ) -> Result<Vec<ProvenEntry>, LogError> {
        let total = uuids.len() + indexes.len() + proposed.len();
        if total > MAX_RETRIEVE {
            return Err(LogError::TooManyItems(format!(
                "at most {MAX_RETRIEVE} entryUUIDs, logIndexes and entries in total, got {total}"
            )));
        }
        let mut out = Vec::new();
        for u in uuids {
            let leaf = self.parse_uuid(u)?;
            out.extend(self.entry_by_leaf(&leaf).await?);
        }
        for &i in indexes {
            let index = u64::try_from(i)
                .map_err(|_| LogError::BadRequest(format!("logIndexes: {i} is negative")))?;
            match self.entry_by_index(index).await {
                Ok(e) => out.push(e),
                Err(LogError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        for p in proposed {
            let canonical = entry::canonicalize_value(p, &self.inner.limits)?;
            out.extend(self.entry_by_leaf(&canonical.leaf_hash).await?);
        }
        Ok(out)
    }

    /// Entry indexes filed under a search key (see `signet_rekor::entry` for the keys).
    pub async fn lookup(&self, key: &str) -> Result<Vec<u64>, LogError> {
        let head = self.head();
        let mut found = self.inner.search.lookup(key, MAX_INDEX_RESULTS).await?;
        found.retain(|&i| i < head.size);
        Ok(found)
    }

    /// Leaf hash of a published entry.
    pub async fn leaf_hash_at(&self, index: u64) -> Result<Hash, LogError> {
        self.inner
            .storage
            .entry_by_index(index)
            .await?
            .map(|e| e.leaf_hash)
            .ok_or_else(|| LogError::NotFound(format!("no entry at {index}")))
    }

    /// RFC 6962 consistency proof between two tree sizes of the published log.
    ///
    /// # Errors
    /// [`LogError::BadRequest`] unless `1 <= first <= last <= size`.
    pub async fn consistency(&self, first: u64, last: u64) -> Result<ConsistencyAnswer, LogError> {
        let head = self.head();
        if first < 1 || first > last || last > head.size {
            return Err(LogError::BadRequest(format!(
                "need 1 <= firstSize <= lastSize <= tree size ({}), got firstSize={first} lastSize={last}",
                head.size
            )));
        }
        let plan = proof::consistency_plan(first, last)?;
        let root_plan = proof::root_plan(last);
        let mut ids = plan.node_ids().to_vec();
        if last != head.size {
            ids.extend_from_slice(root_plan.node_ids());
        }
        let nodes = self
            .inner
            .cache
            .get(&self.inner.storage, &head, &ids)
            .await?;
        let proof = plan.assemble(|id| nodes.get(&id).copied())?;
        let root = if last == head.size {
            head.root
        } else {
            root_plan
                .assemble(|id| nodes.get(&id).copied())?
                .first()
                .copied()
                .unwrap_or_else(empty_root)
        };
        Ok(ConsistencyAnswer { root, proof })
    }

    /// RFC 6962 §2.1.1 audit path of `index` in the published tree of `size` (an older
    /// tree head than the newest one is fine: complete nodes never change).
    ///
    /// # Errors
    /// [`LogError::BadRequest`] unless `index < size <= tree size`.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        let head = self.head();
        if index >= size || size > head.size {
            return Err(LogError::BadRequest(format!(
                "need index < size <= tree size ({}), got index={index} size={size}",
                head.size
            )));
        }
        let plan = proof::inclusion_plan(index, size)?;
        let nodes = self
            .inner
            .cache
            .get(&self.inner.storage, &head, plan.node_ids())
            .await?;
        Ok(plan.assemble(|id| nodes.get(&id).copied())?)
    }

    /// The checkpoint this log signed for exactly `size`, if any.
    pub async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, LogError> {
        Ok(self.inner.storage.checkpoint_at(size).await?)
    }

    /// Root of the tree at `size` recomputed from stored nodes.
    pub async fn root_at(&self, size: u64) -> Result<Hash, LogError> {
        state::root_at(&self.inner.storage, size).await
    }

    /// Entries `[start, start+count)` (auditing and tests).
    pub async fn entries_range(
        &self,
        start: u64,
        count: u64,
    ) -> Result<Vec<StoredEntry>, LogError> {
        Ok(self.inner.storage.entries_range(start, count).await?)
    }

    /// C2SP tlog-tiles read: the bytes of a hash tile or entry bundle of the published tree.
    ///
    /// # Errors
    /// [`LogError::NotFound`] if the tile does not exist at the requested width.
    pub async fn tile(&self, path: &TilePath) -> Result<Vec<u8>, LogError> {
        let size = self.head().size;
        match path {
            TilePath::Hash(t) => {
                let have = tile_width_at(t.level, t.index, size);
                if t.width == 0 || t.width > have {
                    return Err(LogError::NotFound(format!(
                        "tile {} not available",
                        t.path()
                    )));
                }
                let hashes = self
                    .inner
                    .storage
                    .node_range(t.tree_level(), t.first_node(), u64::from(t.width))
                    .await?;
                if hashes.len() != usize::from(t.width) {
                    return Err(LogError::Inconsistent(format!(
                        "tile {} incomplete in storage",
                        t.path()
                    )));
                }
                Ok(hashes
                    .iter()
                    .flat_map(|h| h.as_bytes().iter().copied())
                    .collect())
            }
            TilePath::Entries(b) => {
                let entries = self.published_bundle(b).await?;
                let mut out = Vec::new();
                for e in &entries {
                    // C2SP tlog-tiles: each entry is a big-endian u16 length then the bytes.
                    let len = u16::try_from(e.body.len()).map_err(|_| {
                        LogError::Inconsistent(format!("entry {} exceeds 65535 bytes", e.index))
                    })?;
                    out.extend_from_slice(&len.to_be_bytes());
                    out.extend_from_slice(&e.body);
                }
                Ok(out)
            }
            _ => Err(LogError::NotFound("unknown tile kind".to_owned())),
        }
    }

    /// Signet entry-metadata read: for each entry of entry bundle `bundle` (the same
    /// entries, under the same width rules, as the C2SP bundle [`Log::tile`] serves),
    /// what is stored beside the leaf but not hashed: integrated time, SET, `extra`.
    /// In index order, exactly `bundle.width` elements.
    ///
    /// # Errors
    /// [`LogError::NotFound`] if the bundle does not exist at the requested width.
    pub async fn entry_meta(&self, bundle: &EntryBundleId) -> Result<Vec<EntryMeta>, LogError> {
        self.published_bundle(bundle)
            .await?
            .into_iter()
            .map(|e| {
                Ok(EntryMeta {
                    index: e.index,
                    integrated_time: e.integrated_time,
                    set: self.set_of(&e)?,
                    extra: e.extra,
                })
            })
            .collect()
    }

    /// The stored entries of entry bundle `b` of the published tree: exactly `b.width`
    /// of them, from `b.first_entry()`. A full bundle (256) exists once the tree holds all
    /// of its entries; a partial one of width `W` once the tree holds `W` of them.
    async fn published_bundle(&self, b: &EntryBundleId) -> Result<Vec<StoredEntry>, LogError> {
        let size = self.head().size;
        let have = entry_bundle_width_at(b.index, size);
        if b.width == 0 || b.width > have {
            return Err(LogError::NotFound(format!(
                "entry bundle {} not available at tree size {size}",
                b.path()
            )));
        }
        let entries = self
            .inner
            .storage
            .entries_range(b.first_entry(), u64::from(b.width))
            .await?;
        let contiguous = entries.len() == usize::from(b.width)
            && entries
                .iter()
                .zip(b.first_entry()..)
                .all(|(e, want)| e.index == want);
        if !contiguous {
            return Err(LogError::Inconsistent(format!(
                "entry bundle {} incomplete in storage",
                b.path()
            )));
        }
        Ok(entries)
    }

    /// 80-hex entry ID for a leaf: `%016x(treeID) || hex(leaf)` (PROTOCOL.md §4.2).
    pub fn entry_id(&self, leaf: &Hash) -> String {
        format!("{:016x}{}", self.inner.meta.tree_id, leaf.to_hex())
    }

    fn parse_uuid(&self, uuid: &str) -> Result<Hash, LogError> {
        // The UUID is echoed only when it has a UUID's length (a path can be long).
        let parsed = EntryUuid::parse(uuid).map_err(|e| match e {
            UuidError::NotHex => LogError::BadRequest(format!("entry UUID {uuid:?} is not hex")),
            e => LogError::BadRequest(e.to_string()),
        })?;
        match parsed.tree_id {
            Some(tree_id) if tree_id != self.inner.meta.tree_id => {
                Err(LogError::NotFound(format!(
                    "entry UUID {uuid} names tree {tree_id}, this log is tree {}",
                    self.inner.meta.tree_id
                )))
            }
            _ => Ok(parsed.leaf_hash),
        }
    }

    async fn prove(&self, entry: StoredEntry, head: Arc<Head>) -> Result<ProvenEntry, LogError> {
        let plan = proof::inclusion_plan(entry.index, head.size)?;
        let nodes = self
            .inner
            .cache
            .get(&self.inner.storage, &head, plan.node_ids())
            .await?;
        let proof = plan.assemble(|id| nodes.get(&id).copied())?;
        let set = self.set_of(&entry)?.unwrap_or_default();
        Ok(ProvenEntry {
            entry,
            proof,
            head,
            set,
        })
    }

    /// The SET served for a stored entry: the one stored at sequencing; on a Rekor log an
    /// entry stored without one gets one signed now; a CT log has none.
    fn set_of(&self, entry: &StoredEntry) -> Result<Option<Vec<u8>>, LogError> {
        match (&entry.set, self.inner.flavor) {
            (Some(stored), _) => Ok(Some(stored.clone())),
            (None, LogFlavor::Rekor) => self.sign_set(entry).map(Some),
            (None, LogFlavor::CertificateTransparency) => Ok(None),
        }
    }

    fn sign_set(&self, entry: &StoredEntry) -> Result<Vec<u8>, LogError> {
        let body_b64 = base64_std(&entry.body);
        set::sign_set(
            &self.inner.signer,
            &body_b64,
            entry.integrated_time,
            entry.index,
        )
        .map_err(|e| LogError::Signing(e.to_string()))
    }
}

pub(crate) fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn create(
    storage: &Storage,
    signer: &EcdsaP256Signer,
    host: &str,
) -> Result<LogMeta, LogError> {
    // Trillian tree IDs are positive int64s.
    let tree_id = rand::thread_rng().gen_range(1..=i64::MAX as u64);
    let meta = LogMeta {
        tree_id,
        origin: rekor_v1_origin(host, tree_id),
    };
    let empty = Checkpoint {
        origin: meta.origin.clone(),
        size: 0,
        root: empty_root(),
        extensions: Vec::new(),
    };
    let note = {
        let signers: [&dyn NoteSigner; 1] = [signer];
        empty.sign(&signers)?
    };
    storage
        .create_log(
            &meta,
            &StoredCheckpoint {
                size: 0,
                root: empty.root,
                note,
            },
        )
        .await?;
    tracing::info!(origin = %meta.origin, "created new log");
    Ok(meta)
}
