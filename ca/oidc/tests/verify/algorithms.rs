//! Every accepted signature algorithm through the full `TokenVerifier` path (discovery and
//! JWKS from a real issuer on 127.0.0.1, signature checked with aws-lc-rs): valid tokens
//! pass; bad signatures, other issuers' keys, mismatched keys, small RSA keys and unusable
//! JWKS entries are refused with the right error.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use signet_oidc::TokenError;

use crate::support::{object, verifier, TestIssuer, TestKey};

const AUD: &str = "sigstore";

/// The modulus of a 1024-bit RSA key (made with OpenSSL; `e` is AQAB).
const RSA_1024_N: &str = "quUgNO2q8T2DSsloPVQqOg4xGWYduUt9N6ZSMcjrEDUyQ1-p1fjXx2qp2fq-GMuQI4t-ztyJ7bdZ3Gr01S8W3WIPg4XnJejY6xfdNobNaxhFLvE9xehqvUFuWsKMkN1Jj6nMfWfkVg3aDSWX0656hFVVf8fL_rTnA4G3nKt55lM";

/// One key per accepted algorithm family member under test, kids named after them.
fn keys() -> [TestKey; 5] {
    [
        TestKey::rs256("rs256"),
        TestKey::ps256("ps256"),
        TestKey::es256("es256"),
        TestKey::es384("es384"),
        TestKey::ed25519("eddsa"),
    ]
}

/// `token` with one bit of its decoded signature flipped (flipping a base64url character
/// could touch only padding bits).
fn flip_signature_bit(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn bad_signature(result: Result<signet_oidc::VerifiedToken, TokenError>) -> String {
    match result {
        Err(TokenError::BadSignature { reason }) => reason,
        other => panic!("expected BadSignature, got {other:?}"),
    }
}

fn no_matching_key(result: Result<signet_oidc::VerifiedToken, TokenError>, kid: &str, alg: &str) {
    match result {
        Err(TokenError::NoMatchingKey {
            kid: Some(k),
            alg: a,
            ..
        }) if k == kid && a == alg => {}
        other => panic!("expected NoMatchingKey for {kid}/{alg}, got {other:?}"),
    }
}

#[tokio::test]
async fn every_algorithm_verifies_and_a_flipped_bit_or_another_issuers_key_fails() {
    let ours = keys();
    let theirs = keys(); // another issuer's keys, with the same kids
    let issuer = TestIssuer::start(&ours.iter().collect::<Vec<_>>()).await;
    let other_issuer = TestIssuer::start(&theirs.iter().collect::<Vec<_>>()).await;
    let verifier = verifier();

    for (key, foreign) in ours.iter().zip(&theirs) {
        let alg = format!("{:?}", key.alg);
        let claims = issuer.claims();
        let token = key.sign(&claims);
        let verified = verifier.verify(&token, &issuer.url, AUD).await;
        let verified = verified.unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.claims, object(&claims), "{alg}");

        let reason = bad_signature(
            verifier
                .verify(&flip_signature_bit(&token), &issuer.url, AUD)
                .await,
        );
        assert!(
            reason.contains(&alg) && reason.contains("does not verify"),
            "{alg}: {reason}"
        );

        // The other issuer's key (same kid and algorithm) signing our issuer's claims.
        let forged = foreign.sign(&claims);
        bad_signature(verifier.verify(&forged, &issuer.url, AUD).await);
        // ...whereas it does sign for its own issuer.
        let own = foreign.sign(&other_issuer.claims());
        assert!(
            verifier.verify(&own, &other_issuer.url, AUD).await.is_ok(),
            "{alg}"
        );
    }
    // One discovery and JWKS fetch per issuer served everything.
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (1, 1));
}

#[tokio::test]
async fn keys_that_do_not_fit_the_algorithm_are_refused() {
    let es256 = TestKey::es256("es256");
    let es384 = TestKey::es384("es384");
    let ed = TestKey::ed25519("eddsa");
    let rs = TestKey::rs256("rs256");
    let issuer = TestIssuer::start(&[&es256, &es384, &ed, &rs]).await;
    issuer.advertise(&["ES256", "ES384", "EdDSA", "RS256", "PS256"]);
    // A P-384 key without `alg`: openidconnect selects it for ES256 (kty EC), the curve
    // check refuses it.
    issuer.publish_json(es384.jwk_without_alg("p384-no-alg"));
    // A 1024-bit RSA key (RFC 7518 §3.3 requires 2048 bits or more).
    issuer.publish_json(json!({
        "kty": "RSA", "use": "sig", "kid": "rs-1024", "n": RSA_1024_N, "e": "AQAB",
    }));
    let verifier = verifier();
    let claims = issuer.claims();

    let reason = bad_signature(
        verifier
            .verify(
                &es256.sign_as(&claims, Some("p384-no-alg")),
                &issuer.url,
                AUD,
            )
            .await,
    );
    assert!(
        reason.contains("needs an EC key on P-256") && reason.contains("P-384"),
        "{reason}"
    );

    let reason = bad_signature(
        verifier
            .verify(&rs.sign_as(&claims, Some("rs-1024")), &issuer.url, AUD)
            .await,
    );
    assert!(
        reason.contains("1024 bits") && reason.contains("2048"),
        "{reason}"
    );

    // The JWK's `alg` says ES384: not a candidate for ES256 at all.
    no_matching_key(
        verifier
            .verify(&es256.sign_as(&claims, Some("es384")), &issuer.url, AUD)
            .await,
        "es384",
        "ES256",
    );
    // Key type and algorithm disagree.
    no_matching_key(
        verifier
            .verify(&ed.sign_as(&claims, Some("es256")), &issuer.url, AUD)
            .await,
        "es256",
        "EdDSA",
    );
    no_matching_key(
        verifier
            .verify(&rs.sign_as(&claims, Some("eddsa")), &issuer.url, AUD)
            .await,
        "eddsa",
        "RS256",
    );
    no_matching_key(
        verifier
            .verify(&es256.sign_as(&claims, Some("rs256")), &issuer.url, AUD)
            .await,
        "rs256",
        "ES256",
    );
    // The RSA key's JWK says RS256; a PS256 signature by that very key is not accepted.
    no_matching_key(
        verifier
            .verify(
                &rs.sign_with(Algorithm::PS256, &claims, Some("rs256")),
                &issuer.url,
                AUD,
            )
            .await,
        "rs256",
        "PS256",
    );

    // The same keys still verify their own tokens.
    for key in [&es256, &es384, &ed, &rs] {
        assert!(verifier
            .verify(&key.sign(&claims), &issuer.url, AUD)
            .await
            .is_ok());
    }
}

#[tokio::test]
async fn a_jwks_with_unusable_entries_still_serves_its_good_keys() {
    let es256 = TestKey::es256("es256");
    let ed = TestKey::ed25519("eddsa");
    let issuer = TestIssuer::start(&[]).await;
    issuer.advertise(&["ES256", "EdDSA"]);
    let odd: [Value; 6] = [
        json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}),
        json!({"kty": "XYZ", "kid": "future"}),
        json!({"kty": "EC", "crv": "P-256", "kid": "broken", "x": "AA", "y": "AA"}),
        json!({"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"}),
        json!({"kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": "AA"}),
        json!("not a key"),
    ];
    for jwk in odd {
        issuer.publish_json(jwk);
    }
    issuer.publish(&es256);
    issuer.publish(&ed);
    let verifier = verifier();
    let claims = issuer.claims();

    for key in [&es256, &ed] {
        let verified = verifier.verify(&key.sign(&claims), &issuer.url, AUD).await;
        assert_eq!(verified.unwrap().claims, object(&claims));
    }
    // An entry openidconnect cannot parse is skipped: its kid is unknown.
    assert_eq!(
        verifier
            .verify(&es256.sign_as(&claims, Some("future")), &issuer.url, AUD)
            .await,
        Err(TokenError::UnknownKey {
            kid: "future".into()
        })
    );
    // An entry that parses but whose material is unusable is kept, and says what is wrong.
    let reason = bad_signature(
        verifier
            .verify(&es256.sign_as(&claims, Some("broken")), &issuer.url, AUD)
            .await,
    );
    assert!(
        reason.contains("key `broken`") && reason.contains("`x` is 1 bytes"),
        "{reason}"
    );
    let reason = bad_signature(
        verifier
            .verify(&ed.sign_as(&claims, Some("ed448")), &issuer.url, AUD)
            .await,
    );
    assert!(reason.contains("key `ed448`"), "{reason}");
}
