//! Where to sign: the CA and the Rekor v1 log, from a signing config (PROTOCOL.md §7.2)
//! or a ClientTrustConfig (§7.3), plus the trusted root (§7.1) that the log's answer and
//! the finished bundle are checked against. Parsing and the choice of services at a time
//! are `signet_verifier::signing_config`'s; this module reads the files and checks that
//! the chosen URLs are http(s) base URLs.

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

use anyhow::{bail, Context as _, Result};
use clap::Args;
use reqwest_tls::Url;
use signet_verifier::{
    signing_config::{SigningConfig, MAX_SIGNING_CONFIG_BYTES},
    trusted_root::TrustedRoot,
};

/// Trust files larger than this are refused (the parsers' own bound).
const MAX_CONFIG_BYTES: u64 = MAX_SIGNING_CONFIG_BYTES as u64;

/// The public-good instances `signet sign-bundle` uses without `--signing-config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicGood {
    /// `fulcio.sigstore.dev`, `rekor.sigstore.dev`.
    Production,
    /// `fulcio.sigstage.dev`, `rekor.sigstage.dev` (`--staging`).
    Staging,
}

impl PublicGood {
    /// The CA and Rekor v1 base URLs.
    pub fn endpoints(self) -> Result<Endpoints> {
        let (ca, rekor) = match self {
            PublicGood::Production => ("https://fulcio.sigstore.dev", "https://rekor.sigstore.dev"),
            PublicGood::Staging => ("https://fulcio.sigstage.dev", "https://rekor.sigstage.dev"),
        };
        Ok(Endpoints {
            ca: base_url(ca, "public-good CA")?,
            rekor: base_url(rekor, "public-good log")?,
        })
    }
}

/// `--trust-config`, or `--signing-config` with `--trusted-root`.
#[derive(Args, Debug, Default)]
pub struct TargetArgs {
    /// ClientTrustConfig (trusted root + signing config) naming the CA and log to sign
    /// with, e.g. `<data-dir>/trust_config.json` written by `signet serve`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["signing_config", "trusted_root"])]
    pub trust_config: Option<PathBuf>,
    /// Signing config (v0.2) naming the CA and log; needs --trusted-root.
    #[arg(long, value_name = "FILE", requires = "trusted_root")]
    pub signing_config: Option<PathBuf>,
    /// Trusted root the log's answer and the bundle are checked against; needs
    /// --signing-config.
    #[arg(long, value_name = "FILE", requires = "signing_config")]
    pub trusted_root: Option<PathBuf>,
}

/// Base URLs of the CA and the Rekor v1 log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// CA base URL (`POST {ca}/api/v2/signingCert`).
    pub ca: Url,
    /// Rekor v1 base URL (`POST {rekor}/api/v1/log/entries`).
    pub rekor: Url,
}

impl Endpoints {
    /// `{ca}/api/v2/signingCert`.
    pub fn signing_cert_url(&self) -> Url {
        join(&self.ca, "api/v2/signingCert")
    }

    /// `{rekor}/api/v1/log/entries`.
    pub fn log_entries_url(&self) -> Url {
        join(&self.rekor, "api/v1/log/entries")
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

/// Where to sign and what to check against.
#[derive(Debug)]
pub struct Target {
    /// The CA and log.
    pub endpoints: Endpoints,
    /// The trusted root, when one was given.
    pub trusted_root: Option<TrustedRoot>,
}

impl TargetArgs {
    /// Reads the files the options name (`signet sign`, `signet attest`: one of the two
    /// forms is required).
    pub fn load(&self, now: SystemTime) -> Result<Target> {
        match (&self.trust_config, &self.signing_config, &self.trusted_root) {
            (Some(trust), _, _) => load_trust_config(trust, now),
            (None, Some(signing), Some(root)) => Ok(Target {
                endpoints: load_signing_config(signing, now)?,
                trusted_root: Some(load_trusted_root(root)?),
            }),
            _ => bail!(
                "where to sign: give --trust-config FILE (e.g. the trust_config.json that \
                 `signet serve` writes), or --signing-config FILE with --trusted-root FILE"
            ),
        }
    }
}

fn read_limited(path: &Path, what: &str) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let file =
        std::fs::File::open(path).with_context(|| format!("reading {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what} {}", path.display()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        bail!(
            "{what} {}: larger than {MAX_CONFIG_BYTES} bytes",
            path.display()
        );
    }
    Ok(bytes)
}

/// A ClientTrustConfig: its signing config and trusted root.
pub fn load_trust_config(path: &Path, now: SystemTime) -> Result<Target> {
    let what = "trust config";
    let bytes = read_limited(path, what)?;
    let config = SigningConfig::from_client_trust_config_json(&bytes)
        .with_context(|| format!("{what} {}", path.display()))?;
    let endpoints =
        endpoints(&config, now).with_context(|| format!("{what} {}", path.display()))?;
    let root = TrustedRoot::from_client_trust_config_json(&bytes)
        .with_context(|| format!("the trusted root in {what} {}", path.display()))?;
    Ok(Target {
        endpoints,
        trusted_root: Some(root),
    })
}

/// A signing config's CA and Rekor v1 log valid at `now`.
pub fn load_signing_config(path: &Path, now: SystemTime) -> Result<Endpoints> {
    let what = "signing config";
    let bytes = read_limited(path, what)?;
    let config =
        SigningConfig::from_json(&bytes).with_context(|| format!("{what} {}", path.display()))?;
    endpoints(&config, now).with_context(|| format!("{what} {}", path.display()))
}

/// The services `config` names for `now`, as base URLs.
fn endpoints(config: &SigningConfig, now: SystemTime) -> Result<Endpoints> {
    let chosen = config.select(now)?;
    Ok(Endpoints {
        ca: base_url(&chosen.ca.url, "caUrls[].url")?,
        rekor: base_url(&chosen.rekor.url, "rekorTlogUrls[].url")?,
    })
}

/// A trusted root file.
pub fn load_trusted_root(path: &Path) -> Result<TrustedRoot> {
    crate::cmd::verify::trust::load(
        Some(path),
        None,
        crate::cmd::verify::trust::PublicGood::Production,
    )
}

fn base_url(text: &str, what: &str) -> Result<Url> {
    let url = Url::parse(text).with_context(|| format!("{what} {text:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("{what} {text:?}: expected an http(s) base URL");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("{what} {text:?}: a base URL has no query or fragment");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_services_become_base_urls() {
        let config = |ca: &str| {
            let json = serde_json::json!({
                "mediaType": signet_verifier::signing_config::SIGNING_CONFIG_MEDIA_TYPE,
                "caUrls": [{"url": ca, "majorApiVersion": 1}],
                "rekorTlogUrls": [{"url": "http://127.0.0.1:2", "majorApiVersion": 1}]
            });
            SigningConfig::from_json(json.to_string().as_bytes()).unwrap()
        };
        let e = endpoints(&config("https://ca.example/base/"), SystemTime::now()).unwrap();
        assert_eq!(
            e.signing_cert_url().as_str(),
            "https://ca.example/base/api/v2/signingCert"
        );
        assert_eq!(
            e.log_entries_url().as_str(),
            "http://127.0.0.1:2/api/v1/log/entries"
        );
        for bad in ["ftp://127.0.0.1", "https://ca.example/?q=1", "not a url"] {
            assert!(endpoints(&config(bad), SystemTime::now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_good_endpoints() {
        let e = PublicGood::Staging.endpoints().unwrap();
        assert_eq!(
            e.signing_cert_url().as_str(),
            "https://fulcio.sigstage.dev/api/v2/signingCert"
        );
        let e = PublicGood::Production.endpoints().unwrap();
        assert_eq!(
            e.log_entries_url().as_str(),
            "https://rekor.sigstore.dev/api/v1/log/entries"
        );
    }
}
