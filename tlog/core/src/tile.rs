//! C2SP tlog-tiles coordinates and paths (PROTOCOL.md §5.2).
//!
//! A hash tile at level `L`, index `N` holds the tree nodes at tree level `8·L` with node
//! indexes `[N·256, N·256 + W)`; an entry bundle `N` holds leaves `[N·256, N·256 + W)`.
//! Paths are `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, with `<N>` written in
//! 3-digit groups, all but the last prefixed by `x` (C2SP tlog-tiles §Merkle Tree).

use std::fmt::Write as _;

/// Tree levels per tile (C2SP tlog-tiles: tiles are subtrees of height 8).
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile, entries in a full bundle.
pub const TILE_WIDTH: u64 = 256;

/// Highest tile level a path may name (C2SP tlog-tiles: `<L>` is between 0 and 63).
const MAX_TILE_LEVEL: u64 = 63;
/// `u64::MAX` has 20 decimal digits: at most 7 groups of 3.
const MAX_INDEX_GROUPS: usize = 7;
/// The full width as a `u16`.
const FULL_WIDTH: u16 = 256;

/// A hash tile: level `L`, index `N`, width `W` (1..=256; 256 means full). Holds tree nodes
/// at tree level `8·L`, node indexes `[N·256, N·256 + W)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct TileId {
    /// Tile level `L` (tree level `8·L`).
    pub level: u8,
    /// Tile index `N` within the level.
    pub index: u64,
    /// Number of hashes, 1..=256 (256 = full tile).
    pub width: u16,
}

/// An entry bundle: index `N`, width `W` (1..=256): leaves `[N·256, N·256 + W)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct EntryBundleId {
    /// Bundle index `N`.
    pub index: u64,
    /// Number of entries, 1..=256 (256 = full bundle).
    pub width: u16,
}

/// A parsed `tile/...` resource.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum TilePath {
    /// `tile/<L>/<N>[.p/<W>]`.
    Hash(TileId),
    /// `tile/entries/<N>[.p/<W>]`.
    Entries(EntryBundleId),
}

/// Why a tile path was rejected.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileError {
    /// The path has no `<N>` after the level (or is empty).
    #[error("tile path has no index")]
    MissingIndex,
    /// `<L>` is not a decimal integer without leading zeros.
    #[error("tile level is not a canonical decimal integer")]
    InvalidLevel,
    /// `<L>` is above 63.
    #[error("tile level {level} is above 63")]
    LevelOutOfRange {
        /// The level parsed.
        level: u64,
    },
    /// A group of `<N>` is not exactly 3 digits, or lacks/has a misplaced `x` prefix.
    #[error("tile index group {position} is malformed")]
    InvalidIndexGroup {
        /// 0-based position of the offending group.
        position: usize,
    },
    /// `<N>` starts with a redundant all-zero group (`x000/...`).
    #[error("tile index has a leading zero group")]
    NonCanonicalIndex,
    /// `<N>` does not fit in 64 bits.
    #[error("tile index does not fit in 64 bits")]
    IndexOverflow,
    /// `<W>` is not a decimal integer without leading zeros.
    #[error("partial tile width is not a canonical decimal integer")]
    InvalidWidth,
    /// `<W>` is not in 1..=255.
    #[error("partial tile width {width} is not in 1..=255")]
    WidthOutOfRange {
        /// The width parsed.
        width: u64,
    },
}

/// Parses the part of a tile URL after `tile/`: `<L>/<N>[.p/<W>]` or
/// `entries/<N>[.p/<W>]` (C2SP tlog-tiles). Strict: only the canonical spelling of each
/// number is accepted, so `path()` of the result gives back the input.
///
/// # Errors
/// A [`TileError`] naming the first malformed part.
pub fn parse_tile_path(path: &str) -> Result<TilePath, TileError> {
    let (head, rest) = path.split_once('/').ok_or(TileError::MissingIndex)?;
    let level = if head == "entries" {
        None
    } else {
        let level = parse_canonical_decimal(head).ok_or(TileError::InvalidLevel)?;
        match u8::try_from(level) {
            Ok(l) if u64::from(l) <= MAX_TILE_LEVEL => Some(l),
            _ => return Err(TileError::LevelOutOfRange { level }),
        }
    };
    let (index_part, width_part) = match rest.split_once(".p/") {
        Some((index_part, width_part)) => (index_part, Some(width_part)),
        None => (rest, None),
    };
    let index = parse_index(index_part)?;
    let width = match width_part {
        Some(w) => parse_width(w)?,
        None => FULL_WIDTH,
    };
    Ok(match level {
        None => TilePath::Entries(EntryBundleId { index, width }),
        Some(level) => TilePath::Hash(TileId {
            level,
            index,
            width,
        }),
    })
}

/// Formats a tile index as 3-digit groups, all but the last prefixed by `x`
/// (C2SP tlog-tiles): `1234067` → `x001/x234/067`, `5` → `005`.
#[must_use]
pub fn format_index(n: u64) -> String {
    let mut groups = Vec::with_capacity(MAX_INDEX_GROUPS);
    let mut rest = n;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(4 * groups.len());
    for (i, g) in groups.iter().rev().enumerate() {
        let prefix = if i + 1 < groups.len() { "x" } else { "" };
        let sep = if i + 1 < groups.len() { "/" } else { "" };
        // Writing to a String cannot fail.
        let _ = write!(out, "{prefix}{g:03}{sep}");
    }
    out
}

impl TileId {
    /// `tile/<L>/<N>[.p/<W>]` (the suffix only when `width < 256`).
    #[must_use]
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            format_index(self.index),
            partial_suffix(self.width)
        )
    }

    /// Tree level of the hashes in this tile: `8·L`, saturating at 255 for `L >= 32`
    /// (such tiles lie beyond any tree with a `u64` size).
    #[must_use]
    pub fn tree_level(&self) -> u8 {
        self.level.saturating_mul(TILE_HEIGHT)
    }

    /// Node index (at [`TileId::tree_level`]) of the tile's first hash: `N·256`,
    /// saturating at `u64::MAX`.
    #[must_use]
    pub fn first_node(&self) -> u64 {
        self.index.saturating_mul(TILE_WIDTH)
    }
}

impl EntryBundleId {
    /// `tile/entries/<N>[.p/<W>]` (the suffix only when `width < 256`).
    #[must_use]
    pub fn path(&self) -> String {
        format!(
            "tile/entries/{}{}",
            format_index(self.index),
            partial_suffix(self.width)
        )
    }

    /// Index of the bundle's first entry: `N·256`, saturating at `u64::MAX`.
    #[must_use]
    pub fn first_entry(&self) -> u64 {
        self.index.saturating_mul(TILE_WIDTH)
    }
}

/// The width tile `(level, index)` has in a tree of `size` leaves: 0 if it does not exist
/// yet, 256 if full. C2SP tlog-tiles: level `l` has `floor(size / 256^l)` hashes in all.
#[must_use]
pub fn tile_width_at(level: u8, index: u64, size: u64) -> u16 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    let nodes = size.checked_shr(shift).unwrap_or(0);
    let Some(first) = index.checked_mul(TILE_WIDTH) else {
        return 0;
    };
    let width = nodes.saturating_sub(first).min(TILE_WIDTH);
    u16::try_from(width).unwrap_or(FULL_WIDTH)
}

/// The width entry bundle `index` has in a tree of `size` leaves (0 if it does not exist
/// yet, 256 if full).
#[must_use]
pub fn entry_bundle_width_at(index: u64, size: u64) -> u16 {
    tile_width_at(0, index, size)
}

/// `.p/<W>` for partial widths, nothing for full ones.
fn partial_suffix(width: u16) -> String {
    if u64::from(width) < TILE_WIDTH {
        format!(".p/{width}")
    } else {
        String::new()
    }
}

/// `<W>`: decimal, no leading zeros, 1..=255.
fn parse_width(s: &str) -> Result<u16, TileError> {
    let width = parse_canonical_decimal(s).ok_or(TileError::InvalidWidth)?;
    match u16::try_from(width) {
        Ok(w) if (1..FULL_WIDTH).contains(&w) => Ok(w),
        _ => Err(TileError::WidthOutOfRange { width }),
    }
}

/// `<N>`: `x%03d/`* `%03d`, no redundant leading `x000` group, fits in `u64`.
fn parse_index(s: &str) -> Result<u64, TileError> {
    if s.is_empty() {
        return Err(TileError::MissingIndex);
    }
    let groups = s.split('/').count();
    let mut value: u64 = 0;
    for (position, group) in s.split('/').enumerate() {
        let is_last = position + 1 == groups;
        let digits = if is_last {
            group
        } else {
            group
                .strip_prefix('x')
                .ok_or(TileError::InvalidIndexGroup { position })?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::InvalidIndexGroup { position });
        }
        if position >= MAX_INDEX_GROUPS {
            return Err(TileError::IndexOverflow);
        }
        if position == 0 && !is_last && digits == "000" {
            return Err(TileError::NonCanonicalIndex);
        }
        let g = digits
            .parse::<u64>()
            .map_err(|_| TileError::InvalidIndexGroup { position })?;
        value = value
            .checked_mul(1000)
            .and_then(|v| v.checked_add(g))
            .ok_or(TileError::IndexOverflow)?;
    }
    Ok(value)
}

/// A non-negative decimal integer in canonical form: ASCII digits only, no sign, no
/// leading zeros (except `0` itself), fitting in `u64`.
fn parse_canonical_decimal(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_tile(level: u8, index: u64, width: u16) -> TilePath {
        TilePath::Hash(TileId {
            level,
            index,
            width,
        })
    }

    #[test]
    fn format_index_spec_examples() {
        // C2SP tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
        assert_eq!(format_index(1_234_067), "x001/x234/067");
        assert_eq!(format_index(5), "005");
        assert_eq!(format_index(0), "000");
        assert_eq!(format_index(999), "999");
        assert_eq!(format_index(1000), "x001/000");
        assert_eq!(format_index(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
    }

    #[test]
    fn parses_spec_examples() {
        assert_eq!(
            parse_tile_path("0/x001/x234/067"),
            Ok(hash_tile(0, 1_234_067, 256))
        );
        assert_eq!(parse_tile_path("1/000.p/17"), Ok(hash_tile(1, 0, 17)));
        assert_eq!(parse_tile_path("63/001"), Ok(hash_tile(63, 1, 256)));
        assert_eq!(
            parse_tile_path("entries/x001/x234/067.p/255"),
            Ok(TilePath::Entries(EntryBundleId {
                index: 1_234_067,
                width: 255
            }))
        );
        assert_eq!(
            parse_tile_path("entries/001"),
            Ok(TilePath::Entries(EntryBundleId {
                index: 1,
                width: 256
            }))
        );
        assert_eq!(
            parse_tile_path("2/x018/x446/x744/x073/x709/x551/615"),
            Ok(hash_tile(2, u64::MAX, 256))
        );
    }

    #[test]
    fn paths_round_trip() {
        let indexes = [
            0,
            1,
            5,
            999,
            1000,
            1001,
            255_999,
            1_234_067,
            1 << 40,
            u64::MAX,
        ];
        for &index in &indexes {
            for width in [1u16, 17, 112, 255, 256] {
                for level in [0u8, 1, 9, 63] {
                    let tile = TileId {
                        level,
                        index,
                        width,
                    };
                    let path = tile.path();
                    let rest = path.strip_prefix("tile/").unwrap();
                    assert_eq!(parse_tile_path(rest), Ok(TilePath::Hash(tile)), "{path}");
                    assert_eq!(path.contains(".p/"), width < 256, "{path}");
                }
                let bundle = EntryBundleId { index, width };
                let path = bundle.path();
                assert!(path.starts_with("tile/entries/"));
                let rest = path.strip_prefix("tile/").unwrap();
                assert_eq!(
                    parse_tile_path(rest),
                    Ok(TilePath::Entries(bundle)),
                    "{path}"
                );
            }
        }
        assert_eq!(
            TileId {
                level: 0,
                index: 1_234_067,
                width: 256
            }
            .path(),
            "tile/0/x001/x234/067"
        );
        assert_eq!(
            EntryBundleId { index: 5, width: 3 }.path(),
            "tile/entries/005.p/3"
        );
    }

    #[test]
    fn rejects_non_canonical_paths() {
        use TileError::*;
        let cases: &[(&str, TileError)] = &[
            ("", MissingIndex),
            ("0", MissingIndex),
            ("0/", MissingIndex),
            ("entries/", MissingIndex),
            ("0/1", InvalidIndexGroup { position: 0 }),
            ("0/01", InvalidIndexGroup { position: 0 }),
            ("0/0001", InvalidIndexGroup { position: 0 }),
            ("x1/2", InvalidLevel),
            ("0/x1/002", InvalidIndexGroup { position: 0 }),
            ("0/x001/2", InvalidIndexGroup { position: 1 }),
            ("0/001/002", InvalidIndexGroup { position: 0 }),
            ("0/x001/x002", InvalidIndexGroup { position: 1 }),
            ("0/x000/001", NonCanonicalIndex),
            ("0/x000/x001/002", NonCanonicalIndex),
            ("0/x001/", InvalidIndexGroup { position: 1 }),
            ("0//001", InvalidIndexGroup { position: 0 }),
            ("0/00a", InvalidIndexGroup { position: 0 }),
            ("0/+01", InvalidIndexGroup { position: 0 }),
            ("0/-01", InvalidIndexGroup { position: 0 }),
            ("0/X001/002", InvalidIndexGroup { position: 0 }),
            ("0/x018/x446/x744/x073/x709/x551/616", IndexOverflow),
            ("0/x001/x018/x446/x744/x073/x709/x551/615", IndexOverflow),
            ("00/001", InvalidLevel),
            ("01/001", InvalidLevel),
            ("-1/001", InvalidLevel),
            ("+1/001", InvalidLevel),
            ("a/001", InvalidLevel),
            ("data/001", InvalidLevel),
            ("Entries/001", InvalidLevel),
            ("64/001", LevelOutOfRange { level: 64 }),
            ("99999999999999999999999/001", InvalidLevel),
            ("0/001.p/0", WidthOutOfRange { width: 0 }),
            ("0/001.p/256", WidthOutOfRange { width: 256 }),
            ("0/001.p/010", InvalidWidth),
            ("0/001.p/", InvalidWidth),
            ("0/001.p/1/", InvalidWidth),
            ("0/001.p/+1", InvalidWidth),
            ("0/001.p", InvalidIndexGroup { position: 0 }),
            ("0/001.p/5.p/5", InvalidWidth),
            ("0/x001.p/5/002", InvalidIndexGroup { position: 0 }),
            ("entries/1", InvalidIndexGroup { position: 0 }),
            ("entries/001.p/256", WidthOutOfRange { width: 256 }),
            ("0/001/", InvalidIndexGroup { position: 0 }),
        ];
        for (path, want) in cases {
            assert_eq!(parse_tile_path(path).as_ref(), Err(want), "{path:?}");
        }
    }

    #[test]
    fn widths_follow_spec_example_70000() {
        // C2SP tlog-tiles: size 70,000 has 273 full level-0 tiles, a partial level-0 tile of
        // width 112, one full level-1 tile, a partial level-1 tile of width 17 and a partial
        // level-2 tile of width 1.
        let size = 70_000;
        assert!((0..273).all(|n| tile_width_at(0, n, size) == 256));
        assert_eq!(tile_width_at(0, 273, size), 112);
        assert_eq!(tile_width_at(0, 274, size), 0);
        assert_eq!(tile_width_at(1, 0, size), 256);
        assert_eq!(tile_width_at(1, 1, size), 17);
        assert_eq!(tile_width_at(1, 2, size), 0);
        assert_eq!(tile_width_at(2, 0, size), 1);
        assert_eq!(tile_width_at(3, 0, size), 0);
        assert_eq!(entry_bundle_width_at(273, size), 112);
        // "a tree of size 256 will be represented by a full level 0 tile and a partial
        // level 1 tile of width 1".
        assert_eq!(tile_width_at(0, 0, 256), 256);
        assert_eq!(tile_width_at(0, 1, 256), 0);
        assert_eq!(tile_width_at(1, 0, 256), 1);
    }

    #[test]
    fn widths_at_edges() {
        assert_eq!(tile_width_at(0, 0, 0), 0);
        assert_eq!(tile_width_at(0, 0, 1), 1);
        assert_eq!(tile_width_at(0, 0, 255), 255);
        assert_eq!(tile_width_at(0, 1, 257), 1);
        assert_eq!(tile_width_at(1, 0, 255), 0);
        assert_eq!(tile_width_at(7, 0, u64::MAX), 255);
        assert_eq!(tile_width_at(8, 0, u64::MAX), 0);
        assert_eq!(tile_width_at(63, 0, u64::MAX), 0);
        assert_eq!(tile_width_at(255, 0, u64::MAX), 0);
        assert_eq!(tile_width_at(0, u64::MAX, u64::MAX), 0);
        assert_eq!(tile_width_at(0, u64::MAX / 256, u64::MAX), 255);
        assert_eq!(entry_bundle_width_at(0, 3), 3);
        // Width agrees with counting the complete nodes at tree level 8·L directly.
        for size in [0u64, 1, 255, 256, 257, 65_535, 65_536, 65_537, 16_777_217] {
            for level in 0..4u8 {
                let per_node = 1u64 << (8 * u32::from(level));
                let total: u64 = (0..=size / per_node / 256)
                    .map(|n| u64::from(tile_width_at(level, n, size)))
                    .sum();
                assert_eq!(total, size / per_node, "size {size} level {level}");
            }
        }
    }

    #[test]
    fn tile_geometry() {
        let t = TileId {
            level: 2,
            index: 3,
            width: 256,
        };
        assert_eq!(t.tree_level(), 16);
        assert_eq!(t.first_node(), 768);
        let far = TileId {
            level: 40,
            index: u64::MAX,
            width: 1,
        };
        assert_eq!(far.tree_level(), 255);
        assert_eq!(far.first_node(), u64::MAX);
        assert_eq!(EntryBundleId { index: 2, width: 1 }.first_entry(), 512);
    }
}
