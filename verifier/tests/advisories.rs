//! The classes of past Sigstore advisories (USERS.md §3.3, §3.4), each as named tests on
//! fresh bundles (`mutation_support`) and real ones from the public vectors:
//!
//! * A — a log entry, timestamp, subject or key not bound to the artefact;
//! * B — a time used without a signed source, or outside a key's validity;
//! * C — unbounded counts and sizes;
//! * DSSE shape (more than one signature, type outside PAE) and the error path that
//!   reports success (GHSA-w6c6-c85g-mmv6).
//!
//! Issuer patterns that allow another host (class D) are `signet-ca-identity`'s
//! (`ca/identity/tests/advisory_issuer_patterns.rs`); the verifier's own identity patterns
//! are checked here too. The `signet verify` exit status for each class is
//! `cli/tests/verify_error_paths.rs`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod mutation_support;

use std::time::SystemTime;

use serde_json::{json, Value};
use signet_ca_core::san::SubjectAltName;
use signet_ca_core::signer::{CaAlgorithm, CaSigner as _};
use signet_verifier::common::{
    MAX_DSSE_PAYLOAD_BYTES, MAX_INTOTO_SUBJECTS, MAX_RFC3161_TIMESTAMPS, MAX_TLOG_ENTRIES,
};
use signet_verifier::identity::{IdentityPolicy, SignerIdentity};
use signet_verifier::verify::{SignerPolicy, IN_TOTO_PAYLOAD_TYPE};

use mutation_support::*;

/// The failure's variant path; panics (a false success) if the scene verifies.
fn fails(s: &Scene) -> Failure {
    match s.run() {
        Ok(v) => panic!("verified (false success): {v:?}"),
        Err(f) => f,
    }
}

fn assert_fails(s: &Scene, want: &str) -> Failure {
    let f = fails(s);
    assert_eq!(f.path, want, "{}", f.message);
    f
}

/// A DSSE bundle whose envelope carries `payload` of `payload_type`, validly signed by the
/// signer, logged (dsse 0.0.1 with SET, proof, checkpoint) and timestamped.
fn dsse_scene(w: &World, payload_type: &str, payload: Vec<u8>) -> Scene {
    let mut s = w.dsse_scene();
    let signature = w.sign(&pae(payload_type, &payload));
    let body = w.raw_dsse_body(&payload, &[(&signature, &w.leaf_pem(&w.leaf))]);
    s.parts.entries = vec![w.entry(Kind::DsseV001, body, true)];
    s.parts.timestamps = vec![w.timestamp(&signature, GEN_TIME)];
    s.parts.content = ContentParts::Dsse {
        payload,
        payload_type: payload_type.to_owned(),
        signatures: vec![signature],
    };
    s
}

fn other_signer(
    w: &World,
    email: &str,
) -> (signet_ca_core::dev_key::InsecureSoftwareCaKey, Vec<u8>) {
    let key = pki::key(CaAlgorithm::EcdsaP256Sha256);
    let leaf = w.pki.issue(
        key.public_key_der(),
        &identity(SubjectAltName::Email(email.into())),
        unix(T0),
    );
    (key, leaf)
}

// ==== A. Entries, timestamps, subjects and keys bound to the artefact ====

/// GHSA-8gw7-4j42-w388 / CVE-2022-36056 (cosign verify-blob: the bundle's Rekor entry not
/// checked against the signature). Every entry here is valid — included under a checkpoint
/// signed by the trusted log, with a valid SET — but for another signing event.
#[test]
fn ghsa_8gw7_4j42_w388_a_valid_entry_for_another_signing_event_is_rejected() {
    let w = World::new();
    let another_artefact = w.build(b"another artefact", &Build::message());
    let another_signature = w.build(ARTEFACT, &Build::message());
    for (what, entries, want) in [
        (
            "another artefact",
            another_artefact.entries,
            "Binding/Field:spec.data.hash.value",
        ),
        (
            "another signature over this artefact",
            another_signature.entries,
            "Binding/Field:spec.signature.content",
        ),
    ] {
        let mut s = w.message_scene();
        s.parts.entries = entries;
        let f = fails(&s);
        assert_eq!(f.path, want, "{what}: {}", f.message);
        assert!(
            f.message.contains("does not match the bundle"),
            "{what}: {}",
            f.message
        );
    }
    // The real CVE-2022-36056 vector (sigstore-python).
    let root = signet_testdata::read_json("trust/staging-trusted_root.json");
    let mut s = w.message_scene();
    s.root = root;
    s.raw_json = Some(signet_testdata::read(
        "sigstore-python/bundle_cve_2022_36056.txt.sigstore",
    ));
    s.artefact = signet_testdata::read("sigstore-python/bundle_cve_2022_36056.txt");
    s.policy = SignerPolicy::Identity(IdentityPolicy::exact(
        "william@yossarian.net",
        "https://github.com/login/oauth",
    ));
    s.now = SystemTime::now();
    assert!(fails(&s).path.starts_with("Binding/"));
}

/// GHSA-whqx-f9j3-ch6m / CVE-2026-22703 (cosign: any valid Rekor entry accepted — digest,
/// key and signature not compared): a complete, valid entry of another signer, in the same
/// trusted log, spliced into our bundle.
#[test]
fn ghsa_whqx_f9j3_ch6m_a_valid_entry_of_another_signer_is_rejected() {
    let w = World::new();
    let (key, leaf) = other_signer(&w, "mallory@example.com");
    let signature = key.sign(ARTEFACT).unwrap();
    let body = w.hashedrekord_body(&signature, &sha256(ARTEFACT), &w.leaf_pem(&leaf));
    let theirs = w.entry(Kind::HashedRekordV001, body, true);
    let mut s = w.message_scene();
    s.parts.entries = vec![theirs.clone()];
    assert_fails(&s, "Binding/Field:spec.signature.content");
    // Their entry with our signature bytes copied into a body they logged: the key differs.
    let body = w.raw_hashedrekord_body(
        &s.parts.signature(),
        &hex::encode(sha256(ARTEFACT)),
        &b64(&w.leaf_pem(&leaf)),
    );
    s.parts.entries = vec![w.entry(Kind::HashedRekordV001, body, true)];
    assert_fails(&s, "Binding/Field:spec.signature.publicKey.content");
    // Their whole signing event (entry, certificate, signature) under our identity policy.
    let mut s = w.message_scene();
    s.parts.entries = vec![theirs];
    s.parts.signer = SignerParts::Certificate(leaf);
    s.parts.content = ContentParts::Message {
        digest: Some(("SHA2_256".into(), sha256(ARTEFACT))),
        signature: signature.clone(),
    };
    s.parts.timestamps = vec![w.timestamp(&signature, GEN_TIME)];
    assert_fails(&s, "Identity/IdentityMismatch");
}

/// GHSA-q4xm-6fjc-5f6w / CVE-2024-53267 (sigstore-java: a mismatched but validly signed log
/// entry accepted; and an invalid checkpoint signature accepted).
#[test]
fn cve_2024_53267_a_mismatched_validly_signed_entry_and_a_bad_checkpoint_are_rejected() {
    let w = World::new();
    // A dsse entry (valid) for a message signature, and a hashedrekord one for a DSSE.
    let mut s = w.message_scene();
    s.parts.entries = w.build(ARTEFACT, &Build::dsse(statement(ARTEFACT))).entries;
    assert_fails(&s, "Binding/WrongKindForContent");
    let mut s = w.dsse_scene();
    s.parts.entries = w.build(ARTEFACT, &Build::message()).entries;
    assert_fails(&s, "Binding/WrongKindForContent");
    // intoto-log-entry-mismatch: a dsse entry of another envelope.
    let mut s = w.dsse_scene();
    s.parts.entries = w.build(ARTEFACT, &Build::dsse(statement(b"other"))).entries;
    assert_fails(&s, "Binding/Field:spec.payloadHash.value");
    // A checkpoint whose signature does not verify, for both log kinds.
    for mut s in [w.message_scene(), w.v2_scene()] {
        let p = s.parts.entry().proof();
        let note = p.checkpoint.take().unwrap();
        let (text, sig) = note.split_once("\n\n").unwrap();
        let line = sig.trim_end();
        let (prefix, b) = line.rsplit_once(' ').unwrap();
        let mut raw = base64::Engine::decode(&B64, b).unwrap();
        let n = raw.len();
        raw[n - 1] ^= 1;
        p.checkpoint = Some(format!("{text}\n\n{prefix} {}\n", b64(&raw)));
        assert_fails(&s, "Tlog/Checkpoint");
    }
}

/// GHSA-fx35-mq7g-6g98 (cosign: an unexpected public key in a legacy bundle): a bundle's
/// signer material must be what the policy expects, and the entry must record that exact
/// certificate, not merely its key.
#[test]
fn ghsa_fx35_mq7g_6g98_unexpected_keys_are_rejected() {
    let w = World::new();
    let mut s = w.key_scene();
    s.policy = email_policy();
    assert_fails(&s, "SignerMaterial");
    let mut s = w.message_scene();
    s.policy = SignerPolicy::Key(w.signer.public_key_der().to_vec());
    assert_fails(&s, "SignerMaterial");
    // A certificate bundle whose entry records the bare key of that certificate.
    let mut s = w.message_scene();
    let body = w.hashedrekord_body(&s.parts.signature(), &sha256(ARTEFACT), &w.signer_pem());
    s.parts.entries = vec![w.entry(Kind::HashedRekordV001, body, true)];
    assert_fails(&s, "Binding/Field:spec.signature.publicKey.content");
    // A managed-key bundle verified with another key.
    let mut s = w.key_scene();
    let (other, _) = other_signer(&w, EMAIL);
    s.policy = SignerPolicy::Key(other.public_key_der().to_vec());
    assert_fails(&s, "Signature/ArtifactSignature");
}

/// GHSA-8pmp-678w-c8xx (gitsign picked the wrong Rekor entry among several) and
/// cosign#1816 (entries trusted without proof or SET): exactly one entry, always proven.
#[test]
fn ghsa_8pmp_678w_c8xx_several_entries_or_an_unproven_one_are_rejected() {
    let w = World::new();
    let ours = w.message_scene().parts.entries.remove(0);
    let other = w
        .build(b"another artefact", &Build::message())
        .entries
        .remove(0);
    let mut other_index = other.clone();
    other_index.log_index += 1;
    w.seal(&mut other_index);
    for entries in [
        vec![ours.clone(), other_index.clone()],
        vec![other_index, ours],
    ] {
        let mut s = w.message_scene();
        s.parts.entries = entries;
        assert_fails(&s, "TlogEntryCount");
    }
    // No proof and no SET (parsed bundles cannot say so; the verifier checks anyway).
    let mut s = w.message_scene();
    s.model = Some(|b| {
        let e = &mut b.verification_material.tlog_entries[0];
        e.inclusion_proof = None;
        e.signed_entry_timestamp = None;
    });
    assert_fails(&s, "Tlog/NoInclusionProof");
}

/// GHSA-xvrc-2wvh-49vc (gitsign took the Rekor key from the Rekor API: trust from the party
/// being checked): an entry, SET and checkpoint all made by a log the trusted root does not
/// know are refused, however consistent.
#[test]
fn ghsa_xvrc_2wvh_49vc_a_self_consistent_untrusted_log_is_rejected() {
    let w = World::new();
    let mut s = w.message_scene();
    let e = s.parts.entry();
    e.log_id = w.rogue_log.key_id();
    e.set = Some(w.set_by(&w.rogue_log, &e.body, INTEGRATED, e.log_index));
    let p = e.proof();
    p.checkpoint = Some(w.checkpoint_v1(p.tree_size, p.root, &[&w.rogue_log]));
    assert_fails(&s, "Tlog/UnknownLog");
}

/// An RFC 3161 timestamp not bound to the bundle's signature (rekor2-timestamp-payload-
/// mismatch): a valid token from the trusted TSA over another signature.
#[test]
fn a_timestamp_over_another_signature_is_rejected() {
    let w = World::new();
    for mut s in [w.message_scene(), w.dsse_scene(), w.v2_scene()] {
        s.parts.timestamps = vec![w.timestamp(&w.sign(b"something else"), GEN_TIME)];
        assert_fails(&s, "Timestamp/ImprintMismatch");
    }
    // Over this signature's DSSE payload instead of the signature.
    let mut s = w.dsse_scene();
    let ContentParts::Dsse { payload, .. } = s.parts.content.clone() else {
        unreachable!()
    };
    s.parts.timestamps = vec![w.timestamp(&payload, GEN_TIME)];
    assert_fails(&s, "Timestamp/ImprintMismatch");
    // One good and one foreign timestamp: every timestamp must verify.
    let mut s = w.message_scene();
    s.parts
        .timestamps
        .push(w.timestamp(&w.sign(b"something else"), GEN_TIME));
    assert_fails(&s, "Timestamp/ImprintMismatch");
}

/// CVE-2026-31830 (sigstore-ruby: the DSSE subject digest mismatch not propagated) and
/// GHSA-vjxv-45g9-9296 (attestation type outside the signed payload).
#[test]
fn cve_2026_31830_a_dsse_subject_mismatch_and_an_unsigned_type_are_rejected() {
    let w = World::new();
    let s = dsse_scene(&w, IN_TOTO_PAYLOAD_TYPE, statement(b"another artefact"));
    let f = assert_fails(&s, "Signature/SubjectNotFound");
    assert!(
        f.message.contains(&hex::encode(sha256(ARTEFACT))),
        "{}",
        f.message
    );
    // The payloadType is inside PAE: changing it breaks the signature.
    let mut s = w.dsse_scene();
    if let ContentParts::Dsse { payload_type, .. } = &mut s.parts.content {
        *payload_type = "application/vnd.example.other+json".into();
    }
    assert_fails(&s, "Signature/DsseSignature");
    // A signed, logged envelope of another payload type is not an attestation.
    let s = dsse_scene(&w, "application/json", statement(ARTEFACT));
    assert_fails(&s, "Signature/InToto");
}

// ==== B. Time from a signed source only, inside every key's validity ====

/// GHSA-hhfg-fwrw-87w7 / CVE-2024-55655 (sigstore-python) and GHSA-xgjw-pm74-86q4 /
/// CVE-2026-48816 (sigstore-js): an inclusion proof without SET carries an `integratedTime`
/// nobody signed; it must never be a signing time.
#[test]
fn ghsa_hhfg_fwrw_87w7_an_integrated_time_without_a_signed_source_is_never_used() {
    let w = World::new();
    // Proof, no SET, no timestamp: refused by the parser, and by the verifier.
    let mut s = w.message_scene();
    s.parts.entry().set = None;
    s.parts.timestamps.clear();
    assert_fails(&s, "Parse/NoSignedTime");
    let mut s = w.message_scene();
    s.model = Some(|b| {
        b.verification_material.tlog_entries[0].signed_entry_timestamp = None;
        b.verification_material.rfc3161_timestamps.clear();
    });
    let f = assert_fails(&s, "NoSigningTime");
    assert!(f.message.contains("signed"), "{}", f.message);
    // The same for a Rekor v2 entry without its timestamp.
    let mut s = w.v2_scene();
    s.parts.timestamps.clear();
    assert_fails(&s, "Parse/NoSignedTime");
}

/// GHSA-xgjw-pm74-86q4: with a timestamp present, an unsigned integrated time is ignored —
/// it neither rescues a certificate the timestamp finds expired nor adds a signing time.
#[test]
fn ghsa_xgjw_pm74_86q4_an_unsigned_integrated_time_neither_rescues_nor_counts() {
    let w = World::new();
    // The timestamp is after the certificate expired; the unsigned integrated time inside.
    let mut s = w.message_scene();
    s.parts.entry().set = None;
    assert_eq!(s.parts.entries[0].integrated_time, Some(INTEGRATED));
    let sig = s.parts.signature();
    s.parts.timestamps = vec![w.timestamp(&sig, T0 + 601)];
    assert_fails(&s, "Chain/Certificate/NotValidAt");
    // The timestamp inside, the unsigned integrated time far outside (or in the future):
    // verifies, at the timestamp's time only.
    for unsigned in [T0 + 100_000, NOW + 100_000, 1] {
        let mut s = w.message_scene();
        s.parts.entry().set = None;
        s.parts.entry().integrated_time = Some(unsigned);
        let v = s.run().unwrap_or_else(|f| panic!("{unsigned}: {f:?}"));
        assert_eq!(v.signing_times, [unix(GEN_TIME)]);
    }
}

/// TOB-SIGSTORE-3 (sigstore-rust#160): a SET that is present but invalid is a failure,
/// even when a valid timestamp could have vouched for the time instead.
#[test]
fn tob_sigstore_3_a_present_but_invalid_set_fails_even_with_a_timestamp() {
    let w = World::new();
    let mut s = w.message_scene();
    let e = s.parts.entry();
    e.set = Some(w.set_by(&w.rogue_log, &e.body, INTEGRATED, e.log_index));
    assert_eq!(s.parts.timestamps.len(), 1);
    assert_fails(&s, "Tlog/SignedEntryTimestamp");
    let mut s = w.message_scene();
    s.parts.entry().set = Some(vec![0x30, 0x00]);
    assert_fails(&s, "Tlog/SignedEntryTimestamp");
}

/// TOB-SIGSTORE-4 (multiple TSAs collapsed to the earliest: one backdating TSA wins): every
/// timestamp is a signing time the certificate must be valid at.
#[test]
fn tob_sigstore_4_a_backdated_timestamp_among_several_fails() {
    let w = World::new();
    // A second trusted TSA that backdates to before the certificate existed.
    let second = tsa::make_tsa("Second TSA", &tsa::ChainSpec::default());
    let mut s = w.message_scene();
    let sig = s.parts.signature();
    s.parts.timestamps.push(tsa::respond(
        &second,
        &sig,
        &tsa::Resp::at(unix(T0 - 3600)),
        None,
    ));
    let mut authority = s.root["timestampAuthorities"][0].clone();
    authority["certChain"]["certificates"] = Value::Array(
        second
            .chain
            .iter()
            .map(|c| json!({"rawBytes": b64(c)}))
            .collect(),
    );
    s.root["timestampAuthorities"]
        .as_array_mut()
        .unwrap()
        .push(authority);
    assert_fails(&s, "Chain/Certificate/NotValidAt");
    // Control: the second TSA at a time inside the certificate's validity verifies, and
    // both times are reported.
    s.parts.timestamps[1] = tsa::respond(&second, &sig, &tsa::Resp::at(unix(T0 + 300)), None);
    let v = s.run().unwrap();
    assert_eq!(
        v.signing_times,
        [unix(INTEGRATED), unix(GEN_TIME), unix(T0 + 300)]
    );
    // One timestamp backdated by the trusted TSA itself, the other fine.
    let mut s = w.message_scene();
    let sig = s.parts.signature();
    s.parts.timestamps.push(w.timestamp(&sig, T0 - 1));
    assert_fails(&s, "Chain/Certificate/NotValidAt");
}

/// GHSA-wqqc-jjcq-vfxm / CVE-2026-54787 (sigstore-go: an `ExpiringKey`'s validity window
/// not checked against the signing time): every key with a window is checked at the time
/// it vouches for — log key (SET time and timestamp time), CT key (SCT time), TSA
/// (genTime), CA (signing time).
#[test]
fn ghsa_wqqc_jjcq_vfxm_a_key_window_excluding_the_signing_time_fails() {
    let w = World::new();
    type RootEdit = (&'static str, fn(&mut Scene), &'static str);
    let cases: [RootEdit; 7] = [
        (
            "log key ended before the SET time",
            |s| s.root["tlogs"][0]["publicKey"]["validFor"]["end"] = json!(rfc3339(INTEGRATED - 1)),
            "Tlog/LogKeyOutsideValidity",
        ),
        (
            "log key started after the SET time",
            |s| {
                s.root["tlogs"][0]["publicKey"]["validFor"]["start"] =
                    json!(rfc3339(INTEGRATED + 1))
            },
            "Tlog/LogKeyOutsideValidity",
        ),
        (
            "log key ended before the timestamp",
            |s| s.root["tlogs"][0]["publicKey"]["validFor"]["end"] = json!(rfc3339(GEN_TIME - 1)),
            "Tlog/LogKeyOutsideValidity",
        ),
        (
            "CT key started after the SCT",
            |s| s.root["ctlogs"][0]["publicKey"]["validFor"]["start"] = json!(rfc3339(T0 + 1)),
            "Sct/NoTrustedSct",
        ),
        (
            "CT key ended before the SCT",
            |s| s.root["ctlogs"][0]["publicKey"]["validFor"]["end"] = json!(rfc3339(T0 - 1)),
            "Sct/NoTrustedSct",
        ),
        (
            "TSA ended at genTime (end exclusive)",
            |s| s.root["timestampAuthorities"][0]["validFor"]["end"] = json!(rfc3339(GEN_TIME)),
            "Timestamp/OutsideValidFor",
        ),
        (
            "CA ended before the timestamp",
            |s| {
                s.root["certificateAuthorities"][0]["validFor"]["end"] =
                    json!(rfc3339(GEN_TIME - 1))
            },
            "Chain/CaOutsideValidFor",
        ),
    ];
    for (what, edit, want) in cases {
        let mut s = w.message_scene();
        edit(&mut s);
        let f = fails(&s);
        assert_eq!(f.path, want, "{what}: {}", f.message);
    }
    // The Rekor v2 log key at the timestamp's time (its only signing time).
    let mut s = w.v2_scene();
    s.root["tlogs"][1]["publicKey"]["validFor"]["end"] = json!(rfc3339(GEN_TIME - 1));
    assert_fails(&s, "Tlog/LogKeyOutsideValidity");
    // Boundaries: a log key window ending exactly at the SET and genTime (inclusive).
    let mut s = w.message_scene();
    s.parts.timestamps.clear();
    s.root["tlogs"][0]["publicKey"]["validFor"]["end"] = json!(rfc3339(INTEGRATED));
    s.run().unwrap();
}

/// integrated-time-in-future_fail: a SET-signed integrated time after the verifier's clock
/// (beyond 60 s of skew).
#[test]
fn a_signed_integrated_time_in_the_future_fails() {
    let w = World::new();
    for (ahead, ok) in [(60, true), (61, false)] {
        let mut s = w.message_scene();
        s.now = unix(INTEGRATED - ahead);
        // Keep the timestamp out of it: only the SET's time.
        s.parts.timestamps.clear();
        match s.run() {
            Ok(_) => assert!(ok, "{ahead}s ahead verified"),
            Err(f) => {
                assert!(!ok, "{ahead}s ahead: {f:?}");
                assert_eq!(f.path, "Tlog/IntegratedTimeInFuture");
            }
        }
    }
}

// ==== C. Unbounded counts and sizes (GHSA-cq38-jh5f-37mq and §3.3-C) ====

#[test]
fn ghsa_cq38_jh5f_37mq_more_than_32_tlog_entries_or_timestamps_are_refused() {
    let w = World::new();
    for n in [MAX_TLOG_ENTRIES + 1, 10_000] {
        let mut s = w.message_scene();
        let e = s.parts.entries[0].clone();
        s.parts.entries = (0..n as u64)
            .map(|i| EntryParts {
                log_index: i,
                ..e.clone()
            })
            .collect();
        assert_fails(&s, "Parse/LimitExceeded:MAX_TLOG_ENTRIES");
    }
    // Exactly the limit parses (and then fails: one entry is required).
    let mut s = w.message_scene();
    let e = s.parts.entries[0].clone();
    s.parts.entries = (0..MAX_TLOG_ENTRIES as u64)
        .map(|i| EntryParts {
            log_index: i,
            ..e.clone()
        })
        .collect();
    assert_fails(&s, "TlogEntryCount");
    let mut s = w.message_scene();
    let sig = s.parts.signature();
    s.parts.timestamps = (0..=MAX_RFC3161_TIMESTAMPS)
        .map(|_| w.timestamp(&sig, GEN_TIME))
        .collect();
    assert_fails(&s, "Parse/LimitExceeded:MAX_RFC3161_TIMESTAMPS");
    // Elements past the limit are counted, not decoded: 32 timestamps, then 10,000 of junk.
    let mut s = w.message_scene();
    let mut v = s.parts.to_json();
    let ts = v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array_mut()
        .unwrap();
    let first = ts[0].clone();
    ts.extend((1..MAX_RFC3161_TIMESTAMPS).map(|_| first.clone()));
    ts.extend((0..10_000).map(|i| json!({"junk": i})));
    s.raw_json = Some(serde_json::to_vec(&v).unwrap());
    assert_fails(&s, "Parse/LimitExceeded:MAX_RFC3161_TIMESTAMPS");
}

/// A statement of `subjects` subjects, the artefact's among them (last).
fn many_subjects(subjects: usize) -> Vec<u8> {
    let mut list: Vec<Value> = (0..subjects - 1)
        .map(|i| json!({"name": format!("s{i}"), "digest": {"sha256": hex::encode(sha256(format!("{i}").as_bytes()))}}))
        .collect();
    list.push(json!({"name": "artefact", "digest": {"sha256": hex::encode(sha256(ARTEFACT))}}));
    serde_json::to_vec(&json!({"_type": "https://in-toto.io/Statement/v1", "subject": list, "predicateType": "x", "predicate": {}})).unwrap()
}

#[test]
fn ghsa_cq38_jh5f_37mq_more_than_1024_in_toto_subjects_are_refused() {
    let w = World::new();
    dsse_scene(&w, IN_TOTO_PAYLOAD_TYPE, many_subjects(MAX_INTOTO_SUBJECTS))
        .run()
        .expect("1,024 subjects verify");
    let s = dsse_scene(
        &w,
        IN_TOTO_PAYLOAD_TYPE,
        many_subjects(MAX_INTOTO_SUBJECTS + 1),
    );
    let f = assert_fails(&s, "Signature/InToto");
    assert!(f.message.contains("MAX_INTOTO_SUBJECTS"), "{}", f.message);
}

/// sigstore-go's fix for GHSA-cq38-jh5f-37mq also bounds the digests of one subject (32);
/// USERS.md §3.4 lists it among the limits to test.
#[test]
fn ghsa_cq38_jh5f_37mq_more_than_32_digests_in_one_subject_are_refused() {
    let w = World::new();
    let mut digest = serde_json::Map::new();
    digest.insert("sha256".into(), json!(hex::encode(sha256(ARTEFACT))));
    for i in 0..32 {
        digest.insert(
            format!("alg{i}"),
            json!(hex::encode(sha256(format!("{i}").as_bytes()))),
        );
    }
    assert_eq!(digest.len(), 33);
    let statement = json!({"_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artefact", "digest": digest}], "predicateType": "x", "predicate": {}});
    let s = dsse_scene(
        &w,
        IN_TOTO_PAYLOAD_TYPE,
        serde_json::to_vec(&statement).unwrap(),
    );
    match s.run() {
        Ok(_) => panic!(
            "a subject with 33 digests verified: no per-subject digest limit (sigstore-go: 32)"
        ),
        Err(f) => assert_eq!(f.path, "Signature/InToto", "{}", f.message),
    }
}

/// GHSA-88jx-383q-w4qc / GHSA-2h5h-59f5-c5x9 (unbounded reads): a DSSE payload over 16 MiB,
/// a bundle over 32 MiB, an RFC 3161 response over 64 KiB and a checkpoint note over 1 MiB
/// are refused by size, before decoding what they hold.
#[test]
fn ghsa_88jx_383q_w4qc_oversized_payloads_are_refused_by_size() {
    let w = World::new();
    let mut s = w.dsse_scene();
    if let ContentParts::Dsse { payload, .. } = &mut s.parts.content {
        *payload = vec![b'{'; MAX_DSSE_PAYLOAD_BYTES + 1];
    }
    let f = assert_fails(&s, "Parse/LimitExceeded:MAX_DSSE_PAYLOAD_BYTES");
    assert!(f.message.contains("dsseEnvelope.payload"), "{}", f.message);
    let mut s = w.message_scene();
    s.raw_json = Some(vec![b'['; signet_verifier::common::MAX_BUNDLE_BYTES + 1]);
    assert_fails(&s, "Parse/LimitExceeded:MAX_BUNDLE_BYTES");
    let mut s = w.message_scene();
    s.parts.timestamps = vec![vec![
        0x30;
        signet_verifier::tsa::MAX_TIMESTAMP_RESPONSE_BYTES + 1
    ]];
    assert_fails(&s, "Timestamp/TooLarge");
    let mut s = w.message_scene();
    let p = s.parts.entry().proof();
    let note = p.checkpoint.clone().unwrap();
    let (text, sig) = note.split_once("\n\n").unwrap();
    let padded = format!("{text}{}\n\n{sig}", "x\n".repeat(600_000));
    p.checkpoint = Some(padded);
    assert_fails(&s, "Tlog/Checkpoint");
    // More note signatures than the signed-note limit (100).
    let mut s = w.message_scene();
    let p = s.parts.entry().proof();
    let note = p.checkpoint.clone().unwrap();
    let line = note.split_once("\n\n").unwrap().1.to_owned();
    p.checkpoint = Some(format!("{note}{}", line.repeat(100)));
    assert_fails(&s, "Tlog/Checkpoint");
    // 65 inclusion-proof hashes: more than any 2^64-leaf tree needs.
    let mut s = w.message_scene();
    let h = s.parts.entry().proof().hashes[0];
    s.parts.entry().proof().hashes = vec![h; 65];
    assert_fails(&s, "Parse/LimitExceeded:MAX_PROOF_HASHES");
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Deeply nested JSON (GHSA-87x9-7grx-m28v class, found by fuzzing) everywhere JSON is
/// parsed — the bundle, the log entry body, the DSSE payload — is refused (a type error or
/// serde_json's recursion limit), never a stack overflow (which would abort this binary).
#[test]
fn deeply_nested_json_is_refused_without_stack_overflow() {
    let w = World::new();
    let deep = nested(200_000);
    // The bundle, at the top and in list elements that are counted, not decoded.
    let mut s = w.message_scene();
    s.raw_json = Some(deep.clone().into_bytes());
    assert_fails(&s, "Parse/Json");
    for path in ["tlogEntries", "timestamps", "hashes"] {
        let mut s = w.message_scene();
        let mut v = s.parts.to_json();
        let junk: Value = json!("PLACEHOLDER");
        let list = match path {
            "tlogEntries" => v["verificationMaterial"]["tlogEntries"]
                .as_array_mut()
                .unwrap(),
            "timestamps" => v["verificationMaterial"]["timestampVerificationData"]
                ["rfc3161Timestamps"]
                .as_array_mut()
                .unwrap(),
            _ => v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"]
                .as_array_mut()
                .unwrap(),
        };
        while list.len() <= 64 {
            list.push(junk.clone());
        }
        // The last element: past the limit, where elements are counted, not decoded.
        let mut text = serde_json::to_string(&v).unwrap();
        let at = text.rfind("\"PLACEHOLDER\"").unwrap();
        text.replace_range(at..at + "\"PLACEHOLDER\"".len(), &deep);
        s.raw_json = Some(text.into_bytes());
        let f = fails(&s);
        assert!(
            f.path == "Parse/Json" || f.path.starts_with("Parse/LimitExceeded"),
            "{path}: {f:?}"
        );
    }
    // The log entry body (logged: proof, checkpoint and SET over it), nested where a field
    // is decoded.
    let mut s = w.message_scene();
    let body = String::from_utf8(s.parts.entries[0].body.clone()).unwrap();
    let spec_at = body.find("\"spec\":").unwrap() + "\"spec\":".len();
    let body = format!("{}{deep}}}", &body[..spec_at]);
    s.parts.entry().body = body.into_bytes();
    w.seal(s.parts.entry());
    assert_fails(&s, "Tlog/MalformedBody");
    // The DSSE payload (signed and logged), nested where the subjects are decoded.
    let payload = format!("{{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":{deep}}}");
    let s = dsse_scene(&w, IN_TOTO_PAYLOAD_TYPE, payload.into_bytes());
    assert_fails(&s, "Signature/InToto");
    // Where nothing is decoded (an unknown body field, an in-toto predicate) the parser
    // skips the nesting iteratively: it must terminate either way, and the subject check
    // still decides.
    let payload = format!(
        "{{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicate\":{deep},\"subject\":[]}}"
    );
    let s = dsse_scene(&w, IN_TOTO_PAYLOAD_TYPE, payload.into_bytes());
    assert_fails(&s, "Signature/SubjectNotFound");
}

// ==== DSSE shape and the error path that reports success ====

/// sigstore-go#225 / PROTOCOL.md §6.2: a DSSE envelope must carry exactly one signature,
/// even when every signature is valid.
#[test]
fn a_dsse_envelope_with_more_than_one_signature_is_refused() {
    let w = World::new();
    for extra in [1, 2, 100] {
        let mut s = w.dsse_scene();
        if let ContentParts::Dsse {
            payload,
            payload_type,
            signatures,
        } = &mut s.parts.content
        {
            let bytes = pae(payload_type, payload);
            signatures.extend((0..extra).map(|_| w.sign(&bytes)));
        }
        let f = assert_fails(&s, "Parse/DsseSignatureCount");
        assert!(
            f.message.contains(&format!("{} signatures", extra + 1)),
            "{}",
            f.message
        );
    }
}

/// GHSA-w6c6-c85g-mmv6 / CVE-2026-39395 (cosign verify-blob-attestation: a false positive
/// when payload parsing fails): a validly signed and logged envelope whose payload is not
/// an in-toto statement fails — whatever way it fails to parse.
#[test]
fn ghsa_w6c6_c85g_mmv6_a_payload_that_fails_to_parse_never_verifies() {
    let w = World::new();
    let payloads: [&[u8]; 8] = [
        b"",
        b"not json",
        b"{",
        b"null",
        b"[]",
        b"{\"_type\":\"https://in-toto.io/Statement/v1\"}",
        b"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":{}}",
        b"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":{\"sha256\":7}}]}",
    ];
    for payload in payloads {
        let s = dsse_scene(&w, IN_TOTO_PAYLOAD_TYPE, payload.to_vec());
        let f = fails(&s);
        assert!(
            f.path == "Signature/InToto" || f.path == "Parse/MissingField",
            "{:?}: {f:?}",
            String::from_utf8_lossy(payload)
        );
    }
    // A statement with no subject names nothing.
    let st = json!({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "x", "predicate": {}});
    let s = dsse_scene(&w, IN_TOTO_PAYLOAD_TYPE, serde_json::to_vec(&st).unwrap());
    assert_fails(&s, "Signature/SubjectNotFound");
}

// ==== The verifier's own identity patterns (class D, verifier side) ====

/// Identity patterns are anchored at both ends and the issuer compares exactly, so neither
/// can be satisfied by another host (GHSA-59jp-pj84-45mr's class on the verifier side).
#[test]
fn ghsa_59jp_pj84_45mr_verifier_identity_patterns_do_not_allow_another_host() {
    let issuer = "https://token.actions.githubusercontent.com";
    let pattern = IdentityPolicy::pattern(
        r"https://github\.com/octo-org/[^/]+/\.github/workflows/release\.yml@refs/tags/v.*",
        issuer,
    )
    .unwrap();
    let signer = |uri: &str, iss: &str| SignerIdentity {
        sans: vec![SubjectAltName::Uri(uri.into())],
        issuer: iss.into(),
    };
    let good = "https://github.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1.2.3";
    pattern.check(&signer(good, issuer)).unwrap();
    for uri in [
        "https://github.com.evil.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1",
        "https://evil.com/https://github.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1",
        "https://evil.com?https://github.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1",
        "https://evil.com#https://github.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1",
        "https://user@evil.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1",
        "https://github.com/octo-org/app/../../evil/x/.github/workflows/release.yml@refs/tags/v1",
        "https://github.com/evil-org/app/.github/workflows/release.yml@refs/tags/v1",
        "xhttps://github.com/octo-org/app/.github/workflows/release.yml@refs/tags/v1",
    ] {
        assert!(pattern.check(&signer(uri, issuer)).is_err(), "{uri}");
    }
    for iss in [
        "https://token.actions.githubusercontent.com.evil.com",
        "https://token.actions.githubusercontent.com/",
        "https://token.actions.githubusercontent.com?x",
        "https://evil.com@token.actions.githubusercontent.com",
        "http://token.actions.githubusercontent.com",
    ] {
        assert!(pattern.check(&signer(good, iss)).is_err(), "{iss}");
    }
    // An alternation cannot escape the anchors; a trailing newline is not an end.
    for pattern in [r"alice@example\.com", r"zzz|alice@example\.com"] {
        let policy = IdentityPolicy::pattern(pattern, ISSUER).unwrap();
        for email in [
            "alice@example.com.evil.com",
            "xalice@example.com",
            "alice@example.com\n",
        ] {
            let id = SignerIdentity {
                sans: vec![SubjectAltName::Email(email.into())],
                issuer: ISSUER.into(),
            };
            assert!(policy.check(&id).is_err(), "{pattern}: {email:?}");
        }
    }
    let id = SignerIdentity {
        sans: vec![SubjectAltName::Email(EMAIL.to_uppercase())],
        issuer: ISSUER.into(),
    };
    assert!(IdentityPolicy::exact(EMAIL, ISSUER).check(&id).is_err());
}
