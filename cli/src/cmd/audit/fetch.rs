//! Reading a log's tiles: every fetch has a connect timeout, an overall timeout and a
//! response-size cap, follows no redirect, and fails with a typed error naming the URL.
//! Nothing a log serves can make the auditor wait forever or allocate without bound.

use std::time::Duration;

use reqwest_tls::{Client, StatusCode, Url};
use signet_audit::report::{FETCH, RESPONSE_TOO_LARGE};

use crate::cmd::sign::http::innermost;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The response is larger than allowed.
    #[error("{url} answered with more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// A status other than 200.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// The exchange did not finish in time.
    #[error("{url} did not answer within {secs} s")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        secs: u64,
    },
    /// Connection or protocol failure.
    #[error("{url}: {cause}")]
    Transport {
        /// The URL.
        url: String,
        /// The innermost cause.
        cause: String,
    },
    /// A path that does not form a URL.
    #[error("cannot form a URL from {base} and {path}")]
    Url {
        /// The base.
        base: String,
        /// The path.
        path: String,
    },
}

impl FetchError {
    /// The report's check name for this failure.
    pub fn check(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => RESPONSE_TOO_LARGE,
            _ => FETCH,
        }
    }
}

/// A log's base URL with the client that reads it.
#[derive(Clone, Debug)]
pub struct LogClient {
    client: Client,
    base: Url,
    timeout: Duration,
    /// Cap on any one response.
    pub max_bytes: usize,
}

impl LogClient {
    /// A client for the log at `base` (`https://host/path`, tiles under it).
    pub fn new(base: &str, timeout: Duration, max_bytes: usize) -> anyhow::Result<Self> {
        let mut base = Url::parse(base).map_err(|e| anyhow::anyhow!("log URL {base:?}: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            anyhow::bail!("log URL {base} is not http(s)");
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let client = Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest_tls::redirect::Policy::none())
            .user_agent(concat!("signet-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("HTTP client: {e}"))?;
        Ok(Self {
            client,
            base,
            timeout,
            max_bytes,
        })
    }

    /// The base URL as given (with a trailing slash).
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// GETs `path` (relative to the base) and returns the body, at most `max_bytes`.
    pub async fn get(&self, path: &str) -> Result<Vec<u8>, FetchError> {
        let url = self.base.join(path).map_err(|_| FetchError::Url {
            base: self.base.to_string(),
            path: path.to_owned(),
        })?;
        let url_text = url.to_string();
        let classify = |e: reqwest_tls::Error| {
            if e.is_timeout() {
                FetchError::Timeout {
                    url: url_text.clone(),
                    secs: self.timeout.as_secs(),
                }
            } else {
                FetchError::Transport {
                    url: url_text.clone(),
                    cause: innermost(&e),
                }
            }
        };
        let mut response = self.client.get(url).send().await.map_err(classify)?;
        if response.status() != StatusCode::OK {
            return Err(FetchError::Status {
                url: url_text.clone(),
                status: response.status(),
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url_text.clone(),
            limit: self.max_bytes,
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
