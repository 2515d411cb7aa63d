//! RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256 (PROTOCOL.md §9).
//!
//! Domain separation: leaves are hashed as `SHA-256(0x00 || d)`, interior nodes as
//! `SHA-256(0x01 || left || right)`, and the empty tree as `SHA-256("")`.

use std::fmt;

use sha2::{Digest, Sha256};

/// Size in bytes of every hash in the tree (SHA-256).
pub const HASH_SIZE: usize = 32;

/// RFC 6962 §2.1 leaf hash prefix.
const LEAF_PREFIX: u8 = 0x00;
/// RFC 6962 §2.1 interior node hash prefix.
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 Merkle tree hash (leaf, interior node or root).
///
/// `Debug` and `Display` print it as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// The raw 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// Copies a hash out of `b`; `None` unless `b` is exactly [`HASH_SIZE`] bytes.
    #[must_use]
    pub fn from_slice(b: &[u8]) -> Option<Hash> {
        <[u8; HASH_SIZE]>::try_from(b).ok().map(Hash)
    }

    /// Lowercase hex encoding (64 characters).
    #[must_use]
    pub fn to_hex(&self) -> String {
        // Hot path (every proof hash in every response): through `Display`, which
        // encodes into a stack buffer. `hex::encode` collects its string one `char` at a
        // time (8% of a proof read's CPU in a 2026-11-22 profile).
        self.to_string()
    }

    /// Parses exactly 64 hex characters (upper or lower case); `None` otherwise.
    #[must_use]
    pub fn from_hex(s: &str) -> Option<Hash> {
        let s = s.as_bytes();
        if s.len() != 2 * HASH_SIZE {
            return None;
        }
        let mut out = [0u8; HASH_SIZE];
        for (byte, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
            *byte = (hex_nibble(pair[0])? << 4) | hex_nibble(pair[1])?;
        }
        Some(Hash(out))
    }
}

/// Value of one ASCII hex digit, either case.
fn hex_nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 2 * HASH_SIZE];
        // Cannot fail: the buffer is exactly twice the input length.
        hex::encode_to_slice(self.0, &mut buf).map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; HASH_SIZE]> for Hash {
    fn from(b: [u8; HASH_SIZE]) -> Self {
        Hash(b)
    }
}

/// Leaf hash: `MTH({d}) = SHA-256(0x00 || d)` (RFC 6962 §2.1).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    Hash(h.finalize().into())
}

/// Interior node hash: `SHA-256(0x01 || left || right)` (RFC 6962 §2.1).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // One contiguous 65-byte block: a single `update` is the cheapest path through `sha2`.
    let mut buf = [0u8; 1 + 2 * HASH_SIZE];
    buf[0] = NODE_PREFIX;
    buf[1..=HASH_SIZE].copy_from_slice(&left.0);
    buf[1 + HASH_SIZE..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// Root of the empty tree: `MTH({}) = SHA-256("")` (RFC 6962 §2.1).
#[must_use]
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from transparency-dev/merkle's `rfc6962` hasher tests (empty tree,
    // empty leaf, leaf "L123456"), independent of this implementation.
    #[test]
    fn known_answers() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            leaf_hash(b"L123456").to_hex(),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
        );
    }

    #[test]
    fn node_hash_is_order_sensitive_and_domain_separated() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
        let mut concat = Vec::new();
        concat.extend_from_slice(a.as_bytes());
        concat.extend_from_slice(b.as_bytes());
        // A leaf whose data is `a || b` must not collide with the node over (a, b).
        assert_ne!(leaf_hash(&concat), node_hash(&a, &b));
        let mut manual = Sha256::new();
        manual.update([1u8]);
        manual.update(concat);
        assert_eq!(node_hash(&a, &b).0, <[u8; 32]>::from(manual.finalize()));
    }

    #[test]
    fn hex_round_trip_and_rejections() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_hex(&h.to_hex().to_uppercase()), Some(h));
        assert_eq!(format!("{h:?}"), h.to_hex());
        assert_eq!(format!("{h}"), h.to_hex());
        let hex = h.to_hex();
        assert_eq!(Hash::from_hex(&hex[..63]), None);
        assert_eq!(Hash::from_hex(&format!("{hex}0")), None);
        assert_eq!(Hash::from_hex(&format!("+{}", &hex[1..])), None);
        assert_eq!(Hash::from_hex(&format!("g{}", &hex[1..])), None);
        assert_eq!(Hash::from_hex(""), None);
    }

    #[test]
    fn from_slice_requires_exact_length() {
        assert_eq!(Hash::from_slice(&[7u8; 32]), Some(Hash([7u8; 32])));
        assert_eq!(Hash::from_slice(&[7u8; 31]), None);
        assert_eq!(Hash::from_slice(&[7u8; 33]), None);
        assert_eq!(Hash::from_slice(&[]), None);
    }
}
