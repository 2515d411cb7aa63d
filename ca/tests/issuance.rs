//! The CA end to end over real HTTP on 127.0.0.1: a real OIDC issuer (the development
//! issuer, discovery and JWKS served over HTTP), software CA keys from the ceremony, a
//! CT log on SQLite. Both request forms real clients send, and the refusals.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::{sync::Arc, time::Duration};

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING},
};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Map, Value};
use signet_ca::ct::{CtLog, StoredExtra};
use signet_ca_core::{profile::DEFAULT_LEAF_VALIDITY, sct::verify_embedded_sct};
use signet_oidc::dev_issuer::InsecureDevIssuer;
use x509_cert::der::{Decode, DecodePem};

use common::{listener, test_ca, TestCa};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

struct Env {
    base: String,
    issuer: InsecureDevIssuer,
    /// A second issuer the CA does not trust.
    stranger: InsecureDevIssuer,
    ct: CtLog,
    _dir: tempfile::TempDir,
}

async fn start() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let (l, base) = listener().await;
    let issuer = InsecureDevIssuer::generate(&format!("{base}/dev-issuer")).unwrap();
    let (l2, base2) = listener().await;
    let stranger = InsecureDevIssuer::generate(&format!("{base2}/dev-issuer")).unwrap();
    let stranger_app = axum::Router::new().nest("/dev-issuer", stranger.router());
    tokio::spawn(async move { axum::serve(l2, stranger_app).await.unwrap() });

    let TestCa { ca, ct, .. } = test_ca(
        dir.path(),
        json!({
            "issuers": [{
                "issuer_url": issuer.issuer_url(),
                "issuer_type": "email",
                "policy": [{"name": "example-staff", "conditions": {"email": [{"pattern": "*@example.com"}]}}]
            }]
        }),
    )
    .await;
    let app = signet_ca::http::router(Arc::new(ca)).nest("/dev-issuer", issuer.router());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    Env {
        base,
        issuer,
        stranger,
        ct,
        _dir: dir,
    }
}

fn token(issuer: &InsecureDevIssuer, email: &str) -> String {
    issuer
        .mint("user-1", Some(email), &Map::new(), Duration::from_secs(300))
        .unwrap()
}

/// An ephemeral P-256 key: PKCS#8 for rcgen (CSR), and a signer for proofs of possession.
fn ephemeral() -> (EcdsaKeyPair, Vec<u8>) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
    (kp, pkcs8.as_ref().to_vec())
}

fn csr_b64(pkcs8: &[u8]) -> String {
    let key = rcgen::KeyPair::try_from(pkcs8).unwrap();
    let params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    let csr = params.serialize_request(&key).unwrap();
    B64.encode(csr.pem().unwrap())
}

fn public_key_pem(pkcs8: &[u8]) -> String {
    rcgen::KeyPair::try_from(pkcs8).unwrap().public_key_pem()
}

async fn post(env: &Env, bearer: Option<&str>, body: &Value) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v2/signingCert", env.base))
        .json(body);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

fn chain_of(v: &Value) -> Vec<x509_cert::Certificate> {
    v["signedCertificateEmbeddedSct"]["chain"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| x509_cert::Certificate::from_pem(p.as_str().unwrap()).unwrap())
        .collect()
}

fn check_issued(env: &Env, v: &Value, email: &str) {
    use x509_cert::der::Encode;
    let chain = chain_of(v);
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
    let leaf = chain[0].to_der().unwrap();
    let intermediate = chain[1].to_der().unwrap();
    // The embedded SCT verifies against the CT log key, as sigstore-python checks it.
    verify_embedded_sct(&leaf, &intermediate, env.ct.public_key_der()).expect("embedded SCT");
    let tbs = &chain[0].tbs_certificate;
    assert!(tbs.subject.0.is_empty(), "empty subject");
    let san = tbs
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.17")
        .expect("SAN");
    assert!(san.critical);
    let sans = x509_cert::ext::pkix::SubjectAltName::from_der(san.extn_value.as_bytes()).unwrap();
    assert!(
        sans.0.iter().any(|n| matches!(n,
            x509_cert::ext::pkix::name::GeneralName::Rfc822Name(e) if e.as_str() == email)),
        "{sans:?}"
    );
    let validity = &tbs.validity;
    assert_eq!(
        validity.not_after.to_unix_duration() - validity.not_before.to_unix_duration(),
        DEFAULT_LEAF_VALIDITY
    );
}

#[tokio::test]
async fn csr_with_bearer_token_like_sigstore_python() {
    let env = start().await;
    let (_, pkcs8) = ephemeral();
    let t = token(&env.issuer, "alice@example.com");
    let (status, v) = post(
        &env,
        Some(&t),
        &json!({"certificateSigningRequest": csr_b64(&pkcs8)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    check_issued(&env, &v, "alice@example.com");
    // The CT log holds the precertificate, with the issuance record beside it naming the
    // identity and the policy rule that allowed it.
    let log = env.ct.log();
    assert_eq!(log.head().size, 1);
    let entry = log.entry_by_index(0).await.unwrap().entry;
    let extra = StoredExtra::decode(entry.extra.as_deref().unwrap()).unwrap();
    let record: Value = serde_json::from_slice(&extra.issuance_record).unwrap();
    assert_eq!(record["allowedBy"]["rule"], "example-staff");
    assert_eq!(record["identity"]["san"], "alice@example.com");
    assert_eq!(log.lookup("san:alice@example.com").await.unwrap(), vec![0]);
}

#[tokio::test]
async fn public_key_and_proof_of_possession_like_sigstore_js() {
    let env = start().await;
    let (kp, pkcs8) = ephemeral();
    let rng = SystemRandom::new();
    let email = "bob@example.com";
    let pop = kp.sign(&rng, email.as_bytes()).unwrap();
    let body = json!({
        "credentials": {"oidcIdentityToken": token(&env.issuer, email)},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": public_key_pem(&pkcs8)},
            "proofOfPossession": B64.encode(pop.as_ref()),
        }
    });
    let (status, v) = post(&env, None, &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    check_issued(&env, &v, email);
    // The leaf certifies exactly the submitted key.
    use x509_cert::der::Encode;
    let leaf = &chain_of(&v)[0];
    let spki = leaf
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec();
    assert_eq!(spki, kp.public_key().as_ref());
    let _ = leaf.to_der().unwrap();

    // A proof over the wrong claim (sub instead of email) is refused, and nothing is logged.
    let before = env.ct.log().head().size;
    let bad = kp.sign(&rng, b"user-1").unwrap();
    let body = json!({
        "credentials": {"oidcIdentityToken": token(&env.issuer, email)},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": public_key_pem(&pkcs8)},
            "proofOfPossession": B64.encode(bad.as_ref()),
        }
    });
    let (status, v) = post(&env, None, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("proof of possession"),
        "{v}"
    );
    assert_eq!(env.ct.log().head().size, before);
}

#[tokio::test]
async fn refusals_name_the_failed_check() {
    let env = start().await;
    let (_, pkcs8) = ephemeral();
    let csr = json!({"certificateSigningRequest": csr_b64(&pkcs8)});

    // No token at all.
    let (status, v) = post(&env, None, &csr).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["code"], 16);
    assert!(
        v["message"].as_str().unwrap().contains("no identity token"),
        "{v}"
    );

    // A token from an issuer the CA does not trust: refused before anything is fetched.
    let (status, v) = post(&env, Some(&token(&env.stranger, "eve@example.com")), &csr).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("issuer not allowed"),
        "{v}"
    );

    // Policy: only example.com addresses; the denial names the rule.
    let (status, v) = post(&env, Some(&token(&env.issuer, "mallory@evil.test")), &csr).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["code"], 7);
    assert!(
        v["message"].as_str().unwrap().contains("example-staff"),
        "{v}"
    );

    // A token the issuer did not sign (the stranger's key, our issuer's URL): signature.
    let forged = {
        let mut claims = Map::new();
        claims.insert("email_verified".into(), true.into());
        let t = env
            .stranger
            .mint(
                "user-1",
                Some("alice@example.com"),
                &claims,
                Duration::from_secs(60),
            )
            .unwrap();
        // Re-point iss at the trusted issuer while keeping the stranger's signature.
        let parts: Vec<&str> = t.split('.').collect();
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value = serde_json::from_slice(&url.decode(parts[1]).unwrap()).unwrap();
        payload["iss"] = env.issuer.issuer_url().into();
        format!(
            "{}.{}.{}",
            parts[0],
            url.encode(serde_json::to_vec(&payload).unwrap()),
            parts[2]
        )
    };
    let (status, v) = post(&env, Some(&forged), &csr).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("invalid identity token"),
        "{v}"
    );

    // A CSR whose signature does not verify.
    let mut pem = String::from_utf8(B64.decode(csr_b64(&pkcs8)).unwrap()).unwrap();
    let mid = pem.len() / 2;
    let flipped = if &pem[mid..mid + 1] == "A" { "B" } else { "A" };
    pem.replace_range(mid..mid + 1, flipped);
    let (status, v) = post(
        &env,
        Some(&token(&env.issuer, "alice@example.com")),
        &json!({"certificateSigningRequest": B64.encode(pem)}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    // Malformed JSON.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v2/signingCert", env.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Nothing was issued by any of these.
    assert_eq!(env.ct.log().head().size, 0);
}

#[tokio::test]
async fn trust_bundle_and_configuration() {
    let env = start().await;
    let v: Value = reqwest::get(format!("{}/api/v2/trustBundle", env.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["chains"][0]["certificates"].as_array().unwrap().len(), 2);
    let v: Value = reqwest::get(format!("{}/api/v2/configuration", env.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["issuers"][0]["issuerUrl"], env.issuer.issuer_url());
    assert_eq!(v["issuers"][0]["audience"], "sigstore");
    assert_eq!(v["issuers"][0]["challengeClaim"], "email");
}
