//! The error path that reports success (USERS.md §3.3-A, GHSA-w6c6-c85g-mmv6 /
//! CVE-2026-39395; §3.4 "every parse or verification error must produce a non-success
//! exit"): the real `signet verify` (and `verify-bundle`) binary over one broken bundle of
//! every class — shape, limits, log entry, proof, checkpoint, SET, time, certificate,
//! identity, signature, binding, DSSE — must exit non-zero with exactly one line naming
//! the reason, and never print `OK:`.
//!
//! The bundles are made fresh (a CA with its CT log, a Rekor v1 log key, the signer's key;
//! `verifier/tests/mutation_support/{pki,tree}.rs`), each valid but for the one defect, so
//! that a verifier that skipped that check would exit 0.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::{json, Value};
use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::san::{CertIdentity, FulcioExtension, SubjectAltName};
use signet_ca_core::signer::{CaAlgorithm, CaSigner as _};
use signet_rekor::pki::SubmittedKey;
use signet_rekor::set::sign_set;
use signet_tlog_core::checkpoint::{rekor_v1_origin, Checkpoint};
use signet_tlog_core::hash::Hash;
use signet_tlog_core::keys::EcdsaP256Signer;

// The verifier's generators, shared (they need only `signet-ca-core` and
// `signet-tlog-core`, which this crate has too; they read `T0` and `unix` from here).
#[path = "../../verifier/tests/mutation_support/pki.rs"]
mod pki;
#[path = "../../verifier/tests/mutation_support/tree.rs"]
mod tree;

/// 2025-06-01T12:00:00Z: the leaf's notBefore.
const T0: u64 = 1_748_779_200;

fn unix(secs: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const EMAIL: &str = "alice@example.com";
const ISSUER: &str = "https://accounts.example.com";
const LOG_HOST: &str = "log.signet.test";
const INTEGRATED: u64 = T0 + 60;
const LOG_INDEX: u64 = 77;
const ARTEFACT: &[u8] = b"release artefact\n";
const IN_TOTO: &str = "application/vnd.in-toto+json";

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn statement(artefact: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artefact", "digest": {"sha256": hex::encode(sha256(artefact))}}],
        "predicateType": "https://slsa.dev/provenance/v1", "predicate": {},
    }))
    .unwrap()
}

/// A CA, a log and a signer, and bundles from them.
struct World {
    pki: pki::Pki,
    signer: InsecureSoftwareCaKey,
    leaf: Vec<u8>,
    identity: CertIdentity,
    log: EcdsaP256Signer,
    rogue_log: EcdsaP256Signer,
}

fn log_key() -> EcdsaP256Signer {
    EcdsaP256Signer::from_pkcs8(&EcdsaP256Signer::generate_pkcs8().unwrap(), LOG_HOST).unwrap()
}

/// How one log entry is made.
struct Entry {
    kind: &'static str,
    body: Vec<u8>,
    /// The integrated time the SET signs; `None`: no SET (and no integratedTime).
    set_time: Option<u64>,
    by: Option<fn(&World) -> &EcdsaP256Signer>,
}

impl World {
    fn new() -> Self {
        let pki = pki::Pki::new("signet");
        let signer = pki::key(CaAlgorithm::EcdsaP256Sha256);
        let id = CertIdentity {
            san: SubjectAltName::Email(EMAIL.into()),
            extensions: vec![
                FulcioExtension {
                    arc: 1,
                    value: ISSUER.into(),
                },
                FulcioExtension {
                    arc: 8,
                    value: ISSUER.into(),
                },
            ],
        };
        let leaf = pki.issue(signer.public_key_der(), &id, unix(T0));
        Self {
            pki,
            signer,
            leaf,
            identity: id,
            log: log_key(),
            rogue_log: log_key(),
        }
    }

    fn root(&self) -> Value {
        let key = |url: &str, spki: &[u8], id: &[u8]| {
            json!({
                "baseUrl": url, "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": b64(spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                              "validFor": {"start": "2025-01-01T00:00:00Z"}},
                "logId": {"keyId": b64(id)},
            })
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [key(&format!("https://{LOG_HOST}"), self.log.public_key_der(), &self.log.key_id())],
            "certificateAuthorities": [{
                "subject": {"organization": "signet.test", "commonName": "signet"},
                "certChain": {"certificates": [{"rawBytes": b64(&self.pki.inter_der)}, {"rawBytes": b64(&self.pki.root_der)}]},
                "validFor": {"start": "2025-01-01T00:00:00Z"},
            }],
            "ctlogs": [key("https://ct.signet.test", self.pki.ct.public_key_der(),
                           &signet_ca_core::sct::log_id(self.pki.ct.public_key_der()))],
        })
    }

    fn pem(&self) -> Vec<u8> {
        SubmittedKey::from_certificate_der(&self.leaf)
            .unwrap()
            .canonical_pem_bytes()
            .to_vec()
    }

    fn hashedrekord(&self, signature: &[u8], digest: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
                "signature": {"content": b64(signature), "publicKey": {"content": b64(&self.pem())}},
            },
        }))
        .unwrap()
    }

    fn dsse_body(&self, payload: &[u8], signature: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(sha256(payload))},
                "signatures": [{"signature": b64(signature), "verifier": b64(&self.pem())}],
            },
        }))
        .unwrap()
    }

    fn checkpoint(&self, size: u64, root: Hash, by: &EcdsaP256Signer) -> String {
        Checkpoint {
            origin: rekor_v1_origin(LOG_HOST, 1),
            size,
            root,
            extensions: Vec::new(),
        }
        .sign(&[by])
        .unwrap()
    }

    /// A tlog entry: proof in a 6-leaf tree, checkpoint and SET by the log (or `by`).
    fn entry(&self, e: &Entry) -> Value {
        let key = e.by.map_or(&self.log, |f| f(self));
        let p = tree::prove(&e.body, 4, 6);
        let hashes: Vec<String> = p.hashes.iter().map(|h| b64(h.as_bytes())).collect();
        let mut v = json!({
            "logIndex": LOG_INDEX.to_string(),
            "logId": {"keyId": b64(&key.key_id())},
            "kindVersion": {"kind": e.kind, "version": "0.0.1"},
            "inclusionProof": {
                "logIndex": "4", "treeSize": "6", "rootHash": b64(p.root.as_bytes()), "hashes": hashes,
                "checkpoint": {"envelope": self.checkpoint(p.size, p.root, key)},
            },
            "canonicalizedBody": b64(&e.body),
        });
        if let Some(t) = e.set_time {
            let set = sign_set(key, &b64(&e.body), i64::try_from(t).unwrap(), LOG_INDEX).unwrap();
            v["integratedTime"] = json!(t.to_string());
            v["inclusionPromise"] = json!({"signedEntryTimestamp": b64(&set)});
        }
        v
    }

    fn bundle(&self, entry: Value, content: (&str, Value)) -> Value {
        let mut b = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"certificate": {"rawBytes": b64(&self.leaf)}, "tlogEntries": [entry]},
        });
        b[content.0] = content.1;
        b
    }

    /// A valid message-signature bundle for `artefact`.
    fn message(&self, artefact: &[u8]) -> Value {
        let signature = self.signer.sign(artefact).unwrap();
        let body = self.hashedrekord(&signature, &sha256(artefact));
        let entry = self.entry(&Entry {
            kind: "hashedrekord",
            body,
            set_time: Some(INTEGRATED),
            by: None,
        });
        self.bundle(
            entry,
            (
                "messageSignature",
                json!({
                    "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&sha256(artefact))},
                    "signature": b64(&signature),
                }),
            ),
        )
    }

    /// A DSSE bundle carrying `payload`, validly signed and logged.
    fn dsse(&self, payload: &[u8]) -> Value {
        let signature = self.signer.sign(&pae(IN_TOTO, payload)).unwrap();
        let body = self.dsse_body(payload, &signature);
        let entry = self.entry(&Entry {
            kind: "dsse",
            body,
            set_time: Some(INTEGRATED),
            by: None,
        });
        self.bundle(
            entry,
            (
                "dsseEnvelope",
                json!({
                    "payload": b64(payload), "payloadType": IN_TOTO,
                    "signatures": [{"sig": b64(&signature), "keyid": ""}],
                }),
            ),
        )
    }
}

fn entry0(b: &mut Value) -> &mut Value {
    &mut b["verificationMaterial"]["tlogEntries"][0]
}

fn b64_edit(v: &mut Value, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = B64.decode(v.as_str().unwrap()).unwrap();
    f(&mut bytes);
    *v = json!(b64(&bytes));
}

/// A bundle file and what `signet verify` must say about it.
struct Broken {
    name: &'static str,
    bundle: Vec<u8>,
    /// A phrase the one error line must contain.
    reason: &'static str,
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// One broken bundle of every class.
fn broken(w: &World) -> Vec<Broken> {
    let good = w.message(ARTEFACT);
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        json_bytes(&b)
    };
    let with_entry = |e: Entry| {
        let mut b = good.clone();
        *entry0(&mut b) = w.entry(&e);
        json_bytes(&b)
    };
    let signature = B64
        .decode(good["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    let body = w.hashedrekord(&signature, &sha256(ARTEFACT));
    let mut deep = "[".repeat(100_000);
    deep.push_str(&"]".repeat(100_000));
    vec![
        // Shape and limits.
        Broken {
            name: "empty file",
            bundle: Vec::new(),
            reason: "not a valid protobuf-JSON bundle",
        },
        Broken {
            name: "binary garbage",
            bundle: vec![0xff, 0xfe, 0x00, 0x01],
            reason: "not a valid protobuf-JSON bundle",
        },
        Broken {
            name: "truncated JSON",
            bundle: json_bytes(&good)[..200].to_vec(),
            reason: "not a valid protobuf-JSON bundle",
        },
        Broken {
            name: "deeply nested JSON",
            bundle: deep.into_bytes(),
            reason: "not a valid protobuf-JSON bundle",
        },
        Broken {
            name: "unknown media type",
            bundle: edit(&|b| {
                b["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.9+json")
            }),
            reason: "unsupported bundle media type",
        },
        Broken {
            name: "signature not base64",
            bundle: edit(&|b| b["messageSignature"]["signature"] = json!("%%%")),
            reason: "not base64",
        },
        Broken {
            name: "negative log index",
            bundle: edit(&|b| entry0(b)["logIndex"] = json!("-5")),
            reason: "negative",
        },
        Broken {
            name: "33 log entries",
            bundle: edit(&|b| {
                let e = entry0(b).clone();
                b["verificationMaterial"]["tlogEntries"] = Value::Array(vec![e; 33]);
            }),
            reason: "MAX_TLOG_ENTRIES",
        },
        Broken {
            name: "no log entry",
            bundle: edit(&|b| b["verificationMaterial"]["tlogEntries"] = json!([])),
            reason: "no transparency-log entry",
        },
        Broken {
            name: "neither SET nor timestamp",
            bundle: with_entry(Entry {
                kind: "hashedrekord",
                body: body.clone(),
                set_time: None,
                by: None,
            }),
            reason: "neither an inclusion promise nor an RFC 3161 timestamp",
        },
        // Log entry, proof, checkpoint, SET.
        Broken {
            name: "entry of an untrusted log",
            bundle: with_entry(Entry {
                kind: "hashedrekord",
                body: body.clone(),
                set_time: Some(INTEGRATED),
                by: Some(|w| &w.rogue_log),
            }),
            reason: "no tlog in the trusted root",
        },
        Broken {
            name: "proof hash flipped",
            bundle: edit(&|b| {
                b64_edit(&mut entry0(b)["inclusionProof"]["hashes"][0], |h| h[0] ^= 1)
            }),
            reason: "inclusion proof does not verify",
        },
        Broken {
            name: "checkpoint for another root, signed",
            bundle: edit(&|b| {
                let cp = w.checkpoint(6, Hash([7; 32]), &w.log);
                entry0(b)["inclusionProof"]["checkpoint"]["envelope"] = json!(cp);
            }),
            reason: "does not match the inclusion proof",
        },
        Broken {
            name: "checkpoint signed by another key",
            bundle: edit(&|b| {
                let root: [u8; 32] = B64
                    .decode(entry0(b)["inclusionProof"]["rootHash"].as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap();
                let cp = w.checkpoint(6, Hash(root), &w.rogue_log);
                entry0(b)["inclusionProof"]["checkpoint"]["envelope"] = json!(cp);
            }),
            reason: "checkpoint is not validly signed",
        },
        Broken {
            name: "SET flipped",
            bundle: edit(&|b| {
                b64_edit(
                    &mut entry0(b)["inclusionPromise"]["signedEntryTimestamp"],
                    |s| {
                        let n = s.len();
                        s[n - 1] ^= 1;
                    },
                )
            }),
            reason: "signed entry timestamp does not verify",
        },
        Broken {
            name: "integratedTime changed under its SET",
            bundle: edit(&|b| entry0(b)["integratedTime"] = json!((INTEGRATED - 1).to_string())),
            reason: "signed entry timestamp does not verify",
        },
        // Time and certificate.
        Broken {
            name: "signed integrated time in the future",
            bundle: with_entry(Entry {
                kind: "hashedrekord",
                body: body.clone(),
                set_time: Some(4_000_000_000),
                by: None,
            }),
            reason: "in the future",
        },
        Broken {
            name: "signed after the certificate expired",
            bundle: with_entry(Entry {
                kind: "hashedrekord",
                body: body.clone(),
                set_time: Some(T0 + 601),
                by: None,
            }),
            reason: "certificate chain",
        },
        Broken {
            name: "leaf from an unknown CA",
            bundle: {
                let other = pki::Pki::new("elsewhere");
                let leaf = other.issue(w.signer.public_key_der(), &w.identity, unix(T0));
                edit(&|b| b["verificationMaterial"]["certificate"]["rawBytes"] = json!(b64(&leaf)))
            },
            reason: "no trusted CA has the leaf's issuer name",
        },
        Broken {
            name: "leaf without SCT",
            bundle: {
                let leaf = w.pki.reissue_with(&w.leaf, pki::Sct::None, |_| {});
                edit(&|b| b["verificationMaterial"]["certificate"]["rawBytes"] = json!(b64(&leaf)))
            },
            reason: "certificate transparency",
        },
        // Signature and binding.
        Broken {
            name: "signature flipped",
            bundle: edit(&|b| {
                b64_edit(&mut b["messageSignature"]["signature"], |s| {
                    let n = s.len();
                    s[n - 1] ^= 1;
                })
            }),
            reason: "signature",
        },
        Broken {
            name: "message digest of another artefact",
            bundle: edit(&|b| {
                b["messageSignature"]["messageDigest"]["digest"] = json!(b64(&sha256(b"other")))
            }),
            reason: "message digest is not the artefact's digest",
        },
        Broken {
            name: "valid entry of another artefact (GHSA-8gw7-4j42-w388)",
            bundle: edit(&|b| {
                *entry0(b) = w.message(b"another artefact")["verificationMaterial"]["tlogEntries"]
                    [0]
                .clone();
            }),
            reason: "does not match the bundle",
        },
        // DSSE.
        Broken {
            name: "DSSE payload that fails to parse, signed and logged (GHSA-w6c6-c85g-mmv6)",
            bundle: json_bytes(
                &w.dsse(b"{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": ["),
            ),
            reason: "DSSE payload",
        },
        Broken {
            name: "DSSE payload not JSON at all, signed and logged",
            bundle: json_bytes(&w.dsse(b"\x00\x01 not json")),
            reason: "not an in-toto statement",
        },
        Broken {
            name: "DSSE statement of another artefact, signed and logged",
            bundle: json_bytes(&w.dsse(&statement(b"other"))),
            reason: "no in-toto subject",
        },
        Broken {
            name: "DSSE with two signatures",
            bundle: {
                let mut b = w.dsse(&statement(ARTEFACT));
                let sig = b["dsseEnvelope"]["signatures"][0].clone();
                b["dsseEnvelope"]["signatures"]
                    .as_array_mut()
                    .unwrap()
                    .push(sig);
                json_bytes(&b)
            },
            reason: "2 signatures; exactly one is required",
        },
    ]
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn signet(args: &[&str]) -> Output {
    Command::new(SIGNET)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run signet")
}

fn verify(artefact: &Path, bundle: &Path, root: &Path) -> Output {
    signet(&[
        "verify",
        p(artefact),
        "--bundle",
        p(bundle),
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        ISSUER,
        "--trusted-root",
        p(root),
    ])
}

/// Exit 1, nothing on stdout, one `signet: error:` line on stderr naming `reason`.
fn assert_refused(out: &Output, reason: &str, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(0),
        "{what}: exit 0 (false success): {stdout}"
    );
    assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
    assert!(
        stdout.is_empty() && !stdout.contains("OK"),
        "{what}: stdout {stdout:?}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "{what}: not one line: {stderr:?}"
    );
    assert!(stderr.starts_with("signet: error: "), "{what}: {stderr:?}");
    assert!(
        stderr.contains(reason),
        "{what}: {stderr:?} does not say {reason:?}"
    );
}

struct Files {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            dir: dir.path().to_owned(),
            _dir: dir,
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

#[test]
fn signet_verify_exits_non_zero_with_one_line_for_every_broken_bundle_class() {
    let w = World::new();
    let files = Files::new();
    let root = files.write("trusted_root.json", &json_bytes(&w.root()));
    let artefact = files.write("artefact.txt", ARTEFACT);
    // Controls: the good message and DSSE bundles verify (so each failure below is its
    // defect's).
    for (name, b) in [
        ("message", w.message(ARTEFACT)),
        ("dsse", w.dsse(&statement(ARTEFACT))),
    ] {
        let out = verify(
            &artefact,
            &files.write(&format!("{name}.json"), &json_bytes(&b)),
            &root,
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with("OK: ") && stdout.contains(EMAIL),
            "{name}: {stdout}"
        );
    }
    let cases = broken(&w);
    assert!(cases.len() >= 25);
    for (i, case) in cases.iter().enumerate() {
        let bundle = files.write(&format!("broken-{i}.json"), &case.bundle);
        assert_refused(&verify(&artefact, &bundle, &root), case.reason, case.name);
    }
}

#[test]
fn signet_verify_bundle_exits_non_zero_for_the_binding_and_payload_classes() {
    let w = World::new();
    let files = Files::new();
    let root = files.write("trusted_root.json", &json_bytes(&w.root()));
    let artefact = files.write("artefact.txt", ARTEFACT);
    let cases = broken(&w);
    for case in cases
        .iter()
        .filter(|c| c.name.contains("GHSA") || c.name.contains("SET"))
    {
        let bundle = files.write("b.json", &case.bundle);
        let out = signet(&[
            "verify-bundle",
            "--bundle",
            p(&bundle),
            "--certificate-identity",
            EMAIL,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            p(&root),
            p(&artefact),
        ]);
        assert_refused(&out, case.reason, case.name);
    }
}

/// Policy, artefact and input-file errors: each its own non-zero exit and one line.
#[test]
fn signet_verify_exits_non_zero_for_policy_artefact_and_file_errors() {
    let w = World::new();
    let files = Files::new();
    let root = files.write("trusted_root.json", &json_bytes(&w.root()));
    let artefact = files.write("artefact.txt", ARTEFACT);
    let bundle = files.write("good.json", &json_bytes(&w.message(ARTEFACT)));
    let run = |extra: &[&str], file: &str, bundle: &Path| {
        let mut args = vec![
            "verify",
            file,
            "--bundle",
            p(bundle),
            "--trusted-root",
            p(&root),
        ];
        args.extend_from_slice(extra);
        signet(&args)
    };
    let identity = [
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    assert!(run(&identity, p(&artefact), &bundle).status.success());
    let other = files.write("other.txt", b"another artefact");
    assert_refused(
        &run(&identity, p(&other), &bundle),
        "message digest",
        "another artefact",
    );
    assert_refused(
        &run(
            &identity,
            &format!("sha256:{}", hex::encode(sha256(b"x"))),
            &bundle,
        ),
        "message digest",
        "another digest",
    );
    assert_refused(
        &run(
            &[
                "--certificate-identity",
                "mallory@example.com",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
            p(&artefact),
            &bundle,
        ),
        "identity mismatch",
        "another identity",
    );
    assert_refused(
        &run(
            &[
                "--certificate-identity",
                EMAIL,
                "--certificate-oidc-issuer",
                "https://accounts.example.com.evil.com",
            ],
            p(&artefact),
            &bundle,
        ),
        "issuer mismatch",
        "another issuer",
    );
    assert_refused(
        &run(
            &[
                "--certificate-identity-regexp",
                "alice@example",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
            p(&artefact),
            &bundle,
        ),
        "identity mismatch",
        "a pattern matching a prefix only",
    );
    let key = files.write(
        "key.pem",
        &SubmittedKey::from_spki_der(w.signer.public_key_der())
            .unwrap()
            .canonical_pem(),
    );
    assert_refused(
        &run(&["--key", p(&key)], p(&artefact), &bundle),
        "signer",
        "a key for a certificate bundle",
    );
    // Files: missing, a directory, over the size limit.
    assert_refused(
        &run(&identity, p(&artefact), &files.dir.join("absent.json")),
        "cannot read bundle",
        "missing bundle",
    );
    assert_refused(
        &run(&identity, p(&artefact), &files.dir),
        "cannot read bundle",
        "directory as bundle",
    );
    let huge = files.write(
        "huge.json",
        &vec![b' '; signet_verifier::common::MAX_BUNDLE_BYTES + 1],
    );
    assert_refused(
        &run(&identity, p(&artefact), &huge),
        "larger than",
        "bundle over 32 MiB",
    );
    assert_refused(
        &run(&identity, p(&files.dir.join("absent.txt")), &bundle),
        "cannot read",
        "missing artefact",
    );
    // The trusted root: not a root, and one that trusts another log.
    let not_root = files.write("not-root.json", b"{}");
    let out = signet(&[
        "verify",
        p(&artefact),
        "--bundle",
        p(&bundle),
        "--trusted-root",
        p(&not_root),
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_refused(&out, "trusted root", "empty trusted root");
    let mut other_root = w.root();
    other_root["tlogs"][0]["publicKey"]["rawBytes"] = json!(b64(w.rogue_log.public_key_der()));
    other_root["tlogs"][0]["logId"]["keyId"] = json!(b64(&w.rogue_log.key_id()));
    let other_root = files.write("other-root.json", &json_bytes(&other_root));
    let out = signet(&[
        "verify",
        p(&artefact),
        "--bundle",
        p(&bundle),
        "--trusted-root",
        p(&other_root),
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_refused(
        &out,
        "no tlog in the trusted root",
        "root trusting another log",
    );
}

/// The documented bad bundles of the public vectors, through the binary.
#[test]
fn signet_verify_exits_non_zero_for_the_public_bad_bundles() {
    let root = signet_testdata::vectors_dir().join("trust/staging-trusted_root.json");
    let vector = |rel: &str| signet_testdata::vectors_dir().join(rel);
    for (name, reason) in [
        ("bundle_cve_2022_36056.txt", "does not match the bundle"),
        (
            "bundle_invalid_version.txt",
            "unsupported bundle media type",
        ),
        ("bundle_no_cert_v1.txt", "has no certificates"),
        ("bundle_no_checkpoint.txt", "requires a checkpoint"),
        ("bundle_no_log_entry.txt", "no transparency-log entry"),
    ] {
        let out = signet(&[
            "verify",
            p(&vector(&format!("sigstore-python/{name}"))),
            "--bundle",
            p(&vector(&format!("sigstore-python/{name}.sigstore"))),
            "--certificate-identity",
            "william@yossarian.net",
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
            "--trusted-root",
            p(&root),
        ]);
        assert_refused(&out, reason, name);
    }
    let out = signet(&[
        "verify",
        p(&vector("sigstore-python/bundle_v3_no_signed_time.txt")),
        "--bundle",
        p(&vector(
            "sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json",
        )),
        "--certificate-identity",
        "william@yossarian.net",
        "--certificate-oidc-issuer",
        "https://github.com/login/oauth",
        "--trusted-root",
        p(&root),
    ]);
    assert_refused(
        &out,
        "neither an inclusion promise nor an RFC 3161",
        "no signed time",
    );
}
