//! Interoperability with sigstore-js, the JavaScript Sigstore client (npm `sigstore` 4.1.1,
//! `@sigstore/verify` 3.1.1, pinned by `tests/sigstore-js/package-lock.json`; `.ci/run`
//! installs them with `npm ci`), against a real `signet serve --insecure-dev-issuer` on
//! loopback (CA with embedded SCTs, CT log, Rekor v1 compatible log):
//!
//! * sigstore-js signs and attests against Signet's CA and log, and `signet verify`
//!   accepts its bundles for that file and that signer only;
//! * bundles written by `signet sign` and `signet attest` verify offline with sigstore-js
//!   against the `trusted_root.json` the server writes (PROTOCOL.md §8.3, Appendix A), for
//!   that file and that signer only.
//!
//! sigstore-js is driven by `tests/sigstore-js/driver.mjs` under `node` (`SIGNET_NODE`, else
//! `node` on `PATH`). The tests fail, never skip, when node or the driver's `node_modules`
//! are missing. Every child process runs without ambient token variables or proxies, so
//! every request stays on 127.0.0.1.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

/// The folder of the Node.js driver and its `package.json`.
fn driver_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigstore-js")
}

/// The Node.js binary: `SIGNET_NODE`, else `node` on `PATH`.
fn node() -> OsString {
    std::env::var_os("SIGNET_NODE").unwrap_or_else(|| OsString::from("node"))
}

/// Fails the test (never skips it) when node or the driver's packages are missing.
fn assert_sigstore_js_installed() {
    let dir = driver_dir();
    let node = node();
    let version = Command::new(&node).arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is not installed (`{}` does not run): install `nodejs npm` (.ci/run does \
         this) or set SIGNET_NODE",
        node.to_string_lossy()
    );
    // Every package pinned in package.json is installed, at the pinned version.
    let manifest = read_json(&dir.join("package.json"));
    for (package, pinned) in manifest["dependencies"].as_object().unwrap() {
        let installed = dir.join("node_modules").join(package).join("package.json");
        assert!(
            installed.is_file(),
            "sigstore-js is not installed: npm package {package} is missing from {}; run \
             `npm ci` in cli/tests/sigstore-js (.ci/run does this)",
            dir.join("node_modules").display()
        );
        assert_eq!(
            &read_json(&installed)["version"],
            pinned,
            "npm package {package} is not the pinned version; run `npm ci` in \
             cli/tests/sigstore-js"
        );
    }
}

/// `node driver.mjs` with a clean environment.
fn sigstore_js() -> Command {
    assert_sigstore_js_installed();
    let mut c = Command::new(node());
    c.arg(driver_dir().join("driver.mjs"));
    for var in AMBIENT {
        c.env_remove(var);
    }
    c
}

fn text(out: &Output) -> String {
    format!(
        "({})\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts that `out` failed and that its stderr says `why`.
fn rejected(out: &Output, what: &str, why: &str) {
    assert!(!out.status.success(), "{what} succeeded {}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(why),
        "{what} failed, but not with {why:?} {}",
        text(out)
    );
}

impl Deployment {
    /// `driver.mjs sign FILE` against this server's CA and log; returns the bundle path.
    fn js_sign(&self, file: &Path) -> PathBuf {
        let bundle = file.with_extension("js.sigstore.json");
        let out = sigstore_js()
            .arg("sign")
            .arg(file)
            .args(["--fulcio-url", &self.base, "--rekor-url", &self.base])
            .args(["--identity-token", &self.token(), "--bundle"])
            .arg(&bundle)
            .output()
            .unwrap();
        ok(&out, "sigstore-js sign");
        bundle
    }

    /// `driver.mjs attest SUBJECT` (in-toto statement, DSSE); returns the bundle path.
    fn js_attest(&self, subject: &Path, predicate: &Path) -> PathBuf {
        let bundle = subject.with_extension("js.intoto.sigstore.json");
        let out = sigstore_js()
            .arg("attest")
            .arg(subject)
            .args(["--predicate-type", "https://slsa.dev/provenance/v1"])
            .arg("--predicate")
            .arg(predicate)
            .args(["--fulcio-url", &self.base, "--rekor-url", &self.base])
            .args(["--identity-token", &self.token(), "--bundle"])
            .arg(&bundle)
            .output()
            .unwrap();
        ok(&out, "sigstore-js attest");
        bundle
    }

    /// `driver.mjs verify` of `file` against `bundle`, offline, with the server's
    /// `trusted_root.json`.
    fn js_verify(&self, bundle: &Path, file: &Path, identity: &str, issuer: &str) -> Output {
        sigstore_js()
            .arg("verify")
            .arg(file)
            .arg("--bundle")
            .arg(bundle)
            .arg("--trusted-root")
            .arg(self.data.join("trusted_root.json"))
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", issuer])
            .output()
            .unwrap()
    }
}

fn predicate(d: &Deployment) -> PathBuf {
    d.write(
        "predicate.json",
        br#"{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#,
    )
}

/// The single tlog entry of a bundle.
fn tlog_entry(bundle: &Path) -> Value {
    let bundle = read_json(bundle);
    let entries = bundle["verificationMaterial"]["tlogEntries"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(entries.len(), 1, "{bundle}");
    entries[0].clone()
}

#[test]
fn signet_verify_accepts_sigstore_js_bundles() {
    assert_sigstore_js_installed();
    let d = Deployment::start();
    let artefact = d.write("artefact.txt", b"signed by sigstore-js through signet\n");
    let other = d.write("other.txt", b"something else\n");

    // The first entry of the log: leaf index 0, which sigstore-js serialises without the
    // proto3 defaults (`logIndex`, `inclusionProof.logIndex`, empty `hashes`); Signet's
    // parser must take them as 0 and [] (PROTOCOL.md Appendix A, strict parser note).
    let bundle = d.js_sign(&artefact);
    let entry = tlog_entry(&bundle);
    assert_eq!(entry["kindVersion"]["kind"], "hashedrekord", "{entry}");
    assert!(entry.get("logIndex").is_none(), "index 0 expected: {entry}");
    assert!(entry["inclusionPromise"]["signedEntryTimestamp"].is_string());
    assert!(entry["inclusionProof"]["checkpoint"]["envelope"].is_string());
    ok(
        &d.signet_verify(&bundle, &artefact, ALICE),
        "signet verify of sigstore-js's bundle (log index 0)",
    );
    rejected(
        &d.signet_verify(&bundle, &other, ALICE),
        "signet verify of sigstore-js's bundle for another file",
        "signature",
    );
    rejected(
        &d.signet_verify(&bundle, &artefact, BOB),
        "signet verify of sigstore-js's bundle for another identity",
        "identity",
    );

    // A DSSE attestation (a dsse 0.0.1 entry in Signet's log) whose in-toto subject is the
    // artefact.
    let attestation = d.js_attest(&artefact, &predicate(&d));
    let entry = tlog_entry(&attestation);
    assert_eq!(entry["kindVersion"]["kind"], "dsse", "{entry}");
    ok(
        &d.signet_verify(&attestation, &artefact, ALICE),
        "signet verify of sigstore-js's DSSE attestation",
    );
    rejected(
        &d.signet_verify(&attestation, &other, ALICE),
        "signet verify of sigstore-js's attestation for another subject",
        "in-toto subject",
    );
    rejected(
        &d.signet_verify(&attestation, &artefact, BOB),
        "signet verify of sigstore-js's attestation for another identity",
        "identity",
    );

    // A later entry, with a non-empty inclusion proof.
    let second = d.write("second.txt", b"a second file signed by sigstore-js\n");
    let bundle = d.js_sign(&second);
    let entry = tlog_entry(&bundle);
    assert_eq!(entry["logIndex"], "2", "{entry}");
    assert!(!entry["inclusionProof"]["hashes"]
        .as_array()
        .unwrap()
        .is_empty());
    ok(
        &d.signet_verify(&bundle, &second, ALICE),
        "signet verify of sigstore-js's bundle (log index 2)",
    );
    rejected(
        &d.signet_verify(&bundle, &artefact, ALICE),
        "signet verify of sigstore-js's second bundle for another file",
        "signature",
    );
}

/// sigstore-js (`@sigstore/verify` `tlog/checkpoint.js`, `verifySignedNote`) accepts a
/// checkpoint signature only from a trusted-root tlog whose `logId[:4]` is the signature's
/// key hint **and** whose `baseUrl` matches the signature line's key name (`— NAME sig`).
/// Checked here first so that a mismatch is reported by field, not only as sigstore-js's
/// "invalid checkpoint signature".
fn assert_checkpoint_names_a_trusted_log(d: &Deployment, bundle: &Path) {
    let entry = tlog_entry(bundle);
    let envelope = entry["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, signatures) = envelope.split_once("\n\n").unwrap();
    let root = read_json(&d.data.join("trusted_root.json"));
    let tlogs = root["tlogs"].as_array().unwrap();
    let mut matched = false;
    for line in signatures.lines() {
        let mut words = line.strip_prefix("\u{2014} ").unwrap().split(' ');
        let (name, sig) = (words.next().unwrap(), words.next().unwrap());
        let hint = &b64(sig)[..4];
        matched |= tlogs.iter().any(|t| {
            &b64(t["logId"]["keyId"].as_str().unwrap())[..4] == hint
                && t["baseUrl"].as_str().unwrap().contains(name)
        });
    }
    let base_urls: Vec<&str> = tlogs.iter().filter_map(|t| t["baseUrl"].as_str()).collect();
    assert!(
        matched,
        "sigstore-js will reject this checkpoint: no signature line's key name appears in the \
         baseUrl of the trusted-root tlog with its key hint (baseUrls {base_urls:?}); \
         checkpoint:\n{envelope}"
    );
}

#[test]
fn sigstore_js_verifies_signet_bundles() {
    assert_sigstore_js_installed();
    let d = Deployment::start();
    let artefact = d.write(
        "artefact.txt",
        b"signed by signet, checked by sigstore-js\n",
    );
    let other = d.write("other.txt", b"something else\n");
    let token = d.token();
    let trust = d.data.join("trust_config.json");

    // A message signature (hashedrekord) ...
    let out = d
        .signet()
        .args(["sign", "artefact.txt", "--identity-token", &token])
        .arg("--trust-config")
        .arg(&trust)
        .output()
        .unwrap();
    ok(&out, "signet sign");
    let bundle = d.dir().join("artefact.txt.sigstore.json");
    // ... and a DSSE attestation whose in-toto subject is the artefact.
    let out = d
        .signet()
        .args(["attest", "--type", "https://slsa.dev/provenance/v1"])
        .arg("--predicate")
        .arg(predicate(&d))
        .args(["artefact.txt", "--identity-token", &token])
        .arg("--trust-config")
        .arg(&trust)
        .output()
        .unwrap();
    ok(&out, "signet attest");
    let attestation = d.dir().join("artefact.txt.intoto.sigstore.json");

    let issuer = d.issuer();
    for (what, bundle) in [("bundle", &bundle), ("attestation", &attestation)] {
        assert_checkpoint_names_a_trusted_log(&d, bundle);
        ok(
            &d.js_verify(bundle, &artefact, ALICE, &issuer),
            &format!("sigstore-js verify of signet's {what}"),
        );
        rejected(
            &d.js_verify(bundle, &artefact, BOB, &issuer),
            &format!("sigstore-js verify of signet's {what} for another identity"),
            "UNTRUSTED_SIGNER_ERROR",
        );
        rejected(
            &d.js_verify(bundle, &artefact, ALICE, "https://issuer.example.com"),
            &format!("sigstore-js verify of signet's {what} for another issuer"),
            "UNTRUSTED_SIGNER_ERROR",
        );
    }
    rejected(
        &d.js_verify(&bundle, &other, ALICE, &issuer),
        "sigstore-js verify of signet's bundle for another file",
        "SIGNATURE_ERROR",
    );
    rejected(
        &d.js_verify(&attestation, &other, ALICE, &issuer),
        "sigstore-js verify of signet's attestation for another subject",
        "no subject of the in-toto statement",
    );

    // The driver's verifier also takes sigstore-js's own bundle made against Signet.
    let own = d.write("own.txt", b"signed and verified by sigstore-js\n");
    let own_bundle = d.js_sign(&own);
    ok(
        &d.js_verify(&own_bundle, &own, ALICE, &issuer),
        "sigstore-js verify of its own bundle from signet",
    );
    rejected(
        &d.js_verify(&own_bundle, &other, ALICE, &issuer),
        "sigstore-js verify of its own bundle for another file",
        "SIGNATURE_ERROR",
    );
}
