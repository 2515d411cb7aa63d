//! A Rekor v1 log's answer to `POST /api/v1/log/entries`, as the signing client reads it
//! (`cli/src/cmd/sign/rekor.rs`): the `LogEntry` DTO (a map UUID → entry) decoded with
//! serde, then for each entry `signet_verifier::rekor_v1::verify_log_entry` with every
//! ECDSA log key of the trusted roots (entry ID, log ID, SET, inclusion proof, checkpoint
//! signature and root). Input: the response body. Seeds: the vectors' bundle log entries
//! rewritten as Rekor v1 answers (`seeds.py`), which verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_fuzz::fixtures::ROOTS;
use signet_rekor::api::LogEntry;
use signet_verifier::rekor_v1::verify_log_entry;

fuzz_target!(|data: &[u8]| {
    let Ok(map) = serde_json::from_slice::<LogEntry>(data) else {
        return;
    };
    for (entry_id, entry) in map.iter().take(4) {
        for root in ROOTS.iter() {
            for key in &root.rekor_keys {
                let _ = verify_log_entry(entry_id, entry, key);
            }
        }
    }
});
