//! `TokenVerifier` against real issuers on 127.0.0.1 that misbehave on purpose: the fetch
//! limits, the URL rules, and the per-issuer key cache (counted on the server side).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{
    now, object, test_config, verifier, DiscoveryMode, JwksMode, TestIssuer, TestKey,
};
use serde_json::json;
use signet_oidc::{FetchFailure, TokenError, TokenVerifier, VerifierConfig};

const AUD: &str = "sigstore";

#[tokio::test]
async fn unknown_kid_refetches_once_per_interval() {
    let key = TestKey::es256("current");
    let issuer = TestIssuer::start(&[&key]).await;
    let verifier = verifier();
    let claims = issuer.claims();
    let unknown = key.sign_as(&claims, Some("nope"));

    let expected = TokenError::UnknownKey { kid: "nope".into() };
    assert_eq!(
        verifier
            .verify(&unknown, &issuer.url, AUD)
            .await
            .unwrap_err(),
        expected
    );
    // First fetch, then one refetch (discovery and JWKS) for the unknown kid.
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (2, 2));
    // Within the interval: rejected without another fetch, however often it is tried.
    for _ in 0..5 {
        assert_eq!(
            verifier
                .verify(&unknown, &issuer.url, AUD)
                .await
                .unwrap_err(),
            expected
        );
    }
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (2, 2));
    // Known keys keep working meanwhile.
    assert!(verifier
        .verify(&key.sign(&claims), &issuer.url, AUD)
        .await
        .is_ok());
}

#[tokio::test]
async fn key_rotation_is_picked_up_but_refetches_are_rate_limited() {
    let old = TestKey::es256("2024");
    let issuer = TestIssuer::start(&[&old]).await;
    let verifier = verifier();
    let claims = issuer.claims();
    verifier
        .verify(&old.sign(&claims), &issuer.url, AUD)
        .await
        .unwrap();
    assert_eq!(issuer.jwks_hits(), 1);

    // The issuer rotates to a new key of a new algorithm, and says so in its discovery.
    let new = TestKey::rs256("2025");
    issuer.publish(&new);
    issuer.advertise(&["ES256", "RS256"]);
    let verified = verifier
        .verify(&new.sign(&claims), &issuer.url, AUD)
        .await
        .unwrap();
    assert_eq!(verified.claims, object(&claims));
    assert_eq!(issuer.jwks_hits(), 2);

    // Another rotation within the interval: no refetch, rejected.
    let newer = TestKey::es256("2026");
    issuer.publish(&newer);
    assert_eq!(
        verifier
            .verify(&newer.sign(&claims), &issuer.url, AUD)
            .await
            .unwrap_err(),
        TokenError::UnknownKey { kid: "2026".into() }
    );
    assert_eq!(issuer.jwks_hits(), 2);

    // With a zero interval every new kid is looked up.
    let eager = TokenVerifier::new(VerifierConfig {
        jwks_min_refetch_interval: Duration::ZERO,
        ..test_config()
    })
    .unwrap();
    eager
        .verify(&newer.sign(&claims), &issuer.url, AUD)
        .await
        .unwrap();
    for kid in ["2027", "2028"] {
        let hits = issuer.jwks_hits();
        let next = TestKey::es256(kid);
        issuer.publish(&next);
        eager
            .verify(&next.sign(&claims), &issuer.url, AUD)
            .await
            .unwrap();
        assert_eq!(issuer.jwks_hits(), hits + 1, "{kid}");
    }
}

#[tokio::test]
async fn concurrent_verifications_share_one_fetch() {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    // Slow enough that every verification arrives while the first fetch is in flight.
    issuer.set_jwks_mode(JwksMode::Slow(Duration::from_millis(300)));
    let verifier = Arc::new(verifier());
    let token = key.sign(&issuer.claims());
    let results = futures_util::future::join_all((0..16).map(|_| {
        let verifier = verifier.clone();
        let token = token.clone();
        let url = issuer.url.clone();
        tokio::spawn(async move { verifier.verify(&token, &url, AUD).await })
    }))
    .await;
    for result in results {
        result.unwrap().unwrap();
    }
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (1, 1));
}

#[tokio::test]
async fn cached_keys_expire_after_the_ttl() {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    let verifier = TokenVerifier::new(VerifierConfig {
        cache_ttl: Duration::ZERO,
        ..test_config()
    })
    .unwrap();
    let token = key.sign(&issuer.claims());
    verifier.verify(&token, &issuer.url, AUD).await.unwrap();
    verifier.verify(&token, &issuer.url, AUD).await.unwrap();
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (2, 2));
}

/// Verifies a valid token against an issuer in `mode` and returns the error.
async fn jwks_failure(mode: JwksMode, config: VerifierConfig) -> (TokenError, TestIssuer) {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    issuer.set_jwks_mode(mode);
    let verifier = TokenVerifier::new(config).unwrap();
    let error = verifier
        .verify(&key.sign(&issuer.claims()), &issuer.url, AUD)
        .await
        .unwrap_err();
    (error, issuer)
}

fn unavailable_reason(error: &TokenError) -> &FetchFailure {
    match error {
        TokenError::IssuerUnavailable { reason, .. } => reason,
        other => panic!("expected IssuerUnavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn jwks_server_error_fails_and_is_remembered() {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    issuer.set_jwks_mode(JwksMode::Status(500));
    let verifier = verifier();
    let token = key.sign(&issuer.claims());
    let error = verifier.verify(&token, &issuer.url, AUD).await.unwrap_err();
    assert_eq!(
        error,
        TokenError::IssuerUnavailable {
            url: format!("{}/jwks", issuer.url),
            reason: FetchFailure::Status(500),
        }
    );
    // Within the refetch interval the failure is answered from memory, even once the
    // issuer has recovered.
    issuer.set_jwks_mode(JwksMode::Normal);
    assert_eq!(
        verifier.verify(&token, &issuer.url, AUD).await.unwrap_err(),
        error
    );
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (1, 1));
    // A verifier that forgets failures at once recovers.
    let forgetful = TokenVerifier::new(VerifierConfig {
        jwks_min_refetch_interval: Duration::ZERO,
        ..test_config()
    })
    .unwrap();
    issuer.set_jwks_mode(JwksMode::Status(503));
    assert_eq!(
        unavailable_reason(
            &forgetful
                .verify(&token, &issuer.url, AUD)
                .await
                .unwrap_err()
        ),
        &FetchFailure::Status(503)
    );
    issuer.set_jwks_mode(JwksMode::Normal);
    assert!(forgetful.verify(&token, &issuer.url, AUD).await.is_ok());
}

#[tokio::test]
async fn slow_jwks_times_out() {
    let config = VerifierConfig {
        fetch_timeout: Duration::from_millis(400),
        ..test_config()
    };
    let started = Instant::now();
    let (error, _issuer) = jwks_failure(JwksMode::Slow(Duration::from_secs(30)), config).await;
    assert_eq!(unavailable_reason(&error), &FetchFailure::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn huge_jwks_with_content_length_is_refused() {
    let (error, _issuer) = jwks_failure(JwksMode::HugeWithLength(1024 * 1024), test_config()).await;
    assert_eq!(
        unavailable_reason(&error),
        &FetchFailure::TooLarge { max: 64 * 1024 }
    );
}

#[tokio::test]
async fn endless_jwks_without_content_length_is_cut_off() {
    let started = Instant::now();
    let (error, _issuer) = jwks_failure(JwksMode::EndlessStream, test_config()).await;
    assert_eq!(
        unavailable_reason(&error),
        &FetchFailure::TooLarge { max: 64 * 1024 }
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_jwks_just_under_the_limit_is_accepted() {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    issuer.set_jwks_mode(JwksMode::HugeWithLength(60 * 1024));
    verifier()
        .verify(&key.sign(&issuer.claims()), &issuer.url, AUD)
        .await
        .unwrap();
}

#[tokio::test]
async fn discovery_redirects_stay_within_the_origin() {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    let elsewhere = TestIssuer::start(&[&key]).await;
    let target = format!("{}/.well-known/openid-configuration", elsewhere.url);
    issuer.set_discovery_mode(DiscoveryMode::RedirectTo(target.clone()));
    let token = key.sign(&issuer.claims());
    let error = verifier()
        .verify(&token, &issuer.url, AUD)
        .await
        .unwrap_err();
    assert_eq!(
        unavailable_reason(&error),
        &FetchFailure::RedirectRefused {
            location: Some(target)
        }
    );
    assert_eq!(elsewhere.discovery_hits(), 0);

    // A redirect to another path of the same origin is followed.
    issuer.set_discovery_mode(DiscoveryMode::RedirectTo(format!(
        "{}/moved/openid-configuration",
        issuer.url
    )));
    verifier().verify(&token, &issuer.url, AUD).await.unwrap();
}

#[tokio::test]
async fn discovery_naming_another_issuer_is_refused() {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    issuer.set_discovery_mode(DiscoveryMode::IssuerIs("https://accounts.example".into()));
    let error = verifier()
        .verify(&key.sign(&issuer.claims()), &issuer.url, AUD)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        TokenError::DiscoveryIssuerMismatch {
            expected: issuer.url.clone(),
            got: "https://accounts.example".into(),
        }
    );
    assert_eq!(issuer.jwks_hits(), 0);
}

#[tokio::test]
async fn jwks_uri_over_http_on_another_host_is_refused() {
    let key = TestKey::es256("k");
    let issuer = TestIssuer::start(&[&key]).await;
    let port = issuer.url.rsplit(':').next().unwrap().to_owned();
    let other_host = format!("http://127.0.0.2:{port}/jwks");
    issuer.set_discovery_mode(DiscoveryMode::JwksUriIs(other_host.clone()));
    let error = verifier()
        .verify(&key.sign(&issuer.claims()), &issuer.url, AUD)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, TokenError::JwksUrlNotAllowed { jwks_uri, .. } if *jwks_uri == other_host),
        "{error:?}"
    );
    assert_eq!(issuer.jwks_hits(), 0);
}

#[tokio::test]
async fn unreachable_and_disallowed_issuers() {
    let key = TestKey::es256("k");
    // Nothing listens on a port that was just released.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut claims = json!({"sub": "s", "aud": AUD, "iat": now(), "exp": now() + 60});
    claims["iss"] = url.clone().into();
    let error = verifier()
        .verify(&key.sign(&claims), &url, AUD)
        .await
        .unwrap_err();
    assert!(
        matches!(unavailable_reason(&error), FetchFailure::Connect(_)),
        "{error:?}"
    );

    // Plain http to a non-loopback host is never fetched.
    claims["iss"] = "http://issuer.example".into();
    assert_eq!(
        verifier()
            .verify(&key.sign(&claims), "http://issuer.example", AUD)
            .await
            .unwrap_err(),
        TokenError::IssuerUrlNotAllowed {
            url: "http://issuer.example".into(),
            reason: "http is allowed only for loopback hosts",
        }
    );
}
