//! Splitting what a log serves into entries and hashes, refusing anything malformed.
//!
//! * Entry bundle (C2SP tlog-tiles, "Entry bundles"): each entry is a big-endian `u16`
//!   length followed by that many bytes; a bundle holds exactly its width's entries.
//! * Hash tile (C2SP tlog-tiles, "Merkle tree hash tiles"): `width` concatenated 32-byte
//!   hashes.
//! * Entry-meta bundle (Signet, `GET /signet/v1/entry-meta/<N>[.p/<W>]`, documented in
//!   `tlog/src/http.rs`): JSON `{"entries":[{"logIndex","integratedTime",
//!   "signedEntryTimestamp"?,"extra"?}]}`, one element per entry of bundle N, in order;
//!   the byte strings are standard base64.

use base64::Engine as _;
use serde::Deserialize;
use signet_tlog_core::hash::{Hash, HASH_SIZE};

/// Why a bundle or tile is refused. The index is the first entry it concerns.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// The bundle ends inside an entry's length prefix or bytes (a truncated response).
    #[error("entry bundle is truncated: entry {index} is cut off")]
    Truncated {
        /// The entry cut off.
        index: u64,
    },
    /// The bundle holds fewer or more entries than its width.
    #[error("entry bundle holds {got} entries, its width is {expected}")]
    EntryCount {
        /// The width.
        expected: u16,
        /// Entries found (counted up to one past the width).
        got: usize,
    },
    /// A hash tile that is not `width` hashes.
    #[error("hash tile is {got} bytes, {expected} expected ({width} hashes)")]
    HashTileLength {
        /// The tile width.
        width: u16,
        /// `width * 32`.
        expected: usize,
        /// Bytes served.
        got: usize,
    },
    /// An entry-meta bundle that does not parse or does not describe the bundle's entries.
    #[error("entry-meta bundle: {reason}")]
    Meta {
        /// What is wrong.
        reason: String,
    },
}

/// Splits an entry bundle whose first entry is `first_index` into exactly `width`
/// entries.
///
/// # Errors
/// [`BundleError::Truncated`] or [`BundleError::EntryCount`].
pub fn split_entry_bundle(
    bytes: &[u8],
    first_index: u64,
    width: u16,
) -> Result<Vec<&[u8]>, BundleError> {
    let mut entries = Vec::with_capacity(usize::from(width));
    let mut rest = bytes;
    while !rest.is_empty() {
        let index = first_index + entries.len() as u64;
        if entries.len() == usize::from(width) {
            return Err(BundleError::EntryCount {
                expected: width,
                got: entries.len() + 1,
            });
        }
        let [hi, lo, tail @ ..] = rest else {
            return Err(BundleError::Truncated { index });
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if tail.len() < len {
            return Err(BundleError::Truncated { index });
        }
        let (entry, after) = tail.split_at(len);
        entries.push(entry);
        rest = after;
    }
    if entries.len() != usize::from(width) {
        return Err(BundleError::EntryCount {
            expected: width,
            got: entries.len(),
        });
    }
    Ok(entries)
}

/// Splits a hash tile of `width` hashes.
///
/// # Errors
/// [`BundleError::HashTileLength`].
pub fn split_hash_tile(bytes: &[u8], width: u16) -> Result<Vec<Hash>, BundleError> {
    let expected = usize::from(width) * HASH_SIZE;
    if bytes.len() != expected {
        return Err(BundleError::HashTileLength {
            width,
            expected,
            got: bytes.len(),
        });
    }
    Ok(bytes
        .chunks_exact(HASH_SIZE)
        .filter_map(Hash::from_slice)
        .collect())
}

/// What a log stores beside one entry, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryMeta {
    /// The entry's index.
    pub index: u64,
    /// Integrated time (Unix seconds).
    pub integrated_time: i64,
    /// Signed entry timestamp (DER), if served.
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// Stored extra, if any.
    pub extra: Option<Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaWire {
    entries: Vec<MetaEntryWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaEntryWire {
    log_index: u64,
    integrated_time: i64,
    signed_entry_timestamp: Option<String>,
    extra: Option<String>,
}

/// Parses the entry-meta bundle of the bundle whose first entry is `first_index`: exactly
/// `width` elements with consecutive `logIndex`es from `first_index`.
///
/// # Errors
/// [`BundleError::Meta`].
pub fn parse_entry_meta(
    bytes: &[u8],
    first_index: u64,
    width: u16,
) -> Result<Vec<EntryMeta>, BundleError> {
    let meta = |reason: String| BundleError::Meta { reason };
    let wire: MetaWire =
        serde_json::from_slice(bytes).map_err(|e| meta(format!("not the documented JSON: {e}")))?;
    if wire.entries.len() != usize::from(width) {
        return Err(meta(format!(
            "{} elements for a bundle of {width} entries",
            wire.entries.len()
        )));
    }
    let b64 = |field: Option<String>, what: &str, index: u64| {
        field
            .map(|t| {
                base64::engine::general_purpose::STANDARD
                    .decode(t)
                    .map_err(|e| meta(format!("entry {index}: {what} is not base64: {e}")))
            })
            .transpose()
    };
    wire.entries
        .into_iter()
        .zip(first_index..)
        .map(|(e, index)| {
            if e.log_index != index {
                return Err(meta(format!(
                    "element for entry {index} names logIndex {}",
                    e.log_index
                )));
            }
            Ok(EntryMeta {
                index,
                integrated_time: e.integrated_time,
                signed_entry_timestamp: b64(
                    e.signed_entry_timestamp,
                    "signedEntryTimestamp",
                    index,
                )?,
                extra: b64(e.extra, "extra", index)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(entries: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for e in entries {
            out.extend_from_slice(&u16::try_from(e.len()).unwrap().to_be_bytes());
            out.extend_from_slice(e);
        }
        out
    }

    #[test]
    fn entry_bundles_split_exactly() {
        let b = bundle(&[b"a", b"", b"ccc"]);
        assert_eq!(
            split_entry_bundle(&b, 256, 3).unwrap(),
            vec![&b"a"[..], b"", b"ccc"]
        );
        assert_eq!(
            split_entry_bundle(&b[..b.len() - 1], 256, 3),
            Err(BundleError::Truncated { index: 258 })
        );
        assert_eq!(
            split_entry_bundle(&b[..1], 256, 3),
            Err(BundleError::Truncated { index: 256 })
        );
        assert_eq!(
            split_entry_bundle(&b, 0, 2),
            Err(BundleError::EntryCount {
                expected: 2,
                got: 3
            })
        );
        assert_eq!(
            split_entry_bundle(&b, 0, 4),
            Err(BundleError::EntryCount {
                expected: 4,
                got: 3
            })
        );
        assert_eq!(split_entry_bundle(&[], 0, 0).unwrap().len(), 0);
    }

    #[test]
    fn hash_tiles_are_whole_hashes() {
        let tile = [7u8; 64];
        assert_eq!(split_hash_tile(&tile, 2).unwrap().len(), 2);
        assert!(matches!(
            split_hash_tile(&tile[..63], 2),
            Err(BundleError::HashTileLength { got: 63, .. })
        ));
        assert!(split_hash_tile(&tile, 1).is_err());
    }

    #[test]
    fn entry_meta_must_describe_the_bundle() {
        let ok = br#"{"entries":[{"logIndex":5,"integratedTime":7,"signedEntryTimestamp":"AQI=","extra":"Aw=="},{"logIndex":6,"integratedTime":8}]}"#;
        let m = parse_entry_meta(ok, 5, 2).unwrap();
        assert_eq!(m[0].signed_entry_timestamp.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(m[0].extra.as_deref(), Some(&[3u8][..]));
        assert_eq!(m[1].signed_entry_timestamp, None);
        assert!(parse_entry_meta(ok, 4, 2).is_err());
        assert!(parse_entry_meta(ok, 5, 3).is_err());
        assert!(parse_entry_meta(b"{", 5, 2).is_err());
        let bad_b64 = br#"{"entries":[{"logIndex":0,"integratedTime":7,"extra":"!"}]}"#;
        assert!(parse_entry_meta(bad_b64, 0, 1).is_err());
    }
}
