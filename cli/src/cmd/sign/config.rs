//! Where to sign: the CA and the Rekor v1 log, from a signing config (PROTOCOL.md §7.2)
//! or a ClientTrustConfig (§7.3), plus the trusted root (§7.1) that the log's answer and
//! the finished bundle are checked against.
//!
//! From a signing config the CA is a `caUrls` service with `majorApiVersion` 1 (Fulcio's
//! v2 API is "1" there) and the log a `rekorTlogUrls` service with `majorApiVersion` 1
//! (Rekor v1; Signet does not sign with Rekor v2, which also needs a timestamp
//! authority); each must be valid now (`validFor.start <= now < validFor.end`, an absent
//! end is open). When several are, the one that started last wins (lists are newest
//! first, §7.2, but nothing guarantees it). Keys are read in camelCase or snake_case (§1).

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use reqwest_tls::Url;
use serde::Deserialize;
use signet_verifier::trusted_root::TrustedRoot;

/// `signing_config.json` media type (the only one sigstore-go and -python accept, §7.2).
const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// ClientTrustConfig media type (§7.3).
const TRUST_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";
/// Trust files larger than this are refused.
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

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
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RawTrustConfig {
        #[serde(alias = "media_type")]
        media_type: String,
        #[serde(alias = "signing_config")]
        signing_config: RawSigningConfig,
    }
    let what = "trust config";
    let bytes = read_limited(path, what)?;
    let raw: RawTrustConfig = serde_json::from_slice(&bytes)
        .with_context(|| format!("parsing {what} {}", path.display()))?;
    if raw.media_type != TRUST_CONFIG_MEDIA_TYPE {
        bail!(
            "{what} {}: media type {:?} is not {TRUST_CONFIG_MEDIA_TYPE:?}",
            path.display(),
            raw.media_type
        );
    }
    let endpoints = raw
        .signing_config
        .select(now)
        .with_context(|| format!("{what} {}", path.display()))?;
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
    let raw: RawSigningConfig = serde_json::from_slice(&bytes)
        .with_context(|| format!("parsing {what} {}", path.display()))?;
    raw.select(now)
        .with_context(|| format!("{what} {}", path.display()))
}

/// A trusted root file.
pub fn load_trusted_root(path: &Path) -> Result<TrustedRoot> {
    crate::cmd::verify::trust::load(
        Some(path),
        None,
        crate::cmd::verify::trust::PublicGood::Production,
    )
}

/// `signing_config.json` v0.2, the fields signing reads (§7.2).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSigningConfig {
    #[serde(alias = "media_type")]
    media_type: String,
    #[serde(default, alias = "ca_urls")]
    ca_urls: Vec<RawService>,
    #[serde(default, alias = "rekor_tlog_urls")]
    rekor_tlog_urls: Vec<RawService>,
}

/// `Service`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawService {
    url: String,
    #[serde(alias = "major_api_version")]
    major_api_version: u32,
    #[serde(default, alias = "valid_for")]
    valid_for: Option<RawValidFor>,
}

#[derive(Debug, Deserialize)]
struct RawValidFor {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

fn parse_time(text: &str, field: &str) -> Result<SystemTime> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| anyhow!("{field} {text:?} is not an RFC 3339 time: {e}"))?;
    Ok(t.into())
}

impl RawService {
    /// `Some(start)` when valid at `now` (an absent start counts as the epoch).
    fn valid_since(&self, now: SystemTime, field: &str) -> Result<Option<SystemTime>> {
        let Some(valid_for) = &self.valid_for else {
            return Ok(Some(SystemTime::UNIX_EPOCH));
        };
        let start = match &valid_for.start {
            Some(s) => parse_time(s, &format!("{field}.validFor.start"))?,
            None => SystemTime::UNIX_EPOCH,
        };
        let ended = match &valid_for.end {
            Some(e) => parse_time(e, &format!("{field}.validFor.end"))? <= now,
            None => false,
        };
        Ok((start <= now && !ended).then_some(start))
    }
}

impl RawSigningConfig {
    fn select(&self, now: SystemTime) -> Result<Endpoints> {
        if self.media_type != SIGNING_CONFIG_MEDIA_TYPE {
            bail!(
                "signing config media type {:?} is not {SIGNING_CONFIG_MEDIA_TYPE:?}",
                self.media_type
            );
        }
        let ca = pick(&self.ca_urls, "caUrls", now)?
            .ok_or_else(|| anyhow!("no CA in caUrls with majorApiVersion 1 is valid now"))?;
        let rekor = pick(&self.rekor_tlog_urls, "rekorTlogUrls", now)?.ok_or_else(|| {
            if self
                .rekor_tlog_urls
                .iter()
                .any(|s| s.major_api_version != 1)
            {
                anyhow!(
                    "no Rekor v1 log in rekorTlogUrls (majorApiVersion 1) is valid now; \
                     signing with a Rekor v2 log is not supported"
                )
            } else {
                anyhow!("no Rekor v1 log in rekorTlogUrls (majorApiVersion 1) is valid now")
            }
        })?;
        Ok(Endpoints {
            ca: base_url(&ca.url, "caUrls[].url")?,
            rekor: base_url(&rekor.url, "rekorTlogUrls[].url")?,
        })
    }
}

/// The `majorApiVersion` 1 service valid at `now` that started last (first on ties).
fn pick<'a>(
    services: &'a [RawService],
    field: &str,
    now: SystemTime,
) -> Result<Option<&'a RawService>> {
    let mut best: Option<(SystemTime, &RawService)> = None;
    for (i, service) in services.iter().enumerate() {
        if service.major_api_version != 1 {
            continue;
        }
        let Some(start) = service.valid_since(now, &format!("{field}[{i}]"))? else {
            continue;
        };
        if best.is_none_or(|(s, _)| start > s) {
            best = Some((start, service));
        }
    }
    Ok(best.map(|(_, s)| s))
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
    use std::time::Duration;

    use super::*;

    fn at(rfc3339: &str) -> SystemTime {
        parse_time(rfc3339, "t").unwrap()
    }

    fn config(json: serde_json::Value) -> RawSigningConfig {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn picks_the_newest_valid_v1_services() {
        let c = config(serde_json::json!({
            "mediaType": SIGNING_CONFIG_MEDIA_TYPE,
            "caUrls": [
                {"url": "https://ca-old.example", "majorApiVersion": 1,
                 "validFor": {"start": "2020-01-01T00:00:00Z"}},
                {"url": "https://ca-future.example", "majorApiVersion": 1,
                 "validFor": {"start": "2030-01-01T00:00:00Z"}},
                {"url": "https://ca-new.example/base/", "majorApiVersion": 1,
                 "validFor": {"start": "2024-01-01T00:00:00Z"}},
                {"url": "https://ca-ended.example", "majorApiVersion": 1,
                 "validFor": {"start": "2024-06-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}}
            ],
            "rekorTlogUrls": [
                {"url": "https://log2025.rekor.example", "majorApiVersion": 2,
                 "validFor": {"start": "2025-01-01T00:00:00Z"}},
                {"url": "https://rekor.example", "majorApiVersion": 1,
                 "validFor": {"start": "2021-01-01T00:00:00Z"}}
            ],
            "oidcUrls": [], "tsaUrls": []
        }));
        let e = c.select(at("2026-01-01T00:00:00Z")).unwrap();
        assert_eq!(
            e.signing_cert_url().as_str(),
            "https://ca-new.example/base/api/v2/signingCert"
        );
        assert_eq!(
            e.log_entries_url().as_str(),
            "https://rekor.example/api/v1/log/entries"
        );
        // Before ca-new started, the old one; the ended one never after its end.
        let e = c.select(at("2023-01-01T00:00:00Z")).unwrap();
        assert_eq!(e.ca.as_str(), "https://ca-old.example/");
        let e = c.select(at("2024-07-01T00:00:00Z")).unwrap();
        assert_eq!(e.ca.as_str(), "https://ca-ended.example/");
        let e = c.select(at("2025-01-01T00:00:00Z")).unwrap();
        assert_eq!(e.ca.as_str(), "https://ca-new.example/base/");
        // Nothing valid yet.
        let err = c
            .select(at("2019-01-01T00:00:00Z"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("caUrls"), "{err}");
    }

    #[test]
    fn only_rekor_v2_is_named_as_unsupported() {
        let c = config(serde_json::json!({
            "media_type": SIGNING_CONFIG_MEDIA_TYPE,
            "ca_urls": [{"url": "http://127.0.0.1:1", "major_api_version": 1}],
            "rekor_tlog_urls": [{"url": "https://log.example", "major_api_version": 2}]
        }));
        let err = c.select(SystemTime::now()).unwrap_err().to_string();
        assert!(err.contains("Rekor v2"), "{err}");
    }

    #[test]
    fn media_type_times_and_urls_are_checked() {
        let mut json = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.1+json",
            "caUrls": [{"url": "http://127.0.0.1:1", "majorApiVersion": 1}],
            "rekorTlogUrls": [{"url": "http://127.0.0.1:2", "majorApiVersion": 1}]
        });
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert!(config(json.clone()).select(now).is_err());
        json["mediaType"] = SIGNING_CONFIG_MEDIA_TYPE.into();
        assert!(config(json.clone()).select(now).is_ok());
        json["caUrls"][0]["validFor"] = serde_json::json!({"start": "yesterday"});
        let err = config(json.clone()).select(now).unwrap_err().to_string();
        assert!(err.contains("caUrls[0].validFor.start"), "{err}");
        json["caUrls"][0]["validFor"] = serde_json::json!({});
        json["rekorTlogUrls"][0]["url"] = "ftp://127.0.0.1".into();
        assert!(config(json).select(now).is_err());
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
