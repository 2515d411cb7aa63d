//! Interoperability with a Sigstore client nobody on the team wrote: sigstore-python 4.5.1
//! (`.ci/run` installs it from PyPI) signs an artefact against a real `signet serve`
//! (CA with embedded SCTs, transparency log) pointed at by the `trust_config.json` the
//! server writes, then verifies the bundle offline against the same trust config.
//!
//! The `sigstore` command is taken from `SIGNET_SIGSTORE_PYTHON` or `PATH`; the test fails
//! (never skips) when it is missing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

use serde_json::Value;
use std::{
    path::Path,
    process::{Command, Output},
};

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run command")
}

#[test]
fn sigstore_python_signs_and_verifies_against_signet() {
    let sigstore = sigstore_cli();
    let deployment = Deployment::start();
    let (tmp, data, base) = (&deployment.tmp, &deployment.data, &deployment.base);
    let token = deployment.token();
    let token = token.as_str();
    let artefact = tmp.path().join("artefact.txt");
    std::fs::write(&artefact, b"signed by sigstore-python through signet\n").unwrap();
    let trust = data.join("trust_config.json");
    // No ambient credentials or TUF: everything comes from the trust config.
    let sigstore_cmd = || {
        let mut c = Command::new(&sigstore[0]);
        c.args(&sigstore[1..])
            .env_remove("SIGSTORE_ID_TOKEN")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL");
        c
    };
    ok(
        &run(sigstore_cmd()
            .arg("--trust-config")
            .arg(&trust)
            .args(["sign", "--identity-token", token])
            .arg(&artefact)),
        "sigstore sign",
    );
    let bundle = tmp.path().join("artefact.txt.sigstore.json");
    assert!(bundle.exists(), "bundle written");
    let issuer = format!("{base}/dev-issuer");
    let verify = |identity: &str, file: &Path| {
        run(sigstore_cmd()
            .arg("--trust-config")
            .arg(&trust)
            .args(["verify", "identity", "--cert-identity", identity])
            .args(["--cert-oidc-issuer", &issuer, "--bundle"])
            .arg(&bundle)
            .arg(file))
    };
    ok(&verify("alice@example.com", &artefact), "sigstore verify");
    // The same bundle does not verify for another identity, nor for another artefact.
    assert!(!verify("bob@example.com", &artefact).status.success());
    let other = tmp.path().join("other.txt");
    std::fs::write(&other, b"something else\n").unwrap();
    assert!(!verify("alice@example.com", &other).status.success());

    // Signet's own verifier accepts sigstore-python's bundle, for that signer and that
    // artefact only.
    let signet_verify = |identity: &str, file: &Path, bundle: &Path| {
        run(Command::new(SIGNET)
            .arg("verify")
            .arg(file)
            .arg("--bundle")
            .arg(bundle)
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", &issuer, "--trust-config"])
            .arg(&trust))
    };
    ok(
        &signet_verify("alice@example.com", &artefact, &bundle),
        "signet verify of sigstore-python's bundle",
    );
    assert!(!signet_verify("bob@example.com", &artefact, &bundle)
        .status
        .success());
    assert!(!signet_verify("alice@example.com", &other, &bundle)
        .status
        .success());

    // A DSSE attestation by sigstore-python (a dsse 0.0.1 entry in Signet's log) verifies
    // with `signet verify` for its subject.
    let predicate = tmp.path().join("predicate.json");
    std::fs::write(&predicate, br#"{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#).unwrap();
    let attestation = tmp.path().join("artefact.txt.attestation.sigstore.json");
    ok(
        &run(sigstore_cmd()
            .arg("--trust-config")
            .arg(&trust)
            .args([
                "attest",
                "--predicate-type",
                "https://slsa.dev/provenance/v1",
            ])
            .arg("--predicate")
            .arg(&predicate)
            .args(["--identity-token", token, "--bundle"])
            .arg(&attestation)
            .arg(&artefact)),
        "sigstore attest",
    );
    ok(
        &signet_verify("alice@example.com", &artefact, &attestation),
        "signet verify of sigstore-python's DSSE attestation",
    );
    assert!(!signet_verify("alice@example.com", &other, &attestation)
        .status
        .success());

    // The two certificates sigstore-python obtained (sign, attest) are in the CT log, readable through the
    // RFC 6962 §4 API that `signet serve` mounts under /ct.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let get = |path: &str| -> Value {
        let url = format!("{base}/ct{path}");
        rt.block_on(async {
            let resp = reqwest::get(&url).await.unwrap();
            assert_eq!(resp.status(), 200, "GET {url}");
            resp.json().await.unwrap()
        })
    };
    let sth = get("/ct/v1/get-sth");
    assert_eq!(sth["tree_size"], 2, "{sth}");
    let entries = get("/ct/v1/get-entries?start=0&end=1");
    assert_eq!(
        entries["entries"].as_array().map(Vec::len),
        Some(2),
        "{entries}"
    );
    let roots = get("/ct/v1/get-roots");
    let chain = std::fs::read_to_string(data.join("ca-chain.pem")).unwrap();
    let root_b64 = roots["certificates"][0].as_str().unwrap().to_owned();
    assert!(
        chain.replace('\n', "").contains(&root_b64[..64]),
        "get-roots names the CA root of ca-chain.pem"
    );
}
