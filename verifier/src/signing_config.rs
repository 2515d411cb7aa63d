//! `signing_config.json` v0.2 (PROTOCOL.md §7.2), alone or inside a `ClientTrustConfig`
//! (§7.3): the services a signer may use, and the choice among them at a given time.
//!
//! Signing needs a CA (`caUrls`, `majorApiVersion` 1: Fulcio's v2 API is "1" there) and a
//! Rekor v1 log (`rekorTlogUrls`, `majorApiVersion` 1; Signet does not sign with Rekor v2,
//! which also needs a timestamp authority). A service is usable at `now` when
//! `validFor.start <= now < validFor.end` (an absent start is the epoch, an absent end is
//! open); among the usable ones the one that started last wins (lists should be newest
//! first, §7.2, but nothing guarantees it). Keys are read in camelCase or snake_case (§1).
//! Pure: the caller reads the file and turns the chosen URLs into requests.

use std::time::SystemTime;

use serde::Deserialize;

use crate::{
    common::{clip, parse_rfc3339, FieldProblem, MAX_TRUSTED_ROOT_BYTES},
    trusted_root::CLIENT_TRUST_CONFIG_MEDIA_TYPE,
};

/// The only signing config media type sigstore-go and sigstore-python accept (§7.2).
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// Largest signing config (or `ClientTrustConfig`) accepted, the trusted root's bound.
pub const MAX_SIGNING_CONFIG_BYTES: usize = MAX_TRUSTED_ROOT_BYTES;
/// Most services in one list (`caUrls`, `rekorTlogUrls`, ...).
pub const MAX_SERVICES: usize = 64;

/// Why a signing config was refused, or has nothing to sign with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningConfigError {
    /// Larger than [`MAX_SIGNING_CONFIG_BYTES`].
    #[error("larger than {MAX_SIGNING_CONFIG_BYTES} bytes ({actual})")]
    TooLarge {
        /// Its size.
        actual: usize,
    },
    /// Not JSON of the expected shape.
    #[error("not a signing config: {reason}")]
    Json {
        /// What the JSON parser said.
        reason: String,
    },
    /// A `mediaType` other than the one accepted.
    #[error("media type {found:?} is not {expected:?}")]
    MediaType {
        /// The media type given.
        found: String,
        /// The one accepted.
        expected: &'static str,
    },
    /// A list longer than [`MAX_SERVICES`].
    #[error("{field}: {actual} services, more than {MAX_SERVICES}")]
    TooManyServices {
        /// The list.
        field: &'static str,
        /// Its length.
        actual: usize,
    },
    /// A `validFor` time that is not RFC 3339.
    #[error("{field}: {problem}")]
    Time {
        /// Path of the field, e.g. `caUrls[0].validFor.start`.
        field: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// No `caUrls` service with `majorApiVersion` 1 is valid at the time asked.
    #[error("no CA in caUrls with majorApiVersion 1 is valid now")]
    NoCa,
    /// No `rekorTlogUrls` service with `majorApiVersion` 1 is valid at the time asked.
    #[error(
        "no Rekor v1 log in rekorTlogUrls (majorApiVersion 1) is valid now{}",
        if *rekor_v2_listed { "; signing with a Rekor v2 log is not supported" } else { "" }
    )]
    NoRekorV1 {
        /// Whether the list names logs of another API version (Rekor v2).
        rekor_v2_listed: bool,
    },
}

/// One service of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Base URL, as given (not checked to be a URL here).
    pub url: String,
    /// `majorApiVersion`.
    pub major_api_version: u32,
    /// `validFor.start`; the epoch when absent.
    pub start: SystemTime,
    /// `validFor.end`, exclusive; `None` when absent (open).
    pub end: Option<SystemTime>,
}

impl Service {
    /// Whether the service may be used at `now`: `start <= now < end`.
    #[must_use]
    pub fn valid_at(&self, now: SystemTime) -> bool {
        self.start <= now && self.end.is_none_or(|end| now < end)
    }
}

/// The services a signer reads from a signing config (`oidcUrls`, `tsaUrls` and the
/// selectors are not used for signing with Rekor v1, and are not kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningConfig {
    /// `caUrls`.
    pub ca_urls: Vec<Service>,
    /// `rekorTlogUrls`.
    pub rekor_tlog_urls: Vec<Service>,
}

/// The CA and the Rekor v1 log chosen for signing at one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningServices<'a> {
    /// The CA (Fulcio v2 API).
    pub ca: &'a Service,
    /// The Rekor v1 log.
    pub rekor: &'a Service,
}

impl SigningConfig {
    /// Parses a `signing_config.json` v0.2.
    ///
    /// # Errors
    /// [`SigningConfigError`]: size, JSON shape, media type, list length, times.
    pub fn from_json(json: &[u8]) -> Result<Self, SigningConfigError> {
        check_size(json)?;
        convert(from_json(json)?)
    }

    /// The signing config inside a `ClientTrustConfig` (§7.3), whose own `mediaType`
    /// must be [`CLIENT_TRUST_CONFIG_MEDIA_TYPE`].
    ///
    /// # Errors
    /// As [`Self::from_json`], and the wrapper's media type.
    pub fn from_client_trust_config_json(json: &[u8]) -> Result<Self, SigningConfigError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct RawTrustConfig {
            #[serde(alias = "media_type")]
            media_type: String,
            #[serde(alias = "signing_config")]
            signing_config: RawSigningConfig,
        }
        check_size(json)?;
        let raw: RawTrustConfig = from_json(json)?;
        media_type(&raw.media_type, CLIENT_TRUST_CONFIG_MEDIA_TYPE)?;
        convert(raw.signing_config)
    }

    /// The CA and the Rekor v1 log to sign with at `now`: in each list, of the services
    /// with `majorApiVersion` 1 valid at `now`, the one that started last (the first of
    /// them on a tie).
    ///
    /// # Errors
    /// [`SigningConfigError::NoCa`], [`SigningConfigError::NoRekorV1`].
    pub fn select(&self, now: SystemTime) -> Result<SigningServices<'_>, SigningConfigError> {
        let ca = newest_v1(&self.ca_urls, now).ok_or(SigningConfigError::NoCa)?;
        let rekor = newest_v1(&self.rekor_tlog_urls, now).ok_or(SigningConfigError::NoRekorV1 {
            rekor_v2_listed: self
                .rekor_tlog_urls
                .iter()
                .any(|s| s.major_api_version != 1),
        })?;
        Ok(SigningServices { ca, rekor })
    }
}

fn newest_v1(services: &[Service], now: SystemTime) -> Option<&Service> {
    let mut best: Option<&Service> = None;
    for s in services {
        if s.major_api_version == 1 && s.valid_at(now) && best.is_none_or(|b| s.start > b.start) {
            best = Some(s);
        }
    }
    best
}

/// `signing_config.json` v0.2, the fields signing reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSigningConfig {
    #[serde(alias = "media_type")]
    media_type: String,
    #[serde(default, alias = "ca_urls")]
    ca_urls: Vec<RawService>,
    #[serde(default, alias = "rekor_tlog_urls")]
    rekor_tlog_urls: Vec<RawService>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawService {
    url: String,
    #[serde(alias = "major_api_version")]
    major_api_version: u32,
    #[serde(default, alias = "valid_for")]
    valid_for: Option<RawValidFor>,
}

#[derive(Deserialize)]
struct RawValidFor {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

fn check_size(json: &[u8]) -> Result<(), SigningConfigError> {
    if json.len() > MAX_SIGNING_CONFIG_BYTES {
        return Err(SigningConfigError::TooLarge { actual: json.len() });
    }
    Ok(())
}

fn from_json<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, SigningConfigError> {
    serde_json::from_slice(json).map_err(|e| SigningConfigError::Json {
        reason: e.to_string(),
    })
}

fn media_type(found: &str, expected: &'static str) -> Result<(), SigningConfigError> {
    if found != expected {
        return Err(SigningConfigError::MediaType {
            found: clip(found),
            expected,
        });
    }
    Ok(())
}

fn convert(raw: RawSigningConfig) -> Result<SigningConfig, SigningConfigError> {
    media_type(&raw.media_type, SIGNING_CONFIG_MEDIA_TYPE)?;
    Ok(SigningConfig {
        ca_urls: services(raw.ca_urls, "caUrls")?,
        rekor_tlog_urls: services(raw.rekor_tlog_urls, "rekorTlogUrls")?,
    })
}

fn services(raw: Vec<RawService>, field: &'static str) -> Result<Vec<Service>, SigningConfigError> {
    if raw.len() > MAX_SERVICES {
        return Err(SigningConfigError::TooManyServices {
            field,
            actual: raw.len(),
        });
    }
    raw.into_iter()
        .enumerate()
        .map(|(i, s)| {
            let valid_for = s.valid_for.unwrap_or(RawValidFor {
                start: None,
                end: None,
            });
            let time = |text: Option<String>, which: &str| {
                text.map(|t| {
                    parse_rfc3339(&t).map(SystemTime::from).map_err(|problem| {
                        SigningConfigError::Time {
                            field: format!("{field}[{i}].validFor.{which}"),
                            problem,
                        }
                    })
                })
                .transpose()
            };
            Ok(Service {
                url: s.url,
                major_api_version: s.major_api_version,
                start: time(valid_for.start, "start")?.unwrap_or(SystemTime::UNIX_EPOCH),
                end: time(valid_for.end, "end")?,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(rfc3339: &str) -> SystemTime {
        parse_rfc3339(rfc3339).unwrap().into()
    }

    fn config(json: serde_json::Value) -> Result<SigningConfig, SigningConfigError> {
        SigningConfig::from_json(json.to_string().as_bytes())
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
        }))
        .unwrap();
        let chosen = |t: &str| {
            c.select(at(t))
                .map(|s| (s.ca.url.clone(), s.rekor.url.clone()))
        };
        assert_eq!(
            chosen("2026-01-01T00:00:00Z").unwrap(),
            (
                "https://ca-new.example/base/".into(),
                "https://rekor.example".into()
            )
        );
        // Before ca-new started, the old one; the ended one only before its end.
        assert_eq!(
            chosen("2023-01-01T00:00:00Z").unwrap().0,
            "https://ca-old.example"
        );
        assert_eq!(
            chosen("2024-07-01T00:00:00Z").unwrap().0,
            "https://ca-ended.example"
        );
        assert_eq!(
            chosen("2025-01-01T00:00:00Z").unwrap().0,
            "https://ca-new.example/base/"
        );
        // Nothing valid yet.
        assert!(matches!(
            c.select(at("2019-01-01T00:00:00Z")),
            Err(SigningConfigError::NoCa)
        ));
    }

    #[test]
    fn only_rekor_v2_is_named_as_unsupported() {
        let c = config(serde_json::json!({
            "media_type": SIGNING_CONFIG_MEDIA_TYPE,
            "ca_urls": [{"url": "http://127.0.0.1:1", "major_api_version": 1}],
            "rekor_tlog_urls": [{"url": "https://log.example", "major_api_version": 2}]
        }))
        .unwrap();
        let err = c.select(SystemTime::now()).unwrap_err();
        assert!(err.to_string().contains("Rekor v2"), "{err}");
        let c = config(serde_json::json!({
            "mediaType": SIGNING_CONFIG_MEDIA_TYPE,
            "caUrls": [{"url": "http://127.0.0.1:1", "majorApiVersion": 1}],
        }))
        .unwrap();
        let err = c.select(SystemTime::now()).unwrap_err();
        assert!(!err.to_string().contains("Rekor v2"), "{err}");
    }

    #[test]
    fn media_type_times_and_sizes_are_checked() {
        let mut json = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.1+json",
            "caUrls": [{"url": "http://127.0.0.1:1", "majorApiVersion": 1}],
            "rekorTlogUrls": [{"url": "http://127.0.0.1:2", "majorApiVersion": 1}]
        });
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert!(matches!(
            config(json.clone()),
            Err(SigningConfigError::MediaType { .. })
        ));
        json["mediaType"] = SIGNING_CONFIG_MEDIA_TYPE.into();
        assert!(config(json.clone()).unwrap().select(now).is_ok());
        json["caUrls"][0]["validFor"] = serde_json::json!({"start": "yesterday"});
        let err = config(json.clone()).unwrap_err();
        assert!(
            err.to_string().contains("caUrls[0].validFor.start"),
            "{err}"
        );
        json["caUrls"][0]["validFor"] = serde_json::json!({});
        json["rekorTlogUrls"] = serde_json::Value::Array(vec![
            serde_json::json!({"url": "x", "majorApiVersion": 1});
            MAX_SERVICES + 1
        ]);
        assert!(matches!(
            config(json.clone()),
            Err(SigningConfigError::TooManyServices {
                field: "rekorTlogUrls",
                ..
            })
        ));
        let big = vec![b' '; MAX_SIGNING_CONFIG_BYTES + 1];
        assert!(matches!(
            SigningConfig::from_json(&big),
            Err(SigningConfigError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_trust_config_wraps_one() {
        let inner = serde_json::json!({
            "mediaType": SIGNING_CONFIG_MEDIA_TYPE,
            "caUrls": [{"url": "http://127.0.0.1:1", "majorApiVersion": 1}],
            "rekorTlogUrls": [{"url": "http://127.0.0.1:2", "majorApiVersion": 1}]
        });
        let mut wrapper = serde_json::json!({
            "mediaType": CLIENT_TRUST_CONFIG_MEDIA_TYPE,
            "trustedRoot": {},
            "signingConfig": inner
        });
        let c =
            SigningConfig::from_client_trust_config_json(wrapper.to_string().as_bytes()).unwrap();
        assert_eq!(c.rekor_tlog_urls[0].url, "http://127.0.0.1:2");
        wrapper["mediaType"] = SIGNING_CONFIG_MEDIA_TYPE.into();
        assert!(matches!(
            SigningConfig::from_client_trust_config_json(wrapper.to_string().as_bytes()),
            Err(SigningConfigError::MediaType { .. })
        ));
    }
}
