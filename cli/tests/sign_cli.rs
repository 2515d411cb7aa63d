//! `signet sign`, `signet attest` and `signet sign-bundle` end to end, against a real
//! `signet serve --insecure-dev-issuer` on loopback (CA with embedded SCTs, CT log,
//! transparency log), with tokens from its development issuer; and the bundles checked by
//! a Sigstore client nobody on the team wrote: sigstore-python 4.5.1 (`.ci/run` installs
//! it; found through `SIGNET_SIGSTORE_PYTHON` or `PATH`, the tests fail, never skip, when
//! it is missing).
//!
//! Every child process runs without ambient token variables or proxies, so that only the
//! sources a test gives are seen and every request stays on 127.0.0.1.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

use std::{
    io::{BufRead as _, BufReader, Write as _},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::mpsc,
    time::Duration,
};

use base64::Engine as _;
use serde_json::Value;

fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// The one error line of a failed `signet` run (exactly one `signet: error:` line).
fn failed(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what} succeeded:\n{stderr}");
    assert_ne!(out.status.code(), Some(0));
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("signet: error:"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "{what}: one error line expected:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    errors[0].to_owned()
}

impl Deployment {
    /// `sigstore verify identity` of `file` against `bundle` for `identity`.
    fn sigstore_verify(&self, bundle: &Path, file: &Path, identity: &str) -> Output {
        let cli = sigstore_cli();
        let mut c = Command::new(&cli[0]);
        c.args(&cli[1..]);
        for var in AMBIENT {
            c.env_remove(var);
        }
        c.arg("--trust-config")
            .arg(self.trust_config())
            .args(["verify", "identity", "--cert-identity", identity])
            .args(["--cert-oidc-issuer", &self.issuer(), "--bundle"])
            .arg(bundle)
            .arg(file)
            .output()
            .unwrap()
    }

    /// sigstore-python and `signet verify` both accept `bundle` for `file` and alice, and
    /// both reject it for `other` and for another identity.
    fn assert_both_verifiers_accept(&self, bundle: &Path, file: &Path, other: &Path) {
        type Verify<'a> = (&'a str, Box<dyn Fn(&Path, &str) -> Output + 'a>);
        let verifiers: [Verify<'_>; 2] = [
            (
                "sigstore-python",
                Box::new(|f, id| self.sigstore_verify(bundle, f, id)),
            ),
            (
                "signet verify",
                Box::new(|f, id| self.signet_verify(bundle, f, id)),
            ),
        ];
        for (name, verify) in &verifiers {
            ok(&verify(file, "alice@example.com"), name);
            assert!(
                !verify(other, "alice@example.com").status.success(),
                "{name} accepted the bundle for another file"
            );
            assert!(
                !verify(file, "bob@example.com").status.success(),
                "{name} accepted the bundle for another identity"
            );
        }
    }

    /// A signing config like the server's, with the CA or the log URL replaced.
    fn signing_config_with(&self, field: &str, url: &str) -> PathBuf {
        let text = std::fs::read_to_string(self.data.join("signing_config.json")).unwrap();
        let mut config: Value = serde_json::from_str(&text).unwrap();
        config[field][0]["url"] = url.into();
        let path = self.dir().join(format!("signing_config_{field}.json"));
        std::fs::write(&path, config.to_string()).unwrap();
        path
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let resp = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .get(&url)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap())
        })
    }
}

fn leaf(bundle: &Value) -> Vec<u8> {
    b64(bundle["verificationMaterial"]["certificate"]["rawBytes"]
        .as_str()
        .unwrap())
}

/// Shape checks shared by every bundle Signet writes (PROTOCOL.md §6.2, Appendix A §2.4),
/// and the tlog entry found in the log under its index. Returns the entry.
fn check_common_shape(d: &Deployment, bundle_path: &Path, kind: &str) -> Value {
    let bytes = std::fs::read(bundle_path).unwrap();
    signet_verifier::bundle::Bundle::from_json(&bytes).expect("the verifier's parser accepts it");
    let bundle: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let material = &bundle["verificationMaterial"];
    assert!(material.get("x509CertificateChain").is_none());
    // The leaf only, issued to the token's identity by the server's CA.
    let identity = signet_verifier::identity::signer_identity(&leaf(&bundle)).unwrap();
    assert_eq!(identity.issuer, d.issuer());
    assert_eq!(
        identity.sans,
        vec![signet_ca_core::san::SubjectAltName::Email(
            "alice@example.com".into()
        )]
    );
    let entries = material["tlogEntries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{material}");
    let entry = &entries[0];
    assert_eq!(entry["kindVersion"]["kind"], kind);
    assert_eq!(entry["kindVersion"]["version"], "0.0.1");
    assert!(entry["logIndex"].is_string(), "int64 as a string");
    assert!(entry["integratedTime"].is_string());
    assert!(!b64(entry["inclusionPromise"]["signedEntryTimestamp"]
        .as_str()
        .unwrap())
    .is_empty());
    let proof = &entry["inclusionProof"];
    assert!(proof["logIndex"].is_string() && proof["treeSize"].is_string());
    assert!(proof["hashes"].is_array(), "hashes present even when empty");
    assert_eq!(b64(proof["rootHash"].as_str().unwrap()).len(), 32);
    assert!(proof["checkpoint"]["envelope"]
        .as_str()
        .unwrap()
        .contains("\n\n\u{2014} "));
    // The log ID is the trusted root's.
    let root = read_json(&d.data.join("trusted_root.json"));
    assert_eq!(entry["logId"]["keyId"], root["tlogs"][0]["logId"]["keyId"]);

    // The entry is in the log: same body under the same index.
    let index = entry["logIndex"].as_str().unwrap();
    let (status, logged) = d.get(&format!("/api/v1/log/entries?logIndex={index}"));
    assert_eq!(status, 200, "{logged}");
    let (_, logged) = logged.as_object().unwrap().iter().next().unwrap();
    assert_eq!(logged["body"], entry["canonicalizedBody"]);
    assert_eq!(logged["logIndex"].to_string(), index);
    assert_eq!(
        logged["integratedTime"].to_string(),
        entry["integratedTime"].as_str().unwrap()
    );
    bundle
}

#[test]
fn sign_writes_a_v03_bundle_whose_entry_is_in_the_log() {
    let d = Deployment::start();
    let content = b"release artefact\n";
    d.write("artefact.txt", content);
    let out = d
        .signet()
        .args(["sign", "artefact.txt", "--identity-token", &d.token()])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&out, "signet sign");
    // Default path: FILE.sigstore.json.
    let bundle_path = d.dir().join("artefact.txt.sigstore.json");
    let bundle = check_common_shape(&d, &bundle_path, "hashedrekord");

    let signature = &bundle["messageSignature"];
    assert_eq!(signature["messageDigest"]["algorithm"], "SHA2_256");
    assert_eq!(
        b64(signature["messageDigest"]["digest"].as_str().unwrap()),
        sha256(content)
    );
    assert!(bundle.get("dsseEnvelope").is_none());
    // ECDSA over SHA-256(file) with the leaf's key.
    let leaf_der = leaf(&bundle);
    let cert = <x509_cert::Certificate as x509_cert::der::Decode>::from_der(&leaf_der).unwrap();
    let point = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec();
    let key = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
        point,
    );
    key.verify(content, &b64(signature["signature"].as_str().unwrap()))
        .expect("signature over the file");
    assert!(key
        .verify(b"other", &b64(signature["signature"].as_str().unwrap()))
        .is_err());
    // The hashedrekord body records this digest.
    let body: Value = serde_json::from_slice(&b64(bundle["verificationMaterial"]["tlogEntries"]
        [0]["canonicalizedBody"]
        .as_str()
        .unwrap()))
    .unwrap();
    assert_eq!(
        body["spec"]["data"]["hash"]["value"],
        hex::encode(sha256(content))
    );

    // An existing bundle is not replaced without --overwrite (and is left as it was).
    let before = std::fs::read(&bundle_path).unwrap();
    let again = d
        .signet()
        .args(["sign", "artefact.txt", "--identity-token", &d.token()])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    let line = failed(&again, "signing over an existing bundle");
    assert!(line.contains("--overwrite"), "{line}");
    assert_eq!(std::fs::read(&bundle_path).unwrap(), before);
    let replaced = d
        .signet()
        .args([
            "sign",
            "artefact.txt",
            "--overwrite",
            "--identity-token",
            &d.token(),
        ])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&replaced, "signet sign --overwrite");
    assert_ne!(std::fs::read(&bundle_path).unwrap(), before);
}

#[test]
fn sigstore_python_verifies_a_signet_bundle() {
    let d = Deployment::start();
    let file = d.write("artefact.bin", b"\x00\x01 signed by signet\n");
    let other = d.write("other.bin", b"something else\n");
    let bundle = d.dir().join("out").join("custom.json");
    std::fs::create_dir(bundle.parent().unwrap()).unwrap();
    let out = d
        .signet()
        .arg("sign")
        .arg(&file)
        .arg("--bundle")
        .arg(&bundle)
        .args(["--identity-token", &d.token()])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&out, "signet sign --bundle");
    assert!(!d.dir().join("artefact.bin.sigstore.json").exists());
    d.assert_both_verifiers_accept(&bundle, &file, &other);
}

#[test]
fn many_files_share_one_certificate_and_all_verify() {
    let d = Deployment::start();
    let a = d.write("a.txt", b"first\n");
    let b = d.write("b.txt", b"second\n");
    // --signing-config + --trusted-root instead of --trust-config.
    let out = d
        .signet()
        .args(["sign", "a.txt", "b.txt", "--identity-token", &d.token()])
        .arg("--signing-config")
        .arg(d.data.join("signing_config.json"))
        .arg("--trusted-root")
        .arg(d.data.join("trusted_root.json"))
        .output()
        .unwrap();
    let stdout = ok(&out, "signet sign a b");
    assert!(stdout.is_empty(), "progress goes to stderr: {stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 file(s) signed with 1 certificate(s)"),
        "{stderr}"
    );
    let bundle_a = d.dir().join("a.txt.sigstore.json");
    let bundle_b = d.dir().join("b.txt.sigstore.json");
    let ja = check_common_shape(&d, &bundle_a, "hashedrekord");
    let jb = check_common_shape(&d, &bundle_b, "hashedrekord");
    assert_eq!(leaf(&ja), leaf(&jb), "one certificate for both files");
    assert_ne!(
        ja["verificationMaterial"]["tlogEntries"][0]["logIndex"],
        jb["verificationMaterial"]["tlogEntries"][0]["logIndex"]
    );
    d.assert_both_verifiers_accept(&bundle_a, &a, &b);
    d.assert_both_verifiers_accept(&bundle_b, &b, &a);

    // The CT log holds one certificate for the two signatures.
    let (status, sth) = d.get("/ct/ct/v1/get-sth");
    assert_eq!(status, 200);
    assert_eq!(sth["tree_size"], 1, "{sth}");

    // --bundle with several files is refused before anything is signed.
    let out = d
        .signet()
        .args([
            "sign",
            "a.txt",
            "b.txt",
            "--bundle",
            "x.json",
            "--identity-token",
            &d.token(),
        ])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    let line = failed(&out, "--bundle with two files");
    assert!(line.contains("single FILE"), "{line}");
    assert!(!d.dir().join("x.json").exists());
}

/// One HTTP request read from `listener` and answered with `status` and `body`; the
/// request line and headers are sent back on the channel.
fn serve_one(listener: TcpListener, status: &'static str, body: String) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        stream.flush().unwrap();
        tx.send(head).unwrap();
    });
    rx
}

#[test]
fn tokens_come_from_env_file_or_github_actions_in_order() {
    let d = Deployment::start();
    d.write("f.txt", b"token sources\n");
    let other = d.write("other.txt", b"not signed\n");
    let sign = |bundle: &str| {
        let mut c = d.signet();
        c.args(["sign", "f.txt", "--bundle", bundle])
            .arg("--trust-config")
            .arg(d.trust_config());
        c
    };

    // SIGSTORE_ID_TOKEN; it comes before --identity-token-file (here not a token).
    let junk = d.write("junk-token", b"not a token");
    let out = sign("env.json")
        .env("SIGSTORE_ID_TOKEN", d.token())
        .arg("--identity-token-file")
        .arg(&junk)
        .output()
        .unwrap();
    ok(&out, "sign with SIGSTORE_ID_TOKEN");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("identity token from SIGSTORE_ID_TOKEN"),
        "{stderr}"
    );
    d.assert_both_verifiers_accept(&d.dir().join("env.json"), &d.dir().join("f.txt"), &other);

    // --identity-token-file (a trailing newline, as projected tokens may have).
    let file = d.write("token", format!("{}\n", d.token()).as_bytes());
    let out = sign("file.json")
        .arg("--identity-token-file")
        .arg(&file)
        .output()
        .unwrap();
    ok(&out, "sign with --identity-token-file");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--identity-token-file"));
    check_common_shape(&d, &d.dir().join("file.json"), "hashedrekord");

    // GitHub Actions: GET <URL>&audience=sigstore with `Authorization: bearer <TOKEN>`;
    // it comes before the token file (here not a token either).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let actions_url = format!(
        "http://{}/_apis/token?api-version=2.0",
        listener.local_addr().unwrap()
    );
    let requests = serve_one(
        listener,
        "200 OK",
        serde_json::json!({"count": 1, "value": d.token()}).to_string(),
    );
    let out = sign("actions.json")
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", &actions_url)
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-secret")
        .arg("--identity-token-file")
        .arg(&junk)
        .output()
        .unwrap();
    ok(&out, "sign with GitHub Actions credentials");
    let head = requests.recv_timeout(Duration::from_secs(30)).unwrap();
    let request_line = head.lines().next().unwrap();
    assert_eq!(
        request_line, "GET /_apis/token?api-version=2.0&audience=sigstore HTTP/1.1",
        "{head}"
    );
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case("authorization: bearer request-secret")),
        "{head}"
    );
    d.assert_both_verifiers_accept(
        &d.dir().join("actions.json"),
        &d.dir().join("f.txt"),
        &other,
    );

    // GitHub Actions refusing: one line, no bundle, no fall-through to the file.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let actions_url = format!("http://{}/token?x=1", listener.local_addr().unwrap());
    let _refused = serve_one(
        listener,
        "403 Forbidden",
        r#"{"message":"no id-token permission"}"#.to_owned(),
    );
    let good_file = d.write("good-token", d.token().as_bytes());
    let out = sign("refused.json")
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", &actions_url)
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t")
        .arg("--identity-token-file")
        .arg(&good_file)
        .output()
        .unwrap();
    let line = failed(&out, "refused Actions request");
    assert!(
        line.contains("GitHub Actions") && line.contains("no id-token permission"),
        "{line}"
    );
    assert!(!d.dir().join("refused.json").exists());

    // No source at all: every source is named.
    let out = sign("none.json").output().unwrap();
    let line = failed(&out, "sign without a token");
    for source in [
        "--identity-token",
        "SIGSTORE_ID_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "--identity-token-file",
    ] {
        assert!(line.contains(source), "{source} not named: {line}");
    }
    assert!(!d.dir().join("none.json").exists());
}

#[test]
fn attest_writes_a_dsse_bundle_that_sigstore_python_verifies() {
    let d = Deployment::start();
    let subject = d.write("app.tar", b"the built application\n");
    let other = d.write("other.tar", b"another build\n");
    let predicate = serde_json::json!({
        "buildDefinition": {"buildType": "https://example.com/build/v1"},
        "runDetails": {"builder": {"id": "https://example.com/builder"}}
    });
    let predicate_path = d.write("predicate.json", predicate.to_string().as_bytes());
    let out = d
        .signet()
        .args([
            "attest",
            "--type",
            "https://slsa.dev/provenance/v1",
            "--predicate",
        ])
        .arg(&predicate_path)
        .arg("app.tar")
        .args(["--identity-token", &d.token()])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&out, "signet attest");
    // Default path: SUBJECT.intoto.sigstore.json.
    let bundle_path = d.dir().join("app.tar.intoto.sigstore.json");
    let bundle = check_common_shape(&d, &bundle_path, "dsse");
    assert!(bundle.get("messageSignature").is_none());
    let envelope = &bundle["dsseEnvelope"];
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(envelope["signatures"].as_array().unwrap().len(), 1);
    let payload = b64(envelope["payload"].as_str().unwrap());
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        statement["subject"],
        serde_json::json!([{"name": "app.tar", "digest": {"sha256":
            hex::encode(sha256(b"the built application\n"))}}])
    );
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(statement["predicate"], predicate);
    // The dsse body records this payload.
    let body: Value = serde_json::from_slice(&b64(bundle["verificationMaterial"]["tlogEntries"]
        [0]["canonicalizedBody"]
        .as_str()
        .unwrap()))
    .unwrap();
    assert_eq!(
        body["spec"]["payloadHash"]["value"],
        hex::encode(sha256(&payload))
    );
    // sigstore-python verifies the DSSE signature and finds the file among the subjects.
    d.assert_both_verifiers_accept(&bundle_path, &subject, &other);

    // Several subjects: one statement naming each, --bundle required.
    let out = d
        .signet()
        .args(["attest", "--type", "https://example.com/t", "--predicate"])
        .arg(&predicate_path)
        .args(["app.tar", "other.tar", "--identity-token", &d.token()])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    let line = failed(&out, "attest two subjects without --bundle");
    assert!(line.contains("--bundle"), "{line}");
    let both = d.dir().join("both.json");
    let out = d
        .signet()
        .args(["attest", "--type", "https://example.com/t", "--predicate"])
        .arg(&predicate_path)
        .args(["app.tar", "other.tar", "--bundle", "both.json"])
        .args(["--identity-token", &d.token()])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    ok(&out, "signet attest with two subjects");
    for file in [&subject, &other] {
        ok(
            &d.sigstore_verify(&both, file, "alice@example.com"),
            "sigstore verify of a second subject",
        );
    }
    let stranger = d.write("stranger.tar", b"not a subject\n");
    assert!(!d
        .sigstore_verify(&both, &stranger, "alice@example.com")
        .status
        .success());

    // A predicate that is not a JSON object is refused before signing.
    let bad = d.write("bad-predicate.json", b"[1, 2]");
    let out = d
        .signet()
        .args(["attest", "--type", "https://example.com/t", "--predicate"])
        .arg(&bad)
        .args([
            "app.tar",
            "--bundle",
            "bad.json",
            "--identity-token",
            &d.token(),
        ])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    let line = failed(&out, "attest with an array predicate");
    assert!(line.contains("JSON object"), "{line}");
    assert!(!d.dir().join("bad.json").exists());
}

#[test]
fn sign_bundle_follows_the_conformance_protocol() {
    let d = Deployment::start();
    let file = d.write("conformance.txt", b"conformance artefact\n");
    let other = d.write("other.txt", b"other\n");
    let sign_bundle = |extra: &[&str], bundle: &str, input: &str| {
        d.signet()
            .arg("sign-bundle")
            .args(extra)
            .args(["--identity-token", &d.token(), "--bundle", bundle])
            .arg("--trusted-root")
            .arg(d.data.join("trusted_root.json"))
            .arg("--signing-config")
            .arg(d.data.join("signing_config.json"))
            .arg(input)
            .output()
            .unwrap()
    };
    ok(
        &sign_bundle(&[], "cf.json", "conformance.txt"),
        "sign-bundle",
    );
    let bundle = d.dir().join("cf.json");
    check_common_shape(&d, &bundle, "hashedrekord");
    d.assert_both_verifiers_accept(&bundle, &file, &other);
    // The protocol replaces an existing bundle.
    let before = std::fs::read(&bundle).unwrap();
    ok(
        &sign_bundle(&[], "cf.json", "conformance.txt"),
        "sign-bundle again",
    );
    assert_ne!(std::fs::read(&bundle).unwrap(), before);
    // --staging does not override an explicit signing config.
    ok(
        &sign_bundle(&["--staging"], "staging.json", "conformance.txt"),
        "sign-bundle --staging with a signing config",
    );
    check_common_shape(&d, &d.dir().join("staging.json"), "hashedrekord");

    // --in-toto: the file is a statement, signed as DSSE.
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "conformance.txt",
                     "digest": {"sha256": hex::encode(sha256(b"conformance artefact\n"))}}],
        "predicateType": "https://example.com/predicate/v1",
        "predicate": {"k": "v"}
    });
    let statement_text = statement.to_string();
    d.write("statement.json", statement_text.as_bytes());
    ok(
        &sign_bundle(&["--in-toto"], "intoto.json", "statement.json"),
        "sign-bundle --in-toto",
    );
    let intoto = d.dir().join("intoto.json");
    let json = check_common_shape(&d, &intoto, "dsse");
    assert_eq!(
        b64(json["dsseEnvelope"]["payload"].as_str().unwrap()),
        statement_text.as_bytes(),
        "the statement is signed as given"
    );
    d.assert_both_verifiers_accept(&intoto, &file, &other);
    // Not a statement: refused, nothing written.
    let out = sign_bundle(&["--in-toto"], "no.json", "conformance.txt");
    let line = failed(&out, "sign-bundle --in-toto of a non-statement");
    assert!(line.contains("not JSON"), "{line}");
    assert!(!d.dir().join("no.json").exists());
}

#[test]
fn failures_are_one_line_and_write_no_bundle() {
    let d = Deployment::start();
    d.write("f.txt", b"never signed\n");
    let closed = format!("http://127.0.0.1:{}", free_port());
    let sign_with = |config: &Path, token: &str, bundle: &str| {
        d.signet()
            .args([
                "sign",
                "f.txt",
                "--bundle",
                bundle,
                "--identity-token",
                token,
            ])
            .arg("--signing-config")
            .arg(config)
            .arg("--trusted-root")
            .arg(d.data.join("trusted_root.json"))
            .output()
            .unwrap()
    };

    // The CA is unreachable.
    let config = d.signing_config_with("caUrls", &closed);
    let line = failed(&sign_with(&config, &d.token(), "a.json"), "unreachable CA");
    assert!(
        line.contains("requesting a certificate from the CA")
            && line.contains("cannot connect")
            && line.contains(&closed),
        "{line}"
    );
    assert!(!d.dir().join("a.json").exists());

    // The log is unreachable (after the certificate was issued).
    let config = d.signing_config_with("rekorTlogUrls", &closed);
    let line = failed(&sign_with(&config, &d.token(), "b.json"), "unreachable log");
    assert!(
        line.contains("transparency log") && line.contains("cannot connect"),
        "{line}"
    );
    assert!(!d.dir().join("b.json").exists());

    // A token whose signature is not the issuer's: the CA's refusal, quoted.
    let good = d.token();
    let (unsigned, _) = good.rsplit_once('.').unwrap();
    let forged = format!(
        "{unsigned}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 64])
    );
    let server_config = d.data.join("signing_config.json");
    let line = failed(
        &sign_with(&server_config, &forged, "c.json"),
        "forged token",
    );
    assert!(
        line.contains("refused the identity token") && line.contains("invalid identity token"),
        "{line}"
    );
    assert!(!d.dir().join("c.json").exists());

    // Not a JWT at all: refused before any request.
    let line = failed(
        &sign_with(&server_config, "garbage", "d.json"),
        "garbage token",
    );
    assert!(line.contains("not a JWT"), "{line}");
    assert!(!d.dir().join("d.json").exists());

    // sign-bundle: the same failures, same rules.
    let config = d.signing_config_with("caUrls", &closed);
    let out = d
        .signet()
        .args([
            "sign-bundle",
            "--identity-token",
            &good,
            "--bundle",
            "e.json",
        ])
        .arg("--signing-config")
        .arg(&config)
        .arg("f.txt")
        .output()
        .unwrap();
    let line = failed(&out, "sign-bundle with an unreachable CA");
    assert!(line.contains("cannot connect"), "{line}");
    assert!(!d.dir().join("e.json").exists());

    // A missing input file fails before any request.
    let out = d
        .signet()
        .args(["sign", "missing.txt", "--identity-token", &good])
        .arg("--trust-config")
        .arg(d.trust_config())
        .output()
        .unwrap();
    let line = failed(&out, "missing file");
    assert!(line.contains("missing.txt"), "{line}");
    let mut leftovers = Vec::new();
    for entry in std::fs::read_dir(d.dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let bundle = name.ends_with(".json") && !name.starts_with("signing_config");
        if bundle || name.starts_with(".tmp") {
            leftovers.push(name);
        }
    }
    assert!(
        leftovers.is_empty(),
        "bundles or temporary files left: {leftovers:?}"
    );
}
