//! Property tests for the verifier's own checkpoint and proof checks, which sit on top of
//! signet-tlog-core's note/checkpoint parsing with rules of their own:
//!
//! * `audit::Auditor::checkpoint` (and through it `verify::tlog::check_checkpoint`, the
//!   bundle path): a Rekor v1 checkpoint (origin `<host> - <treeID>`) must carry only the
//!   log's signatures, every one valid (PROTOCOL.md §4.5); a C2SP checkpoint (§5.3, §5.5)
//!   must name the log's `baseUrl` host as origin and carry its valid signature, other
//!   signers (witnesses) ignored.
//! * `rekor_v1::verify_log_entry` (the signing client's check of the log's answer): entry
//!   ID, logID, SET, RFC 9162 inclusion proof, and a checkpoint by the log key with the
//!   proof's size and root (§4.1–4.5, §9.1).
//!
//! For random hosts, tree IDs, sizes, roots, extension lines, log keys (ECDSA P-256 and
//! Ed25519), witnesses and trees, the honest input verifies, and every single change to
//! the signed text, to the log's signature or to any field of a log entry is rejected.
//!
//! Failures print a seed; `PROPTEST_CASES` overrides the case counts.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests;
// a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::json;
use signet_rekor::api::{InclusionProof, LogEntryAnon, Verification};
use signet_rekor::set::sign_set;
use signet_tlog_core::checkpoint::{rekor_v1_origin, Checkpoint};
use signet_tlog_core::hash::{leaf_hash, Hash};
use signet_tlog_core::keys::{EcdsaP256Signer, Ed25519NoteSigner};
use signet_tlog_core::note::{Note, NoteSignature, NoteSigner};
use signet_tlog_core::proof::inclusion_plan;
use signet_tlog_core::tree::{CompactRange, NodeId};
use signet_verifier::audit::{Auditor, LogRole};
use signet_verifier::rekor_v1::verify_log_entry;
use signet_verifier::trusted_root::TrustedRoot;
use signet_verifier::verify::Verifier;

// ---------------------------------------------------------------------------
// Two trusted logs: ECDSA P-256 (Rekor v1 style) and Ed25519 (C2SP style)
// ---------------------------------------------------------------------------

struct Logs {
    ecdsa: EcdsaP256Signer,
    ed25519: Ed25519NoteSigner,
    auditor: Auditor,
}

/// A fresh P-256 key named `name`.
fn p256(name: &str) -> EcdsaP256Signer {
    EcdsaP256Signer::from_pkcs8(&EcdsaP256Signer::generate_pkcs8().unwrap(), name).unwrap()
}

/// Fresh keys for two logs at `https://<host>[:port][/path]`, the note key name being the
/// host (PROTOCOL.md §4.5, §5.3), and an auditor trusting both.
fn logs(hosts: &(String, String), suffix: &str) -> Logs {
    let (a, b) = hosts;
    let ecdsa = p256(a);
    let ed_pkcs8 = Ed25519NoteSigner::generate_pkcs8().unwrap();
    let ed25519 = Ed25519NoteSigner::from_pkcs8(&ed_pkcs8, b).unwrap();
    let ed_spki = Ed25519KeyPair::from_pkcs8(&ed_pkcs8)
        .unwrap()
        .public_key()
        .as_der()
        .unwrap();
    let log = |host: &str, spki: &[u8], details: &str, key_id: [u8; 32]| {
        json!({
            "baseUrl": format!("https://{host}{suffix}"),
            "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": B64.encode(spki), "keyDetails": details,
                          "validFor": {"start": "2020-01-01T00:00:00Z"}},
            "logId": {"keyId": B64.encode(key_id)},
        })
    };
    let root = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [
            log(a, ecdsa.public_key_der(), "PKIX_ECDSA_P256_SHA_256", ecdsa.key_id()),
            log(b, ed_spki.as_ref(), "PKIX_ED25519", ed25519.key_id()),
        ],
    });
    let root = TrustedRoot::from_json(&serde_json::to_vec(&root).unwrap()).unwrap();
    let auditor = Auditor::new(Arc::new(Verifier::new(root).unwrap()));
    Logs {
        ecdsa,
        ed25519,
        auditor,
    }
}

fn host() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5}){1,2}"
}

fn two_hosts() -> impl Strategy<Value = (String, String)> {
    (host(), host()).prop_filter("distinct hosts", |(a, b)| a != b)
}

fn url_suffix() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(":8443".to_owned()),
        "(:[0-9]{2,4})?/[a-z]{1,8}"
    ]
}

fn checkpoint_with(origin: String) -> impl Strategy<Value = Checkpoint> {
    (
        any::<u64>(),
        any::<[u8; 32]>(),
        prop::collection::vec("[a-zA-Z0-9 .:/+=-]{1,20}", 0..3),
    )
        .prop_map(move |(size, root, extensions)| Checkpoint {
            origin: origin.clone(),
            size,
            root: Hash(root),
            extensions,
        })
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

/// A single change to the signed checkpoint text.
#[derive(Clone, Debug)]
enum TextEdit {
    /// Byte at a position set to a value (skipped when that is not valid UTF-8).
    Byte(Index, u8),
    RemoveLine(Index),
    AddLine(Index, String),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Size + 1 (`true`) or - 1.
    Size(bool),
    RootBit(u8),
    /// The origin replaced (a Rekor v1 origin of the same host, another tree ID, or text).
    Origin(String),
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    prop_oneof![
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| TextEdit::Byte(i, b)),
        1 => any::<Index>().prop_map(TextEdit::RemoveLine),
        1 => (any::<Index>(), "\\PC{0,20}").prop_map(|(i, l)| TextEdit::AddLine(i, l)),
        1 => any::<Index>().prop_map(TextEdit::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| TextEdit::SwapLines(a, b)),
        1 => any::<bool>().prop_map(TextEdit::Size),
        1 => any::<u8>().prop_map(TextEdit::RootBit),
        1 => prop_oneof![host(), "\\PC{1,20}"].prop_map(TextEdit::Origin),
    ]
}

impl TextEdit {
    /// The edited text, unless the edit cannot apply or gives back the same text.
    fn apply(&self, cp: &Checkpoint) -> Option<String> {
        let text = cp.to_text();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let joined = |lines: &[String]| lines.iter().map(|l| format!("{l}\n")).collect();
        let edited: String = match self {
            TextEdit::Byte(i, b) => {
                let mut bytes = text.clone().into_bytes();
                let at = i.index(bytes.len());
                bytes[at] = *b;
                String::from_utf8(bytes).ok()?
            }
            TextEdit::RemoveLine(i) => {
                lines.remove(i.index(lines.len()));
                joined(&lines)
            }
            TextEdit::AddLine(i, l) => {
                lines.insert(i.index(lines.len() + 1), l.clone());
                joined(&lines)
            }
            TextEdit::DuplicateLine(i) => {
                let at = i.index(lines.len());
                lines.insert(at, lines[at].clone());
                joined(&lines)
            }
            TextEdit::SwapLines(a, b) => {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
                joined(&lines)
            }
            TextEdit::Size(up) => {
                let size = if *up {
                    cp.size.checked_add(1)?
                } else {
                    cp.size.checked_sub(1)?
                };
                Checkpoint { size, ..cp.clone() }.to_text()
            }
            TextEdit::RootBit(bit) => {
                let mut root = cp.root;
                root.0[usize::from(bit / 8)] ^= 1 << (bit % 8);
                Checkpoint { root, ..cp.clone() }.to_text()
            }
            TextEdit::Origin(o) => Checkpoint {
                origin: o.clone(),
                ..cp.clone()
            }
            .to_text(),
        };
        (edited != text).then_some(edited)
    }
}

/// Replaces the signed text of a note, keeping its signature lines.
fn with_text(note: &str, text: &str) -> String {
    let mut n = Note::parse(note).unwrap();
    n.text = text.to_owned();
    n.to_text()
}

/// A single change to one signature line.
#[derive(Clone, Debug)]
enum SigEdit {
    FlipBit(usize),
    WrongHint(u8),
    /// Keep only the first `n` (mod length) signature bytes.
    Truncate(Index),
}

fn sig_edit() -> impl Strategy<Value = SigEdit> {
    prop_oneof![
        any::<usize>().prop_map(SigEdit::FlipBit),
        any::<u8>().prop_map(SigEdit::WrongHint),
        any::<Index>().prop_map(SigEdit::Truncate),
    ]
}

impl SigEdit {
    fn apply(&self, sig: &mut NoteSignature) {
        match self {
            SigEdit::FlipBit(n) => {
                let bit = n % (8 * sig.signature.len());
                sig.signature[bit / 8] ^= 1 << (bit % 8);
            }
            SigEdit::WrongHint(n) => sig.key_hint[usize::from(n / 8 % 4)] ^= 1 << (n % 8),
            SigEdit::Truncate(n) => {
                let len = n.index(sig.signature.len());
                sig.signature.truncate(len);
            }
        }
    }
}

/// The note with signature line `line` edited.
fn with_sig_edit(note: &str, line: usize, edit: &SigEdit) -> String {
    let mut n = Note::parse(note).unwrap();
    edit.apply(&mut n.signatures[line]);
    n.to_text()
}

/// A signature line that is not the log's: a witness (valid Ed25519 over the text, its
/// own name) or an unknown key's random bytes.
#[derive(Clone, Debug)]
enum OtherLine {
    Witness([u8; 32], String),
    Unknown(String, [u8; 4], Vec<u8>),
}

fn other_line() -> impl Strategy<Value = OtherLine> {
    let name = "[a-z0-9.-]{1,16}";
    prop_oneof![
        (any::<[u8; 32]>(), name).prop_map(|(s, n)| OtherLine::Witness(s, n)),
        (
            name,
            any::<[u8; 4]>(),
            prop::collection::vec(any::<u8>(), 1..72)
        )
            .prop_map(|(n, h, s)| OtherLine::Unknown(n, h, s)),
    ]
}

impl OtherLine {
    fn signature(&self, text: &str) -> NoteSignature {
        match self {
            OtherLine::Witness(seed, name) => {
                let w = Ed25519NoteSigner::from_seed(seed, name).unwrap();
                NoteSignature {
                    name: name.clone(),
                    key_hint: w.key_hint(),
                    signature: w.sign(text.as_bytes()).unwrap(),
                }
            }
            OtherLine::Unknown(name, hint, sig) => NoteSignature {
                name: name.clone(),
                key_hint: *hint,
                signature: sig.clone(),
            },
        }
    }
}

// ---------------------------------------------------------------------------
// A Rekor v1 log entry over a real tree
// ---------------------------------------------------------------------------

/// A log entry at tree index `index` of a tree of `bodies`, as the log serves it.
fn log_entry(
    log: &EcdsaP256Signer,
    bodies: &[Vec<u8>],
    index: usize,
    tree_id: u64,
    integrated_time: i64,
    log_index: u64,
) -> (String, LogEntryAnon) {
    let mut range = CompactRange::new();
    let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
    for b in bodies {
        range.append(leaf_hash(b), &mut |id, h| {
            nodes.insert(id, h);
        });
    }
    let size = bodies.len() as u64;
    let proof = inclusion_plan(index as u64, size)
        .unwrap()
        .assemble(|id| nodes.get(&id).copied())
        .unwrap();
    let checkpoint = Checkpoint {
        origin: rekor_v1_origin(log.name(), tree_id),
        size,
        root: range.root(),
        extensions: vec![],
    }
    .sign(&[log])
    .unwrap();
    let body_b64 = B64.encode(&bodies[index]);
    let set = sign_set(log, &body_b64, integrated_time, log_index).unwrap();
    let entry_id = format!("{tree_id:016x}{}", leaf_hash(&bodies[index]).to_hex());
    let entry = LogEntryAnon {
        body: body_b64,
        integrated_time,
        log_id: hex::encode(log.key_id()),
        log_index,
        verification: Verification {
            inclusion_proof: InclusionProof {
                checkpoint,
                hashes: proof.iter().map(Hash::to_hex).collect(),
                log_index: index as u64,
                root_hash: range.root().to_hex(),
                tree_size: size,
            },
            signed_entry_timestamp: B64.encode(set),
        },
    };
    (entry_id, entry)
}

/// A single change to a log entry (or its entry ID).
#[derive(Clone, Debug)]
enum EntryEdit {
    BodyBit(usize),
    /// A hex digit of the entry UUID (the leaf hash part) changed to another value.
    EntryUuid(Index, u8),
    /// The 64-hex UUID form of the ID with a digit changed.
    ShortEntryUuid(Index, u8),
    LogId(Index, u8),
    LogIndex(u64),
    IntegratedTime(i64),
    SetBit(usize),
    SetTruncate(Index),
    /// A proof hash: bit flipped, dropped, duplicated or a random one appended.
    ProofHash(u8, Index, usize, [u8; 32]),
    ProofIndex(Index),
    TreeSize(i64),
    RootBit(u8),
    Checkpoint(TextEdit),
    CheckpointSig(SigEdit),
    /// Verified with another log key.
    OtherKey,
}

fn entry_edit() -> impl Strategy<Value = EntryEdit> {
    prop_oneof![
        any::<usize>().prop_map(EntryEdit::BodyBit),
        (any::<Index>(), 1u8..16).prop_map(|(i, d)| EntryEdit::EntryUuid(i, d)),
        (any::<Index>(), 1u8..16).prop_map(|(i, d)| EntryEdit::ShortEntryUuid(i, d)),
        (any::<Index>(), 1u8..16).prop_map(|(i, d)| EntryEdit::LogId(i, d)),
        (1u64..(1 << 40)).prop_map(EntryEdit::LogIndex),
        prop_oneof![Just(1i64), Just(-1i64), (1i64..(1 << 31))].prop_map(EntryEdit::IntegratedTime),
        any::<usize>().prop_map(EntryEdit::SetBit),
        any::<Index>().prop_map(EntryEdit::SetTruncate),
        (0u8..4, any::<Index>(), any::<usize>(), any::<[u8; 32]>())
            .prop_map(|(k, i, b, h)| EntryEdit::ProofHash(k, i, b, h)),
        any::<Index>().prop_map(EntryEdit::ProofIndex),
        prop_oneof![(-3i64..=3), any::<i16>().prop_map(i64::from)]
            .prop_filter("changed", |d| *d != 0)
            .prop_map(EntryEdit::TreeSize),
        any::<u8>().prop_map(EntryEdit::RootBit),
        text_edit().prop_map(EntryEdit::Checkpoint),
        sig_edit().prop_map(EntryEdit::CheckpointSig),
        Just(EntryEdit::OtherKey),
    ]
}

/// Hex string with the digit at `i` replaced by its value plus `d` (mod 16).
fn change_hex_digit(s: &str, i: &Index, d: u8) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let at = i.index(chars.len());
    let v = chars[at].to_digit(16).unwrap() as u8;
    chars[at] = char::from_digit(u32::from((v + d) % 16), 16).unwrap();
    chars.into_iter().collect()
}

fn flip_hex_hash(s: &str, bit: usize) -> String {
    let mut h = Hash::from_hex(s).unwrap();
    h.0[(bit / 8) % 32] ^= 1 << (bit % 8);
    h.to_hex()
}

/// Applies `edit`; returns the entry ID and entry to verify, and whether to verify with
/// another key. `None` if the edit does not apply here (e.g. an empty proof).
fn apply_entry_edit(
    id: &str,
    e: &LogEntryAnon,
    edit: &EntryEdit,
) -> Option<(String, LogEntryAnon, bool)> {
    let mut id = id.to_owned();
    let mut e = e.clone();
    let p = &mut e.verification.inclusion_proof;
    match edit {
        EntryEdit::BodyBit(n) => {
            let mut body = B64.decode(&e.body).unwrap();
            let bit = n % (8 * body.len());
            body[bit / 8] ^= 1 << (bit % 8);
            e.body = B64.encode(body);
        }
        EntryEdit::EntryUuid(i, d) => {
            id = format!("{}{}", &id[..16], change_hex_digit(&id[16..], i, *d));
        }
        EntryEdit::ShortEntryUuid(i, d) => id = change_hex_digit(&id[16..], i, *d),
        EntryEdit::LogId(i, d) => e.log_id = change_hex_digit(&e.log_id, i, *d),
        EntryEdit::LogIndex(x) => e.log_index ^= x,
        EntryEdit::IntegratedTime(d) => e.integrated_time += d,
        EntryEdit::SetBit(n) => {
            let mut set = B64.decode(&e.verification.signed_entry_timestamp).unwrap();
            let bit = n % (8 * set.len());
            set[bit / 8] ^= 1 << (bit % 8);
            e.verification.signed_entry_timestamp = B64.encode(set);
        }
        EntryEdit::SetTruncate(i) => {
            let set = B64.decode(&e.verification.signed_entry_timestamp).unwrap();
            e.verification.signed_entry_timestamp = B64.encode(&set[..i.index(set.len())]);
        }
        EntryEdit::ProofHash(kind, i, bit, h) => match kind {
            0..=2 if p.hashes.is_empty() => return None,
            0 => {
                let at = i.index(p.hashes.len());
                p.hashes[at] = flip_hex_hash(&p.hashes[at], *bit);
            }
            1 => {
                p.hashes.remove(i.index(p.hashes.len()));
            }
            2 => {
                let at = i.index(p.hashes.len());
                p.hashes.insert(at, p.hashes[at].clone());
            }
            _ => p.hashes.push(Hash(*h).to_hex()),
        },
        EntryEdit::ProofIndex(i) => {
            let other = i.index(p.tree_size as usize + 1) as u64;
            if other == p.log_index {
                return None;
            }
            p.log_index = other;
        }
        EntryEdit::TreeSize(d) => {
            p.tree_size = p.tree_size.checked_add_signed(*d)?;
        }
        EntryEdit::RootBit(b) => p.root_hash = flip_hex_hash(&p.root_hash, usize::from(*b)),
        EntryEdit::Checkpoint(t) => {
            let note = Note::parse(&p.checkpoint).unwrap();
            let cp = Checkpoint::parse(&note.text).unwrap();
            p.checkpoint = with_text(&p.checkpoint, &t.apply(&cp)?);
        }
        EntryEdit::CheckpointSig(s) => p.checkpoint = with_sig_edit(&p.checkpoint, 0, s),
        EntryEdit::OtherKey => return Some((id, e, true)),
    }
    Some((id, e, false))
}

fn config(cases: u32) -> ProptestConfig {
    // Debug builds on a loaded 2-core machine: key generation and signing dominate.
    // `PROPTEST_CASES` (read into the default) still wins, for longer runs by hand.
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else {
        cases
    };
    ProptestConfig { cases, ..default }
}

proptest! {
    #![proptest_config(config(128))]

    /// Rekor v1 checkpoints (PROTOCOL.md §4.5): signed by the log key alone they verify
    /// and give the checkpoint back; any change to the text or the signature, or any
    /// other signature line (even a valid witness cosignature), is rejected.
    #[test]
    fn rekor_v1_checkpoints_verify_and_changes_fail(
        hosts in two_hosts(),
        suffix in url_suffix(),
        tree_id in any::<u64>(),
        cp in checkpoint_with(String::new()),
        edits in prop::collection::vec(text_edit(), 1..6),
        sig in sig_edit(),
        extra in other_line(),
        extra_at in any::<Index>(),
    ) {
        let logs = logs(&hosts, &suffix);
        let cp = Checkpoint { origin: rekor_v1_origin(&hosts.0, tree_id), ..cp };
        let signed = cp.sign(&[&logs.ecdsa]).unwrap();
        let ok = logs.auditor.checkpoint(&signed, LogRole::Signatures).unwrap();
        prop_assert_eq!(&ok.checkpoint, &cp);
        prop_assert_eq!(ok.log_id.as_bytes(), &logs.ecdsa.key_id());

        for edit in &edits {
            let Some(text) = edit.apply(&cp) else { continue };
            let forged = with_text(&signed, &text);
            prop_assert!(
                logs.auditor.checkpoint(&forged, LogRole::Signatures).is_err(),
                "{:?} accepted: {:?}", edit, forged
            );
        }
        let forged = with_sig_edit(&signed, 0, &sig);
        prop_assert!(logs.auditor.checkpoint(&forged, LogRole::Signatures).is_err(), "{:?}", sig);

        let mut note = Note::parse(&signed).unwrap();
        let line = extra.signature(&note.text);
        note.signatures.insert(extra_at.index(2), line);
        let with_extra = note.to_text();
        let got = logs.auditor.checkpoint(&with_extra, LogRole::Signatures);
        prop_assert!(got.is_err(), "{:?}", extra);
    }

    /// C2SP checkpoints (PROTOCOL.md §5.3, §5.5) of either log: origin = the `baseUrl`
    /// host, the log's signature first, witnesses and unknown keys after it (ignored, even
    /// when their signatures are corrupted, as long as the note stays well-formed). Any
    /// change to the text, to the log's signature, or an origin naming the other log is
    /// rejected.
    #[test]
    fn c2sp_checkpoints_verify_and_changes_fail(
        hosts in two_hosts(),
        suffix in url_suffix(),
        use_ed25519 in any::<bool>(),
        cp in checkpoint_with(String::new()),
        others in prop::collection::vec(other_line(), 0..4),
        edits in prop::collection::vec(text_edit(), 1..6),
        sig in sig_edit(),
        witness_sig in (any::<Index>(), sig_edit()),
    ) {
        let logs = logs(&hosts, &suffix);
        let (host, other_host, log): (&str, &str, &dyn NoteSigner) = if use_ed25519 {
            (&hosts.1, &hosts.0, &logs.ed25519)
        } else {
            (&hosts.0, &hosts.1, &logs.ecdsa)
        };
        let cp = Checkpoint { origin: host.to_owned(), ..cp };
        let mut note = Note::parse(&cp.sign(&[log]).unwrap()).unwrap();
        for o in &others {
            let line = o.signature(&note.text);
            note.signatures.push(line);
        }
        let signed = note.to_text();
        let ok = logs.auditor.checkpoint(&signed, LogRole::Signatures).unwrap();
        prop_assert_eq!(&ok.checkpoint, &cp);

        for edit in &edits {
            let Some(text) = edit.apply(&cp) else { continue };
            let forged = with_text(&signed, &text);
            prop_assert!(
                logs.auditor.checkpoint(&forged, LogRole::Signatures).is_err(),
                "{:?} accepted: {:?}", edit, forged
            );
        }
        let forged = with_sig_edit(&signed, 0, &sig);
        prop_assert!(logs.auditor.checkpoint(&forged, LogRole::Signatures).is_err(), "{:?}", sig);

        // The other log's host as origin, correctly signed by this log: not its checkpoint.
        let renamed = Checkpoint { origin: other_host.to_owned(), ..cp.clone() };
        let renamed = renamed.sign(&[log]).unwrap();
        prop_assert!(logs.auditor.checkpoint(&renamed, LogRole::Signatures).is_err());

        if !others.is_empty() {
            let (which, edit) = witness_sig;
            let line = 1 + which.index(others.len());
            let changed = with_sig_edit(&signed, line, &edit);
            let got = logs.auditor.checkpoint(&changed, LogRole::Signatures);
            if Note::parse(&changed).is_ok() {
                prop_assert_eq!(&got.unwrap().checkpoint, &cp);
            } else {
                // Truncated to nothing: the note itself is malformed (C2SP: >= 5 bytes).
                prop_assert!(got.is_err());
            }
        }
    }

    /// Rekor v1 log entries (PROTOCOL.md §4.1–4.5, §9.1) over a real tree: the honest
    /// entry verifies, and every single change to it is rejected.
    #[test]
    fn rekor_v1_log_entries_verify_and_changes_fail(
        host in host(),
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..48), 1..70),
        index in any::<Index>(),
        tree_id in any::<u64>(),
        integrated_time in 0i64..(1 << 40),
        log_index in 0u64..(1 << 50),
        short_id in any::<bool>(),
        edits in prop::collection::vec(entry_edit(), 1..10),
    ) {
        let (log, other) = (p256(&host), p256(&host));
        // Distinct leaves: a body is prefixed with its position.
        let bodies: Vec<Vec<u8>> = bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| [(i as u32).to_be_bytes().to_vec(), b].concat())
            .collect();
        let index = index.index(bodies.len());
        let (mut id, entry) = log_entry(&log, &bodies, index, tree_id, integrated_time, log_index);
        if short_id {
            id = id[16..].to_owned();
        }
        let ok = verify_log_entry(&id, &entry, &log.verifier()).unwrap();
        prop_assert_eq!(&ok.body, &bodies[index]);
        prop_assert_eq!(ok.leaf_hash, leaf_hash(&bodies[index]));
        prop_assert_eq!(ok.index, log_index);
        prop_assert_eq!(ok.checkpoint.size, bodies.len() as u64);

        for edit in &edits {
            let full_id = if short_id { format!("{tree_id:016x}{id}") } else { id.clone() };
            let Some((bad_id, bad, other_key)) = apply_entry_edit(&full_id, &entry, edit) else {
                continue;
            };
            let bad_id = match edit {
                EntryEdit::ShortEntryUuid(..) => bad_id,
                _ if short_id => bad_id[16..].to_owned(),
                _ => bad_id,
            };
            let key = if other_key { other.verifier() } else { log.verifier() };
            prop_assert!(
                verify_log_entry(&bad_id, &bad, &key).is_err(),
                "{:?} accepted: {} {:?}", edit, bad_id, bad
            );
        }
    }
}
