//! Property tests for C2SP signed notes (c2sp.org/signed-note) and tlog-checkpoint bodies
//! (c2sp.org/tlog-checkpoint), PROTOCOL.md §4.5, §5.3.
//!
//! * Round trips: for random origins (C2SP schema-less URLs, Rekor v1 `<host> - <treeID>`,
//!   any printable text), sizes, roots and extension lines, signed by the P-256 log key and
//!   Ed25519 note keys with unknown-key signatures mixed in, format → parse gives the same
//!   value and sign → open/verify succeeds.
//! * Any single change to the signed text (a byte, a line removed/added/duplicated/swapped,
//!   size ± 1, a root bit, the origin) is rejected; a signature bit flip or truncation
//!   rejects the note; a wrong key hint makes that signature unknown (ignored, C2SP), so
//!   the note no longer verifies for that key.
//! * Canonical form: every input `Note::parse` / `Checkpoint::parse` accepts formats back
//!   to exactly the same text.
//!
//! Failures print a seed; `PROPTEST_CASES` overrides the case counts.

// Test crate: helpers outside #[test] fns unwrap too; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::Index;
use signet_tlog_core::checkpoint::{rekor_v1_origin, Checkpoint};
use signet_tlog_core::hash::Hash;
use signet_tlog_core::keys::{EcdsaP256Signer, Ed25519NoteSigner};
use signet_tlog_core::note::{Note, NoteError, NoteSignature, NoteSigner, NoteVerifier};

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Two P-256 log keys (PKCS#8), generated once per run: key generation is the slow part.
fn p256_pool() -> &'static [Vec<u8>] {
    static POOL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    POOL.get_or_init(|| {
        (0..2)
            .map(|_| EcdsaP256Signer::generate_pkcs8().unwrap())
            .collect()
    })
}

/// A known key of either kind, usable as signer and verifier.
enum Known {
    Log(EcdsaP256Signer),
    Note(Ed25519NoteSigner),
}

impl Known {
    fn signer(&self) -> &dyn NoteSigner {
        match self {
            Known::Log(k) => k,
            Known::Note(k) => k,
        }
    }

    fn verifier(&self) -> Box<dyn NoteVerifier> {
        match self {
            Known::Log(k) => Box::new(k.verifier()),
            Known::Note(k) => Box::new(k.verifier()),
        }
    }
}

/// What a case signs with: keys to build, and unknown signature lines to mix in.
#[derive(Clone, Debug)]
struct SignerSet {
    /// The log key (index into the pool) and its key name.
    log: Option<(usize, String)>,
    /// Ed25519 note keys: (seed, key name).
    notes: Vec<([u8; 32], String)>,
    /// Unknown-key signatures: (name, key hint, signature bytes, position among the lines).
    unknown: Vec<(String, [u8; 4], Vec<u8>, Index)>,
}

impl SignerSet {
    /// The known keys; names get a distinct suffix so no two known keys share (name, hint).
    fn keys(&self) -> Vec<Known> {
        let mut keys = Vec::new();
        if let Some((i, name)) = &self.log {
            let der = &p256_pool()[*i % p256_pool().len()];
            keys.push(Known::Log(EcdsaP256Signer::from_pkcs8(der, name).unwrap()));
        }
        for (n, (seed, name)) in self.notes.iter().enumerate() {
            let name = format!("{name}~{n}");
            keys.push(Known::Note(
                Ed25519NoteSigner::from_seed(seed, &name).unwrap(),
            ));
        }
        keys
    }
}

/// A C2SP key name: non-empty, no Unicode space, no `+`.
fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9][a-z0-9.-]{0,20}(/[a-zA-Z0-9._~-]{1,10})?",
        1 => "[\\PC&&\\S&&[^+]]{1,16}",
    ]
}

fn signer_set() -> impl Strategy<Value = SignerSet> {
    let unknown = (
        key_name(),
        any::<[u8; 4]>(),
        prop::collection::vec(any::<u8>(), 1..80),
        any::<Index>(),
    );
    (
        prop::option::weighted(0.8, (0usize..2, key_name())),
        prop::collection::vec((any::<[u8; 32]>(), key_name()), 0..3),
        prop::collection::vec(unknown, 0..4),
    )
        .prop_filter("at least one known key", |(log, notes, _)| {
            log.is_some() || !notes.is_empty()
        })
        .prop_map(|(log, notes, unknown)| SignerSet {
            log,
            notes,
            unknown,
        })
}

// ---------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------

/// Origins the parser accepts: C2SP schema-less URLs, Rekor v1 origins, any printable text.
fn origin() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => concat!(
            "[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?(\\.[a-z]{2,6}){0,3}",
            "(:[0-9]{1,5})?(/[a-zA-Z0-9._~-]{1,12}){0,2}"
        ),
        2 => ("[a-z0-9][a-z0-9.-]{0,20}", any::<u64>()).prop_map(|(h, id)| rekor_v1_origin(&h, id)),
        1 => "\\PC{1,40}",
    ]
}

fn tree_size() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(u64::MAX), 0u64..=10_000, any::<u64>(),]
}

fn checkpoint() -> impl Strategy<Value = Checkpoint> {
    (
        origin(),
        tree_size(),
        any::<[u8; 32]>(),
        prop::collection::vec("\\PC{1,30}", 0..4),
    )
        .prop_map(|(origin, size, root, extensions)| Checkpoint {
            origin,
            size,
            root: Hash(root),
            extensions,
        })
}

/// Signs `cp` with the known keys of `set`, then mixes in its unknown signatures at their
/// positions. Returns the note text, the keys, and the expected verified names in order.
fn sign(cp: &Checkpoint, set: &SignerSet) -> (String, Vec<Known>) {
    let keys = set.keys();
    let signers: Vec<&dyn NoteSigner> = keys.iter().map(Known::signer).collect();
    let signed = cp.sign(&signers).unwrap();
    let mut note = Note::parse(&signed).unwrap();
    for (name, hint, sig, at) in &set.unknown {
        // Unknown: no known key has this (name, hint); same name or same hint alone is fine.
        if keys
            .iter()
            .any(|k| k.signer().name() == name && k.signer().key_hint() == *hint)
        {
            continue;
        }
        let at = at.index(note.signatures.len() + 1);
        note.signatures.insert(
            at,
            NoteSignature {
                name: name.clone(),
                key_hint: *hint,
                signature: sig.clone(),
            },
        );
    }
    (note.to_text(), keys)
}

fn verifiers(keys: &[Known]) -> Vec<Box<dyn NoteVerifier>> {
    keys.iter().map(Known::verifier).collect()
}

fn refs(v: &[Box<dyn NoteVerifier>]) -> Vec<&dyn NoteVerifier> {
    v.iter().map(AsRef::as_ref).collect()
}

/// The known key names in signature-line order: what `Note::verify` returns.
fn known_names_in_order(note: &Note, keys: &[Known]) -> Vec<String> {
    note.signatures
        .iter()
        .filter(|s| {
            keys.iter()
                .any(|k| k.signer().name() == s.name && k.signer().key_hint() == s.key_hint)
        })
        .map(|s| s.name.clone())
        .collect()
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
        1 => origin().prop_map(TextEdit::Origin),
    ]
}

impl TextEdit {
    /// The edited text; `None` when the edit cannot apply (size overflow, invalid UTF-8).
    fn apply(&self, cp: &Checkpoint) -> Option<String> {
        let text = cp.to_text();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let joined = |lines: &[String]| lines.iter().map(|l| format!("{l}\n")).collect();
        Some(match self {
            TextEdit::Byte(i, b) => {
                let mut bytes = text.into_bytes();
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
        })
    }
}

/// A single change to one known key's signature line.
#[derive(Clone, Debug)]
enum SigEdit {
    /// Flip bit `n` (mod the signature's bit length).
    FlipBit(usize),
    /// Flip bit `n` (mod 32) of the key hint.
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

/// Replaces the signed text of a note, keeping its signature lines.
fn with_text(note: &str, text: &str) -> String {
    let mut n = Note::parse(note).unwrap();
    n.text = text.to_owned();
    n.to_text()
}

// ---------------------------------------------------------------------------
// Canonical-form inputs
// ---------------------------------------------------------------------------

/// Note-like text: mostly well-formed parts, each sometimes replaced by a near miss (a
/// wrong prefix, a bad key name, non-canonical base64, trailing blanks, missing newlines).
fn note_like() -> impl Strategy<Value = String> {
    let text_line = prop_oneof![4 => "[a-z0-9 .+=-]{1,12}", 1 => "[a-z0-9 ]{0,2}"];
    let prefix =
        prop_oneof![6 => Just("\u{2014} ".to_owned()), 1 => "(\u{2014}|-- |\u{2014}  | \u{2014} )"];
    let name = prop_oneof![6 => "[a-z0-9.]{1,8}", 1 => "[a-z+ ]{0,4}"];
    let b64 = prop_oneof![
        6 => prop::collection::vec(any::<u8>(), 1..40).prop_map(|b| BASE64.encode(b)),
        1 => "[A-Za-z0-9+/]{4,16}={0,3}",
    ];
    let suffix = prop_oneof![8 => Just(String::new()), 1 => "( |=|\u{a0}|x)"];
    let sig = (prefix, name, b64, suffix).prop_map(|(p, n, b, x)| format!("{p}{n} {b}{x}"));
    (
        prop::collection::vec(text_line, 0..4),
        prop::collection::vec(sig, 0..4),
        prop_oneof![6 => Just(1usize), 1 => 0usize..3],
        prop_oneof![6 => Just(true), 1 => Just(false)],
    )
        .prop_map(|(text, sigs, blanks, final_newline)| {
            let mut s: String = text.iter().map(|l| format!("{l}\n")).collect();
            s.push_str(&"\n".repeat(blanks));
            s.push_str(&sigs.join("\n"));
            if final_newline {
                s.push('\n');
            }
            s
        })
}

/// Checkpoint-like text: mostly well-formed lines, each sometimes a near miss (empty
/// origin, leading zeros or signs in the size, non-canonical base64, empty extension
/// lines, no final newline).
fn checkpoint_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![6 => "[a-z .-]{1,10}", 1 => Just(String::new())],
        prop_oneof![
            6 => any::<u64>().prop_map(|n| n.to_string()),
            1 => "(00|01|0[0-9]{1,3}|[+-][0-9]{1,3}| [0-9]|[0-9] |18446744073709551616)",
        ],
        prop_oneof![
            6 => any::<[u8; 32]>().prop_map(|r| BASE64.encode(r)),
            1 => "[A-Za-z0-9+/]{42,44}={0,2}",
        ],
        prop::collection::vec(prop_oneof![6 => "[a-z ]{1,5}", 1 => "[^\n]{0,3}"], 0..3),
        prop_oneof![6 => Just(true), 1 => Just(false)],
    )
        .prop_map(|(origin, size, root, ext, final_newline)| {
            let mut s = format!("{origin}\n{size}\n{root}");
            for e in ext {
                s.push('\n');
                s.push_str(&e);
            }
            if final_newline {
                s.push('\n');
            }
            s
        })
}

fn config(cases: u32) -> ProptestConfig {
    // Debug builds on a loaded 2-core machine: ECDSA/Ed25519 signing dominates.
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
    #![proptest_config(config(256))]

    /// format → parse is the identity on checkpoints, sign → open gives the checkpoint
    /// back, and verification names exactly the known keys, in signature order.
    #[test]
    fn checkpoints_round_trip_and_verify(cp in checkpoint(), set in signer_set()) {
        let text = cp.to_text();
        prop_assert_eq!(&Checkpoint::parse(&text).unwrap(), &cp);
        let (signed, keys) = sign(&cp, &set);
        let note = Note::parse(&signed).unwrap();
        prop_assert_eq!(note.to_text(), signed.clone());
        prop_assert_eq!(&note.text, &text);
        let vs = verifiers(&keys);
        prop_assert_eq!(note.verify(&refs(&vs)).unwrap(), known_names_in_order(&note, &keys));
        prop_assert_eq!(Checkpoint::open(&signed, &refs(&vs)).unwrap(), cp.clone());
        // Each known key alone is enough (C2SP: at least one known key must verify).
        for v in &vs {
            prop_assert_eq!(Checkpoint::open(&signed, &[v.as_ref()]).unwrap(), cp.clone());
        }
        // Only unknown keys: rejected.
        prop_assert!(matches!(note.verify(&[]), Err(NoteError::NoKnownSignature)));
    }

    /// Any single change to the signed text is rejected, by every known key.
    #[test]
    fn changed_signed_text_is_rejected(
        cp in checkpoint(),
        set in signer_set(),
        edits in prop::collection::vec(text_edit(), 1..8),
    ) {
        let (signed, keys) = sign(&cp, &set);
        let text = cp.to_text();
        let vs = verifiers(&keys);
        for edit in &edits {
            let Some(changed) = edit.apply(&cp) else { continue };
            if changed == text {
                continue; // e.g. two equal lines swapped: the same input.
            }
            let forged = with_text(&signed, &changed);
            prop_assert!(
                Checkpoint::open(&forged, &refs(&vs)).is_err(),
                "{:?} turned {:?} into {:?}, still accepted", edit, text, changed
            );
            for v in &vs {
                prop_assert!(Checkpoint::open(&forged, &[v.as_ref()]).is_err());
            }
        }
    }

    /// A known key's signature with a flipped bit or truncated rejects the note (C2SP: a
    /// failing known key rejects it); with a wrong key hint it is an unknown key's
    /// signature, ignored, so the note no longer verifies for that key.
    #[test]
    fn changed_signature_is_rejected(
        cp in checkpoint(),
        set in signer_set(),
        which in any::<Index>(),
        edit in sig_edit(),
    ) {
        let (signed, keys) = sign(&cp, &set);
        let vs = verifiers(&keys);
        let mut note = Note::parse(&signed).unwrap();
        let key = &keys[which.index(keys.len())];
        let (name, hint) = (key.signer().name().to_owned(), key.signer().key_hint());
        let line = note
            .signatures
            .iter()
            .position(|s| s.name == name && s.key_hint == hint)
            .unwrap();
        let sig = &mut note.signatures[line];
        match &edit {
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
        let forged = note.to_text();
        let alone = key.verifier();
        match &edit {
            SigEdit::WrongHint(_) => {
                prop_assert!(Checkpoint::open(&forged, &[alone.as_ref()]).is_err());
                let parsed = Note::parse(&forged).unwrap();
                match parsed.verify(&refs(&vs)) {
                    Ok(names) => {
                        prop_assert!(keys.len() > 1);
                        prop_assert_eq!(names.len(), keys.len() - 1);
                        let same_name = keys.iter().filter(|k| k.signer().name() == name).count();
                        prop_assert!(!names.contains(&name) || same_name > 1);
                    }
                    Err(e) => {
                        prop_assert_eq!(keys.len(), 1);
                        prop_assert!(matches!(e, NoteError::NoKnownSignature), "{:?}", e);
                    }
                }
            }
            SigEdit::FlipBit(_) | SigEdit::Truncate(_) => {
                prop_assert!(Checkpoint::open(&forged, &refs(&vs)).is_err());
                prop_assert!(Checkpoint::open(&forged, &[alone.as_ref()]).is_err());
            }
        }
    }

    /// Canonical form: a note or checkpoint text that parses formats back to itself. The
    /// inputs are valid notes with one byte changed, and note-like / checkpoint-like text.
    #[test]
    fn accepted_inputs_are_canonical(
        cp in checkpoint(),
        set in signer_set(),
        byte in (any::<Index>(), any::<u8>()),
        note_like in note_like(),
        cp_like in checkpoint_like(),
    ) {
        let (signed, _) = sign(&cp, &set);
        let mut bytes = signed.clone().into_bytes();
        let at = byte.0.index(bytes.len());
        bytes[at] = byte.1;
        let mut inputs = vec![signed, note_like, cp_like.clone(), cp.to_text()];
        if let Ok(s) = String::from_utf8(bytes) {
            inputs.push(s);
        }
        for input in &inputs {
            if let Ok(note) = Note::parse(input) {
                prop_assert_eq!(&note.to_text(), input);
                if let Ok(c) = Checkpoint::parse(&note.text) {
                    prop_assert_eq!(c.to_text(), note.text.clone());
                }
            }
            if let Ok(c) = Checkpoint::parse(input) {
                prop_assert_eq!(&c.to_text(), input);
            }
        }
    }
}
