//! A real OIDC issuer on 127.0.0.1 whose behaviour each test controls, and the keys that
//! sign its tokens. Tokens are signed with `jsonwebtoken` (a different JWT library from the
//! verifier's `openidconnect`), except the deliberately malformed ones.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, RsaKeyPair,
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Map, Value};
use signet_oidc::{TokenVerifier, VerifierConfig};

pub fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A signing key with its public JWK.
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    pub jwk: Value,
    /// SPKI PEM of the public key (what an HS256 key-confusion attack uses as the secret).
    pub public_pem: String,
}

impl TestKey {
    pub fn es256(kid: &str) -> Self {
        Self::ecdsa(kid, Algorithm::ES256, &ECDSA_P256_SHA256_FIXED_SIGNING)
    }

    pub fn es384(kid: &str) -> Self {
        Self::ecdsa(kid, Algorithm::ES384, &ECDSA_P384_SHA384_FIXED_SIGNING)
    }

    fn ecdsa(kid: &str, alg: Algorithm, signing: &'static EcdsaSigningAlgorithm) -> Self {
        let pair = EcdsaKeyPair::generate(signing).unwrap();
        let pkcs8 = pair.to_pkcs8v1().unwrap();
        let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
        Self::finish(
            kid,
            alg,
            EncodingKey::from_ec_der(pkcs8.as_ref()),
            spki.as_ref(),
        )
    }

    pub fn ed25519(kid: &str) -> Self {
        let pair = Ed25519KeyPair::generate().unwrap();
        let pkcs8 = pair.to_pkcs8v1().unwrap();
        let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
        Self::finish(
            kid,
            Algorithm::EdDSA,
            EncodingKey::from_ed_der(pkcs8.as_ref()),
            spki.as_ref(),
        )
    }

    pub fn rs256(kid: &str) -> Self {
        Self::rsa(kid, Algorithm::RS256)
    }

    pub fn ps256(kid: &str) -> Self {
        Self::rsa(kid, Algorithm::PS256)
    }

    fn rsa(kid: &str, alg: Algorithm) -> Self {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs8: Pkcs8V1Der = pair.as_der().unwrap();
        let private_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec()));
        let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
        let encoding = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
        Self::finish(kid, alg, encoding, spki.as_ref())
    }

    /// This key's public JWK without its `alg` member (which RFC 7517 §4.4 makes optional),
    /// under another kid.
    pub fn jwk_without_alg(&self, kid: &str) -> Value {
        let mut jwk = self.jwk.clone();
        jwk.as_object_mut().unwrap().remove("alg");
        jwk["kid"] = kid.into();
        jwk
    }

    /// Signs `claims` with this key under algorithm `alg` (which must suit the key).
    pub fn sign_with(&self, alg: Algorithm, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    fn finish(kid: &str, alg: Algorithm, encoding: EncodingKey, spki: &[u8]) -> Self {
        let mut jwk = Jwk::from_encoding_key(&encoding, alg).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        TestKey {
            kid: kid.to_owned(),
            alg,
            encoding,
            jwk: serde_json::to_value(&jwk).unwrap(),
            public_pem: pem::encode(&pem::Pem::new("PUBLIC KEY", spki.to_vec())),
        }
    }

    /// Signs `claims` with this key, naming its own kid.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(claims, Some(&self.kid))
    }

    /// Signs `claims` with this key, naming `kid` (or none).
    pub fn sign_as(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(self.alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// Base64url JSON, for the hand-built malformed tokens.
pub fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[derive(Clone, Debug)]
pub enum JwksMode {
    Normal,
    Status(u16),
    /// Answers normally after the delay.
    Slow(Duration),
    /// A body of this many bytes with a truthful Content-Length.
    HugeWithLength(usize),
    /// An endless chunked body without Content-Length.
    EndlessStream,
}

#[derive(Clone, Debug)]
pub enum DiscoveryMode {
    Normal,
    /// 302 to this URL.
    RedirectTo(String),
    /// The document names this issuer instead of the real one.
    IssuerIs(String),
    /// The document names this jwks_uri.
    JwksUriIs(String),
}

struct IssuerState {
    issuer: String,
    keys: Mutex<Vec<Value>>,
    algs: Mutex<Vec<String>>,
    jwks_mode: Mutex<JwksMode>,
    discovery_mode: Mutex<DiscoveryMode>,
    discovery_hits: AtomicUsize,
    jwks_hits: AtomicUsize,
}

/// An OIDC issuer served by axum on an ephemeral port of 127.0.0.1.
pub struct TestIssuer {
    pub url: String,
    state: Arc<IssuerState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestIssuer {
    /// Starts an issuer publishing `keys` and advertising their algorithms.
    pub async fn start(keys: &[&TestKey]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut algs: Vec<String> = keys.iter().map(|k| format!("{:?}", k.alg)).collect();
        algs.dedup();
        let state = Arc::new(IssuerState {
            issuer: url.clone(),
            keys: Mutex::new(keys.iter().map(|k| k.jwk.clone()).collect()),
            algs: Mutex::new(algs),
            jwks_mode: Mutex::new(JwksMode::Normal),
            discovery_mode: Mutex::new(DiscoveryMode::Normal),
            discovery_hits: AtomicUsize::new(0),
            jwks_hits: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/moved/openid-configuration", get(discovery_document))
            .route("/jwks", get(jwks))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestIssuer { url, state, task }
    }

    pub fn publish(&self, key: &TestKey) {
        self.state.keys.lock().unwrap().push(key.jwk.clone());
    }

    /// Adds any JSON value to the JWKS `keys` array.
    pub fn publish_json(&self, jwk: Value) {
        self.state.keys.lock().unwrap().push(jwk);
    }

    pub fn advertise(&self, algs: &[&str]) {
        *self.state.algs.lock().unwrap() = algs.iter().map(|a| (*a).to_owned()).collect();
    }

    pub fn set_jwks_mode(&self, mode: JwksMode) {
        *self.state.jwks_mode.lock().unwrap() = mode;
    }

    pub fn set_discovery_mode(&self, mode: DiscoveryMode) {
        *self.state.discovery_mode.lock().unwrap() = mode;
    }

    pub fn discovery_hits(&self) -> usize {
        self.state.discovery_hits.load(Ordering::SeqCst)
    }

    pub fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    /// Valid claims for this issuer, with custom claims of several JSON types.
    pub fn claims(&self) -> Value {
        let now = now();
        json!({
            "iss": self.url,
            "sub": "repo:octo-org/app:ref:refs/heads/main",
            "aud": "sigstore",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "job_workflow_ref": "octo-org/app/.github/workflows/release.yml@refs/heads/main",
            "repository_owner": "octo-org",
            "kubernetes.io": {"namespace": "build", "serviceaccount": {"name": "signer", "uid": "42"}},
            "run_attempt": 2,
            "ratio": 0.5,
            "groups": ["a", "b"],
            "email_verified": true,
        })
    }
}

async fn discovery(State(state): State<Arc<IssuerState>>) -> Response {
    state.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let mode = state.discovery_mode.lock().unwrap().clone();
    match mode {
        DiscoveryMode::RedirectTo(to) => {
            (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
        }
        _ => discovery_document(State(state.clone())).await,
    }
}

async fn discovery_document(State(state): State<Arc<IssuerState>>) -> Response {
    let mode = state.discovery_mode.lock().unwrap().clone();
    let mut doc = json!({
        "issuer": state.issuer,
        "jwks_uri": format!("{}/jwks", state.issuer),
        "subject_types_supported": ["public"],
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": *state.algs.lock().unwrap(),
    });
    match mode {
        DiscoveryMode::IssuerIs(issuer) => doc["issuer"] = issuer.into(),
        DiscoveryMode::JwksUriIs(uri) => doc["jwks_uri"] = uri.into(),
        DiscoveryMode::Normal | DiscoveryMode::RedirectTo(_) => {}
    }
    Json(doc).into_response()
}

async fn jwks(State(state): State<Arc<IssuerState>>) -> Response {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let mode = state.jwks_mode.lock().unwrap().clone();
    let body = || Json(json!({ "keys": *state.keys.lock().unwrap() })).into_response();
    match mode {
        JwksMode::Normal => body(),
        JwksMode::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        JwksMode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            body()
        }
        JwksMode::HugeWithLength(len) => {
            // Valid JSON, padded with whitespace: only its size is wrong.
            let mut text = format!(
                r#"{{"keys": {}}}"#,
                Value::Array(state.keys.lock().unwrap().clone())
            );
            text.extend(std::iter::repeat_n(' ', len.saturating_sub(text.len())));
            ([(header::CONTENT_TYPE, "application/json")], text).into_response()
        }
        JwksMode::EndlessStream => {
            let chunk = bytes_of_spaces(16 * 1024);
            let stream = futures_util::stream::repeat_with(move || {
                Ok::<_, std::convert::Infallible>(chunk.clone())
            });
            Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    }
}

fn bytes_of_spaces(n: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b' '; n])
}

/// The verifier settings the tests use: short timeouts, a 64 KiB response limit, and a
/// refetch interval long enough never to elapse during a test.
pub fn test_config() -> VerifierConfig {
    VerifierConfig {
        connect_timeout: Duration::from_secs(2),
        fetch_timeout: Duration::from_secs(2),
        max_response_bytes: 64 * 1024,
        jwks_min_refetch_interval: Duration::from_secs(3600),
        ..VerifierConfig::default()
    }
}

pub fn verifier() -> TokenVerifier {
    TokenVerifier::new(test_config()).unwrap()
}

/// `value` as a JSON object.
pub fn object(value: &Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}
