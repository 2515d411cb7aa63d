//! Rekor v1 entry UUIDs (PROTOCOL.md §4.2): the 64-hex leaf hash, or the 80-hex entry ID
//! `<16-hex tree ID><64-hex leaf hash>` that `GET /api/v1/log/entries/{uuid}` and the
//! `entryUUIDs` of `POST /api/v1/log/entries/retrieve` take.

use signet_tlog_core::hash::Hash;

/// A parsed entry UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryUuid {
    /// The tree ID of an 80-hex entry ID; `None` for a bare 64-hex leaf hash.
    pub tree_id: Option<u64>,
    /// The entry's RFC 6962 leaf hash.
    pub leaf_hash: Hash,
}

/// Why a string is not an entry UUID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UuidError {
    /// Neither 64 nor 80 characters (or not ASCII: hex digits are).
    #[error("entry UUID must be 64 or 80 hex characters, got {length} bytes")]
    Length {
        /// Its length in bytes.
        length: usize,
    },
    /// Not hexadecimal.
    #[error("entry UUID is not hex")]
    NotHex,
}

impl EntryUuid {
    /// Parses a 64- or 80-hex UUID (either case).
    ///
    /// # Errors
    /// [`UuidError`].
    pub fn parse(uuid: &str) -> Result<Self, UuidError> {
        // Hex is ASCII: checking first makes every byte offset below a char boundary.
        if !uuid.is_ascii() || !matches!(uuid.len(), 64 | 80) {
            return Err(UuidError::Length { length: uuid.len() });
        }
        let (tree, leaf) = uuid.split_at(uuid.len() - 64);
        let tree_id = match tree {
            "" => None,
            t if t.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(u64::from_str_radix(t, 16).map_err(|_| UuidError::NotHex)?)
            }
            _ => return Err(UuidError::NotHex),
        };
        let leaf_hash = Hash::from_hex(leaf).ok_or(UuidError::NotHex)?;
        Ok(Self { tree_id, leaf_hash })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_parse() {
        let leaf = "ab".repeat(32);
        let bare = EntryUuid::parse(&leaf).unwrap();
        assert_eq!(bare.tree_id, None);
        assert_eq!(bare.leaf_hash.to_hex(), leaf);
        let full = EntryUuid::parse(&format!("24296fb24b8ad77a{}", leaf.to_uppercase())).unwrap();
        assert_eq!(full.tree_id, Some(0x2429_6fb2_4b8a_d77a));
        assert_eq!(full.leaf_hash, bare.leaf_hash);
    }

    #[test]
    fn bad_uuids_are_errors_not_panics() {
        let leaf = "ab".repeat(32);
        // 80 bytes with a two-byte character across byte 16 (and across 15/16 of the
        // leaf part): slicing by bytes would panic.
        for uuid in [
            format!("{}é{}", "a".repeat(15), "a".repeat(63)),
            format!("{}é{}", "a".repeat(16), "a".repeat(62)),
            format!("{}é", "a".repeat(62)),
        ] {
            assert_eq!(uuid.len() % 16, 0, "{uuid}");
            assert!(matches!(
                EntryUuid::parse(&uuid),
                Err(UuidError::Length { .. })
            ));
        }
        assert_eq!(
            EntryUuid::parse(&format!("+{}{leaf}", "0".repeat(15))),
            Err(UuidError::NotHex)
        );
        assert_eq!(
            EntryUuid::parse(&format!("{leaf}x")),
            Err(UuidError::Length { length: 65 })
        );
        assert_eq!(EntryUuid::parse(&"g".repeat(64)), Err(UuidError::NotHex));
    }
}
