//! The Rekor v1 search request bodies, decoded with the server's DTOs and passed to the
//! parsing the handlers do (`tlog/src/http.rs`, `tlog/src/log.rs`):
//!
//! * `POST /api/v1/log/entries/retrieve` (`SearchLogQuery`): at most `MAX_RETRIEVE` (10)
//!   items, each proposed entry through `signet_rekor::entry::canonicalize_value`, each
//!   of `entryUUIDs` through `signet_rekor::uuid::EntryUuid::parse`;
//! * `GET /api/v1/log/entries/{uuid}`: the whole input, as text, through
//!   `EntryUuid::parse` (a parsed UUID's leaf hash prints back as its last 64 hex digits);
//! * `POST /api/v1/index/retrieve` (`SearchIndex`): `publicKey.content` base64 → PEM →
//!   `SubmittedKey::from_pem` → `key_fingerprint` of its canonical PEM (the search key).
//!
//! Input: the request body (both DTOs are tried: they deny unknown fields, so at most one
//! decodes). Seeds: hand-made queries over the vectors' entries and certificates.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use signet_rekor::api::{SearchIndex, SearchLogQuery};
use signet_rekor::entry::{canonicalize_value, EntryLimits};
use signet_rekor::pki::{key_fingerprint, SubmittedKey};
use signet_rekor::uuid::EntryUuid;

fn parse_uuid(uuid: &str) {
    if let Ok(parsed) = EntryUuid::parse(uuid) {
        let leaf = &uuid[uuid.len() - 64..];
        assert_eq!(parsed.leaf_hash.to_hex(), leaf.to_ascii_lowercase());
        assert_eq!(parsed.tree_id.is_some(), uuid.len() == 80);
    }
}

/// `signet_tlog::log::MAX_RETRIEVE` (the log rejects larger queries before any parsing).
const MAX_RETRIEVE: usize = 10;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        parse_uuid(text);
    }
    if let Ok(query) = serde_json::from_slice::<SearchLogQuery>(data) {
        let total = query.entry_uuids.as_ref().map_or(0, Vec::len)
            + query.log_indexes.as_ref().map_or(0, Vec::len)
            + query.entries.as_ref().map_or(0, Vec::len);
        if total <= MAX_RETRIEVE {
            for uuid in query.entry_uuids.iter().flatten() {
                parse_uuid(uuid);
            }
            for proposed in query.entries.iter().flatten() {
                let _ = canonicalize_value(proposed, &EntryLimits::default());
            }
        }
    }
    if let Ok(query) = serde_json::from_slice::<SearchIndex>(data) {
        let content = query.public_key.as_ref().and_then(|k| k.content.as_deref());
        if let Some(content) = content {
            if let Ok(pem) = base64::engine::general_purpose::STANDARD.decode(content) {
                if let Ok(key) = SubmittedKey::from_pem(&pem) {
                    let canonical = key.canonical_pem();
                    let _ = key_fingerprint(&canonical);
                    // The canonical PEM is what the log stores and serves: it must read
                    // back as the same key.
                    let again = SubmittedKey::from_pem(&canonical).expect("canonical PEM parses");
                    assert_eq!(again.canonical_pem(), canonical);
                }
            }
        }
    }
});
