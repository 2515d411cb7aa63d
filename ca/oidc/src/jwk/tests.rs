//! [`AwsLcJsonWebKey`] against keys and signatures made by another library (`jsonwebtoken`,
//! itself on aws-lc-rs), cross-checked with openidconnect's own `CoreJsonWebKey`.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
};
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openidconnect::core::CoreIdToken;
use openidconnect::{
    ClaimsVerificationError, ClientId, IdTokenVerifier, IssuerUrl, JsonWebKeySet, Nonce,
};
use serde_json::json;

use super::*;

const MESSAGE: &[u8] = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0";

/// A private key that signs with `jsonwebtoken`, and its public JWK without `alg` (so one
/// RSA key serves all six RSA algorithms, and mismatches reach `verify_signature`).
struct Signer {
    encoding: EncodingKey,
    jwk: Value,
}

impl Signer {
    fn new(alg: Algorithm) -> Signer {
        let encoding = match alg {
            Algorithm::ES256 => ec(&ECDSA_P256_SHA256_FIXED_SIGNING),
            Algorithm::ES384 => ec(&ECDSA_P384_SHA384_FIXED_SIGNING),
            Algorithm::EdDSA => {
                let pair = Ed25519KeyPair::generate().unwrap();
                EncodingKey::from_ed_der(pair.to_pkcs8v1().unwrap().as_ref())
            }
            _ => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
                let pkcs8: Pkcs8V1Der = pair.as_der().unwrap();
                let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec()));
                EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
            }
        };
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&encoding, alg).unwrap()).unwrap();
        jwk.as_object_mut().unwrap().remove("alg");
        jwk["kid"] = json!(format!("{alg:?}"));
        Signer { encoding, jwk }
    }

    fn sign(&self, alg: Algorithm, message: &[u8]) -> Vec<u8> {
        let b64 = jsonwebtoken::crypto::sign(message, &self.encoding, alg).unwrap();
        URL_SAFE_NO_PAD.decode(b64).unwrap()
    }

    fn key(&self) -> AwsLcJsonWebKey {
        serde_json::from_value(self.jwk.clone()).unwrap()
    }

    /// A token with `claims`, naming this key's kid.
    fn token(&self, alg: Algorithm, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = self.jwk["kid"].as_str().map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

fn ec(alg: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm) -> EncodingKey {
    let pair = EcdsaKeyPair::generate(alg).unwrap();
    EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref())
}

/// openidconnect's algorithm value for a JOSE name.
fn core_alg(name: &str) -> CoreJwsSigningAlgorithm {
    serde_json::from_value(json!(name)).unwrap()
}

fn name(alg: Algorithm) -> String {
    format!("{alg:?}")
}

fn flipped(signature: &[u8]) -> Vec<u8> {
    let mut bad = signature.to_vec();
    let middle = bad.len() / 2;
    bad[middle] ^= 0x01;
    bad
}

fn invalid_key(result: Result<(), SignatureVerificationError>) -> String {
    match result {
        Err(SignatureVerificationError::InvalidKey(reason)) => reason,
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

fn crypto_error(result: Result<(), SignatureVerificationError>) -> String {
    match result {
        Err(SignatureVerificationError::CryptoError(reason)) => reason,
        other => panic!("expected CryptoError, got {other:?}"),
    }
}

const RSA_ALGS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

#[test]
fn every_algorithm_verifies_and_agrees_with_openidconnect() {
    let rsa = Signer::new(Algorithm::RS256);
    let es256 = Signer::new(Algorithm::ES256);
    let es384 = Signer::new(Algorithm::ES384);
    let ed = Signer::new(Algorithm::EdDSA);
    let cases = RSA_ALGS.iter().map(|alg| (*alg, &rsa)).chain([
        (Algorithm::ES256, &es256),
        (Algorithm::ES384, &es384),
        (Algorithm::EdDSA, &ed),
    ]);
    for (alg, signer) in cases {
        let what = name(alg);
        let core_alg = core_alg(&what);
        let signature = signer.sign(alg, MESSAGE);
        let ours = signer.key();
        let theirs: CoreJsonWebKey = serde_json::from_value(signer.jwk.clone()).unwrap();

        assert_eq!(
            ours.verify_signature(&core_alg, MESSAGE, &signature),
            Ok(()),
            "{what}"
        );
        assert_eq!(
            theirs.verify_signature(&core_alg, MESSAGE, &signature),
            Ok(()),
            "{what}"
        );

        let reason = crypto_error(ours.verify_signature(&core_alg, MESSAGE, &flipped(&signature)));
        assert!(
            reason.contains(&what) && reason.contains("does not verify"),
            "{reason}"
        );
        assert!(theirs
            .verify_signature(&core_alg, MESSAGE, &flipped(&signature))
            .is_err());
        crypto_error(ours.verify_signature(&core_alg, b"another message", &signature));
        // Signed by another key of the same kind (the key of another issuer).
        let other = Signer::new(alg);
        crypto_error(ours.verify_signature(&core_alg, MESSAGE, &other.sign(alg, MESSAGE)));
    }
}

#[test]
fn an_rsa_signature_does_not_verify_under_another_rsa_scheme() {
    let rsa = Signer::new(Algorithm::RS256);
    let key = rsa.key();
    let pkcs1 = rsa.sign(Algorithm::RS256, MESSAGE);
    crypto_error(key.verify_signature(&core_alg("PS256"), MESSAGE, &pkcs1));
    crypto_error(key.verify_signature(&core_alg("RS384"), MESSAGE, &pkcs1));
    let pss = rsa.sign(Algorithm::PS256, MESSAGE);
    crypto_error(key.verify_signature(&core_alg("RS256"), MESSAGE, &pss));
}

#[test]
fn algorithm_and_key_must_agree() {
    let rsa = Signer::new(Algorithm::RS256);
    let p256 = Signer::new(Algorithm::ES256);
    let p384 = Signer::new(Algorithm::ES384);
    let ed = Signer::new(Algorithm::EdDSA);

    // ES256 against a P-384 key, and ES384 against a P-256 key: the curve is the key's.
    let es256_sig = p256.sign(Algorithm::ES256, MESSAGE);
    let reason = invalid_key(
        p384.key()
            .verify_signature(&core_alg("ES256"), MESSAGE, &es256_sig),
    );
    assert!(
        reason.contains("P-256") && reason.contains("P-384"),
        "{reason}"
    );
    let es384_sig = p384.sign(Algorithm::ES384, MESSAGE);
    let reason = invalid_key(
        p256.key()
            .verify_signature(&core_alg("ES384"), MESSAGE, &es384_sig),
    );
    assert!(reason.contains("needs an EC key on P-384"), "{reason}");

    // Wrong key type for the algorithm.
    let rs_sig = rsa.sign(Algorithm::RS256, MESSAGE);
    let ed_sig = ed.sign(Algorithm::EdDSA, MESSAGE);
    for (key, alg, signature) in [
        (p256.key(), "RS256", &rs_sig),
        (ed.key(), "PS256", &rs_sig),
        (rsa.key(), "ES256", &es256_sig),
        (ed.key(), "ES256", &es256_sig),
        (p256.key(), "EdDSA", &ed_sig),
        (rsa.key(), "EdDSA", &ed_sig),
    ] {
        let reason = invalid_key(key.verify_signature(&core_alg(alg), MESSAGE, signature));
        assert!(reason.contains("`kty`"), "{alg}: {reason}");
    }

    // The key's own `alg` (RFC 7517 §4.4) restricts it.
    let mut restricted = rsa.jwk.clone();
    restricted["alg"] = json!("RS256");
    let restricted: AwsLcJsonWebKey = serde_json::from_value(restricted).unwrap();
    assert_eq!(
        restricted.verify_signature(&core_alg("RS256"), MESSAGE, &rs_sig),
        Ok(())
    );
    let ps_sig = rsa.sign(Algorithm::PS256, MESSAGE);
    let reason = invalid_key(restricted.verify_signature(&core_alg("PS256"), MESSAGE, &ps_sig));
    assert!(reason.contains("another algorithm"), "{reason}");

    // An encryption key (RFC 7517 §4.2) verifies nothing.
    let mut enc = p256.jwk.clone();
    enc["use"] = json!("enc");
    let enc: AwsLcJsonWebKey = serde_json::from_value(enc).unwrap();
    let reason = invalid_key(enc.verify_signature(&core_alg("ES256"), MESSAGE, &es256_sig));
    assert!(reason.contains("`use`"), "{reason}");
}

#[test]
fn hmac_es512_and_none_are_unsupported() {
    let oct: AwsLcJsonWebKey =
        serde_json::from_value(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"})).unwrap();
    let p256 = Signer::new(Algorithm::ES256).key();
    for (key, alg) in [
        (&oct, "HS256"),
        (&oct, "HS512"),
        (&p256, "ES512"),
        (&p256, "none"),
    ] {
        assert_eq!(
            key.verify_signature(&core_alg(alg), MESSAGE, b"anything"),
            Err(SignatureVerificationError::UnsupportedAlg(alg.to_owned())),
        );
    }
    // Neither does the key openidconnect would build from a client secret.
    let symmetric = AwsLcJsonWebKey::new_symmetric(b"secret".to_vec());
    assert!(symmetric
        .verify_signature(&core_alg("HS256"), MESSAGE, b"x")
        .is_err());
}

#[test]
fn ecdsa_and_eddsa_signatures_must_be_fixed_width() {
    let p256 = Signer::new(Algorithm::ES256);
    let signature = p256.sign(Algorithm::ES256, MESSAGE);
    assert_eq!(signature.len(), 64);
    let mut long = signature.clone();
    long.push(0);
    let reason = crypto_error(
        p256.key()
            .verify_signature(&core_alg("ES256"), MESSAGE, &long),
    );
    assert!(reason.contains("65 bytes, expected 64"), "{reason}");
    crypto_error(
        p256.key()
            .verify_signature(&core_alg("ES256"), MESSAGE, &[]),
    );

    // An ASN.1 DER signature (not JWS's r || s, RFC 7518 §3.4) by the right key is refused.
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let der = pair.sign(&SystemRandom::new(), MESSAGE).unwrap();
    let key = AwsLcJsonWebKey::from_core(CoreJsonWebKey::new_ec(
        point[1..33].to_vec(),
        point[33..].to_vec(),
        openidconnect::core::CoreJsonCurveType::P256,
        None,
    ));
    assert!(key
        .verify_signature(&core_alg("ES256"), MESSAGE, der.as_ref())
        .is_err());

    let ed = Signer::new(Algorithm::EdDSA);
    let short = &ed.sign(Algorithm::EdDSA, MESSAGE)[..63];
    let reason = crypto_error(
        ed.key()
            .verify_signature(&core_alg("EdDSA"), MESSAGE, short),
    );
    assert!(reason.contains("63 bytes, expected 64"), "{reason}");
}

#[test]
fn rsa_modulus_with_a_leading_zero_octet_is_accepted() {
    // RFC 7518 §6.3.1.1 notes some libraries prefix the modulus with a zero octet.
    let rsa = Signer::new(Algorithm::RS256);
    let n = URL_SAFE_NO_PAD
        .decode(rsa.jwk["n"].as_str().unwrap())
        .unwrap();
    let mut padded = rsa.jwk.clone();
    padded["n"] = json!(URL_SAFE_NO_PAD.encode([&[0u8][..], &n].concat()));
    let key: AwsLcJsonWebKey = serde_json::from_value(padded).unwrap();
    assert!(
        matches!(key.0.key, VerificationKey::Rsa { bits: 2048, .. }),
        "{key:?}"
    );
    let signature = rsa.sign(Algorithm::RS256, MESSAGE);
    assert_eq!(
        key.verify_signature(&core_alg("RS256"), MESSAGE, &signature),
        Ok(())
    );
}

/// A 1024-bit RSA key and an RS256 token it signed (made with OpenSSL; aws-lc-rs signs only
/// with 2048 bits or more): `iss` https://issuer.example, `aud` sigstore, `iat` 1700000000,
/// `exp` 1700000300.
const RSA_1024_N: &str = "quUgNO2q8T2DSsloPVQqOg4xGWYduUt9N6ZSMcjrEDUyQ1-p1fjXx2qp2fq-GMuQI4t-ztyJ7bdZ3Gr01S8W3WIPg4XnJejY6xfdNobNaxhFLvE9xehqvUFuWsKMkN1Jj6nMfWfkVg3aDSWX0656hFVVf8fL_rTnA4G3nKt55lM";
const RSA_1024_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS0xMDI0In0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoibGVnYWN5IiwiYXVkIjoic2lnc3RvcmUiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0.XFImZtJipKUcOz0uE3t4E8fGugTHgSRWr3iHJ9vxoABuaDKq321_V7p72ctjOOBA4FEtlOpDj8jANKkGKk3V0Q8KeVUnbDAU81jH5KkrBO83bGM1QI1gPVEMHUxJbuQcnz-Y_nqHFVdWrWSAvPZ6K80EUcuWjC7SvgFT7P-lDHc";
const FIXTURE_ISSUER: &str = "https://issuer.example";

/// An ID-token verifier over `keys` as `TokenVerifier` builds one, at `now`.
fn id_token_verifier(
    keys: Vec<AwsLcJsonWebKey>,
    alg: &str,
    now: i64,
) -> IdTokenVerifier<'static, AwsLcJsonWebKey> {
    let time = DateTime::<Utc>::from_timestamp(now, 0).unwrap();
    IdTokenVerifier::new_public_client(
        ClientId::new("sigstore".to_owned()),
        IssuerUrl::new(FIXTURE_ISSUER.to_owned()).unwrap(),
        JsonWebKeySet::new(keys),
    )
    .set_allowed_algs([core_alg(alg)])
    .allow_all_jose_types()
    .set_time_fn(move || time)
}

fn claims_of(
    token: &str,
    verifier: &IdTokenVerifier<'_, AwsLcJsonWebKey>,
) -> Result<String, ClaimsVerificationError> {
    let token: CoreIdToken = token.parse().unwrap();
    let no_nonce = |_: Option<&Nonce>| Ok(());
    token
        .claims(verifier, no_nonce)
        .map(|claims| claims.subject().as_str().to_owned())
}

#[test]
fn a_1024_bit_rsa_key_is_refused_though_its_signature_is_valid() {
    let (signing_input, signature) = RSA_1024_TOKEN.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let n = URL_SAFE_NO_PAD.decode(RSA_1024_N).unwrap();
    // Control: the signature is good, by aws-lc-rs's legacy 1024-bit verifier.
    let components = RsaPublicKeyComponents {
        n: n.as_slice(),
        e: &[1u8, 0, 1][..],
    };
    components
        .verify(
            &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            signing_input.as_bytes(),
            &signature,
        )
        .unwrap();

    let key: AwsLcJsonWebKey = serde_json::from_value(
        json!({"kty": "RSA", "kid": "rsa-1024", "use": "sig", "n": RSA_1024_N, "e": "AQAB"}),
    )
    .unwrap();
    let reason =
        invalid_key(key.verify_signature(&core_alg("RS256"), signing_input.as_bytes(), &signature));
    assert!(
        reason.contains("1024 bits") && reason.contains("2048"),
        "{reason}"
    );

    // Through openidconnect's ID-token verifier, at a time the token is valid.
    let verifier = id_token_verifier(vec![key], "RS256", 1_700_000_100);
    match claims_of(RSA_1024_TOKEN, &verifier) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::InvalidKey(reason),
        )) => assert!(reason.contains("1024 bits"), "{reason}"),
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

#[test]
fn id_token_verifier_uses_this_key_type_for_every_algorithm() {
    let now = 1_800_000_000;
    let claims = json!({
        "iss": FIXTURE_ISSUER, "sub": "alice", "aud": "sigstore",
        "iat": now, "exp": now + 300,
    });
    let (rsa, p256, p384, ed) = (
        Signer::new(Algorithm::RS256),
        Signer::new(Algorithm::ES256),
        Signer::new(Algorithm::ES384),
        Signer::new(Algorithm::EdDSA),
    );
    let keys = vec![rsa.key(), p256.key(), p384.key(), ed.key()];
    let signers = [
        (Algorithm::PS256, &rsa),
        (Algorithm::RS256, &rsa),
        (Algorithm::ES256, &p256),
        (Algorithm::ES384, &p384),
        (Algorithm::EdDSA, &ed),
    ];
    for (alg, signer) in signers {
        let what = name(alg);
        let verifier = id_token_verifier(keys.clone(), &what, now);
        let token = signer.token(alg, &claims);
        assert_eq!(claims_of(&token, &verifier).unwrap(), "alice", "{what}");

        let (input, signature) = token.rsplit_once('.').unwrap();
        let bad = URL_SAFE_NO_PAD.encode(flipped(&URL_SAFE_NO_PAD.decode(signature).unwrap()));
        match claims_of(&format!("{input}.{bad}"), &verifier) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::CryptoError(_),
            )) => {}
            other => panic!("{what}: flipped signature gave {other:?}"),
        }
    }
}

#[test]
fn unusable_keys_deserialize_but_verify_nothing() {
    let p256 = Signer::new(Algorithm::ES256);
    let x = p256.jwk["x"].as_str().unwrap();
    let y = p256.jwk["y"].as_str().unwrap();
    let short = URL_SAFE_NO_PAD.encode([7u8; 31]);
    let ones = URL_SAFE_NO_PAD.encode([1u8; 32]);
    let cases = [
        (
            json!({"kty": "EC", "crv": "P-256", "x": short, "y": y}),
            "`x` is 31 bytes",
        ),
        (
            json!({"kty": "EC", "crv": "P-256", "x": x}),
            "`y` is missing",
        ),
        (
            json!({"kty": "EC", "crv": "P-256", "x": ones, "y": ones}),
            "not a valid P-256",
        ),
        (
            json!({"kty": "EC", "crv": "P-384", "x": x, "y": y}),
            "P-384 coordinates are 48",
        ),
        (
            json!({"kty": "EC", "crv": "P-521", "x": x, "y": y}),
            "`P-521` is not supported",
        ),
        (
            json!({"kty": "EC", "crv": "secp256k1", "x": x, "y": y}),
            "no supported `crv`",
        ),
        (json!({"kty": "RSA", "e": "AQAB"}), "`n` is missing"),
        (
            json!({"kty": "RSA", "n": RSA_1024_N, "e": "AQAB"}),
            "1024 bits",
        ),
        (
            json!({"kty": "RSA", "n": "!!", "e": "AQAB"}),
            "`n` is missing",
        ),
        (
            json!({"kty": "OKP", "crv": "Ed25519", "x": short}),
            "`x` is 31 bytes",
        ),
        (
            json!({"kty": "OKP", "crv": "X25519", "x": x}),
            "no supported `crv`",
        ),
        (json!({"kty": "oct", "k": "c2VjcmV0"}), "symmetric"),
    ];
    for (jwk, expected) in cases {
        let key: AwsLcJsonWebKey = serde_json::from_value(jwk.clone()).unwrap();
        match &key.0.key {
            VerificationKey::Unusable(reason) => {
                assert!(reason.contains(expected), "{jwk}: {reason}");
            }
            other => panic!("{jwk}: decoded as {other:?}"),
        }
        let alg = match jwk["kty"].as_str().unwrap() {
            "EC" => "ES256",
            "RSA" => "RS256",
            "OKP" => "EdDSA",
            _ => continue, // oct: HMAC is unsupported before the key is looked at
        };
        let reason = invalid_key(key.verify_signature(&core_alg(alg), MESSAGE, &[0; 64]));
        assert!(reason.contains(expected), "{jwk}: {reason}");
    }
    // A key type openidconnect does not know fails to parse (and a set skips it).
    assert!(serde_json::from_value::<AwsLcJsonWebKey>(json!({"kty": "XYZ"})).is_err());
}

#[test]
fn a_set_with_odd_keys_still_verifies_the_good_ones() {
    let now = 1_800_000_000;
    let claims = json!({
        "iss": FIXTURE_ISSUER, "sub": "bob", "aud": "sigstore", "iat": now, "exp": now + 60,
    });
    let good = Signer::new(Algorithm::ES256);
    let jwks = json!({"keys": [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {"kty": "XYZ", "kid": "future"},
        {"kty": "EC", "crv": "P-256", "kid": "broken", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "small", "n": RSA_1024_N, "e": "AQAB"},
        "not even an object",
        good.jwk,
    ]});
    let set: JsonWebKeySet<AwsLcJsonWebKey> = serde_json::from_value(jwks).unwrap();
    let kids: Vec<&str> = set
        .keys()
        .iter()
        .filter_map(|k| k.key_id().map(|kid| kid.as_str()))
        .collect();
    assert_eq!(kids, ["hmac", "broken", "small", "ES256"]);

    let verifier = id_token_verifier(set.keys().clone(), "ES256", now);
    let token = good.token(Algorithm::ES256, &claims);
    assert_eq!(claims_of(&token, &verifier).unwrap(), "bob");
    // Without a kid, the one usable-looking EC key besides it makes the choice ambiguous,
    // exactly as with openidconnect's own key type.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = None;
    let no_kid = jsonwebtoken::encode(&header, &claims, &good.encoding).unwrap();
    assert!(matches!(
        claims_of(&no_kid, &verifier),
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::AmbiguousKeyId(_)
        ))
    ));
    // Naming the broken key fails on that key, saying why.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("broken".to_owned());
    let broken = jsonwebtoken::encode(&header, &claims, &good.encoding).unwrap();
    match claims_of(&broken, &verifier) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::InvalidKey(reason),
        )) => assert!(
            reason.contains("key `broken`") && reason.contains("`x` is 1 bytes"),
            "{reason}"
        ),
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

#[test]
fn serialises_as_openidconnect_and_clones_share_the_parsed_key() {
    for alg in [Algorithm::RS256, Algorithm::ES384, Algorithm::EdDSA] {
        let signer = Signer::new(alg);
        let ours = signer.key();
        let theirs: CoreJsonWebKey = serde_json::from_value(signer.jwk.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&ours).unwrap(),
            serde_json::to_value(&theirs).unwrap()
        );
        assert_eq!(ours.key_id(), theirs.key_id());
        assert_eq!(ours.key_type(), theirs.key_type());
        let clone = ours.clone();
        assert!(Arc::ptr_eq(&ours.0, &clone.0));
    }
}

#[test]
fn hash_bytes_uses_the_algorithms_hash() {
    let p256 = Signer::new(Algorithm::ES256).key();
    let p384 = Signer::new(Algorithm::ES384).key();
    let ed = Signer::new(Algorithm::EdDSA).key();
    let rsa = Signer::new(Algorithm::RS256).key();
    let expect = |alg: &'static digest::Algorithm| digest::digest(alg, MESSAGE).as_ref().to_vec();
    assert_eq!(
        p256.hash_bytes(MESSAGE, &core_alg("ES256")),
        Ok(expect(&digest::SHA256))
    );
    assert_eq!(
        p384.hash_bytes(MESSAGE, &core_alg("ES384")),
        Ok(expect(&digest::SHA384))
    );
    assert_eq!(
        ed.hash_bytes(MESSAGE, &core_alg("EdDSA")),
        Ok(expect(&digest::SHA512))
    );
    assert_eq!(
        rsa.hash_bytes(MESSAGE, &core_alg("PS384")),
        Ok(expect(&digest::SHA384))
    );
    assert_eq!(
        rsa.hash_bytes(MESSAGE, &core_alg("RS512")),
        Ok(expect(&digest::SHA512))
    );
    assert!(p256.hash_bytes(MESSAGE, &core_alg("EdDSA")).is_err());
    assert!(rsa.hash_bytes(MESSAGE, &core_alg("ES256")).is_err());
}
