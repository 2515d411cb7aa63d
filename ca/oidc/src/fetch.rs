//! The only network I/O of this crate: GETs of discovery documents and JWKS, and the rules
//! for which URLs may be fetched at all.
//!
//! The rules are the crate docs' "URL rules"; this module is where they are enforced.

use std::error::Error as _;
use std::time::Duration;

use openidconnect::url::Host;
use reqwest::{redirect, Client, StatusCode, Url};

use crate::error::{FetchFailure, SetupError, TokenError};

/// Redirects followed within one origin before a fetch fails.
pub const MAX_REDIRECTS: usize = 3;

/// Checks an issuer URL against the rules in the module docs.
pub(crate) fn issuer_url(issuer: &str) -> Result<Url, TokenError> {
    let not_allowed = |reason| TokenError::IssuerUrlNotAllowed {
        url: issuer.to_owned(),
        reason,
    };
    let url = Url::parse(issuer).map_err(|_| not_allowed("not a URL"))?;
    if url.host().is_none() {
        return Err(not_allowed("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(not_allowed("contains credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(not_allowed("has a query or fragment"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(not_allowed("http is allowed only for loopback hosts")),
        _ => Err(not_allowed("scheme must be https")),
    }
}

/// `<issuer>/.well-known/openid-configuration`, with a terminating `/` of the issuer
/// removed first (OpenID Connect Discovery 1.0 §4).
pub(crate) fn discovery_url(issuer: &str) -> Result<Url, TokenError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    Url::parse(&url).map_err(|_| TokenError::IssuerUrlNotAllowed {
        url: issuer.to_owned(),
        reason: "discovery URL is not a URL",
    })
}

/// Checks a discovery document's `jwks_uri` against the rules in the module docs.
pub(crate) fn jwks_url(issuer: &Url, jwks_uri: &str) -> Result<Url, TokenError> {
    let not_allowed = |reason| TokenError::JwksUrlNotAllowed {
        issuer: issuer.to_string(),
        jwks_uri: jwks_uri.to_owned(),
        reason,
    };
    let url = Url::parse(jwks_uri).map_err(|_| not_allowed("not a URL"))?;
    if url.host().is_none() {
        return Err(not_allowed("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(not_allowed("contains credentials"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if issuer.scheme() == "http" && url.host() == issuer.host() => Ok(url),
        "http" => Err(not_allowed(
            "http is allowed only on the host of an http loopback issuer",
        )),
        _ => Err(not_allowed("scheme must be https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Bounded HTTP GETs (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    /// For loopback URLs: never proxied.
    direct: Client,
    /// For everything else: environment proxies honoured.
    proxied: Client,
    max_bytes: usize,
}

impl Fetcher {
    pub(crate) fn new(
        connect_timeout: Duration,
        total_timeout: Duration,
        max_bytes: usize,
    ) -> Result<Self, SetupError> {
        let builder = || {
            Client::builder()
                .connect_timeout(connect_timeout)
                .timeout(total_timeout)
                .redirect(redirect::Policy::custom(|attempt| {
                    let first = attempt.previous().first().cloned();
                    match first {
                        _ if attempt.previous().len() > MAX_REDIRECTS => {
                            attempt.error("too many redirects")
                        }
                        Some(first) if same_origin(&first, attempt.url()) => attempt.follow(),
                        _ => attempt.stop(),
                    }
                }))
                .user_agent(concat!("signet-oidc/", env!("CARGO_PKG_VERSION")))
        };
        let build_error = |e: reqwest::Error| SetupError::HttpClient(error_chain(&e));
        Ok(Fetcher {
            direct: builder().no_proxy().build().map_err(build_error)?,
            proxied: builder().build().map_err(build_error)?,
            max_bytes,
        })
    }

    /// GETs `url` and returns the body of a 200 response.
    ///
    /// # Errors
    /// [`TokenError::IssuerUnavailable`] with the [`FetchFailure`].
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, TokenError> {
        self.get_inner(url)
            .await
            .map_err(|reason| TokenError::IssuerUnavailable {
                url: url.to_string(),
                reason,
            })
    }

    async fn get_inner(&self, url: &Url) -> Result<Vec<u8>, FetchFailure> {
        let client = if is_loopback(url) {
            &self.direct
        } else {
            &self.proxied
        };
        let mut response = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            return Err(FetchFailure::RedirectRefused { location });
        }
        if status != StatusCode::OK {
            return Err(FetchFailure::Status(status.as_u16()));
        }
        let max = self.max_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(FetchFailure::TooLarge { max });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
            if body.len() + chunk.len() > max {
                return Err(FetchFailure::TooLarge { max });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn classify(e: &reqwest::Error) -> FetchFailure {
    if e.is_timeout() {
        FetchFailure::Timeout
    } else if e.is_connect() {
        FetchFailure::Connect(error_chain(e))
    } else {
        FetchFailure::Http(error_chain(e))
    }
}

/// An error and its sources, joined (reqwest's own `Display` omits the cause).
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_url_rules() {
        assert!(issuer_url("https://token.actions.githubusercontent.com").is_ok());
        assert!(issuer_url("http://127.0.0.1:8080/dev-issuer").is_ok());
        assert!(issuer_url("http://127.5.0.1").is_ok());
        assert!(issuer_url("http://[::1]:9/x").is_ok());
        assert!(issuer_url("http://localhost:9").is_ok());
        for (bad, reason) in [
            (
                "http://issuer.example",
                "http is allowed only for loopback hosts",
            ),
            ("http://10.0.0.1", "http is allowed only for loopback hosts"),
            ("ftp://issuer.example", "scheme must be https"),
            ("file:///etc/passwd", "has no host"),
            ("https://u:p@issuer.example", "contains credentials"),
            ("https://issuer.example/?a=b", "has a query or fragment"),
            ("not a url", "not a URL"),
        ] {
            assert_eq!(
                issuer_url(bad),
                Err(TokenError::IssuerUrlNotAllowed {
                    url: bad.into(),
                    reason
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn discovery_url_drops_one_trailing_slash() {
        assert_eq!(
            discovery_url("https://a.example/auth/").unwrap().as_str(),
            "https://a.example/auth/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://a.example").unwrap().as_str(),
            "https://a.example/.well-known/openid-configuration"
        );
    }

    #[test]
    fn jwks_url_rules() {
        let https = Url::parse("https://accounts.google.com").unwrap();
        let local = Url::parse("http://127.0.0.1:3000/dev").unwrap();
        assert!(jwks_url(&https, "https://www.googleapis.com/oauth2/v3/certs").is_ok());
        assert!(jwks_url(&local, "http://127.0.0.1:4000/jwks").is_ok());
        assert!(jwks_url(&local, "https://keys.example/jwks").is_ok());
        let reason = |r: Result<Url, TokenError>| match r {
            Err(TokenError::JwksUrlNotAllowed { reason, .. }) => reason,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            reason(jwks_url(&https, "http://accounts.google.com/jwks")),
            "http is allowed only on the host of an http loopback issuer"
        );
        assert_eq!(
            reason(jwks_url(&local, "http://127.0.0.2/jwks")),
            "http is allowed only on the host of an http loopback issuer"
        );
        assert_eq!(
            reason(jwks_url(&local, "file:///etc/passwd")),
            "has no host"
        );
        assert_eq!(
            reason(jwks_url(&local, "gopher://127.0.0.1/")),
            "scheme must be https"
        );
    }
}
