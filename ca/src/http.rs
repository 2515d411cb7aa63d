//! Fulcio v2 over HTTP/JSON (PROTOCOL.md §2): handlers decode, call one [`Ca`] method
//! and encode. Status codes are chosen only in `impl IntoResponse for CaError`.

use std::sync::Arc;

use axum::{
    extract::{rejection::JsonRejection, DefaultBodyLimit, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};

use crate::{
    error::{CaError, ErrorClass},
    issuance::Ca,
    wire::{ErrorBody, SigningCertRequest},
};

/// Largest request body: a CSR or public key plus a token is a few KiB; Fulcio allows
/// 4 MiB, far more than any real request.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The CA's routes, at `/api/v2/...`.
pub fn router(ca: Arc<Ca>) -> Router {
    Router::new()
        .route("/api/v2/signingCert", post(signing_cert))
        .route("/api/v2/trustBundle", get(trust_bundle))
        .route("/api/v2/configuration", get(configuration))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(ca)
}

async fn signing_cert(
    State(ca): State<Arc<Ca>>,
    headers: HeaderMap,
    body: Result<Json<SigningCertRequest>, JsonRejection>,
) -> Result<Response, CaError> {
    let Json(req) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            CaError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            }
        } else {
            CaError::BadRequest(e.body_text())
        }
    })?;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let cert = ca.issue(req, bearer).await?;
    Ok((StatusCode::OK, Json(cert)).into_response())
}

async fn trust_bundle(State(ca): State<Arc<Ca>>) -> Response {
    Json(ca.trust_bundle()).into_response()
}

async fn configuration(State(ca): State<Arc<Ca>>) -> Response {
    Json(ca.configuration()).into_response()
}

impl IntoResponse for CaError {
    fn into_response(self) -> Response {
        // gRPC codes as grpc-gateway maps them (§2.5).
        let (status, code) = match self.class() {
            ErrorClass::InvalidArgument => (StatusCode::BAD_REQUEST, 3),
            ErrorClass::Unauthenticated => (StatusCode::UNAUTHORIZED, 16),
            ErrorClass::PermissionDenied => (StatusCode::FORBIDDEN, 7),
            ErrorClass::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, 8),
            ErrorClass::RateLimited => (StatusCode::TOO_MANY_REQUESTS, 8),
            ErrorClass::Internal => (StatusCode::INTERNAL_SERVER_ERROR, 13),
            ErrorClass::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, 14),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "issuance failed");
        } else {
            tracing::debug!(error = %self, "issuance refused");
        }
        let retry_after = match &self {
            CaError::RateLimited { retry_after, .. } => Some(retry_after.header_secs()),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(1),
            _ => None,
        };
        let body = ErrorBody {
            code,
            message: self.to_string(),
            details: Vec::new(),
        };
        let mut resp = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}
