//! The one HTTP client of the signing commands: the CA, the transparency log and the
//! GitHub Actions token endpoint are all reached through [`Http`].
//!
//! Every request has a connect timeout and an overall timeout, follows no redirect (a
//! signing request or a bearer token must not be carried to another host), and reads at
//! most a caller-given number of body bytes. Requests run on a current-thread tokio
//! runtime owned by the client: the signing commands are sequential.

use std::time::Duration;

use reqwest_tls::{header, Client, Method, StatusCode, Url};

use crate::cmd::quote::one_line;

/// Connecting must finish within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The whole exchange (connect, send, read the body) must finish within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an HTTP exchange failed before a status code could be judged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// No connection could be made.
    #[error("cannot connect to {url}: {cause}")]
    Connect {
        /// The request URL.
        url: String,
        /// The innermost cause (e.g. "Connection refused").
        cause: String,
    },
    /// The exchange did not finish in time.
    #[error("{url} did not answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout {
        /// The request URL.
        url: String,
    },
    /// The response body is larger than the caller allows.
    #[error("{url} answered with more than {limit} bytes")]
    TooLarge {
        /// The request URL.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// Anything else the transport reports.
    #[error("{method} {url}: {cause}")]
    Transport {
        /// The request method.
        method: Method,
        /// The request URL.
        url: String,
        /// The innermost cause.
        cause: String,
    },
    /// The client or its runtime could not be set up.
    #[error("setting up the HTTP client: {0}")]
    Setup(String),
}

/// A response: status, `ETag` header and a size-capped body.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The `ETag` header, surrounding quotes removed (Rekor v1: the entry ID, §4.1).
    pub etag: Option<String>,
    /// The body, at most the caller's limit.
    pub body: Vec<u8>,
}

impl Reply {
    /// The server's error message for a non-success reply: the `message` field of a
    /// Fulcio/Rekor JSON error body (§2.5, §4), else the body itself, on one bounded line.
    pub fn error_message(&self) -> String {
        let text = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
        one_line(&text, "(no message)")
    }

    /// `HTTP 400 Bad Request`-style text for messages.
    pub fn status_text(&self) -> String {
        format!("HTTP {}", self.status)
    }
}

/// What to send as the request body.
pub enum Body<'a> {
    /// No body.
    Empty,
    /// A JSON document (`Content-Type: application/json`).
    Json(&'a [u8]),
}

/// A client plus the runtime it runs on.
pub struct Http {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl Http {
    /// A client with the timeouts and policies of the module documentation.
    ///
    /// # Errors
    /// [`HttpError::Setup`] when the TLS backend or the runtime cannot start.
    pub fn new() -> Result<Self, HttpError> {
        let client = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest_tls::redirect::Policy::none())
            .user_agent(concat!("signet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Setup(innermost(&e)))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        Ok(Self { client, runtime })
    }

    /// Sends one request and reads at most `limit` body bytes.
    ///
    /// # Errors
    /// [`HttpError`]: connection, timeout, transport, or a body over `limit`.
    pub fn send(
        &self,
        method: Method,
        url: &Url,
        body: Body<'_>,
        bearer: Option<&str>,
        limit: usize,
    ) -> Result<Reply, HttpError> {
        let mut request = self
            .client
            .request(method.clone(), url.clone())
            .header(header::ACCEPT, "application/json");
        if let Body::Json(bytes) = body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(bytes.to_vec());
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let classify = |e: reqwest_tls::Error| {
            if e.is_timeout() {
                HttpError::Timeout {
                    url: url.to_string(),
                }
            } else if e.is_connect() {
                HttpError::Connect {
                    url: url.to_string(),
                    cause: innermost(&e),
                }
            } else {
                HttpError::Transport {
                    method: method.clone(),
                    url: url.to_string(),
                    cause: innermost(&e),
                }
            }
        };
        self.runtime.block_on(async {
            let mut response = request.send().await.map_err(classify)?;
            let status = response.status();
            let etag = response
                .headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().trim_matches('"').to_owned());
            let too_large = || HttpError::TooLarge {
                url: url.to_string(),
                limit,
            };
            if response.content_length().is_some_and(|n| n > limit as u64) {
                return Err(too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Reply { status, etag, body })
        })
    }
}

/// The innermost source of an error: reqwest's own message names only the stage
/// ("error sending request"), the useful part ("Connection refused") is at the bottom.
pub(crate) fn innermost(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> Reply {
        Reply {
            status: StatusCode::BAD_REQUEST,
            etag: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_messages_come_from_the_json_body_on_one_line() {
        assert_eq!(
            reply(r#"{"code":3,"message":"invalid identity token: expired","details":[]}"#)
                .error_message(),
            "invalid identity token: expired"
        );
        assert_eq!(reply("plain\ntext ").error_message(), "plain text");
        assert_eq!(reply("").error_message(), "(no message)");
        assert_eq!(
            reply(&"x".repeat(5000)).error_message().len(),
            crate::cmd::quote::MAX_QUOTED
        );
    }
}
