//! The certificate authority inside `signet serve`: the CA keys from the data directory
//! (self-tested), its CT log (a CT-flavoured log kept like the transparency log, stem
//! `ct`), the configured OIDC issuers plus, when asked, the insecure development issuer,
//! and the Sigstore trust files describing the deployment.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, UNIX_EPOCH},
};

use anyhow::{bail, Context, Result};
use axum::Router;
use signet_ca::{ct::CtLog, keys, trust, Ca};
use signet_ca_identity::{IdentityConfig, IssuerConfig, IssuerRegistry, IssuerType};
use signet_hsm::Pin;
use signet_oidc::{dev_issuer::InsecureDevIssuer, TokenVerifier, VerifierConfig};
use signet_tlog::{Log, LogConfig, LogFlavor};

use super::logs;

/// The PIN of a PKCS#11 CA key comes only from the environment (never a flag or a file
/// in the data directory).
pub const PIN_ENV: &str = "SIGNET_HSM_PIN";

/// What the CA part of `signet serve` needs from the command line.
#[derive(Debug)]
pub struct CaOptions<'a> {
    /// The data directory.
    pub data_dir: &'a Path,
    /// Issuer configuration file (JSON), if any.
    pub issuers_file: Option<&'a Path>,
    /// Mount and trust the insecure development issuer.
    pub dev_issuer: DevIssuer,
    /// The URL clients reach this server at.
    pub public_url: &'a str,
    /// Checkpoint origin host for the CT log.
    pub origin_host: &'a str,
    /// CT log database URL (default: SQLite `ct.sqlite` in the data directory).
    pub ct_database_url: Option<&'a str>,
    /// Certificates per OIDC identity and period, if limited.
    pub identity_rate_limit: Option<signet_tlog::ratelimit::Rate>,
}

/// Whether the insecure development issuer is mounted and trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevIssuer {
    /// Off (the default).
    Off,
    /// `--insecure-dev-issuer`.
    InsecurelyEnabled,
}

/// The started CA.
pub struct Started {
    /// `/api/v2/...`, `/ct/...` and, if enabled, `/dev-issuer/...`.
    pub router: Router,
    /// The CA, for the trust files.
    pub ca: Arc<Ca>,
    /// The development issuer's URL, if mounted.
    pub dev_issuer_url: Option<String>,
}

/// Whether the data directory holds a CA (`signet ca init` ran).
pub fn initialised(data_dir: &Path) -> bool {
    data_dir.join(keys::KEYS_FILE).exists()
}

/// Loads the CA and its CT log, and builds its routes.
pub async fn start(opts: &CaOptions<'_>) -> Result<Started> {
    let pin = std::env::var(PIN_ENV).ok().map(Pin::new);
    let sessions = std::thread::available_parallelism().map_or(2, |n| n.get());
    let data_dir = opts.data_dir.to_owned();
    let ca_keys = tokio::task::spawn_blocking(move || keys::load(&data_dir, pin, sessions))
        .await
        .context("loading the CA keys")?
        .context("loading the CA (self-test included)")?;

    let mut config = match opts.issuers_file {
        Some(path) => read_issuers(path)?,
        None => IdentityConfig {
            issuers: Vec::new(),
        },
    };
    let mut dev = None;
    if opts.dev_issuer == DevIssuer::InsecurelyEnabled {
        let url = format!("{}/dev-issuer", opts.public_url.trim_end_matches('/'));
        let issuer =
            InsecureDevIssuer::generate(&url).context("starting the development issuer")?;
        tracing::warn!(
            issuer = %url,
            "INSECURE development OIDC issuer enabled: anyone who can reach it can obtain \
             signing certificates"
        );
        config.issuers.push(dev_issuer_config(&url)?);
        dev = Some(issuer);
    }
    if config.issuers.is_empty() {
        bail!(
            "the CA trusts no OIDC issuer: give --ca-issuers FILE, or --insecure-dev-issuer \
             for local development"
        );
    }
    let registry = IssuerRegistry::from_config(&config).context("issuer configuration")?;
    let verifier = TokenVerifier::new(VerifierConfig::default()).context("token verifier")?;

    let ct_config = LogConfig {
        origin_host: opts.origin_host.to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        ..LogConfig::default()
    };
    let ct_log = logs::open(opts.data_dir, logs::CT, opts.ct_database_url, &ct_config).await?;
    let ct_key = logs::load_log_key(opts.data_dir, logs::CT, &ct_log)?;
    let ct = CtLog::new(ct_log.clone(), ct_key);
    let mut ca = Ca::new(
        registry,
        verifier,
        ca_keys,
        ct,
        signet_ca_core::profile::DEFAULT_LEAF_VALIDITY,
    );
    if let Some(rate) = opts.identity_rate_limit {
        ca = ca.with_identity_rate_limit(rate);
    }
    let ca = Arc::new(ca);
    // The CT log for auditors: C2SP tiles and the RFC 6962 §4 read API, both under /ct.
    let limits = signet_tlog::http::HttpLimits::default();
    let ct_routes = signet_tlog::http::tiles_router(ct_log, &limits).merge(
        signet_ca::ct_api::rfc6962_router(ca.ct().clone(), ca.keys().chain_der.clone(), &limits),
    );
    let mut router = signet_ca::http::router(ca.clone()).nest("/ct", ct_routes);
    let dev_issuer_url = dev.as_ref().map(|d| d.issuer_url().to_owned());
    if let Some(d) = dev {
        router = router.nest("/dev-issuer", d.router());
    }
    Ok(Started {
        router,
        ca,
        dev_issuer_url,
    })
}

fn read_issuers(path: &Path) -> Result<IdentityConfig> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The development issuer as a configured issuer: email identities, no policy rules.
fn dev_issuer_config(url: &str) -> Result<IssuerConfig> {
    let value = serde_json::json!({
        "issuer_url": url,
        "issuer_type": IssuerType::Email.as_str(),
    });
    serde_json::from_value(value).context("development issuer configuration")
}

/// Writes `trusted_root.json`, `signing_config.json` and `trust_config.json` into the data
/// directory, describing this server's CA, CT log and transparency log (PROTOCOL.md §7).
pub fn write_trust_files(
    data_dir: &Path,
    public_url: &str,
    ca: &Ca,
    tlog: &Log,
    dev_issuer_url: Option<String>,
) -> Result<()> {
    let base = public_url.trim_end_matches('/').to_owned();
    let keys = ca.keys();
    let operator = base
        .split_once("://")
        .map_or(base.as_str(), |(_, rest)| rest)
        .to_owned();
    let deployment = trust::Deployment {
        ca: trust::CaEntry {
            uri: base.clone(),
            organization: keys.root_subject.0.clone(),
            common_name: keys.root_subject.1.clone(),
            chain_der: keys.chain_der.clone(),
            valid_from: keys.valid_from,
        },
        tlog: trust::LogKey {
            base_url: base.clone(),
            public_key_der: logs::public_key_der(tlog)?,
            valid_from: created_at(data_dir, logs::TLOG),
        },
        ctlog: trust::LogKey {
            base_url: format!("{base}/ct"),
            public_key_der: ca.ct().public_key_der().to_vec(),
            valid_from: created_at(data_dir, logs::CT),
        },
        oidc_url: dev_issuer_url,
        operator,
    };
    let files: [(&str, serde_json::Value); 3] = [
        (
            "trusted_root.json",
            serde_json::to_value(deployment.trusted_root()?)?,
        ),
        (
            "signing_config.json",
            serde_json::to_value(deployment.signing_config()?)?,
        ),
        (
            "trust_config.json",
            serde_json::to_value(deployment.client_trust_config()?)?,
        ),
    ];
    for (name, value) in files {
        let path: PathBuf = data_dir.join(name);
        let tmp = path.with_extension("json.tmp");
        fs::write(&tmp, serde_json::to_vec_pretty(&value)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("installing {}", path.display()))?;
    }
    tracing::info!(dir = %data_dir.display(), "wrote trusted_root.json, signing_config.json, trust_config.json");
    Ok(())
}

/// When a log's key became valid: its `-created` marker's modification time (written once,
/// when the log was created), with a minute of slack for clock skew between the
/// marker and the first checkpoint.
fn created_at(data_dir: &Path, stem: logs::Stem) -> i64 {
    let marker = data_dir.join(stem.created_marker());
    fs::metadata(marker)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| {
            d.saturating_sub(Duration::from_secs(60)).as_secs() as i64
        })
}
