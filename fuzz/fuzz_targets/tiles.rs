//! What a tlog-tiles log serves, as an auditor (`signet audit replay`) reads it: the tile
//! path syntax (`signet_tlog_core::tile::parse_tile_path`, strict: `path()` gives the
//! input back), entry bundles, level-0 hash tiles and entry-meta bundles
//! (`signet_audit::bundle::{split_entry_bundle, split_hash_tile, parse_entry_meta}`), and
//! one whole bundle through `signet_audit::process::process_bundle` (leaf hashes, subtree,
//! every entry re-verified by the `Auditor` of the public-good roots, as Rekor entries of
//! each trusted log and as CT entries).
//!
//! Input (`signet_fuzz::frame`): `width: u16 BE`, `bundle index N: u32 BE` (first entry
//! `N·256`), three sections (entry bundle, hash tile, entry-meta JSON), then the tile path
//! text (after `tile/`). The split functions get the width as is; `process_bundle` gets it
//! clamped to 1..=256, the only widths a log's tree can give it. Seeds: bundles of the
//! vectors' canonical bodies with their integrated times and SETs, their leaf hashes, and
//! the C2SP tile paths (`seeds.py`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_audit::bundle::{parse_entry_meta, split_entry_bundle, split_hash_tile};
use signet_audit::process::{process_bundle, BundleInput, Contents, EntryChecks};
use signet_fuzz::fixtures::ROOTS;
use signet_fuzz::frame::{sections, take_u16, take_u32};
use signet_tlog_core::tile::{parse_tile_path, TilePath};

fuzz_target!(|data: &[u8]| {
    let (width, rest) = take_u16(data);
    let (bundle_index, rest) = take_u32(rest);
    let (parts, path) = sections(rest, 3);
    let (entries, hash_tile, meta) = (parts[0], parts[1], parts[2]);
    let first_index = u64::from(bundle_index) * 256;

    if let Ok(path) = std::str::from_utf8(path) {
        if let Ok(parsed) = parse_tile_path(path) {
            let printed = match parsed {
                TilePath::Hash(t) => t.path(),
                TilePath::Entries(b) => b.path(),
                _ => return,
            };
            assert_eq!(
                printed,
                format!("tile/{path}"),
                "tile path does not round-trip"
            );
        }
    }

    let _ = split_entry_bundle(entries, first_index, width);
    let _ = split_hash_tile(hash_tile, width);
    let _ = parse_entry_meta(meta, first_index, width);

    let input = BundleInput {
        first_index,
        width: width.clamp(1, 256),
        entries,
        hash_tile: (!hash_tile.is_empty()).then_some(hash_tile),
        meta: (!meta.is_empty()).then_some(meta),
        known: 0,
    };
    for root in ROOTS.iter().take(2) {
        let trusted = root.verifier.trusted_root();
        for log in &trusted.tlogs {
            let contents = Contents::Signatures { log_id: log.log_id };
            let _ = process_bundle(&root.auditor, contents, &input, EntryChecks::Verify);
        }
        let _ = process_bundle(
            &root.auditor,
            Contents::Certificates,
            &input,
            EntryChecks::Verify,
        );
    }
});
