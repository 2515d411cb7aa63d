//! Generating a synthetic log: every entry made as the real services make it.
//!
//! Per certificate (one per `signatures_per_certificate` entries, within a bundle), as
//! `signet sign` + the CA do it (`cli/src/cmd/sign`, `ca/src/issuance.rs`): an ephemeral
//! P-256 key; an email identity with the Sigstore issuer extensions `.1`, `.8` and the
//! subject `.24` (what `signet_ca_identity::mapping` gives an email issuer); a
//! precertificate signed by the intermediate CA key; an SCT by the CT key over its
//! precert entry, timestamped at issuance (RFC 6962 §3.2); the final certificate with the
//! SCT list in the poison's place (PROTOCOL.md §3.6).
//!
//! Per entry, as the client and the log do it (PROTOCOL.md §4.1, §4.3): the artefact's
//! SHA-256 signed (prehashed ECDSA) by the ephemeral key; the hashedrekord 0.0.1
//! `ProposedEntry` `signet_rekor::api::hashedrekord_proposal` builds, with the base64 PEM
//! certificate; its canonical body from `signet_rekor::entry::canonicalize` (which also
//! verifies the signature, as the log does); a SET by the log key over the body, the
//! integrated time and the index.
//!
//! Entry `i` is integrated at `start_time + i / 100` (a log taking 100 entries/s), every
//! time at least an hour in the past; each certificate's `notBefore` is one second before
//! its first entry (10-minute validity), so every entry is inside its certificate's
//! validity.
//!
//! Bundles are generated on `threads` threads, each written to disk as soon as it is made;
//! the checkpoint's tree is folded in bundle order from a window of at most
//! [`GENERATE_WINDOW`] bundles ahead, so memory does not grow with the log.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::Engine as _;
use rand::Rng as _;
use signet_ca::trust;
use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::profile::{self, CaSubject, IssuerCertificate, LeafRequest, ValidityPeriod};
use signet_ca_core::request::CheckedPublicKey;
use signet_ca_core::san::{CertIdentity, FulcioExtension, SubjectAltName};
use signet_ca_core::sct;
use signet_ca_core::signer::{CaAlgorithm, CaSigner as _};
use signet_rekor::api::{EntryMeta, EntryMetaBundle};
use signet_rekor::entry::{canonicalize, EntryLimits};
use signet_tlog_core::checkpoint::{rekor_v1_origin, Checkpoint};
use signet_tlog_core::hash::{Hash, HASH_SIZE};
use signet_tlog_core::keys::EcdsaP256Signer;
use signet_tlog_core::note::NoteSigner;
use signet_tlog_core::tile::TILE_WIDTH;
use signet_tlog_core::tree::CompactRange;

use super::window::{AbortOnPanic, Window};
use super::{
    bundle_count, bundle_paths, BundlePaths, LogParams, SynthError, CHECKPOINT_FILE,
    LAYOUT_VERSION, PARAMS_FILE, TRUSTED_ROOT_FILE,
};

/// Entries integrated per second of log time.
pub const ENTRIES_PER_SECOND: u64 = 100;
/// The OIDC issuer every certificate names.
pub const ISSUER: &str = "https://oidc.bench.signet.test";
/// The log's host (origin, note key name, `baseUrl`).
pub const HOST: &str = "log.bench.signet.test";
/// Bundles generated ahead of the checkpoint fold, at most.
pub const GENERATE_WINDOW: u64 = 32;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const DAY: u64 = 86_400;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct GenerateOptions {
    /// Entries (at least 1).
    pub entries: u64,
    /// Entries signed with each certificate, 1..=256 (1: one certificate per entry, the
    /// most expensive log to re-verify).
    pub signatures_per_certificate: u32,
    /// Generating threads (at least 1).
    pub threads: usize,
}

/// How far a generation is, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Entries written so far (whole bundles, in order).
    pub done: u64,
    /// Entries in all.
    pub total: u64,
    /// Since the start.
    pub elapsed: Duration,
}

/// A log's keys and identity: makes its entries, bundles, checkpoint and trusted root.
///
/// Holds every private key in memory (software keys, generated afresh): **a benchmark and
/// test fixture only**. Tests use [`Generator::sign_set`] and [`Generator::reseal`] to
/// play a log that signs what it altered.
pub struct Generator {
    options: GenerateOptions,
    tree_id: u64,
    start_time: i64,
    intermediate: IssuerCertificate,
    intermediate_key: InsecureSoftwareCaKey,
    ct_key: InsecureSoftwareCaKey,
    log_key: EcdsaP256Signer,
    trusted_root_json: Vec<u8>,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("options", &self.options)
            .field("tree_id", &self.tree_id)
            .field("start_time", &self.start_time)
            .finish_non_exhaustive()
    }
}

/// One generated bundle.
struct BundleData {
    entries: Vec<u8>,
    tile: Vec<u8>,
    meta: Vec<u8>,
    leaves: Vec<Hash>,
}

/// The signing half of one certificate.
struct Credential {
    key: EcdsaKeyPair,
    pem: String,
}

fn unix(t: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap_or(0))
}

/// A C2SP entry bundle: each entry as a big-endian `u16` length and its bytes.
///
/// # Errors
/// [`SynthError::Build`] for an entry over 65,535 bytes.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, SynthError> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.as_ref().len() + 2).sum());
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| {
            SynthError::build("entry bundle")(format!("entry of {} bytes", e.len()))
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Writes `bytes` to `dir/rel`, creating parent directories.
///
/// # Errors
/// [`SynthError::Io`].
pub fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), SynthError> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(SynthError::io(parent))?;
    }
    std::fs::write(&path, bytes).map_err(SynthError::io(&path))
}

impl Generator {
    /// Makes the CA (root + intermediate), the CT key and the log key, and the trusted
    /// root naming them.
    ///
    /// # Errors
    /// [`SynthError::Params`] for options out of range, [`SynthError::Build`] if a key or
    /// certificate cannot be made.
    pub fn new(options: GenerateOptions) -> Result<Self, SynthError> {
        if options.entries == 0 {
            return Err(SynthError::Params {
                reason: "a log needs at least one entry".to_owned(),
            });
        }
        if !(1..=256).contains(&options.signatures_per_certificate) {
            return Err(SynthError::Params {
                reason: format!(
                    "--signatures-per-certificate {} is not in 1..=256 (certificates do not span bundles)",
                    options.signatures_per_certificate
                ),
            });
        }
        if options.threads == 0 {
            return Err(SynthError::Params {
                reason: "at least one thread".to_owned(),
            });
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| SynthError::build("start time")(e.to_string()))?
            .as_secs();
        let span = options.entries / ENTRIES_PER_SECOND + 1;
        let start = now.saturating_sub(span + 3_600);
        let start_time =
            i64::try_from(start).map_err(|e| SynthError::build("start time")(e.to_string()))?;
        let key = |what: &'static str| {
            InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256)
                .map_err(|e| SynthError::build(what)(e.to_string()))
        };
        let root_key = key("root CA key")?;
        let intermediate_key = key("intermediate CA key")?;
        let ct_key = key("CT key")?;
        let log_pkcs8 = EcdsaP256Signer::generate_pkcs8()
            .map_err(|e| SynthError::build("log key")(e.to_string()))?;
        let log_key = EcdsaP256Signer::from_pkcs8(&log_pkcs8, HOST)
            .map_err(|e| SynthError::build("log key")(e.to_string()))?;

        let ca_valid_from = start.saturating_sub(DAY);
        let validity = ValidityPeriod {
            not_before: UNIX_EPOCH + Duration::from_secs(ca_valid_from),
            not_after: UNIX_EPOCH + Duration::from_secs(start + 10 * 365 * DAY),
        };
        let subject = |cn: &str| CaSubject {
            organization: "bench.signet.test".to_owned(),
            common_name: cn.to_owned(),
        };
        let root_der =
            profile::root_certificate(&root_key, &subject("signet-bench-root"), validity)
                .map_err(|e| SynthError::build("root certificate")(e.to_string()))?;
        let root = IssuerCertificate::from_der(&root_der)
            .map_err(|e| SynthError::build("root certificate")(e.to_string()))?;
        let intermediate_der = profile::intermediate_certificate(
            &root,
            &root_key,
            intermediate_key.public_key_der(),
            &subject("signet-bench-intermediate"),
            validity,
        )
        .map_err(|e| SynthError::build("intermediate certificate")(e.to_string()))?;
        let intermediate = IssuerCertificate::from_der(&intermediate_der)
            .map_err(|e| SynthError::build("intermediate certificate")(e.to_string()))?;

        let base_url = format!("http://{HOST}");
        let logs_valid_from = start_time - 3_600;
        let deployment = trust::Deployment {
            ca: trust::CaEntry {
                uri: base_url.clone(),
                organization: "bench.signet.test".to_owned(),
                common_name: "signet-bench-root".to_owned(),
                chain_der: vec![intermediate_der, root_der],
                valid_from: i64::try_from(ca_valid_from).unwrap_or(0),
            },
            tlog: trust::LogKey {
                base_url: base_url.clone(),
                public_key_der: log_key.public_key_der().to_vec(),
                valid_from: logs_valid_from,
            },
            ctlog: trust::LogKey {
                base_url: format!("{base_url}/ct"),
                public_key_der: ct_key.public_key_der().to_vec(),
                valid_from: logs_valid_from,
            },
            oidc_url: None,
            operator: HOST.to_owned(),
        };
        let trusted_root = deployment
            .trusted_root()
            .map_err(|e| SynthError::build("trusted root")(e.to_string()))?;
        let trusted_root_json = serde_json::to_vec_pretty(&trusted_root)
            .map_err(|e| SynthError::build("trusted root")(e.to_string()))?;

        Ok(Self {
            options,
            tree_id: rand::thread_rng().gen_range(1..=i64::MAX as u64),
            start_time,
            intermediate,
            intermediate_key,
            ct_key,
            log_key,
            trusted_root_json,
        })
    }

    /// The `trusted_root.json` naming this log's CA, CT key and log key.
    #[must_use]
    pub fn trusted_root_json(&self) -> &[u8] {
        &self.trusted_root_json
    }

    /// Integrated time of entry `index`.
    #[must_use]
    pub fn integrated_time(&self, index: u64) -> i64 {
        self.start_time + i64::try_from(index / ENTRIES_PER_SECOND).unwrap_or(i64::MAX / 2)
    }

    /// Signs a SET with the log key (as the log's sequencer does, PROTOCOL.md §4.3).
    ///
    /// # Errors
    /// [`SynthError::Build`].
    pub fn sign_set(
        &self,
        body: &[u8],
        integrated_time: i64,
        index: u64,
    ) -> Result<Vec<u8>, SynthError> {
        signet_rekor::set::sign_set(&self.log_key, &B64.encode(body), integrated_time, index)
            .map_err(|e| SynthError::build("SET")(e.to_string()))
    }

    /// Signs a checkpoint of `size` leaves and `root` as the log does: Rekor v1 origin
    /// `"<host> - <treeID>"`, one ECDSA note signature by the log key named after the host.
    ///
    /// # Errors
    /// [`SynthError::Build`].
    pub fn sign_checkpoint(&self, size: u64, root: Hash) -> Result<String, SynthError> {
        let checkpoint = Checkpoint {
            origin: rekor_v1_origin(HOST, self.tree_id),
            size,
            root,
            extensions: Vec::new(),
        };
        let signers: [&dyn NoteSigner; 1] = [&self.log_key];
        checkpoint
            .sign(&signers)
            .map_err(|e| SynthError::build("checkpoint")(e.to_string()))
    }

    /// Recomputes the tree from the level-0 hash tiles in `dir` and writes a checkpoint
    /// signed over it: what a log that altered its tiles would publish.
    ///
    /// # Errors
    /// [`SynthError::Io`], [`SynthError::NotALog`] or [`SynthError::Build`].
    pub fn reseal(&self, dir: &Path) -> Result<(), SynthError> {
        let size = self.options.entries;
        let mut range = CompactRange::new();
        for b in 0..bundle_count(size) {
            let (width, paths) = bundle_paths(b, size);
            let path = dir.join(&paths.hash_tile);
            let tile = std::fs::read(&path).map_err(SynthError::io(&path))?;
            if tile.len() != usize::from(width) * HASH_SIZE {
                return Err(SynthError::NotALog {
                    dir: dir.to_path_buf(),
                    reason: format!("{} is {} bytes", paths.hash_tile, tile.len()),
                });
            }
            for h in tile.chunks_exact(HASH_SIZE).filter_map(Hash::from_slice) {
                range.append(h, &mut |_, _| {});
            }
        }
        let note = self.sign_checkpoint(size, range.root())?;
        write_file(dir, CHECKPOINT_FILE, note.as_bytes())
    }

    /// A fresh ephemeral key and its certificate, issued at `not_before` for an identity
    /// derived from `index` (the first entry it signs).
    fn credential(&self, index: u64, not_before: i64) -> Result<Credential, SynthError> {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
            .map_err(|e| SynthError::build("ephemeral key")(e.to_string()))?;
        let spki = key
            .public_key()
            .as_der()
            .map_err(|e| SynthError::build("ephemeral key")(e.to_string()))?;
        let checked = CheckedPublicKey::from_spki_der(spki.as_ref())
            .map_err(|e| SynthError::build("ephemeral key")(e.to_string()))?;
        let who = index % 1_000;
        let identity = CertIdentity {
            san: SubjectAltName::Email(format!("signer-{who}@bench.signet.test")),
            extensions: vec![
                FulcioExtension {
                    arc: 1,
                    value: ISSUER.to_owned(),
                },
                FulcioExtension {
                    arc: 8,
                    value: ISSUER.to_owned(),
                },
                FulcioExtension {
                    arc: 24,
                    value: format!("signer-{who}"),
                },
            ],
        };
        let issued_at = unix(not_before);
        let request = LeafRequest::new(&checked, &identity, issued_at);
        let cert = |e: profile::ProfileError| SynthError::build("certificate")(e.to_string());
        let precert = profile::precertificate(&self.intermediate, &self.intermediate_key, &request)
            .map_err(cert)?;
        let entry = precert.ct_entry().map_err(cert)?;
        let timestamp_ms = u64::try_from(not_before).unwrap_or(0) * 1_000;
        let sct = sct::sign_sct(&self.ct_key, &entry, timestamp_ms)
            .map_err(|e| SynthError::build("SCT")(e.to_string()))?;
        let der = profile::final_certificate(
            &self.intermediate,
            &self.intermediate_key,
            &precert,
            &[sct],
        )
        .map_err(cert)?;
        let pem =
            spki::der::pem::encode_string("CERTIFICATE", spki::der::pem::LineEnding::LF, &der)
                .map_err(|e| SynthError::build("certificate PEM")(e.to_string()))?;
        Ok(Credential { key, pem })
    }

    /// The canonical body of entry `index`, signed by `credential`.
    fn entry_body(&self, credential: &Credential, index: u64) -> Result<Vec<u8>, SynthError> {
        let artefact = format!(
            "signet audit-bench artefact {index} of tree {}\n",
            self.tree_id
        );
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, artefact.as_bytes());
        let signature = credential
            .key
            .sign_digest(&digest)
            .map_err(|e| SynthError::build("artefact signature")(e.to_string()))?;
        let proposal = signet_rekor::api::hashedrekord_proposal(
            signature.as_ref(),
            credential.pem.as_bytes(),
            "sha256",
            digest.as_ref(),
        );
        let proposal = serde_json::to_vec(&proposal)
            .map_err(|e| SynthError::build("proposed entry")(e.to_string()))?;
        let canonical = canonicalize(&proposal, &EntryLimits::default())
            .map_err(|e| SynthError::build("canonical entry")(e.to_string()))?;
        Ok(canonical.body)
    }

    /// Bundle `bundle`: entries, hash tile and entry-meta bytes, and the leaves.
    fn make_bundle(&self, bundle: u64, width: u16) -> Result<BundleData, SynthError> {
        let first = bundle * TILE_WIDTH;
        let per_cert = u64::from(self.options.signatures_per_certificate);
        let mut bodies = Vec::with_capacity(usize::from(width));
        let mut metas = Vec::with_capacity(usize::from(width));
        let mut credential = None;
        for offset in 0..u64::from(width) {
            let index = first + offset;
            let integrated_time = self.integrated_time(index);
            if offset % per_cert == 0 {
                credential = Some(self.credential(index, integrated_time - 1)?);
            }
            let Some(c) = &credential else {
                return Err(SynthError::build("certificate")("no credential".to_owned()));
            };
            let body = self.entry_body(c, index)?;
            let set = self.sign_set(&body, integrated_time, index)?;
            metas.push(EntryMeta {
                log_index: index,
                integrated_time,
                signed_entry_timestamp: Some(B64.encode(set)),
                extra: None,
            });
            bodies.push(body);
        }
        let leaves: Vec<Hash> = bodies
            .iter()
            .map(|b| signet_tlog_core::hash::leaf_hash(b))
            .collect();
        let meta = serde_json::to_vec(&EntryMetaBundle { entries: metas })
            .map_err(|e| SynthError::build("entry-meta bundle")(e.to_string()))?;
        Ok(BundleData {
            entries: encode_entry_bundle(&bodies)?,
            tile: leaves.iter().flat_map(|h| *h.as_bytes()).collect(),
            meta,
            leaves,
        })
    }

    fn write_bundle(dir: &Path, paths: &BundlePaths, data: &BundleData) -> Result<(), SynthError> {
        write_file(dir, &paths.entries, &data.entries)?;
        write_file(dir, &paths.hash_tile, &data.tile)?;
        write_file(dir, &paths.meta, &data.meta)
    }

    /// Generates the whole log into `dir` (which must not exist or be empty), calling
    /// `progress` as bundles are folded. `params.json` is written last.
    ///
    /// # Errors
    /// [`SynthError::Params`] for a non-empty `dir`, else the first failure of any thread.
    pub fn write(
        &self,
        dir: &Path,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<LogParams, SynthError> {
        let started = Instant::now();
        if dir.exists() {
            let mut contents = std::fs::read_dir(dir).map_err(SynthError::io(dir))?;
            if contents.next().is_some() {
                return Err(SynthError::Params {
                    reason: format!("{} exists and is not empty", dir.display()),
                });
            }
        }
        std::fs::create_dir_all(dir).map_err(SynthError::io(dir))?;
        write_file(dir, TRUSTED_ROOT_FILE, &self.trusted_root_json)?;

        let size = self.options.entries;
        let bundles = bundle_count(size);
        let next = AtomicU64::new(0);
        let window = Window::new(GENERATE_WINDOW);
        let (tx, rx) = mpsc::channel::<Result<(u64, Vec<Hash>), SynthError>>();
        let range = std::thread::scope(|s| -> Result<CompactRange, SynthError> {
            for _ in 0..self.options.threads {
                let tx = tx.clone();
                let (next, window) = (&next, &window);
                s.spawn(move || loop {
                    let _guard = AbortOnPanic(window);
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if b >= bundles || !window.wait_for(b) {
                        return;
                    }
                    let (width, paths) = bundle_paths(b, size);
                    let made = self
                        .make_bundle(b, width)
                        .and_then(|d| Self::write_bundle(dir, &paths, &d).map(|()| d.leaves));
                    let failed = made.is_err();
                    if tx.send(made.map(|leaves| (b, leaves))).is_err() || failed {
                        return;
                    }
                });
            }
            drop(tx);
            let result = fold_in_order(&rx, bundles, &window, size, started, progress);
            window.abort();
            result
        })?;
        let note = self.sign_checkpoint(size, range.root())?;
        write_file(dir, CHECKPOINT_FILE, note.as_bytes())?;
        let params = LogParams {
            version: LAYOUT_VERSION,
            entries: size,
            signatures_per_certificate: self.options.signatures_per_certificate,
            host: HOST.to_owned(),
            tree_id: self.tree_id,
            start_time: self.start_time,
            generation_seconds: started.elapsed().as_secs_f64(),
        };
        let json = serde_json::to_vec_pretty(&params)
            .map_err(|e| SynthError::build("params.json")(e.to_string()))?;
        write_file(dir, PARAMS_FILE, &json)?;
        Ok(params)
    }
}

/// Folds the workers' leaves into the tree in bundle order.
fn fold_in_order(
    rx: &mpsc::Receiver<Result<(u64, Vec<Hash>), SynthError>>,
    bundles: u64,
    window: &Window,
    size: u64,
    started: Instant,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompactRange, SynthError> {
    let mut range = CompactRange::new();
    let mut pending: BTreeMap<u64, Vec<Hash>> = BTreeMap::new();
    let mut folded = 0u64;
    while folded < bundles {
        let (b, leaves) = rx.recv().map_err(|_| SynthError::Pipeline {
            reason: "a generating thread stopped".to_owned(),
        })??;
        pending.insert(b, leaves);
        while let Some(leaves) = pending.remove(&folded) {
            for l in leaves {
                range.append(l, &mut |_, _| {});
            }
            folded += 1;
            window.advance();
            progress(Progress {
                done: range.size(),
                total: size,
                elapsed: started.elapsed(),
            });
        }
    }
    Ok(range)
}
