//! A deliberately lying log server, for the auditor's tests (`signet audit replay`,
//! issue 5).
//!
//! * [`Snapshot`]: one log (the transparency log, or the CT log under `/ct`) as a real
//!   `signet serve` served it at one moment: its signed checkpoint and every resource of
//!   the C2SP tlog-tiles read API at that size (entry bundles, hash tiles of every level)
//!   plus the Signet entry-meta bundles, byte for byte ([`Snapshot::download`]). A
//!   snapshot can also be rebuilt from its leaves with the log's own key
//!   ([`Snapshot::build`]), which is how a forked history is made
//!   ([`Snapshot::fork_swapping`]): same origin, same key, same format, other content.
//! * The lies are edits of the stored bytes: an entry altered after inclusion
//!   ([`Snapshot::alter_entry`]), a level-0 hash tile that does not match the checkpoint
//!   ([`Snapshot::alter_tile_leaf`]), a checkpoint whose signature does not verify
//!   ([`Snapshot::corrupt_checkpoint_signature`]), truncated resources
//!   ([`Snapshot::truncate_entry`], [`Snapshot::truncate`]).
//! * [`LyingLog`]: an axum server on 127.0.0.1 (free port) serving a transparency-log
//!   snapshot at `/` and a CT snapshot at `/ct`, as `signet serve` does, with [`Trick`]s
//!   on chosen paths: an oversized body, a body declaring a huge length, a request never
//!   answered, a body trickling one byte at a time. Every request path is recorded.
#![allow(dead_code)] // each test file uses its own subset

use std::{
    collections::{BTreeMap, HashMap},
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{header, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use signet_rekor::api::{EntryMeta, EntryMetaBundle};
use signet_tlog_core::{
    checkpoint::Checkpoint,
    hash::{leaf_hash, Hash},
    keys::EcdsaP256Signer,
    note::{Note, NoteSigner},
    tile::{entry_bundle_width_at, tile_width_at, EntryBundleId, TileId, TILE_HEIGHT, TILE_WIDTH},
    tree::CompactRange,
};

/// Prefix of the entry-meta resources (`tlog/src/http.rs`).
const ENTRY_META: &str = "signet/v1/entry-meta/";

/// One leaf of a log and what the log stores beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// The bytes hashed into the tree.
    pub body: Vec<u8>,
    /// Its element of the entry-meta bundle (integrated time, SET, extra).
    pub meta: EntryMeta,
}

/// One log as served at one moment. `files` maps a path relative to the log's base URL
/// (`checkpoint` excluded: see `checkpoint`) to the bytes served there.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The signed checkpoint note, as served at `checkpoint`.
    pub checkpoint: String,
    /// Its tree size.
    pub size: u64,
    /// `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`, `signet/v1/entry-meta/<N>[.p/<W>]`.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Every resource path of the read API for a tree of `size` leaves: entry bundles,
/// entry-meta bundles and the hash tiles of every level (C2SP tlog-tiles: level `L` has
/// `floor(size / 256^L)` hashes).
pub fn resource_paths(size: u64) -> Vec<String> {
    let mut paths = Vec::new();
    for n in 0..size.div_ceil(TILE_WIDTH) {
        paths.push(entry_bundle_path(n, size));
        paths.push(entry_meta_path(n, size));
    }
    for level in 0u8.. {
        let hashes = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        if hashes == 0 {
            break;
        }
        for n in 0..hashes.div_ceil(TILE_WIDTH) {
            paths.push(hash_tile_path(level, n, size));
        }
    }
    paths
}

/// `tile/entries/<N>[.p/<W>]` of bundle `n` in a tree of `size`.
pub fn entry_bundle_path(n: u64, size: u64) -> String {
    EntryBundleId {
        index: n,
        width: entry_bundle_width_at(n, size),
    }
    .path()
}

/// `signet/v1/entry-meta/<N>[.p/<W>]` of bundle `n` in a tree of `size`.
pub fn entry_meta_path(n: u64, size: u64) -> String {
    let bundle = entry_bundle_path(n, size);
    format!(
        "{ENTRY_META}{}",
        bundle.strip_prefix("tile/entries/").unwrap()
    )
}

/// `tile/<L>/<N>[.p/<W>]` in a tree of `size`.
pub fn hash_tile_path(level: u8, n: u64, size: u64) -> String {
    TileId {
        level,
        index: n,
        width: tile_width_at(level, n, size),
    }
    .path()
}

/// Splits a C2SP entry bundle: each entry is a big-endian `u16` length and its bytes.
fn split_bundle(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        out.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    out
}

/// Byte offset of entry `offset` (its length prefix) in a C2SP entry bundle.
fn entry_offset(bytes: &[u8], offset: usize) -> (usize, usize) {
    let mut at = 0;
    for _ in 0..offset {
        let len = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
        at += 2 + len;
    }
    let len = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    (at, len)
}

/// The signed note's key name (the log origin's host), i.e. the name the log key signs
/// under.
pub fn key_name(checkpoint: &str) -> String {
    Note::parse(checkpoint).unwrap().signatures[0].name.clone()
}

/// The log's signing key, as `signet serve` keeps it (`<data>/tlog-key.pem`,
/// `<data>/ct-key.pem`), under the key name of `snapshot`'s checkpoint.
pub fn log_signer(key_pem: &str, snapshot: &Snapshot) -> EcdsaP256Signer {
    EcdsaP256Signer::from_pkcs8_pem(key_pem, &key_name(&snapshot.checkpoint)).unwrap()
}

impl Snapshot {
    /// Downloads the log at `base` (e.g. `http://127.0.0.1:PORT` or `.../ct`): its
    /// checkpoint, then every resource at the checkpoint's size. Panics on any status but
    /// 200.
    pub fn download(base: &str) -> Snapshot {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let get = |path: String| {
                let client = client.clone();
                let url = format!("{base}/{path}");
                async move {
                    let resp = client.get(&url).send().await.unwrap();
                    assert_eq!(resp.status(), 200, "GET {url}");
                    resp.bytes().await.unwrap().to_vec()
                }
            };
            let checkpoint = String::from_utf8(get("checkpoint".into()).await).unwrap();
            let size = Self::parse_checkpoint(&checkpoint).size;
            let mut files = BTreeMap::new();
            for path in resource_paths(size) {
                let bytes = get(path.clone()).await;
                files.insert(path, bytes);
            }
            Snapshot {
                checkpoint,
                size,
                files,
            }
        })
    }

    fn parse_checkpoint(note: &str) -> Checkpoint {
        Checkpoint::parse(&Note::parse(note).unwrap().text).unwrap()
    }

    /// The checkpoint body (origin, size, root).
    pub fn body(&self) -> Checkpoint {
        Self::parse_checkpoint(&self.checkpoint)
    }

    /// The checkpoint origin.
    pub fn origin(&self) -> String {
        self.body().origin
    }

    /// Every leaf with its metadata, in index order, from the entry and entry-meta
    /// bundles.
    pub fn leaves(&self) -> Vec<Leaf> {
        let mut out = Vec::new();
        for n in 0..self.size.div_ceil(TILE_WIDTH) {
            let bodies = split_bundle(&self.files[&entry_bundle_path(n, self.size)]);
            let metas: EntryMetaBundle =
                serde_json::from_slice(&self.files[&entry_meta_path(n, self.size)]).unwrap();
            assert_eq!(bodies.len(), metas.entries.len());
            out.extend(
                bodies
                    .into_iter()
                    .zip(metas.entries)
                    .map(|(body, meta)| Leaf { body, meta }),
            );
        }
        out
    }

    /// The log a log with this `origin` and key would serve after appending `leaves`:
    /// every tile recomputed (RFC 6962 leaf and node hashes; C2SP tlog-tiles: level-`L`
    /// tile `N` holds the tree-level-`8L` nodes `256N..`), entry-meta bundles in the
    /// server's JSON, a new checkpoint signed by `signer`. `meta.log_index` is set from
    /// the position; SETs are kept as given.
    pub fn build(origin: &str, signer: &EcdsaP256Signer, leaves: &[Leaf]) -> Snapshot {
        let size = leaves.len() as u64;
        let mut range = CompactRange::new();
        // Complete nodes at tree levels 0, 8, 16, ...: (level, index) → hash.
        let mut nodes: HashMap<(u8, u64), Hash> = HashMap::new();
        for leaf in leaves {
            range.append(leaf_hash(&leaf.body), &mut |id, hash| {
                if id.level % TILE_HEIGHT == 0 {
                    nodes.insert((id.level, id.index), hash);
                }
            });
        }
        let mut files = BTreeMap::new();
        for n in 0..size.div_ceil(TILE_WIDTH) {
            let width = u64::from(entry_bundle_width_at(n, size));
            let first = n * TILE_WIDTH;
            let chunk = &leaves[first as usize..(first + width) as usize];
            let mut bundle = Vec::new();
            for leaf in chunk {
                bundle.extend_from_slice(&u16::try_from(leaf.body.len()).unwrap().to_be_bytes());
                bundle.extend_from_slice(&leaf.body);
            }
            files.insert(entry_bundle_path(n, size), bundle);
            let meta = EntryMetaBundle {
                entries: chunk
                    .iter()
                    .zip(first..)
                    .map(|(leaf, index)| EntryMeta {
                        log_index: index,
                        ..leaf.meta.clone()
                    })
                    .collect(),
            };
            files.insert(entry_meta_path(n, size), serde_json::to_vec(&meta).unwrap());
        }
        for level in 0u8.. {
            let tree_level = level * TILE_HEIGHT;
            let hashes = size >> tree_level;
            if hashes == 0 {
                break;
            }
            for n in 0..hashes.div_ceil(TILE_WIDTH) {
                let width = u64::from(tile_width_at(level, n, size));
                let mut tile = Vec::new();
                for i in n * TILE_WIDTH..n * TILE_WIDTH + width {
                    tile.extend_from_slice(nodes[&(tree_level, i)].as_bytes());
                }
                files.insert(hash_tile_path(level, n, size), tile);
            }
        }
        let signers: [&dyn NoteSigner; 1] = [signer];
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root: range.root(),
            extensions: Vec::new(),
        }
        .sign(&signers)
        .unwrap();
        Snapshot {
            checkpoint,
            size,
            files,
        }
    }

    /// The history a lying operator could show instead of this one: entries `k` and
    /// `k + 1` exchanged, each keeping the integrated time of its new position, with its
    /// SET signed anew by the log key for its new index and time. Every entry verifies
    /// on its own and the checkpoint is properly signed: only a client that remembers
    /// the earlier tree can tell, and the first index that differs is `k`.
    pub fn fork_swapping(&self, k: u64, signer: &EcdsaP256Signer) -> Snapshot {
        let mut leaves = self.leaves();
        let (a, b) = (k as usize, k as usize + 1);
        assert_ne!(leaves[a].body, leaves[b].body);
        let (time_a, time_b) = (
            leaves[a].meta.integrated_time,
            leaves[b].meta.integrated_time,
        );
        leaves.swap(a, b);
        leaves[a].meta.integrated_time = time_a;
        leaves[b].meta.integrated_time = time_b;
        for i in [a, b] {
            let leaf = &mut leaves[i];
            let set = signet_rekor::set::sign_set(
                signer,
                &BASE64.encode(&leaf.body),
                leaf.meta.integrated_time,
                i as u64,
            )
            .unwrap();
            leaf.meta.signed_entry_timestamp = Some(BASE64.encode(set));
        }
        Snapshot::build(&self.origin(), signer, &leaves)
    }

    /// Entry bundle `index / 256` at this size, and the offset of `index` in it.
    fn bundle_of(&self, index: u64) -> (String, usize) {
        assert!(index < self.size, "index {index} beyond size {}", self.size);
        (
            entry_bundle_path(index / TILE_WIDTH, self.size),
            (index % TILE_WIDTH) as usize,
        )
    }

    /// Alters one byte in the middle of entry `index` in its entry bundle (an
    /// alphanumeric character is replaced by another of the same class, so JSON stays
    /// JSON and base64 stays base64); the hash tiles and checkpoint are left alone, so
    /// they commit to the original entry.
    pub fn alter_entry(&mut self, index: u64) {
        let (path, offset) = self.bundle_of(index);
        let bytes = self.files.get_mut(&path).unwrap();
        let (at, len) = entry_offset(bytes, offset);
        let body = &mut bytes[at + 2..at + 2 + len];
        let i = (len / 2..len)
            .find(|&i| body[i].is_ascii_alphanumeric())
            .unwrap();
        body[i] = match body[i] {
            b'0' => b'1',
            b'9' | b'1'..=b'8' => body[i] - 1,
            b'a' | b'A' => body[i] + 1,
            c => c - 1,
        };
    }

    /// Flips a bit of entry `index`'s leaf hash in its level-0 hash tile; entries and
    /// checkpoint are left alone.
    pub fn alter_tile_leaf(&mut self, index: u64) {
        let path = hash_tile_path(0, index / TILE_WIDTH, self.size);
        let tile = self.files.get_mut(&path).unwrap();
        tile[(index % TILE_WIDTH) as usize * 32 + 7] ^= 0x01;
    }

    /// Flips a bit in the last byte of the checkpoint's ECDSA signature (the end of `s`:
    /// the DER stays well-formed, the key hint and name stay the log's).
    pub fn corrupt_checkpoint_signature(&mut self) {
        let mut note = Note::parse(&self.checkpoint).unwrap();
        let sig = &mut note.signatures[0].signature;
        let last = sig.len() - 1;
        sig[last] ^= 0x01;
        self.checkpoint = note.to_text();
    }

    /// Truncates entry `index`'s bundle in the middle of that entry's bytes.
    pub fn truncate_entry(&mut self, index: u64) {
        let (path, offset) = self.bundle_of(index);
        let bytes = self.files.get_mut(&path).unwrap();
        let (at, len) = entry_offset(bytes, offset);
        bytes.truncate(at + 2 + len / 2);
    }

    /// Drops the last `n` bytes of the resource at `path`.
    pub fn truncate(&mut self, path: &str, n: usize) {
        let bytes = self
            .files
            .get_mut(path)
            .unwrap_or_else(|| panic!("no {path}"));
        let keep = bytes.len() - n;
        bytes.truncate(keep);
    }

    /// `tile/entries/<N>[.p/<W>]` of bundle `n` at this size.
    pub fn entry_bundle(&self, n: u64) -> String {
        entry_bundle_path(n, self.size)
    }

    /// `signet/v1/entry-meta/<N>[.p/<W>]` of bundle `n` at this size.
    pub fn entry_meta(&self, n: u64) -> String {
        entry_meta_path(n, self.size)
    }

    /// `tile/<L>/<N>[.p/<W>]` at this size.
    pub fn hash_tile(&self, level: u8, n: u64) -> String {
        hash_tile_path(level, n, self.size)
    }
}

/// Misbehaviour of the server on one path (the full URL path, e.g.
/// `/tile/entries/001.p/36` or `/ct/checkpoint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trick {
    /// 200 with [`OVERSIZED_BYTES`] of zeros, chunked (no Content-Length): only counting
    /// the bytes as they arrive stops it.
    Oversized,
    /// 200 declaring `Content-Length:` [`DECLARED_BYTES`], whose bytes are then streamed
    /// as fast as they are read.
    DeclaredHuge,
    /// The request is accepted and never answered.
    Hang,
    /// 200 with headers at once, then one byte every 500 ms of a declared 1000-byte body.
    Trickle,
}

/// Body size of [`Trick::Oversized`]: 64 MiB.
pub const OVERSIZED_BYTES: u64 = 64 << 20;
/// Declared size of [`Trick::DeclaredHuge`]: 1 GiB.
pub const DECLARED_BYTES: u64 = 1 << 30;

const CHUNK: usize = 64 << 10;
static ZEROS: [u8; CHUNK] = [0; CHUNK];

struct Served {
    files: HashMap<String, Vec<u8>>,
    tricks: HashMap<String, Trick>,
    requests: Mutex<Vec<String>>,
}

/// A log server on 127.0.0.1 serving snapshots (module docs); stopped on drop.
pub struct LyingLog {
    base: String,
    served: Arc<Served>,
    rt: Option<tokio::runtime::Runtime>,
}

impl LyingLog {
    /// Serves `tlog` at `/` and `ct` (if any) at `/ct`, honestly.
    pub fn start(tlog: &Snapshot, ct: Option<&Snapshot>) -> LyingLog {
        Self::start_with(tlog, ct, &[])
    }

    /// Serves `tlog` at `/` and `ct` at `/ct`, with `tricks` on their paths.
    pub fn start_with(
        tlog: &Snapshot,
        ct: Option<&Snapshot>,
        tricks: &[(&str, Trick)],
    ) -> LyingLog {
        let mut files = HashMap::new();
        for (prefix, snapshot) in [("/", Some(tlog)), ("/ct/", ct)] {
            let Some(s) = snapshot else { continue };
            files.insert(
                format!("{prefix}checkpoint"),
                s.checkpoint.clone().into_bytes(),
            );
            for (path, bytes) in &s.files {
                files.insert(format!("{prefix}{path}"), bytes.clone());
            }
        }
        for (path, _) in tricks {
            assert!(
                files.contains_key(*path),
                "a trick on {path}, which is not served"
            );
        }
        let served = Arc::new(Served {
            files,
            tricks: tricks.iter().map(|(p, t)| ((*p).to_owned(), *t)).collect(),
            requests: Mutex::new(Vec::new()),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new().fallback(respond).with_state(served.clone());
        rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        LyingLog {
            base: format!("http://127.0.0.1:{port}"),
            served,
            rt: Some(rt),
        }
    }

    /// The transparency log's base URL (`--log`).
    pub fn url(&self) -> String {
        self.base.clone()
    }

    /// The CT log's base URL (`--ct-log`): `<base>/ct`.
    pub fn ct_url(&self) -> String {
        format!("{}/ct", self.base)
    }

    /// Every request path received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.served.requests.lock().unwrap().clone()
    }
}

impl Drop for LyingLog {
    fn drop(&mut self) {
        // Hanging handlers never finish: drop every task without waiting.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn respond(State(served): State<Arc<Served>>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    served.requests.lock().unwrap().push(path.clone());
    match served.tricks.get(&path) {
        Some(Trick::Oversized) => {
            let chunks = (OVERSIZED_BYTES as usize).div_ceil(CHUNK);
            let stream = futures_util::stream::iter(
                (0..chunks).map(|_| Ok::<_, Infallible>(Bytes::from_static(&ZEROS))),
            );
            return (StatusCode::OK, Body::from_stream(stream)).into_response();
        }
        Some(Trick::DeclaredHuge) => {
            let chunks = (DECLARED_BYTES as usize).div_ceil(CHUNK);
            let stream = futures_util::stream::iter(
                (0..chunks).map(|_| Ok::<_, Infallible>(Bytes::from_static(&ZEROS))),
            );
            return (
                StatusCode::OK,
                [(header::CONTENT_LENGTH, DECLARED_BYTES.to_string())],
                Body::from_stream(stream),
            )
                .into_response();
        }
        Some(Trick::Hang) => {
            std::future::pending::<()>().await;
        }
        Some(Trick::Trickle) => {
            let stream = futures_util::stream::unfold(0u32, |sent| async move {
                if sent == 1000 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                Some((Ok::<_, Infallible>(Bytes::from_static(b"0")), sent + 1))
            });
            return (
                StatusCode::OK,
                [(header::CONTENT_LENGTH, "1000")],
                Body::from_stream(stream),
            )
                .into_response();
        }
        None => {}
    }
    match served.files.get(&path) {
        Some(bytes) => (StatusCode::OK, bytes.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, format!("no {path}\n")).into_response(),
    }
}
