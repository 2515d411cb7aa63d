//! `TokenVerifier` against a real issuer on 127.0.0.1: every token check, data-driven —
//! valid tokens keep all their claims; bad claims, algorithms and shapes are rejected
//! before any fetch; bad signatures and keys after the keys are fetched.

use std::time::{Duration, UNIX_EPOCH};

use crate::support::{b64_json, now, object, verifier, TestIssuer, TestKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use signet_oidc::{peek_issuer, MalformedReason, Part, TokenError};

const AUD: &str = "sigstore";

#[tokio::test]
async fn valid_tokens_return_every_claim_intact() {
    let es = TestKey::es256("es-1");
    let rs = TestKey::rs256("rs-1");
    let issuer = TestIssuer::start(&[&es, &rs]).await;
    let verifier = verifier();
    for key in [&es, &rs] {
        let claims = issuer.claims();
        let token = key.sign(&claims);
        assert_eq!(peek_issuer(&token, &verifier.limits()).unwrap(), issuer.url);
        let verified = verifier.verify(&token, &issuer.url, AUD).await.unwrap();
        assert_eq!(verified.issuer, issuer.url);
        assert_eq!(verified.subject, "repo:octo-org/app:ref:refs/heads/main");
        assert_eq!(verified.expires_at, claims["exp"].as_i64().unwrap());
        assert_eq!(verified.issued_at, claims["iat"].as_i64().unwrap());
        assert_eq!(verified.claims, object(&claims), "{:?}", key.alg);
    }
    // An audience array that contains ours is accepted.
    let mut claims = issuer.claims();
    claims["aud"] = json!(["other-client", "sigstore"]);
    assert!(verifier
        .verify(&es.sign(&claims), &issuer.url, AUD)
        .await
        .is_ok());
    // One discovery and one JWKS fetch served all of it.
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (1, 1));
}

/// What a token case expects.
enum Expect {
    Exactly(TokenError),
    Matches(&'static str, fn(&TokenError) -> bool),
}

fn check(name: &str, result: Result<signet_oidc::VerifiedToken, TokenError>, expect: &Expect) {
    let error = match result {
        Ok(verified) => panic!("{name}: accepted: {verified:?}"),
        Err(error) => error,
    };
    match expect {
        Expect::Exactly(expected) => assert_eq!(&error, expected, "{name}"),
        Expect::Matches(what, predicate) => {
            assert!(predicate(&error), "{name}: expected {what}, got {error:?}");
        }
    }
    // Every rejection explains itself.
    assert!(!error.to_string().is_empty());
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

#[tokio::test]
async fn bad_tokens_are_rejected_before_any_fetch() {
    let rs = TestKey::rs256("rs-1");
    let issuer = TestIssuer::start(&[&rs]).await;
    let verifier = verifier();
    let now = now();
    let good = issuer.claims();
    let leeway_secs = 30;

    let alg_none = format!(
        "{}.{}.",
        b64_json(&json!({"alg": "none", "typ": "JWT"})),
        b64_json(&good)
    );
    // Key confusion: HS256 with the issuer's RSA public key (PEM) as the HMAC secret.
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(rs.kid.clone());
    let hs256 = jsonwebtoken::encode(
        &hs_header,
        &good,
        &EncodingKey::from_secret(rs.public_pem.as_bytes()),
    )
    .unwrap();
    let dots = ".".repeat(10_000);
    let two_megabytes = format!(
        "{}.{}.{}",
        "a".repeat(1_000_000),
        "b".repeat(1_000_000),
        "c"
    );

    let cases: Vec<(&str, String, Expect)> = vec![
        (
            "expired",
            rs.sign(&with(good.clone(), "exp", json!(now - 120))),
            Expect::Exactly(TokenError::Expired {
                exp: now - 120,
                now,
                leeway_secs,
            }),
        ),
        (
            "nbf in the future",
            rs.sign(&with(good.clone(), "nbf", json!(now + 600))),
            Expect::Exactly(TokenError::NotYetValid {
                nbf: now + 600,
                now,
                leeway_secs,
            }),
        ),
        (
            "iat too old",
            rs.sign(&with(good.clone(), "iat", json!(now - 25 * 3600))),
            Expect::Exactly(TokenError::TooOld {
                iat: now - 25 * 3600,
                now,
                max_age_secs: 24 * 3600,
            }),
        ),
        (
            "iat in the future",
            rs.sign(&with(good.clone(), "iat", json!(now + 600))),
            Expect::Exactly(TokenError::IssuedInFuture {
                iat: now + 600,
                now,
                leeway_secs,
            }),
        ),
        (
            "wrong audience",
            rs.sign(&with(good.clone(), "aud", json!("not-sigstore"))),
            Expect::Exactly(TokenError::AudienceMismatch {
                expected: AUD.into(),
                got: vec!["not-sigstore".into()],
            }),
        ),
        (
            "issuer not the configured one",
            rs.sign(&with(good.clone(), "iss", json!("https://evil.example"))),
            Expect::Exactly(TokenError::IssuerMismatch {
                expected: issuer.url.clone(),
                got: "https://evil.example".into(),
            }),
        ),
        (
            "missing sub",
            rs.sign(&without(good.clone(), "sub")),
            Expect::Exactly(TokenError::MissingClaim("sub")),
        ),
        (
            "missing exp",
            rs.sign(&without(good.clone(), "exp")),
            Expect::Exactly(TokenError::MissingClaim("exp")),
        ),
        (
            "missing iat",
            rs.sign(&without(good.clone(), "iat")),
            Expect::Exactly(TokenError::MissingClaim("iat")),
        ),
        (
            "missing iss",
            rs.sign(&without(good.clone(), "iss")),
            Expect::Exactly(TokenError::MissingClaim("iss")),
        ),
        (
            "missing aud",
            rs.sign(&without(good.clone(), "aud")),
            Expect::Exactly(TokenError::MissingClaim("aud")),
        ),
        (
            "alg none",
            alg_none,
            Expect::Exactly(TokenError::AlgorithmNotAllowed { alg: "none".into() }),
        ),
        (
            "HS256 keyed with the public key",
            hs256,
            Expect::Exactly(TokenError::AlgorithmNotAllowed {
                alg: "HS256".into(),
            }),
        ),
        (
            "10,000 dots",
            dots,
            Expect::Exactly(TokenError::Malformed(MalformedReason::PartCount {
                found: 4,
            })),
        ),
        (
            "2 MB token",
            two_megabytes.clone(),
            Expect::Exactly(TokenError::TooLarge {
                bytes: two_megabytes.len(),
                max: 16 * 1024,
            }),
        ),
        (
            "garbage",
            "definitely not a JWT".into(),
            Expect::Exactly(TokenError::Malformed(MalformedReason::PartCount {
                found: 1,
            })),
        ),
        (
            "garbage in three parts",
            "@@@.###.$$$".into(),
            Expect::Exactly(TokenError::Malformed(MalformedReason::Base64 {
                part: Part::Header,
            })),
        ),
        (
            "payload not an object",
            format!(
                "{}.{}.c2ln",
                b64_json(&json!({"alg": "RS256"})),
                b64_json(&json!("iss"))
            ),
            Expect::Exactly(TokenError::Malformed(MalformedReason::NotJsonObject {
                part: Part::Payload,
            })),
        ),
    ];
    // A fixed clock, so the expected errors can name the time.
    let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(now).unwrap());
    for (name, token, expect) in &cases {
        check(
            name,
            verifier.verify_at(token, &issuer.url, AUD, at).await,
            expect,
        );
    }
    // None of them cost a fetch.
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (0, 0));
    // peek_issuer caps size and parts the same way.
    assert!(matches!(
        peek_issuer(&two_megabytes, &verifier.limits()),
        Err(TokenError::TooLarge { .. })
    ));
    assert!(matches!(
        peek_issuer(&".".repeat(10_000), &verifier.limits()),
        Err(TokenError::Malformed(_))
    ));
}

#[tokio::test]
async fn bad_signatures_and_keys_are_rejected_after_fetching_keys() {
    let rs = TestKey::rs256("rs-1");
    let es = TestKey::es256("es-1");
    let issuer = TestIssuer::start(&[&rs, &es]).await;
    issuer.advertise(&["RS256", "ES256"]);
    let verifier = verifier();
    let good = issuer.claims();

    // A different RSA key signing under the issuer's kid.
    let impostor = TestKey::rs256("rs-1");
    let forged = impostor.sign(&good);
    check(
        "RS256 signed by an unknown key with a known kid",
        verifier.verify(&forged, &issuer.url, AUD).await,
        &Expect::Matches("BadSignature", |e| {
            matches!(e, TokenError::BadSignature { .. })
        }),
    );

    // A valid signature over other claims, spliced onto a payload that grants more.
    let signed = rs.sign(&good);
    let parts: Vec<&str> = signed.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64_json(&with(good.clone(), "sub", json!("repo:someone-else/app"))),
        parts[2]
    );
    check(
        "payload changed after signing",
        verifier.verify(&tampered, &issuer.url, AUD).await,
        &Expect::Matches("BadSignature", |e| {
            matches!(e, TokenError::BadSignature { .. })
        }),
    );

    // The ES256 key signing under the RS256 key's kid: the kid's key cannot verify ES256.
    check(
        "kid of a key of another type",
        verifier
            .verify(&es.sign_as(&good, Some(&rs.kid)), &issuer.url, AUD)
            .await,
        &Expect::Matches(
            "NoMatchingKey",
            |e| matches!(e, TokenError::NoMatchingKey { kid: Some(k), alg, .. } if k == "rs-1" && alg == "ES256"),
        ),
    );

    // An algorithm the issuer does not advertise, with a key that would verify it.
    issuer.advertise(&["ES256"]);
    let fresh = crate::support::verifier();
    check(
        "algorithm not advertised",
        fresh.verify(&rs.sign(&good), &issuer.url, AUD).await,
        &Expect::Exactly(TokenError::AlgorithmNotAdvertised {
            alg: "RS256".into(),
            advertised: vec!["ES256".into()],
        }),
    );

    // A token without kid is verified with the one key of its algorithm.
    assert!(fresh
        .verify(&es.sign_as(&good, None), &issuer.url, AUD)
        .await
        .is_ok());
}
