//! Per-client-address rate limits of `signet serve`, in front of every route: writes
//! (`POST /api/v1/log/entries`, `POST /api/v2/signingCert`) and reads (everything else)
//! have separate rates. A refused request gets `429 Too Many Requests` with
//! `Retry-After` (RFC 9110 §10.2.3, RFC 6585 §4) and the JSON error body both APIs use.
//!
//! The address is the TCP peer (`net` puts it in the request); `X-Forwarded-For` is not
//! trusted. Behind a proxy, limit per identity instead (`--rate-limit-per-identity`,
//! `--rate-limit-per-signer`).

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use signet_tlog::ratelimit::{KeyedLimit, Rate};

use super::net::client_key;

/// The routes that write (log or issue).
const WRITE_ROUTES: [&str; 2] = ["/api/v1/log/entries", "/api/v2/signingCert"];

/// Per-address limits; `None` = unlimited.
#[derive(Debug, Default)]
pub struct AddressLimits {
    writes: Option<KeyedLimit<IpAddr>>,
    reads: Option<KeyedLimit<IpAddr>>,
}

impl AddressLimits {
    /// Limits of `writes` and `reads` per address.
    #[must_use]
    pub fn new(writes: Option<Rate>, reads: Option<Rate>) -> Self {
        Self {
            writes: writes.map(KeyedLimit::new),
            reads: reads.map(KeyedLimit::new),
        }
    }

    /// Whether any limit is set.
    #[must_use]
    pub fn any(&self) -> bool {
        self.writes.is_some() || self.reads.is_some()
    }
}

/// Middleware: refuses a request over its address's rate.
pub async fn limit_by_address(
    State(limits): State<Arc<AddressLimits>>,
    req: Request,
    next: Next,
) -> Response {
    let write = req.method() == Method::POST && WRITE_ROUTES.contains(&req.uri().path());
    let (limit, what) = if write {
        (&limits.writes, "writes")
    } else {
        (&limits.reads, "reads")
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_key(c.0.ip()));
    if let (Some(limit), Some(peer)) = (limit, peer) {
        if let Err(wait) = limit.check(&peer) {
            let secs = wait.header_secs();
            let message = format!(
                "rate limit of {} {what} per client address exceeded; retry in {secs} s",
                limit.rate()
            );
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(serde_json::json!({ "code": 429, "message": message })),
            )
                .into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return resp;
        }
    }
    next.run(req).await
}
