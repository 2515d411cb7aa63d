//! Synthetic Signet transparency logs on disk, and the auditor replay measured over them
//! (issue 5, "Benchmark").
//!
//! * [`generate`]: a fully valid log of `N` hashedrekord 0.0.1 entries made with the real
//!   building blocks — a software CA (root + intermediate, `signet_ca_core::profile`), a
//!   CT key signing each precertificate's SCT, one ephemeral P-256 key per certificate
//!   signing artefact digests, bodies from `signet_rekor::entry::canonicalize`, SETs from
//!   `signet_rekor::set::sign_set`, a checkpoint signed as the log signs it, and
//!   `trusted_root.json` as `signet serve` writes it. Written bundle by bundle.
//! * [`replay`]: bundles streamed from disk through a bounded window into
//!   `signet_audit::process::process_bundle` on T threads and folded in order by
//!   `signet_audit::tree::TreeReplay` — what `signet audit replay` does after fetching.
//!
//! # Layout
//!
//! The directory is a static mirror of what the log serves (PROTOCOL.md §5.2, C2SP
//! tlog-tiles, and the entry-meta extension documented in `signet_tlog::http`), so the same
//! paths work as URLs:
//!
//! ```text
//! checkpoint                          signed note (Rekor v1 origin "<host> - <treeID>")
//! tile/entries/<N>[.p/<W>]            entry bundle N
//! tile/0/<N>[.p/<W>]                  level-0 hash tile N (the entries' leaf hashes)
//! signet/v1/entry-meta/<N>[.p/<W>]    entry-meta bundle N (integrated times, SETs)
//! trusted_root.json                   CA chain, CT key (ctlogs), log key (tlogs)
//! params.json                         LogParams, written last: the log is complete
//! ```

pub mod generate;
pub mod replay;
mod window;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use signet_tlog_core::tile::{entry_bundle_width_at, EntryBundleId, TileId, TILE_WIDTH};

/// Version of the layout and of [`LogParams`]; a cached log of another version is
/// regenerated.
pub const LAYOUT_VERSION: u32 = 1;

/// The checkpoint file.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// The trusted root file.
pub const TRUSTED_ROOT_FILE: &str = "trusted_root.json";
/// The parameters file, written once the log is complete.
pub const PARAMS_FILE: &str = "params.json";

/// What a generated log is (`params.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogParams {
    /// [`LAYOUT_VERSION`].
    pub version: u32,
    /// Entries in the log (the checkpoint's size).
    pub entries: u64,
    /// Entries signed with each certificate (certificates do not span bundles, so the
    /// last group of a bundle may be smaller).
    pub signatures_per_certificate: u32,
    /// The log's host: checkpoint key name, origin `"<host> - <treeID>"`, `baseUrl`.
    pub host: String,
    /// The log's tree ID.
    pub tree_id: u64,
    /// Integrated time of entry 0 (Unix seconds); entry `i` is at `start + i / 100`.
    pub start_time: i64,
    /// Wall time the generation took, seconds.
    pub generation_seconds: f64,
}

/// Why a synthetic log could not be made, read or replayed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Parameters out of range.
    #[error("invalid parameters: {reason}")]
    Params {
        /// What is wrong.
        reason: String,
    },
    /// A key, certificate, SCT, entry, SET or checkpoint could not be made.
    #[error("building {what}: {reason}")]
    Build {
        /// What was being built.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The directory is not a complete generated log.
    #[error("{}: not a generated log: {reason}", dir.display())]
    NotALog {
        /// The directory.
        dir: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// The trusted root or the checkpoint does not verify.
    #[error("{what}: {reason}")]
    Trust {
        /// `trusted root` or `checkpoint`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A worker thread panicked or a channel closed early.
    #[error("replay pipeline: {reason}")]
    Pipeline {
        /// What broke.
        reason: String,
    },
}

impl SynthError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn build(what: &'static str) -> impl FnOnce(String) -> Self {
        move |reason| Self::Build { what, reason }
    }
}

/// Paths of one bundle's three files (relative to the log directory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundlePaths {
    /// `tile/entries/<N>[.p/<W>]`.
    pub entries: String,
    /// `tile/0/<N>[.p/<W>]`.
    pub hash_tile: String,
    /// `signet/v1/entry-meta/<N>[.p/<W>]`.
    pub meta: String,
}

/// Bundles in a log of `size` entries.
#[must_use]
pub fn bundle_count(size: u64) -> u64 {
    size.div_ceil(TILE_WIDTH)
}

/// Width of bundle `index` in a log of `size` entries, and its files' paths.
#[must_use]
pub fn bundle_paths(index: u64, size: u64) -> (u16, BundlePaths) {
    let width = entry_bundle_width_at(index, size);
    let entries = EntryBundleId { index, width }.path();
    let hash_tile = TileId {
        level: 0,
        index,
        width,
    }
    .path();
    // The CLI derives the entry-meta URL the same way (`cli/src/cmd/audit/replay.rs`).
    let meta = entries.replacen("tile/entries/", "signet/v1/entry-meta/", 1);
    (
        width,
        BundlePaths {
            entries,
            hash_tile,
            meta,
        },
    )
}

/// Reads `params.json` of a complete log.
///
/// # Errors
/// [`SynthError::NotALog`] if it is missing, unreadable or of another layout version.
pub fn read_params(dir: &Path) -> Result<LogParams, SynthError> {
    let not_a_log = |reason: String| SynthError::NotALog {
        dir: dir.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(dir.join(PARAMS_FILE))
        .map_err(|e| not_a_log(format!("{PARAMS_FILE}: {e} (generation not finished?)")))?;
    let params: LogParams =
        serde_json::from_slice(&bytes).map_err(|e| not_a_log(format!("{PARAMS_FILE}: {e}")))?;
    if params.version != LAYOUT_VERSION {
        return Err(not_a_log(format!(
            "layout version {}, this program writes {LAYOUT_VERSION}",
            params.version
        )));
    }
    Ok(params)
}

/// Total size in bytes of the regular files under `dir`.
///
/// # Errors
/// [`SynthError::Io`] for a directory that cannot be listed.
pub fn disk_bytes(dir: &Path) -> Result<u64, SynthError> {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(SynthError::io(&d))? {
            let e = e.map_err(SynthError::io(&d))?;
            let meta = e.metadata().map_err(SynthError::io(&e.path()))?;
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_paths_mirror_the_tiles_api() {
        assert_eq!(bundle_count(0), 0);
        assert_eq!(bundle_count(256), 1);
        assert_eq!(bundle_count(257), 2);
        let (w, p) = bundle_paths(0, 1000);
        assert_eq!(w, 256);
        assert_eq!(p.entries, "tile/entries/000");
        assert_eq!(p.hash_tile, "tile/0/000");
        assert_eq!(p.meta, "signet/v1/entry-meta/000");
        let (w, p) = bundle_paths(3, 1000);
        assert_eq!(w, 232);
        assert_eq!(p.entries, "tile/entries/003.p/232");
        assert_eq!(p.hash_tile, "tile/0/003.p/232");
        assert_eq!(p.meta, "signet/v1/entry-meta/003.p/232");
        let (_, p) = bundle_paths(1234, 10_000_000);
        assert_eq!(p.entries, "tile/entries/x001/234");
    }
}
