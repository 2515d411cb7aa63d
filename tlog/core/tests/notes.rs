//! C2SP signed notes, checkpoints and log keys: the worked examples of the C2SP
//! specs, real Sigstore staging checkpoints (Rekor v1 ECDSA, Rekor v2 Ed25519),
//! round-trips and a table of malformed notes.

// Test helpers outside #[test] fns are not covered by clippy.toml's
// allow-unwrap-in-tests; a missing or malformed vector should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use signet_tlog_core::checkpoint::{
    parse_rekor_v1_origin, rekor_v1_origin, Checkpoint, CheckpointError,
};
use signet_tlog_core::hash::Hash;
use signet_tlog_core::keys::{
    EcdsaP256Signer, EcdsaP256Verifier, Ed25519NoteSigner, Ed25519NoteVerifier, KeyError,
};
use signet_tlog_core::note::{Note, NoteError, NoteSignature, NoteSigner, NoteVerifier};

// ---------------------------------------------------------------------------
// Vector helpers
// ---------------------------------------------------------------------------

fn vectors_dir() -> PathBuf {
    signet_testdata::vectors_dir()
}

fn read_vector(rel: &str) -> String {
    let path = vectors_dir().join(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading vector {}: {e}", path.display()))
}

fn read_json(rel: &str) -> serde_json::Value {
    serde_json::from_str(&read_vector(rel)).unwrap()
}

/// The fenced code blocks (```) of a markdown spec, each with a final '\n' per line.
fn code_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in md.lines() {
        if line.starts_with("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some(String::new()),
            }
        } else if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks
}

/// The only code block of `md` containing `needle`.
fn block_containing(md: &str, needle: &str) -> String {
    let found: Vec<String> = code_blocks(md)
        .into_iter()
        .filter(|b| b.contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one code block containing {needle:?}"
    );
    found.into_iter().next().unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    BASE64.decode(s).unwrap()
}

/// The spec's example vkey and the note it verifies (signed-note.md §Verifier keys, Example).
fn spec_example() -> (String, String) {
    let md = read_vector("c2sp/signed-note.md");
    let vkey = md
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("example.com/foo+"))
        .expect("vkey line in signed-note.md")
        .to_owned();
    let note = block_containing(&md, "— example.com/foo ");
    (vkey, note)
}

// ---------------------------------------------------------------------------
// C2SP worked examples
// ---------------------------------------------------------------------------

#[test]
fn spec_vkey_verifies_spec_note() {
    let (vkey, note_text) = spec_example();
    let v = Ed25519NoteVerifier::from_vkey(&vkey).unwrap();
    assert_eq!(v.name(), "example.com/foo");
    assert_eq!(v.vkey(), vkey, "vkey must re-encode identically");

    let note = Note::parse(&note_text).unwrap();
    assert_eq!(note.text, "This is an example message.\n");
    assert_eq!(note.signatures.len(), 1);
    // The key ID in the vkey (hex) and in the signature line (base64 prefix) agree.
    assert_eq!(note.signatures[0].key_hint, NoteVerifier::key_hint(&v));
    assert_eq!(note.signatures[0].key_hint, v.key_id()[..4]);
    assert_eq!(note.signatures[0].signature.len(), 64);

    let names = note.verify(&[&v]).unwrap();
    assert_eq!(names, vec!["example.com/foo".to_owned()]);
    assert_eq!(note.to_text(), note_text);
}

#[test]
fn spec_key_id_is_hash_of_name_type_and_key() {
    let (vkey, _) = spec_example();
    let v = Ed25519NoteVerifier::from_vkey(&vkey).unwrap();
    let mut h = Sha256::new();
    h.update(b"example.com/foo\n\x01");
    h.update(v.public_key());
    let want: [u8; 32] = h.finalize().into();
    assert_eq!(v.key_id(), want);
    let hex_id = vkey.split('+').nth(1).unwrap();
    assert_eq!(hex::encode(&want[..4]), hex_id);
}

#[test]
fn spec_note_tampered_text_or_signature_fails() {
    let (vkey, note_text) = spec_example();
    let v = Ed25519NoteVerifier::from_vkey(&vkey).unwrap();

    let tampered = note_text.replace("an example", "an exbmple");
    let note = Note::parse(&tampered).unwrap();
    assert!(matches!(
        note.verify(&[&v]),
        Err(NoteError::InvalidSignature { .. })
    ));

    let mut note = Note::parse(&note_text).unwrap();
    note.signatures[0].signature[10] ^= 0x01;
    assert!(matches!(
        note.verify(&[&v]),
        Err(NoteError::InvalidSignature { .. })
    ));
    // The tampered note still serialises and re-parses to the same (bad) signature.
    let reparsed = Note::parse(&note.to_text()).unwrap();
    assert_eq!(reparsed, note);
}

#[test]
fn vkey_errors() {
    let (vkey, _) = spec_example();
    // Different name: key ID no longer matches.
    let renamed = vkey.replacen("example.com/foo", "example.com/bar", 1);
    assert!(matches!(
        Ed25519NoteVerifier::from_vkey(&renamed),
        Err(KeyError::VkeyKeyIdMismatch { .. })
    ));
    // Wrong key ID.
    let parts: Vec<&str> = vkey.split('+').collect();
    let bad_id = format!("{}+00000000+{}", parts[0], parts[2]);
    assert!(matches!(
        Ed25519NoteVerifier::from_vkey(&bad_id),
        Err(KeyError::VkeyKeyIdMismatch { .. })
    ));
    // Unsupported signature type (0x02 instead of 0x01).
    let mut key = b64(parts[2]);
    key[0] = 0x02;
    let other_type = format!("{}+{}+{}", parts[0], parts[1], BASE64.encode(&key));
    assert!(matches!(
        Ed25519NoteVerifier::from_vkey(&other_type),
        Err(KeyError::UnsupportedVkeyType { sig_type: 0x02 })
    ));
    for bad in [
        "",
        "example.com/foo",
        "a+b",
        "example.com/foo+530d903a+!!!!",
    ] {
        assert!(Ed25519NoteVerifier::from_vkey(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn spec_quasimodo_note_parses_with_interior_blank_line() {
    let md = read_vector("c2sp/signed-note.md");
    let text = block_containing(&md, "quasimodo.example/salvatore");
    let note = Note::parse(&text).unwrap();
    // The text keeps its own empty line; only the last blank line separates.
    assert!(note.text.contains(":\n\ned"));
    assert!(note.text.ends_with("sera.\n"));
    assert_eq!(note.signatures.len(), 1);
    assert_eq!(note.signatures[0].name, "quasimodo.example/salvatore");
    assert_eq!(note.to_text(), text);
    // No key known: MUST reject.
    let (vkey, _) = spec_example();
    let v = Ed25519NoteVerifier::from_vkey(&vkey).unwrap();
    assert!(matches!(
        note.verify(&[&v]),
        Err(NoteError::NoKnownSignature)
    ));
}

#[test]
fn spec_checkpoint_examples_parse() {
    let md = read_vector("c2sp/tlog-checkpoint.md");
    let text = block_containing(&md, "behind-the-sofa");
    let note = Note::parse(&text).unwrap();
    let cp = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(cp.origin, "example.com/behind-the-sofa");
    assert_eq!(cp.size, 20852163);
    assert_eq!(
        cp.root.as_bytes().as_slice(),
        b64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=").as_slice()
    );
    assert!(cp.extensions.is_empty());
    assert_eq!(cp.to_text(), note.text);
    assert_eq!(note.to_text(), text);

    // The cosigned example: log signature plus an Ed25519 cosignature
    // (8-byte timestamp || 64-byte signature).
    let md = read_vector("c2sp/tlog-cosignature.md");
    let text = block_containing(&md, "witness.example.com/w1");
    let note = Note::parse(&text).unwrap();
    assert_eq!(note.signatures.len(), 2);
    assert_eq!(note.signatures[1].name, "witness.example.com/w1");
    assert_eq!(note.signatures[1].signature.len(), 72);
    assert_eq!(Checkpoint::parse(&note.text).unwrap(), cp);

    // Neither key is known here: open must fail rather than trust the text.
    let (vkey, _) = spec_example();
    let v = Ed25519NoteVerifier::from_vkey(&vkey).unwrap();
    assert!(matches!(
        Checkpoint::open(&text, &[&v]),
        Err(CheckpointError::Note(NoteError::NoKnownSignature))
    ));
}

// ---------------------------------------------------------------------------
// Verification rules
// ---------------------------------------------------------------------------

#[test]
fn unknown_keys_are_ignored_known_keys_must_verify() {
    let (vkey, note_text) = spec_example();
    let v = Ed25519NoteVerifier::from_vkey(&vkey).unwrap();
    let mut note = Note::parse(&note_text).unwrap();
    let good = note.signatures[0].clone();

    let other = Ed25519NoteSigner::from_seed(&[7u8; 32], "other.example/key").unwrap();
    let other_sig = NoteSignature {
        name: other.name().to_owned(),
        key_hint: NoteSigner::key_hint(&other),
        signature: other.sign(note.text.as_bytes()).unwrap(),
    };
    // Same name as the known key, different ID; same ID, different name: both unknown.
    let same_name = NoteSignature {
        name: good.name.clone(),
        key_hint: [0xde, 0xad, 0xbe, 0xef],
        signature: vec![1; 64],
    };
    let same_id = NoteSignature {
        name: "example.com/not-foo".to_owned(),
        key_hint: good.key_hint,
        signature: vec![1; 64],
    };
    note.signatures = vec![other_sig.clone(), same_name, good.clone(), same_id];
    let reparsed = Note::parse(&note.to_text()).unwrap();
    assert_eq!(reparsed, note);
    assert_eq!(note.verify(&[&v]).unwrap(), vec!["example.com/foo"]);

    // Both keys known: both verify, reported in signature order.
    let ov = other.verifier();
    assert_eq!(
        note.verify(&[&v, &ov]).unwrap(),
        vec!["other.example/key", "example.com/foo"]
    );

    // Only unknown signatures: rejected.
    note.signatures = vec![other_sig];
    assert!(matches!(
        note.verify(&[&v]),
        Err(NoteError::NoKnownSignature)
    ));
    assert!(matches!(note.verify(&[]), Err(NoteError::NoKnownSignature)));

    // The same known key twice: rejected.
    note.signatures = vec![good.clone(), good];
    assert!(matches!(
        note.verify(&[&v]),
        Err(NoteError::DuplicateSignature { .. })
    ));
}

#[test]
fn accepts_many_signatures_rejects_too_many() {
    let signer = Ed25519NoteSigner::from_seed(&[1u8; 32], "log.example/a").unwrap();
    let text = "log.example/a\n1\n".to_owned() + &BASE64.encode([0u8; 32]) + "\n";
    let signed = Note::sign(&text, &[&signer]).unwrap();
    let mut note = Note::parse(&signed).unwrap();
    // C2SP: verifiers MUST accept at least 16 signatures.
    let mut sigs: Vec<NoteSignature> = (0..20u8)
        .map(|i| NoteSignature {
            name: format!("witness{i}.example"),
            key_hint: [i, 0, 0, 0],
            signature: vec![i; 72],
        })
        .collect();
    sigs.push(note.signatures[0].clone());
    note.signatures = sigs;
    let reparsed = Note::parse(&note.to_text()).unwrap();
    assert_eq!(reparsed.verify(&[&signer.verifier()]).unwrap().len(), 1);

    let line = note.to_text().lines().last().unwrap().to_owned() + "\n";
    let too_many = text.clone() + "\n" + &line.repeat(101);
    assert!(matches!(
        Note::parse(&too_many),
        Err(NoteError::TooManySignatures { count: 101, .. })
    ));
}

// ---------------------------------------------------------------------------
// Malformed notes
// ---------------------------------------------------------------------------

#[test]
fn malformed_notes_are_rejected() {
    let (_, good) = spec_example();
    Note::parse(&good).unwrap();
    let sig_line = good.lines().last().unwrap();
    let sig_b64 = sig_line.rsplit(' ').next().unwrap();
    let text = "This is an example message.\n";

    // (case, input, expected error variant)
    #[rustfmt::skip]
    let cases: Vec<(&str, String, &str)> = vec![
        ("missing blank line", format!("{text}{sig_line}\n"), "MissingSeparator"),
        ("two blank lines", format!("{text}\n\n{sig_line}\n"), "ExtraBlankLine"),
        ("missing em dash", format!("{text}\n- example.com/foo {sig_b64}\n"), "MalformedSignatureLine"),
        ("en dash", format!("{text}\n\u{2013} example.com/foo {sig_b64}\n"), "MalformedSignatureLine"),
        ("no space after dash", format!("{text}\n\u{2014}example.com/foo {sig_b64}\n"), "MalformedSignatureLine"),
        ("no signature after name", format!("{text}\n\u{2014} example.com/foo\n"), "MalformedSignatureLine"),
        ("CR in text", format!("This is an example message.\r\n\n{sig_line}\n"), "ControlCharacter"),
        ("CRLF line endings", good.replace('\n', "\r\n"), "ControlCharacter"),
        ("tab in text", format!("This\tis\n\n{sig_line}\n"), "ControlCharacter"),
        ("NUL in signature line", format!("{text}\n{sig_line}\0\n"), "ControlCharacter"),
        ("bad base64", format!("{text}\n\u{2014} example.com/foo {}!\n", &sig_b64[1..]), "InvalidBase64"),
        ("unpadded base64", format!("{text}\n\u{2014} example.com/foo {}\n", sig_b64.trim_end_matches('=')), "InvalidBase64"),
        ("signature too short", format!("{text}\n\u{2014} example.com/foo {}\n", BASE64.encode([1, 2, 3, 4])), "SignatureTooShort"),
        ("no signatures", format!("{text}\n"), "NoSignatures"),
        ("empty text", format!("\n\n{sig_line}\n"), "EmptyText"),
        ("empty note", String::new(), "MissingFinalNewline"),
        ("name with space", format!("{text}\n\u{2014} example.com/foo bar {sig_b64}\n"), "InvalidBase64"),
        ("name with plus", format!("{text}\n\u{2014} example.com+foo {sig_b64}\n"), "InvalidKeyName"),
        ("name with no-break space", format!("{text}\n\u{2014} example.com\u{a0}foo {sig_b64}\n"), "InvalidKeyName"),
        ("empty name", format!("{text}\n\u{2014}  {sig_b64}\n"), "InvalidKeyName"),
        ("missing final newline", format!("{text}\n{sig_line}"), "MissingFinalNewline"),
        ("blank line after signatures", format!("{text}\n{sig_line}\n\n"), "NoSignatures"),
        ("trailing space", format!("{text}\n{sig_line} \n"), "InvalidBase64"),
        ("text without newline", format!("{sig_line}\n"), "MissingSeparator"),
    ];
    for (name, input, want) in cases {
        let err = Note::parse(&input).expect_err(name);
        assert!(
            format!("{err:?}").starts_with(want),
            "{name}: got {err:?}, want {want}"
        );
    }

    let huge = "a".repeat(1 << 20) + "\n\n" + sig_line + "\n";
    assert!(matches!(
        Note::parse(&huge),
        Err(NoteError::TooLarge { .. })
    ));
}

#[test]
fn sign_rejects_bad_text() {
    let signer = Ed25519NoteSigner::from_seed(&[2u8; 32], "log.example").unwrap();
    for bad in ["", "\n", "no newline", "two\n\n", "cr\r\n"] {
        assert!(Note::sign(bad, &[&signer]).is_err(), "{bad:?}");
    }
    assert!(matches!(Note::sign("ok\n", &[]), Err(NoteError::NoSigners)));
    assert!(matches!(
        Ed25519NoteSigner::from_seed(&[2u8; 32], "bad name"),
        Err(KeyError::InvalidKeyName { .. })
    ));
}

// ---------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------

fn sample_checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "log.example/test".to_owned(),
        size: 12345,
        root: Hash([0xab; 32]),
        extensions: vec![],
    }
}

#[test]
fn checkpoint_text_round_trips() {
    let mut cp = sample_checkpoint();
    let text = cp.to_text();
    assert_eq!(
        text,
        format!("log.example/test\n12345\n{}\n", BASE64.encode([0xab; 32]))
    );
    assert_eq!(Checkpoint::parse(&text).unwrap(), cp);

    cp.extensions = vec!["ext one".to_owned(), "ext two".to_owned()];
    cp.size = 0;
    let text = cp.to_text();
    assert!(text.ends_with("\next one\next two\n"));
    assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
}

#[test]
fn malformed_checkpoints_are_rejected() {
    let root = BASE64.encode([1u8; 32]);
    // (case, input, expected error variant)
    #[rustfmt::skip]
    let cases: Vec<(&str, String, &str)> = vec![
        ("leading zero", format!("o\n01\n{root}\n"), "InvalidSize"),
        ("negative", format!("o\n-1\n{root}\n"), "InvalidSize"),
        ("plus sign", format!("o\n+1\n{root}\n"), "InvalidSize"),
        ("empty size", format!("o\n\n{root}\n"), "InvalidSize"),
        ("overflow", format!("o\n18446744073709551616\n{root}\n"), "InvalidSize"),
        ("space in size", format!("o\n 1\n{root}\n"), "InvalidSize"),
        ("empty origin", format!("\n1\n{root}\n"), "EmptyOrigin"),
        ("short root", format!("o\n1\n{}\n", BASE64.encode([1u8; 31])), "RootHashLength"),
        ("long root", format!("o\n1\n{}\n", BASE64.encode([1u8; 33])), "RootHashLength"),
        ("hex root", format!("o\n1\n{}\n", "ab".repeat(32)), "RootHashLength"),
        ("url-safe root", format!("o\n1\n{}\n", BASE64.encode([0xfb; 32]).replace('+', "-").replace('/', "_")), "InvalidRootBase64"),
        ("two lines", "o\n1\n".to_owned(), "TooFewLines"),
        ("no final newline", format!("o\n1\n{root}"), "MissingFinalNewline"),
        ("empty extension", format!("o\n1\n{root}\n\n"), "EmptyExtension"),
        ("control char", format!("o\x07\n1\n{root}\n"), "ControlCharacter"),
    ];
    for (name, input, want) in cases {
        let err = Checkpoint::parse(&input).expect_err(name);
        assert!(
            format!("{err:?}").starts_with(want),
            "{name}: got {err:?}, want {want}"
        );
    }
    assert_eq!(
        Checkpoint::parse(&format!("o\n0\n{root}\n")).unwrap().size,
        0
    );
    assert_eq!(
        Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n"))
            .unwrap()
            .size,
        u64::MAX
    );

    let mut cp = sample_checkpoint();
    cp.origin = "two\nlines".to_owned();
    let signer = Ed25519NoteSigner::from_seed(&[3u8; 32], "log.example").unwrap();
    assert!(cp.sign(&[&signer]).is_err());
}

#[test]
fn ed25519_checkpoint_sign_open_round_trip() {
    let seed = Ed25519NoteSigner::generate_seed().unwrap();
    let signer = Ed25519NoteSigner::from_seed(&seed, "log.example/test").unwrap();
    let cp = sample_checkpoint();
    let signed = cp.sign(&[&signer]).unwrap();
    assert!(signed.starts_with(&(cp.to_text() + "\n\u{2014} log.example/test ")));

    let v = Ed25519NoteVerifier::from_vkey(&signer.vkey()).unwrap();
    assert_eq!(v.public_key(), signer.public_key());
    assert_eq!(Checkpoint::open(&signed, &[&v]).unwrap(), cp);

    let note = Note::parse(&signed).unwrap();
    assert_eq!(note.signatures[0].key_hint, signer.key_id()[..4]);

    // Another key under the same name has another key ID: ignored, so nothing verifies.
    let other = Ed25519NoteSigner::from_seed(&[9u8; 32], "log.example/test").unwrap();
    assert!(matches!(
        Checkpoint::open(&signed, &[&other.verifier()]),
        Err(CheckpointError::Note(NoteError::NoKnownSignature))
    ));
}

#[test]
fn ecdsa_checkpoint_sign_open_round_trip() {
    let der = EcdsaP256Signer::generate_pkcs8().unwrap();
    let signer = EcdsaP256Signer::from_pkcs8(&der, "rekor.example.dev").unwrap();
    let cp = Checkpoint {
        origin: rekor_v1_origin("rekor.example.dev", 1193050959916656506),
        ..sample_checkpoint()
    };
    assert_eq!(cp.origin, "rekor.example.dev - 1193050959916656506");
    let signed = cp.sign(&[&signer]).unwrap();

    let verifier = signer.verifier();
    assert_eq!(Checkpoint::open(&signed, &[&verifier]).unwrap(), cp);

    // Key hint = SHA-256(DER SPKI)[:4] = key_id[..4] (PROTOCOL.md §4.5).
    let spki_hash: [u8; 32] = Sha256::digest(signer.public_key_der()).into();
    assert_eq!(signer.key_id(), spki_hash);
    assert_eq!(NoteSigner::key_hint(&signer), spki_hash[..4]);
    let note = Note::parse(&signed).unwrap();
    assert_eq!(note.signatures[0].key_hint, spki_hash[..4]);
    assert_eq!(note.signatures[0].name, "rekor.example.dev");
    // The signature is plain DER ECDSA over the note text.
    verifier
        .verify(note.text.as_bytes(), &note.signatures[0].signature)
        .unwrap();

    // Wrong key (same name): different hint, so ignored and the note is rejected.
    let other = EcdsaP256Signer::from_pkcs8(
        &EcdsaP256Signer::generate_pkcs8().unwrap(),
        "rekor.example.dev",
    )
    .unwrap();
    assert!(matches!(
        Checkpoint::open(&signed, &[&other.verifier()]),
        Err(CheckpointError::Note(NoteError::NoKnownSignature))
    ));
    // Tampered body under the right key: rejected.
    let tampered = signed.replacen("12345", "12346", 1);
    assert!(matches!(
        Checkpoint::open(&tampered, &[&verifier]),
        Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
    ));
}

#[test]
fn ecdsa_key_encodings_round_trip() {
    let der = EcdsaP256Signer::generate_pkcs8().unwrap();
    let signer = EcdsaP256Signer::from_pkcs8(&der, "log.example").unwrap();

    let pem = EcdsaP256Signer::pkcs8_pem(&der).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let again = EcdsaP256Signer::from_pkcs8_pem(&pem, "log.example").unwrap();
    assert_eq!(again.key_id(), signer.key_id());

    let pub_pem = signer.public_key_pem();
    assert!(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(pub_pem.ends_with("-----END PUBLIC KEY-----\n"));
    assert!(pub_pem.lines().all(|l| l.len() <= 64));
    let v = EcdsaP256Verifier::from_pem(&pub_pem, "log.example").unwrap();
    assert_eq!(v.key_id(), signer.key_id());
    assert_eq!(v.public_key_der(), signer.public_key_der());

    let sig = signer.sign(b"hello").unwrap();
    v.verify(b"hello", &sig).unwrap();
    assert!(matches!(
        v.verify(b"hellp", &sig),
        Err(KeyError::BadSignature)
    ));

    // Label mix-ups and wrong key types are rejected.
    assert!(matches!(
        EcdsaP256Verifier::from_pem(&pem, "log.example"),
        Err(KeyError::PemLabel { .. })
    ));
    assert!(matches!(
        EcdsaP256Signer::from_pkcs8_pem(&pub_pem, "log.example"),
        Err(KeyError::PemLabel { .. })
    ));
    let ed_spki = b64("MCowBQYDK2VwAyEAPn+AREHoBaZ7wgS1zBqpxmLSGnyhxXj4lFxSdWVB8o8=");
    assert!(matches!(
        EcdsaP256Verifier::from_spki_der(&ed_spki, "log.example"),
        Err(KeyError::UnsupportedAlgorithm { .. })
    ));
    assert!(EcdsaP256Verifier::from_spki_der(b"not der", "log.example").is_err());
    assert!(EcdsaP256Signer::from_pkcs8(b"not der", "log.example").is_err());
}

#[test]
fn ed25519_key_encodings_round_trip() {
    let der = Ed25519NoteSigner::generate_pkcs8().unwrap();
    let signer = Ed25519NoteSigner::from_pkcs8(&der, "log.example/ed").unwrap();
    let pem = Ed25519NoteSigner::pkcs8_pem(&der).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let again = Ed25519NoteSigner::from_pkcs8_pem(&pem, "log.example/ed").unwrap();
    assert_eq!(again.public_key(), signer.public_key());
    assert_eq!(again.key_id(), signer.key_id());

    // Signatures are deterministic pure Ed25519 (RFC 8032) and verify across loads.
    let sig = signer.sign(b"msg\n").unwrap();
    assert_eq!(sig, again.sign(b"msg\n").unwrap());
    assert_eq!(sig.len(), 64);
    again.verifier().verify(b"msg\n", &sig).unwrap();
    assert!(matches!(
        again.verifier().verify(b"msg!\n", &sig),
        Err(KeyError::BadSignature)
    ));

    // Key types do not mix.
    let ecdsa_der = EcdsaP256Signer::generate_pkcs8().unwrap();
    assert!(matches!(
        Ed25519NoteSigner::from_pkcs8(&ecdsa_der, "log.example/ed"),
        Err(KeyError::InvalidPrivateKey(_))
    ));
    assert!(EcdsaP256Signer::from_pkcs8(&der, "log.example/ed").is_err());
    let ecdsa = EcdsaP256Signer::from_pkcs8(&ecdsa_der, "log.example").unwrap();
    assert!(matches!(
        Ed25519NoteVerifier::from_spki_der(ecdsa.public_key_der(), "log.example"),
        Err(KeyError::UnsupportedAlgorithm { .. })
    ));
}

// ---------------------------------------------------------------------------
// Real Sigstore staging data
// ---------------------------------------------------------------------------

/// The staging trusted root's tlog entry whose logId equals `log_id_b64`.
fn staging_tlog_key(log_id_b64: &str) -> Vec<u8> {
    let root = read_json("trust/staging-trusted_root.json");
    let tlog = root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["logId"]["keyId"] == log_id_b64)
        .unwrap_or_else(|| panic!("no staging tlog with logId {log_id_b64}"));
    b64(tlog["publicKey"]["rawBytes"].as_str().unwrap())
}

fn first_tlog_entry(bundle: &str) -> serde_json::Value {
    read_json(bundle)["verificationMaterial"]["tlogEntries"][0].clone()
}

#[test]
fn real_rekor_v1_checkpoint_opens_with_staging_key() {
    let entry = first_tlog_entry("sigstore-python/bundle_v3.txt.sigstore");
    let log_id = entry["logId"]["keyId"].as_str().unwrap();
    let spki = staging_tlog_key(log_id);
    let verifier = EcdsaP256Verifier::from_spki_der(&spki, "rekor.sigstage.dev").unwrap();
    assert_eq!(verifier.key_id().as_slice(), b64(log_id).as_slice());

    let proof = &entry["inclusionProof"];
    let envelope = proof["checkpoint"]["envelope"].as_str().unwrap();
    let cp = Checkpoint::open(envelope, &[&verifier]).unwrap();
    let (host, tree_id) = parse_rekor_v1_origin(&cp.origin).unwrap();
    assert_eq!(host, "rekor.sigstage.dev");
    assert_eq!(rekor_v1_origin(host, tree_id), cp.origin);
    assert_eq!(
        cp.root.as_bytes().as_slice(),
        b64(proof["rootHash"].as_str().unwrap()).as_slice()
    );
    assert_eq!(cp.size.to_string(), proof["treeSize"].as_str().unwrap());
    // The real note re-serialises byte for byte.
    assert_eq!(Note::parse(envelope).unwrap().to_text(), envelope);

    // Changing the tree size by one breaks the signature.
    let bumped = envelope.replacen(
        &format!("\n{}\n", cp.size),
        &format!("\n{}\n", cp.size + 1),
        1,
    );
    assert_ne!(bumped, envelope);
    assert!(matches!(
        Checkpoint::open(&bumped, &[&verifier]),
        Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
    ));
}

#[test]
fn rekor_v1_origin_shape() {
    assert!(parse_rekor_v1_origin("log2025-alpha3.rekor.sigstage.dev").is_err());
    assert!(parse_rekor_v1_origin(" - 12").is_err());
    assert!(parse_rekor_v1_origin("host - ").is_err());
    assert!(parse_rekor_v1_origin("host - 1x").is_err());
    assert_eq!(parse_rekor_v1_origin("a b - 7").unwrap(), ("a b", 7));
}

#[test]
fn real_rekor_v2_checkpoints_open_with_staging_ed25519_keys() {
    for (bundle, origin, witnesses) in [
        (
            "sigstore-python/staging-rekor-v2.txt.sigstore.json",
            "log2025-alpha1.rekor.sigstage.dev",
            0,
        ),
        (
            "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
            "log2025-alpha3.rekor.sigstage.dev",
            3,
        ),
    ] {
        let entry = first_tlog_entry(bundle);
        let log_id = entry["logId"]["keyId"].as_str().unwrap();
        let spki = staging_tlog_key(log_id);
        let verifier = Ed25519NoteVerifier::from_spki_der(&spki, origin).unwrap();
        // Rekor v2 logId = full C2SP key hash (PROTOCOL.md §5.4).
        assert_eq!(
            verifier.key_id().as_slice(),
            b64(log_id).as_slice(),
            "{bundle}"
        );

        let proof = &entry["inclusionProof"];
        let envelope = proof["checkpoint"]["envelope"].as_str().unwrap();
        let note = Note::parse(envelope).unwrap();
        assert_eq!(note.signatures.len(), 1 + witnesses, "{bundle}");
        // Witness cosignatures are unknown keys here and must be ignored.
        assert_eq!(note.verify(&[&verifier]).unwrap(), vec![origin.to_owned()]);

        let cp = Checkpoint::open(envelope, &[&verifier]).unwrap();
        assert_eq!(cp.origin, origin);
        assert_eq!(
            cp.root.as_bytes().as_slice(),
            b64(proof["rootHash"].as_str().unwrap()).as_slice()
        );
        assert_eq!(cp.size.to_string(), proof["treeSize"].as_str().unwrap());
    }
}
