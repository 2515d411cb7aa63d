//! Rekor v1 proposed entries (hashedrekord 0.0.1, dsse 0.0.1): the body of
//! `POST /api/v1/log/entries`, which the handler hands as raw bytes to `Log::append`,
//! whose only parsing is `signet_rekor::entry::canonicalize` with the log's limits (the
//! defaults). Then the checks a canonical entry must pass, since the log stores and serves
//! its body: under the body limit, leaf hash of the body, index keys recoverable from the
//! stored body (`index_keys_of_body`, used to rebuild the index) and among the entry's, and
//! for hashedrekord a canonical body canonicalises to itself (else one signature could be
//! logged under two leaves). Input: the request body. Seeds: hand-made entries over the
//! vectors' certificates and signatures (`seeds.py`) and the vectors' canonical bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_rekor::entry::{canonicalize, index_keys_of_body, EntryKind, EntryLimits};
use signet_tlog_core::hash::leaf_hash;

fuzz_target!(|data: &[u8]| {
    let limits = EntryLimits::default();
    let Ok(entry) = canonicalize(data, &limits) else {
        return;
    };
    assert!(entry.body.len() <= limits.max_canonical_body_bytes);
    assert_eq!(entry.leaf_hash, leaf_hash(&entry.body));
    let stored_keys = index_keys_of_body(&entry.body).expect("a canonical body re-indexes");
    for key in &stored_keys {
        assert!(
            entry.index_keys.contains(key),
            "index key {key:?} not filed"
        );
    }
    if entry.kind == EntryKind::HashedRekord {
        let again = canonicalize(&entry.body, &limits).expect("a canonical body is an entry");
        assert_eq!(
            again.body, entry.body,
            "canonical form is not a fixed point"
        );
    }
});
