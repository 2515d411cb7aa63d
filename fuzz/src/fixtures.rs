//! Trust material and settings shared by the targets, built once per process.
//!
//! Everything read here comes from the public vectors at run time (`SIGNET_VECTORS`, else
//! `../shared/vectors` beside the repository; `signet-testdata` finds it).

use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{json, Value};
use signet_ca_identity::{IdentityConfig, IssuerRegistry};
use signet_oidc::{TokenVerifier, VerifierConfig};
use signet_tlog_core::keys::{EcdsaP256Verifier, Ed25519NoteVerifier};
use signet_verifier::audit::Auditor;
use signet_verifier::chain::TrustedCa;
use signet_verifier::sct::CtLogKey;
use signet_verifier::trusted_root::TrustedRoot;
use signet_verifier::verify::Verifier;
use x509_cert::der::{DecodePem, Encode};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// The verifier's clock in every target: 2033-05-18. Later than every vector's signing
/// time (so "integrated time in the future" never hides the steps after it) and fixed, so
/// a crash reproduces on any day.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(2_000_000_000)
}

/// One trusted root, prepared every way a target needs it.
pub struct Root {
    /// Its vector path.
    pub path: &'static str,
    /// `Verifier::new` of it.
    pub verifier: Arc<Verifier>,
    /// `Auditor::new` of the same verifier.
    pub auditor: Auditor,
    /// Its CAs, as `verify_chain` takes them.
    pub cas: Vec<TrustedCa>,
    /// Its CT log keys, as `verify_embedded_scts` takes them.
    pub ct_keys: Vec<CtLogKey>,
    /// Its ECDSA P-256 `tlogs` keys (Rekor v1), as the signing client checks a log's
    /// answer with them.
    pub rekor_keys: Vec<EcdsaP256Verifier>,
}

/// The trusted roots: public-good production and staging (the real bundles of the vectors
/// verify against them), the TSA test trust config (its timestamp authority), and
/// sigstore-go's managed-key root.
const ROOT_FILES: [(&str, bool); 4] = [
    ("trust/production-trusted_root.json", false),
    ("trust/staging-trusted_root.json", false),
    ("sigstore-python/tsa/trust_config.json", true),
    (
        "sigstore-go/pkg/testing/data/trusted-roots/public-key-validity.json",
        false,
    ),
];

/// [`ROOT_FILES`], prepared.
pub static ROOTS: LazyLock<Vec<Root>> = LazyLock::new(|| {
    ROOT_FILES
        .iter()
        .map(|&(path, is_trust_config)| {
            let bytes = signet_testdata::read(path);
            let root = if is_trust_config {
                TrustedRoot::from_client_trust_config_json(&bytes)
            } else {
                TrustedRoot::from_json(&bytes)
            }
            .unwrap_or_else(|e| panic!("{path}: {e}"));
            let cas = root
                .certificate_authorities
                .iter()
                .filter_map(|ca| TrustedCa::new(&ca.cert_chain, Some(ca.valid_for)).ok())
                .collect();
            let ct_keys = root
                .ctlogs
                .iter()
                .filter_map(|l| {
                    CtLogKey::new(*l.log_id.as_bytes(), &l.public_key, l.valid_for).ok()
                })
                .collect();
            let rekor_keys = root
                .tlogs
                .iter()
                .filter_map(|l| EcdsaP256Verifier::from_spki_der(&l.public_key, "rekor").ok())
                .collect();
            let verifier = Arc::new(Verifier::new(root).unwrap_or_else(|e| panic!("{path}: {e}")));
            Root {
                path,
                auditor: Auditor::new(verifier.clone()),
                verifier,
                cas,
                ct_keys,
                rekor_keys,
            }
        })
        .collect()
});

/// The managed key of sigstore-go's `public-key-validity` vectors (DER SPKI), for bundles
/// that name their signer by a key hint.
pub static MANAGED_KEY: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let rel = "sigstore-go/pkg/testing/data/public-keys/public-key-validity.pem";
    let pem = signet_testdata::read(rel);
    let text = String::from_utf8(pem).unwrap_or_else(|e| panic!("{rel}: {e}"));
    SubjectPublicKeyInfoOwned::from_pem(text.trim())
        .and_then(|spki| spki.to_der())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
});

/// Bundles whose RFC 3161 timestamps the vectors carry; their signatures are what those
/// timestamps' message imprints cover.
const TIMESTAMPED_BUNDLES: [&str; 6] = [
    "sigstore-python/tsa/bundle.txt.sigstore",
    "sigstore-python/tsa/bundle.duplicate.sigstore",
    "sigstore-python/tsa/bundle.many_timestamp.sigstore",
    "sigstore-python/tsa/bundle.txt.late_timestamp.sigstore",
    "sigstore-python/staging-rekor-v2.txt.sigstore.json",
    "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
];

/// The byte strings a timestamp of the vectors may cover: each timestamped bundle's
/// signature (read from the JSON directly: some of these bundles are invalid on purpose),
/// and sigstore-python's issue-1482 message.
pub static TIMESTAMPED_SIGNATURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out: Vec<Vec<u8>> = TIMESTAMPED_BUNDLES
        .iter()
        .map(|rel| {
            let v = signet_testdata::read_json(rel);
            let sig = v["messageSignature"]["signature"]
                .as_str()
                .or_else(|| v["dsseEnvelope"]["signatures"][0]["sig"].as_str())
                .unwrap_or_else(|| panic!("{rel}: no signature"));
            b64.decode(sig).unwrap_or_else(|e| panic!("{rel}: {e}"))
        })
        .collect();
    out.push(signet_testdata::read(
        "sigstore-python/tsa/issue1482-message",
    ));
    out.sort();
    out.dedup();
    out
});

/// The Ed25519 verifier keys (`vkey`s) quoted in the C2SP documents.
pub static C2SP_NOTE_KEYS: LazyLock<Vec<Ed25519NoteVerifier>> = LazyLock::new(|| {
    let mut keys = Vec::new();
    for doc in [
        "signed-note.md",
        "tlog-checkpoint.md",
        "tlog-cosignature.md",
    ] {
        let text = String::from_utf8(signet_testdata::read(&format!("c2sp/{doc}")))
            .unwrap_or_else(|e| panic!("c2sp/{doc}: {e}"));
        keys.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| l.split('+').count() == 3 && !l.contains(' '))
                .filter_map(|l| Ed25519NoteVerifier::from_vkey(l).ok()),
        );
    }
    assert!(!keys.is_empty(), "no vkey found in the C2SP documents");
    keys
});

/// Issuers the token targets trust. Their URLs are loopback on the discard port, where
/// nothing answers: a token whose every offline check passes makes `TokenVerifier` try
/// one discovery fetch, which is refused at once (and the failure is remembered), so no
/// target ever reaches a host other than 127.0.0.1.
pub const LOOPBACK_ISSUER: &str = "http://127.0.0.1:9";

/// The registry of the token targets: one issuer of each type under [`LOOPBACK_ISSUER`].
pub static LOOPBACK_REGISTRY: LazyLock<IssuerRegistry> = LazyLock::new(|| {
    registry(json!({ "issuers": [
        { "issuer_url": format!("{LOOPBACK_ISSUER}/email"), "issuer_type": "email" },
        { "issuer_url": format!("{LOOPBACK_ISSUER}/github"), "issuer_type": "github-workflow" },
        { "issuer_url": format!("{LOOPBACK_ISSUER}/gitlab"), "issuer_type": "gitlab-pipeline" },
        // A wildcard host must end in a letter label (so no IP address): exact here; the
        // wildcard lookup is fuzzed by `identity_claims`.
        { "issuer_url": format!("{LOOPBACK_ISSUER}/k8s"), "issuer_type": "kubernetes" },
        { "issuer_url": format!("{LOOPBACK_ISSUER}/spiffe"), "issuer_type": "spiffe",
          "spiffe_trust_domain": "example.org" },
    ]}))
});

/// The token verifier of the token targets: default limits and times, short fetch
/// timeouts (only loopback is ever tried, see [`LOOPBACK_ISSUER`]).
pub static TOKEN_VERIFIER: LazyLock<TokenVerifier> = LazyLock::new(|| {
    TokenVerifier::new(VerifierConfig {
        connect_timeout: Duration::from_millis(200),
        fetch_timeout: Duration::from_millis(500),
        ..VerifierConfig::default()
    })
    .unwrap_or_else(|e| panic!("token verifier: {e}"))
});

/// A current-thread runtime for the async token verifier.
pub static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"))
});

/// The challenge that the proof-of-possession seeds sign (`seeds.py` signs the same
/// text): what `map_identity` would return for the seeds' email token.
pub const POP_CHALLENGE: &str = "fuzz@example.com";

/// An identity registry from JSON configuration; panics if it does not validate.
pub fn registry(config: Value) -> IssuerRegistry {
    let config: IdentityConfig =
        serde_json::from_value(config).unwrap_or_else(|e| panic!("identity config: {e}"));
    IssuerRegistry::from_config(&config).unwrap_or_else(|e| panic!("identity config: {e}"))
}
