//! C2SP signed notes and tlog checkpoints (`signet-tlog-core`), as verifiers, clients and
//! auditors read a log's checkpoint: `Note::parse` (strict: it must serialise back to the
//! same text), `Checkpoint::parse` of its text (same), `parse_rekor_v1_origin`,
//! `Note::verify` / `Checkpoint::open` with the C2SP documents' Ed25519 keys, and
//! `Auditor::checkpoint` (the note signed by a trusted tlog or CT log found by key hint)
//! with every trusted root. Input: the note text. Seeds: the checkpoints of the vectors'
//! bundles (signed by the public-good logs) and the C2SP documents' examples.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_fuzz::fixtures::{C2SP_NOTE_KEYS, ROOTS};
use signet_tlog_core::checkpoint::{parse_rekor_v1_origin, Checkpoint};
use signet_tlog_core::note::{Note, NoteVerifier};
use signet_verifier::audit::LogRole;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let verifiers: Vec<&dyn NoteVerifier> = C2SP_NOTE_KEYS
        .iter()
        .map(|k| k as &dyn NoteVerifier)
        .collect();
    if let Ok(note) = Note::parse(text) {
        assert_eq!(note.to_text(), text, "signed note does not round-trip");
        let _ = note.verify(&verifiers);
        if let Ok(checkpoint) = Checkpoint::parse(&note.text) {
            assert_eq!(
                checkpoint.to_text(),
                note.text,
                "checkpoint does not round-trip"
            );
            let _ = parse_rekor_v1_origin(&checkpoint.origin);
        }
    }
    // A bare checkpoint body too (what `Checkpoint::parse` gets from any note).
    if let Ok(checkpoint) = Checkpoint::parse(text) {
        assert_eq!(checkpoint.to_text(), text, "checkpoint does not round-trip");
    }
    let _ = Checkpoint::open(text, &verifiers);
    for root in ROOTS.iter() {
        for role in [LogRole::Signatures, LogRole::Certificates] {
            let _ = root.auditor.checkpoint(text, role);
        }
    }
});
