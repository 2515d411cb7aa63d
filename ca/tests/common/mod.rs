//! Set-up shared by the CA's HTTP tests: a software-key CA from the ceremony, with its
//! CT log on SQLite, in a temporary data directory.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;

use serde_json::Value;
use signet_ca::{
    ct::CtLog,
    keys::{self, CeremonyKeys, CeremonyParams},
    Ca,
};
use signet_ca_core::profile::DEFAULT_LEAF_VALIDITY;
use signet_ca_identity::{IdentityConfig, IssuerRegistry};
use signet_oidc::{TokenVerifier, VerifierConfig};
use signet_tlog::{storage::Storage, IfMissing, Log, LogConfig, LogFlavor};
use signet_tlog_core::keys::EcdsaP256Signer;

/// A listener on an ephemeral loopback port and its base URL.
pub async fn listener() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    (l, base)
}

/// The CT log's configuration in these tests.
pub fn ct_config() -> LogConfig {
    LogConfig {
        origin_host: "ct.signet.test".to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        ..LogConfig::default()
    }
}

/// A CA and the pieces tests look at.
pub struct TestCa {
    /// The CA (not yet served).
    pub ca: Ca,
    /// Its CT log front end.
    pub ct: CtLog,
    /// The CT log itself (for the tiles router).
    pub ct_log: Log,
    /// DER `[intermediate, root]`.
    pub chain_der: Vec<Vec<u8>>,
}

/// Runs the insecure software-key ceremony in `dir` and starts a CA trusting the issuers
/// of `identity_config` (the `IdentityConfig` JSON), with a fresh CT log in
/// `dir/ct.sqlite`.
pub async fn test_ca(dir: &Path, identity_config: Value) -> TestCa {
    let config: IdentityConfig = serde_json::from_value(identity_config).unwrap();
    let registry = IssuerRegistry::from_config(&config).unwrap();
    let verifier = TokenVerifier::new(VerifierConfig::default()).unwrap();
    keys::init(
        dir,
        &CeremonyKeys::InsecureSoftwareKeysForDevelopment,
        &CeremonyParams::default(),
    )
    .unwrap();
    let ca_keys = keys::load(dir, None, 1).unwrap();
    let chain_der = ca_keys.chain_der.clone();
    let url = format!("sqlite:{}", dir.join("ct.sqlite").display());
    let ct_key_der = EcdsaP256Signer::generate_pkcs8().unwrap();
    let ct_key = || EcdsaP256Signer::from_pkcs8(&ct_key_der, "ct.signet.test").unwrap();
    let ct_log = Log::start(
        Storage::open(&url).await.unwrap(),
        ct_key(),
        &ct_config(),
        IfMissing::Create,
    )
    .await
    .unwrap();
    let ct = CtLog::new(ct_log.clone(), ct_key());
    let ca = Ca::new(
        registry,
        verifier,
        ca_keys,
        ct.clone(),
        DEFAULT_LEAF_VALIDITY,
    );
    TestCa {
        ca,
        ct,
        ct_log,
        chain_der,
    }
}
