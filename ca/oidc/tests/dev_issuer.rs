#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The development issuer served on 127.0.0.1, nested under a path as `signet serve` will
//! nest it: tokens it mints verify through its own discovery document and JWKS.

use std::time::Duration;

use axum::Router;
use serde_json::{json, Map, Value};
use signet_oidc::dev_issuer::{InsecureDevIssuer, MintRequest, MintResponse, DEV_AUDIENCE};
use signet_oidc::{peek_issuer, TokenError, TokenVerifier, VerifierConfig};

/// Serves the issuer at `http://127.0.0.1:<port>/dev-issuer`.
async fn serve() -> (InsecureDevIssuer, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/dev-issuer", listener.local_addr().unwrap());
    let issuer = InsecureDevIssuer::generate(&base).unwrap();
    let app = Router::new().nest("/dev-issuer", issuer.router());
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (issuer, task)
}

fn verifier() -> TokenVerifier {
    TokenVerifier::new(VerifierConfig::default()).unwrap()
}

#[tokio::test]
async fn minted_tokens_verify_through_the_served_discovery_and_jwks() {
    let (issuer, task) = serve().await;
    let mut extra = Map::new();
    extra.insert("repository_owner".into(), "octo-org".into());
    extra.insert("kubernetes.io".into(), json!({"namespace": "ns"}));
    let token = issuer
        .mint(
            "alice",
            Some("alice@example.com"),
            &extra,
            Duration::from_secs(300),
        )
        .unwrap();
    let verifier = verifier();
    assert_eq!(
        peek_issuer(&token, &verifier.limits()).unwrap(),
        issuer.issuer_url()
    );

    let verified = verifier
        .verify(&token, issuer.issuer_url(), DEV_AUDIENCE)
        .await
        .unwrap();
    assert_eq!(verified.issuer, issuer.issuer_url());
    assert_eq!(verified.subject, "alice");
    assert_eq!(verified.expires_at - verified.issued_at, 300);
    let claims = &verified.claims;
    assert_eq!(claims["aud"], "sigstore");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["repository_owner"], "octo-org");
    assert_eq!(claims["kubernetes.io"], json!({"namespace": "ns"}));
    assert_eq!(claims["nbf"], claims["iat"]);

    // Another audience is refused: the dev issuer's tokens are for Fulcio's client ID only.
    assert!(matches!(
        verifier.verify(&token, issuer.issuer_url(), "other").await,
        Err(TokenError::AudienceMismatch { .. })
    ));
    task.abort();
}

#[tokio::test]
async fn the_token_endpoint_mints_what_dev_token_asks_for() {
    let (issuer, task) = serve().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |body: Value| {
        client
            .post(format!("{}/token", issuer.issuer_url()))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .send()
    };

    let request = MintRequest {
        sub: "https://github.com/octo-org/app/.github/workflows/release.yml@refs/heads/main".into(),
        email: None,
        claims: Map::from_iter([("job_workflow_ref".to_owned(), Value::from("w@r"))]),
        lifetime_secs: None,
    };
    let response = post(serde_json::to_value(&request).unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    let minted: MintResponse = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let verified = verifier()
        .verify(&minted.token, issuer.issuer_url(), DEV_AUDIENCE)
        .await
        .unwrap();
    assert_eq!(verified.subject, request.sub);
    assert_eq!(verified.claims["job_workflow_ref"], "w@r");
    assert_eq!(verified.expires_at - verified.issued_at, 600);
    assert!(verified.claims.get("email").is_none());

    // Reserved claims cannot be overridden through the endpoint.
    let response = post(json!({"sub": "x", "claims": {"iss": "https://accounts.google.com"}}))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("`iss`"));
    task.abort();
}

#[tokio::test]
async fn tokens_of_a_restarted_issuer_no_longer_verify() {
    // Same URL, new key: the old token's kid is unknown to the new JWKS.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}/dev-issuer");
    let first = InsecureDevIssuer::generate(&base).unwrap();
    let old_token = first
        .mint("bob", None, &Map::new(), Duration::from_secs(300))
        .unwrap();
    let second = InsecureDevIssuer::generate(&base).unwrap();
    let app = Router::new().nest("/dev-issuer", second.router());
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let error = verifier()
        .verify(&old_token, &base, DEV_AUDIENCE)
        .await
        .unwrap_err();
    assert!(matches!(error, TokenError::UnknownKey { .. }), "{error:?}");
    let new_token = second
        .mint("bob", None, &Map::new(), Duration::from_secs(300))
        .unwrap();
    assert!(verifier()
        .verify(&new_token, &base, DEV_AUDIENCE)
        .await
        .is_ok());
    task.abort();
}
