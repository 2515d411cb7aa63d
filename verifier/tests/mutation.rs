//! Mutation tests of the one verification path (Signet issue 6 (a); USERS.md §3.4 "error
//! paths"): `Verifier::verify` returns `Ok` only from the path where every required check
//! passed.
//!
//! * Every check, flipped: each case of `mutation_support/cases` starts from a valid
//!   fresh bundle (own CA, CT log, Rekor v1 and v2 log keys, TSA), changes exactly the
//!   input one check guards — signing everything downstream again — and must fail with
//!   that check's typed error variant.
//! * Coverage: the variants the cases produced, compared with the variants the error enums
//!   define (read from the verifier's source), so that a new check without a mutation case
//!   fails this test; the few that `verify` cannot produce are listed with the reason.
//! * Byte flips: hundreds of random byte flips over fresh and real public-good bundles
//!   either fail or leave the parsed bundle identical (e.g. `+`/`-` in base64).
//! * Real bundles: each step of `verify` failed on real Sigstore bundles by the inputs
//!   that can be changed without their keys (policy, artefact, time, trust, fields).
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "mutation_support/cases/mod.rs"]
mod cases;
mod mutation_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde_json::{json, Value};
use signet_verifier::bundle::{Bundle, Signer};
use signet_verifier::identity::IdentityPolicy;
use signet_verifier::trusted_root::TrustedRoot;
use signet_verifier::verify::{Artifact, SignerPolicy, Verifier};

use mutation_support::*;

// ---- every check, flipped ----

/// What one case did: the failure's variant path, or `None` if the bundle verified.
struct Outcome {
    name: &'static str,
    want: &'static str,
    got: Option<Failure>,
    /// The same mutant given to the verifier that just verified the unaltered bundle (its
    /// memo holding the baseline's certificate and checkpoint), when the mutation left
    /// the trusted root alone.
    warm: Option<Option<Failure>>,
}

fn outcomes() -> &'static [Outcome] {
    static OUTCOMES: OnceLock<Vec<Outcome>> = OnceLock::new();
    OUTCOMES.get_or_init(|| {
        let w = World::new();
        cases::all()
            .into_iter()
            .map(|case| {
                let mut scene = case.base.scene(&w);
                let warm_verifier = scene.verifier().expect("the baseline's root prepares");
                if let Err(f) = scene.run_with(&warm_verifier, &scene.bundle_json()) {
                    panic!(
                        "{}: the unaltered {:?} bundle fails: {f:?}",
                        case.name, case.base
                    );
                }
                let baseline_root = scene.root.clone();
                (case.edit)(&w, &mut scene);
                let warm = (scene.root == baseline_root)
                    .then(|| scene.run_with(&warm_verifier, &scene.bundle_json()).err());
                Outcome {
                    name: case.name,
                    want: case.want,
                    got: scene.run().err(),
                    warm,
                }
            })
            .collect()
    })
}

#[test]
fn every_check_fails_when_the_input_it_guards_is_mutated() {
    let mut wrong = Vec::new();
    let mut names = BTreeSet::new();
    for o in outcomes() {
        assert!(names.insert(o.name), "case name {:?} used twice", o.name);
        match &o.got {
            None => wrong.push(format!("{}: VERIFIED (false success)", o.name)),
            Some(f) if f.path != o.want => wrong.push(format!(
                "{}: wanted {}, got {} ({})",
                o.name, o.want, f.path, f.message
            )),
            Some(f) => assert!(!f.message.is_empty(), "{}: empty message", o.name),
        }
    }
    assert!(outcomes().len() >= 150, "{} cases", outcomes().len());
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        outcomes().len(),
        wrong.join("\n")
    );
}

/// A verifier that has just verified the unaltered bundle (its memo holding that
/// certificate's chain and SCT and that checkpoint) rejects every mutant exactly as a
/// fresh one does: the memo only skips checks that would have passed.
#[test]
fn a_warm_verifier_rejects_every_mutant_as_a_fresh_one_does() {
    let mut compared = 0;
    let mut wrong = Vec::new();
    for o in outcomes() {
        let Some(warm) = &o.warm else { continue };
        compared += 1;
        match (warm, &o.got) {
            (None, _) => wrong.push(format!("{}: VERIFIED with a warm verifier", o.name)),
            (Some(w), Some(f)) if w.path != f.path => wrong.push(format!(
                "{}: warm {} ({}), fresh {}",
                o.name, w.path, w.message, f.path
            )),
            _ => {}
        }
    }
    assert!(
        compared >= 100,
        "only {compared} cases kept the trusted root"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The baselines verify, with the signing times their evidence proves (and nothing else).
#[test]
fn the_fresh_baselines_verify_with_their_signed_times_only() {
    let w = World::new();
    let times = |s: Scene| s.run().unwrap().signing_times;
    let (integrated, gen) = (unix(INTEGRATED), unix(GEN_TIME));
    assert_eq!(times(w.message_scene()), [integrated, gen]);
    assert_eq!(times(w.dsse_scene()), [integrated, gen]);
    assert_eq!(times(w.v2_scene()), [gen]);
    assert_eq!(times(w.key_scene()), [integrated]);
    assert_eq!(times(w.v01_chain_scene()), [integrated]);
    // By digest too.
    let mut s = w.message_scene();
    s.by_digest = true;
    let v = s.run().unwrap();
    assert_eq!(v.log_index, LOG_INDEX);
    assert_eq!(v.identity.unwrap().issuer, ISSUER);
}

// ---- coverage of the error variants ----

/// Why a variant has no mutation case here.
enum Why {
    /// `verify` cannot produce it; the reason.
    Unreachable(&'static str),
    /// A check of a step's own module input, tested directly in this test file (which must
    /// name the variant).
    TestedIn(&'static str),
}

/// The error enums of the verification path: (source file, enum).
const ENUMS: &[(&str, &str)] = &[
    ("src/verify/error.rs", "VerifyError"),
    ("src/verify/error.rs", "TlogError"),
    ("src/verify/error.rs", "SignatureError"),
    ("src/verify/error.rs", "BindingError"),
    ("src/bundle/error.rs", "BundleError"),
    ("src/chain.rs", "ChainError"),
    ("src/chain/checks.rs", "CertFailure"),
    ("src/sct.rs", "SctCheckError"),
    ("src/identity.rs", "IdentityError"),
    ("src/tsa.rs", "TimestampError"),
];

#[rustfmt::skip]
const NOT_PRODUCED: &[(&str, &str, Why)] = &[
    ("ChainError", "EmptyCaChain", Why::Unreachable(
        "a CA with an empty certChain is refused by TrustedRoot::from_json (EmptyCertificateChain) and by TrustedCa::new")),
    ("CertFailure", "PathLengthExceeded", Why::TestedIn("tests/chain_sct_generated.rs")),
    ("SctCheckError", "MalformedLeaf", Why::Unreachable(
        "the SCT step runs only after the chain step parsed the leaf; the precert TBS fails only without exactly one SCT list, reported first as NoSct or DuplicateExtension")),
    ("SctCheckError", "MalformedIssuer", Why::Unreachable(
        "the issuer is the trusted CA's certificate, parsed when Verifier::new prepared the root")),
    ("SctCheckError", "DuplicateSctList", Why::Unreachable(
        "two SCT lists are a duplicate extension: the chain step reports CertFailure::DuplicateExtension first (case 'leaf with two SCT lists')")),
    ("SctCheckError", "CtKey", Why::Unreachable(
        "raised by CtLogKey::new while Verifier::new prepares the root: VerifyError::TrustedRoot (cases 'root: …')")),
    ("SctCheckError", "LogIdMismatch", Why::Unreachable(
        "raised by CtLogKey::new while Verifier::new prepares the root: VerifyError::TrustedRoot (case 'root: CT log ID not the hash of its key')")),
    ("IdentityError", "InvalidPattern", Why::Unreachable(
        "raised by IdentityPolicy::pattern when the policy is built, never by verify")),
    ("TimestampError", "SigningCertificateMismatch", Why::TestedIn("tests/tsa.rs")),
];

/// The variant names of `pub enum <name>` in a source file (four-space-indented lines
/// starting with an upper-case letter, up to the closing brace).
fn variants(source: &str, name: &str) -> Vec<String> {
    let header = format!("pub enum {name} {{");
    let mut lines = source.lines().skip_while(|l| l.trim() != header);
    assert!(lines.next().is_some(), "pub enum {name} not found");
    lines
        .take_while(|l| *l != "}")
        .filter_map(|l| {
            let rest = l.strip_prefix("    ")?;
            rest.starts_with(|c: char| c.is_ascii_uppercase()).then(|| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect()
            })
        })
        .collect()
}

fn read_crate_file(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// (enum, variant) pairs a failure path names.
fn produced(path: &str) -> Vec<(&'static str, String)> {
    let segs: Vec<&str> = path.split('/').collect();
    let name = |s: &str| s.split(':').next().unwrap().to_owned();
    if segs[0] == "Parse" {
        return vec![("BundleError", name(segs[1]))];
    }
    let mut out = vec![("VerifyError", segs[0].to_owned())];
    let inner = match segs[0] {
        "Tlog" => "TlogError",
        "Signature" => "SignatureError",
        "Binding" => "BindingError",
        "Timestamp" => "TimestampError",
        "Chain" | "BundleChain" => "ChainError",
        "Sct" => "SctCheckError",
        "Identity" => "IdentityError",
        _ => return out,
    };
    out.push((inner, name(segs[1])));
    if segs[1] == "Certificate" {
        out.push(("CertFailure", name(segs[2])));
    }
    out
}

#[test]
fn the_mutations_cover_every_error_variant_of_the_verification_path() {
    let mut covered: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for o in outcomes() {
        if let Some(f) = &o.got {
            for (e, v) in produced(&f.path) {
                covered.entry(e).or_default().insert(v);
            }
        }
    }
    let mut problems = Vec::new();
    let mut defined_all = BTreeSet::new();
    for (file, name) in ENUMS {
        let defined = variants(&read_crate_file(file), name);
        assert!(defined.len() >= 3, "{name}: parsed only {defined:?}");
        for v in &defined {
            defined_all.insert((*name, v.clone()));
            let excluded = NOT_PRODUCED.iter().find(|(e, x, _)| e == name && x == v);
            let is_covered = covered.get(name).is_some_and(|s| s.contains(v));
            match (is_covered, excluded) {
                (true, None) => {}
                (false, None) => {
                    problems.push(format!("{name}::{v}: no mutation case produces it"))
                }
                (true, Some(_)) => problems.push(format!(
                    "{name}::{v}: produced, so remove it from NOT_PRODUCED"
                )),
                (false, Some((_, _, Why::Unreachable(reason)))) => assert!(!reason.is_empty()),
                (false, Some((_, _, Why::TestedIn(test)))) => {
                    let needle = format!("{name}::{v}");
                    if !read_crate_file(test).contains(&needle) {
                        problems.push(format!(
                            "{needle}: said to be tested in {test}, which never names it"
                        ));
                    }
                }
            }
        }
    }
    for (e, v, _) in NOT_PRODUCED {
        if !defined_all.contains(&(*e, (*v).to_owned())) {
            problems.push(format!(
                "NOT_PRODUCED names {e}::{v}, which no longer exists"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- random byte flips ----

/// xorshift64*: a reproducible stream for choosing flips (not for anything secret).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

/// What a bundle proves, without the fields no signature covers and no check reads
/// as evidence: the public-key hint (the caller names the key), the key-name label of a Rekor v1 note signature line (Rekor's own verifier
/// matches signatures by key hash only; the name is not signed), and the framing of an
/// RFC 3161 response around its signed parts (status granted vs grantedWithMods, CMS
/// versions, `SignedData.digestAlgorithms`, embedded certificates).
fn signed_meaning(b: &Bundle) -> Bundle {
    let mut b = b.clone();
    if let Signer::PublicKeyHint(hint) = &mut b.verification_material.signer {
        hint.clear();
    }
    for e in &mut b.verification_material.tlog_entries {
        if let Some(c) = e
            .inclusion_proof
            .as_mut()
            .and_then(|p| p.checkpoint.as_mut())
        {
            *c = without_note_key_names(c);
        }
    }
    for t in &mut b.verification_material.rfc3161_timestamps {
        if let Some(core) = tsa_signed_parts(t) {
            *t = core;
        }
    }
    b
}

fn without_note_key_names(note: &str) -> String {
    let Some((text, sigs)) = note.split_once("\n\n") else {
        return note.to_owned();
    };
    let sigs: Vec<&str> = sigs
        .lines()
        .map(|l| l.rsplit_once(' ').map_or(l, |(_, sig)| sig))
        .collect();
    format!("{text}\n\n{}", sigs.join("\n"))
}

/// The parts of an RFC 3161 response that are signed or select the signer: the TSTInfo,
/// and the (one) SignerInfo's signer identifier, digest and signature algorithms, signed
/// attributes and signature (RFC 5652 §5.3). `None` if it does not decode that far.
fn tsa_signed_parts(der: &[u8]) -> Option<Vec<u8>> {
    use x509_cert::der::{Decode as _, Encode as _};
    let resp = x509_tsp::TimeStampResp::from_der(der).ok()?;
    let sd: cms::signed_data::SignedData = resp.time_stamp_token?.content.decode_as().ok()?;
    let mut out = sd.encap_content_info.econtent?.to_der().ok()?;
    for si in sd.signer_infos.0.iter() {
        out.extend(si.sid.to_der().ok()?);
        out.extend(si.digest_alg.to_der().ok()?);
        out.extend(si.signed_attrs.as_ref()?.to_der().ok()?);
        out.extend(si.signature_algorithm.to_der().ok()?);
        out.extend(si.signature.as_bytes());
    }
    Some(out)
}

/// Flips `count` random bytes (one at a time) of `json`; each flip must fail `check`, or
/// parse to exactly the bundle `json` parses to. Returns how many were equivalent.
fn flip_bytes(
    json: &[u8],
    count: usize,
    seed: u64,
    check: impl Fn(&[u8]) -> Result<(), String>,
) -> usize {
    check(json).expect("the unaltered bundle verifies");
    let original = Bundle::from_json(json).unwrap();
    let mut rng = Rng(seed);
    let mut equivalent = 0;
    for _ in 0..count {
        let mut flipped = json.to_vec();
        let at = rng.below(flipped.len());
        let mask = u8::try_from(rng.below(255) + 1).unwrap();
        flipped[at] ^= mask;
        if check(&flipped).is_ok() {
            let parsed = Bundle::from_json(&flipped).unwrap();
            assert_eq!(
                signed_meaning(&parsed),
                signed_meaning(&original),
                "byte {at} ^ {mask:#04x} ({:?} -> {:?}) verified with another meaning",
                char::from(json[at]),
                char::from(flipped[at])
            );
            equivalent += 1;
        }
    }
    equivalent
}

#[test]
fn random_byte_flips_of_fresh_bundles_never_verify_a_changed_bundle() {
    let w = World::new();
    for (seed, scene) in [
        (1, w.message_scene()),
        (2, w.dsse_scene()),
        (3, w.v2_scene()),
        (4, w.key_scene()),
    ] {
        let verifier = scene.verifier().unwrap();
        let json = scene.bundle_json();
        let equivalent = flip_bytes(&json, 300, seed, |j| {
            scene.run_with(&verifier, j).map(|_| ()).map_err(|f| f.path)
        });
        assert!(equivalent < 30, "{equivalent} of 300 flips changed nothing");
    }
}

/// Flips one random bit of one decoded evidence field at a time, not signing anything
/// again: always a failure.
#[test]
fn random_bit_flips_in_decoded_evidence_always_fail() {
    let w = World::new();
    let base = w.message_scene();
    let verifier = base.verifier().unwrap();
    type Field = fn(&mut Parts) -> &mut Vec<u8>;
    #[rustfmt::skip]
    let fields: &[(&str, Field)] = &[
        ("certificate", |p| match &mut p.signer { SignerParts::Certificate(c) => c, _ => unreachable!() }),
        ("signature", |p| match &mut p.content { ContentParts::Message { signature, .. } => signature, _ => unreachable!() }),
        ("message digest", |p| match &mut p.content { ContentParts::Message { digest: Some((_, d)), .. } => d, _ => unreachable!() }),
        ("SET", |p| p.entries[0].set.as_mut().unwrap()),
        ("body", |p| &mut p.entries[0].body),
        ("timestamp", |p| &mut p.timestamps[0]),
    ];
    let mut rng = Rng(99);
    let mut unsigned = 0;
    for round in 0..400 {
        let (name, field) = fields[round % fields.len()];
        let mut s = base.clone();
        let bytes = field(&mut s.parts);
        let at = rng.below(bytes.len());
        bytes[at] ^= 1 << rng.below(8);
        if s.run_with(&verifier, &s.parts.json_bytes()).is_ok() {
            // Only the unsigned framing of a timestamp may change and still verify.
            let original = &base.parts.timestamps[0];
            assert!(
                name == "timestamp"
                    && tsa_signed_parts(&s.parts.timestamps[0]) == tsa_signed_parts(original),
                "{name}: bit flip at byte {at} verified"
            );
            unsigned += 1;
        }
    }
    assert!(unsigned < 10, "{unsigned} flips verified");
    // Proof hashes, root and checkpoint are fixed-size or text: flip them too.
    let mut rng = Rng(7);
    for _ in 0..100 {
        let mut s = base.clone();
        let p = s.parts.entry().proof();
        match rng.below(3) {
            0 => {
                let i = rng.below(p.hashes.len());
                p.hashes[i].0[rng.below(32)] ^= 1 << rng.below(8);
            }
            1 => p.root.0[rng.below(32)] ^= 1 << rng.below(8),
            _ => {
                let mut text = p.checkpoint.take().unwrap().into_bytes();
                let at = rng.below(text.len());
                text[at] ^= 1 << rng.below(7);
                p.checkpoint = Some(String::from_utf8_lossy(&text).into_owned());
            }
        }
        if s.run_with(&verifier, &s.parts.json_bytes()).is_ok() {
            // Only the (unsigned) key-name label of the note's signature line may change.
            let flipped = s.parts.entries[0]
                .proof
                .as_ref()
                .unwrap()
                .checkpoint
                .clone()
                .unwrap();
            let original = base.parts.entries[0]
                .proof
                .as_ref()
                .unwrap()
                .checkpoint
                .clone()
                .unwrap();
            assert_eq!(
                without_note_key_names(&flipped),
                without_note_key_names(&original)
            );
        }
    }
}

fn real_verifier(rel: &str) -> Verifier {
    Verifier::new(TrustedRoot::from_json(&signet_testdata::read(rel)).unwrap()).unwrap()
}

fn digest_artifact(hex_digest: &str) -> [u8; 32] {
    hex::decode(hex_digest).unwrap().try_into().unwrap()
}

const WILLIAM: &str = "william@yossarian.net";
const GITHUB_OAUTH: &str = "https://github.com/login/oauth";
const ACTIONS: &str = "https://token.actions.githubusercontent.com";
const WHL_WORKFLOW: &str =
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";
const WHL_SHA256: &str = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201";

#[test]
fn random_byte_flips_of_public_good_bundles_never_verify_a_changed_bundle() {
    let staging = real_verifier("trust/staging-trusted_root.json");
    let production = real_verifier("trust/production-trusted_root.json");
    let william = SignerPolicy::Identity(IdentityPolicy::exact(WILLIAM, GITHUB_OAUTH));
    let now = SystemTime::now();
    let check = |v: &Verifier, artefact: Artifact<'_>, policy: &SignerPolicy, json: &[u8]| {
        let b = Bundle::from_json(json).map_err(|e| e.to_string())?;
        v.verify(&b, artefact, policy, now)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let v3 = signet_testdata::read("sigstore-python/bundle_v3.txt");
    let json = signet_testdata::read("sigstore-python/bundle_v3.txt.sigstore");
    flip_bytes(&json, 300, 11, |j| {
        check(&staging, Artifact::Bytes(&v3), &william, j)
    });

    let whl = SignerPolicy::Identity(IdentityPolicy::exact(WHL_WORKFLOW, ACTIONS));
    let json = signet_testdata::read("sigstore-python/bundle_v3_github.whl.sigstore");
    let digest = digest_artifact(WHL_SHA256);
    flip_bytes(&json, 300, 12, |j| {
        check(&production, Artifact::Sha256(digest), &whl, j)
    });

    let v2 = signet_testdata::read("sigstore-python/staging-rekor-v2.txt");
    let jku = SignerPolicy::Identity(IdentityPolicy::exact("jku@goto.fi", GITHUB_OAUTH));
    let json = signet_testdata::read("sigstore-python/staging-rekor-v2.txt.sigstore.json");
    flip_bytes(&json, 300, 13, |j| {
        check(&staging, Artifact::Bytes(&v2), &jku, j)
    });
}

// ---- real bundles, every step ----

/// A real bundle, its trust and policy, as JSON to mutate.
struct Real {
    bundle: Value,
    root: Value,
    artefact: Vec<u8>,
    policy: SignerPolicy,
    now: SystemTime,
}

impl Real {
    fn run(&self) -> Result<(), Failure> {
        let root = TrustedRoot::from_json(&serde_json::to_vec(&self.root).unwrap()).unwrap();
        let verifier = Verifier::new(root).map_err(|e| Failure {
            path: verify_path(&e),
            message: e.to_string(),
        })?;
        let b =
            Bundle::from_json(&serde_json::to_vec(&self.bundle).unwrap()).map_err(|e| Failure {
                path: parse_path(&e),
                message: e.to_string(),
            })?;
        verifier
            .verify(&b, Artifact::Bytes(&self.artefact), &self.policy, self.now)
            .map(|_| ())
            .map_err(|e| Failure {
                path: verify_path(&e),
                message: e.to_string(),
            })
    }
}

fn staging_v3() -> Real {
    Real {
        bundle: signet_testdata::read_json("sigstore-python/bundle_v3.txt.sigstore"),
        root: signet_testdata::read_json("trust/staging-trusted_root.json"),
        artefact: signet_testdata::read("sigstore-python/bundle_v3.txt"),
        policy: SignerPolicy::Identity(IdentityPolicy::exact(WILLIAM, GITHUB_OAUTH)),
        now: SystemTime::now(),
    }
}

fn staging_rekor_v2() -> Real {
    Real {
        bundle: signet_testdata::read_json("sigstore-python/staging-rekor-v2.txt.sigstore.json"),
        root: signet_testdata::read_json("trust/staging-trusted_root.json"),
        artefact: signet_testdata::read("sigstore-python/staging-rekor-v2.txt"),
        policy: SignerPolicy::Identity(IdentityPolicy::exact("jku@goto.fi", GITHUB_OAUTH)),
        now: SystemTime::now(),
    }
}

fn b64_edit(v: &mut Value, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = B64.decode(v.as_str().unwrap()).unwrap();
    f(&mut bytes);
    *v = Value::String(B64.encode(bytes));
}

fn v1_entry(r: &mut Real) -> &mut Value {
    &mut r.bundle["verificationMaterial"]["tlogEntries"][0]
}

type RealCase = (&'static str, fn() -> Real, fn(&mut Real), &'static str);

#[rustfmt::skip]
const REAL_CASES: &[RealCase] = &[
    ("another identity", staging_v3, |r| r.policy = SignerPolicy::Identity(IdentityPolicy::exact("mallory@example.com", GITHUB_OAUTH)), "Identity/IdentityMismatch"),
    ("another issuer", staging_v3, |r| r.policy = SignerPolicy::Identity(IdentityPolicy::exact(WILLIAM, "https://github.com/login/oauth/")), "Identity/IssuerMismatch"),
    ("another artefact", staging_v3, |r| r.artefact.push(b'\n'), "Signature/MessageDigestMismatch"),
    ("key policy", staging_v3, |r| r.policy = SignerPolicy::Key(vec![1, 2, 3]), "SignerMaterial"),
    ("clock before the integrated time", staging_v3, |r| r.now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_712_085_549 - 61), "Tlog/IntegratedTimeInFuture"),
    ("root: log key expired before the entry", staging_v3, |r| r.root["tlogs"][0]["publicKey"]["validFor"]["end"] = json!("2022-01-01T00:00:00Z"), "Tlog/LogKeyOutsideValidity"),
    ("root: no CA", staging_v3, |r| r.root["certificateAuthorities"] = json!([]), "Chain/NoTrustedCa"),
    ("root: no CT log", staging_v3, |r| r.root["ctlogs"] = json!([]), "Sct/NoTrustedSct"),
    ("root: CA validFor ends before the entry", staging_v3, |r| { for ca in r.root["certificateAuthorities"].as_array_mut().unwrap() { ca["validFor"]["end"] = json!("2022-05-01T00:00:00Z"); } }, "Chain/CaOutsideValidFor"),
    ("logId of an unknown log", staging_v3, |r| b64_edit(&mut v1_entry(r)["logId"]["keyId"], |b| b[0] ^= 1), "Tlog/UnknownLog"),
    ("kind dsse", staging_v3, |r| v1_entry(r)["kindVersion"]["kind"] = json!("dsse"), "Tlog/MalformedBody"),
    ("proof root flipped", staging_v3, |r| b64_edit(&mut v1_entry(r)["inclusionProof"]["rootHash"], |b| b[0] ^= 1), "Tlog/Inclusion"),
    ("checkpoint origin tree ID", staging_v3, |r| { let c = v1_entry(r)["inclusionProof"]["checkpoint"]["envelope"].as_str().unwrap().replacen(" - 8050909264565447525", " - 8050909264565447526", 1); v1_entry(r)["inclusionProof"]["checkpoint"]["envelope"] = json!(c); }, "Tlog/Checkpoint"),
    ("SET flipped", staging_v3, |r| b64_edit(&mut v1_entry(r)["inclusionPromise"]["signedEntryTimestamp"], |b| { let n = b.len(); b[n - 1] ^= 1; }), "Tlog/SignedEntryTimestamp"),
    ("integratedTime removed", staging_v3, |r| { v1_entry(r).as_object_mut().unwrap().remove("integratedTime"); }, "Tlog/PromiseWithoutTime"),
    ("entry of another bundle", staging_v3, |r| { let alt = signet_testdata::read_json("sigstore-python/bundle_v3_alt.txt.sigstore"); *v1_entry(r) = alt["verificationMaterial"]["tlogEntries"][0].clone(); }, "Binding/Field:spec.data.hash.value"),
    ("signature flipped", staging_v3, |r| b64_edit(&mut r.bundle["messageSignature"]["signature"], |b| { let n = b.len(); b[n - 1] ^= 1; }), "Signature/ArtifactSignature"),
    ("certificate of another bundle", staging_v3, |r| { let alt = signet_testdata::read_json("sigstore-python/bundle_v3_alt.txt.sigstore"); r.bundle["verificationMaterial"]["certificate"] = alt["verificationMaterial"]["certificate"].clone(); }, "Chain/Certificate/NotValidAt"),
    ("v2: root without TSA", staging_rekor_v2, |r| r.root["timestampAuthorities"] = json!([]), "Timestamp/NoTimestampAuthority"),
    ("v2: timestamp of another bundle", staging_rekor_v2, |r| { let other = signet_testdata::read_json("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json"); r.bundle["verificationMaterial"]["timestampVerificationData"] = other["verificationMaterial"]["timestampVerificationData"].clone(); }, "Timestamp/ImprintMismatch"),
    ("v2: checkpoint origin", staging_rekor_v2, |r| { let e = &mut r.bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"]; let c = e.as_str().unwrap().replacen("log2025-alpha1.rekor.sigstage.dev\n", "evil.example\n", 1); *e = json!(c); }, "Tlog/CheckpointOrigin"),
    ("v2: root log key expired before the timestamp", staging_rekor_v2, |r| r.root["tlogs"][1]["publicKey"]["validFor"]["end"] = json!("2025-06-01T00:00:00Z"), "Tlog/LogKeyOutsideValidity"),
    ("v2: body digest of another artefact", staging_rekor_v2, |r| { let e = &mut r.bundle["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]; b64_edit(e, |b| { let mut v: Value = serde_json::from_slice(b).unwrap(); v["spec"]["hashedRekordV002"]["data"]["digest"] = json!(b64(&[0; 32])); *b = serde_json::to_vec(&v).unwrap(); }); }, "Tlog/Inclusion"),
];

#[test]
fn every_step_fails_on_a_real_bundle_mutated_in_the_input_it_guards() {
    assert!(staging_v3().run().is_ok() && staging_rekor_v2().run().is_ok());
    let mut wrong = Vec::new();
    for (name, base, edit, want) in REAL_CASES {
        let mut r = base();
        edit(&mut r);
        match r.run() {
            Ok(()) => wrong.push(format!("{name}: VERIFIED")),
            Err(f) if f.path != *want => wrong.push(format!(
                "{name}: wanted {want}, got {} ({})",
                f.path, f.message
            )),
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The model-level guard on real bundles: neither the SET nor a timestamp.
    let r = staging_v3();
    let mut b = Bundle::from_json(&serde_json::to_vec(&r.bundle).unwrap()).unwrap();
    b.verification_material.tlog_entries[0].signed_entry_timestamp = None;
    let err = real_verifier("trust/staging-trusted_root.json")
        .verify(&b, Artifact::Bytes(&r.artefact), &r.policy, r.now)
        .unwrap_err();
    assert_eq!(verify_path(&err), "NoSigningTime", "{err}");
}
