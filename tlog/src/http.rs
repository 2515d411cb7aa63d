//! HTTP edge: axum handlers that decode a request, call one [`Log`] method and encode
//! the answer. Status codes are chosen only in `impl IntoResponse for LogError`.
//!
//! Endpoints: Rekor v1 (PROTOCOL.md §4) under `/api/v1`, the C2SP tlog-tiles read
//! API (`/checkpoint`, `/tile/...`, PROTOCOL.md §5.2), and beside it one Signet extension,
//! entry metadata bundles (below).
//!
//! # Entry metadata bundles (Signet extension)
//!
//! `GET /signet/v1/entry-meta/<N>[.p/<W>]`, served by [`router`] and [`tiles_router`]
//! alike (so the CT log has it too, under the prefix it is mounted at). A C2SP entry
//! bundle carries only each leaf's bytes; this carries, for the same entries, what the log
//! stores beside each leaf but does not hash into the tree, so that an auditor replaying
//! the log from bulk reads can re-verify every entry. Auditors depend on this contract:
//!
//! * **Path.** `<N>` and `.p/<W>` are spelled exactly as in `/tile/entries/<N>[.p/<W>]`
//!   (C2SP tlog-tiles: `<N>` in 3-digit groups, all but the last prefixed by `x`, e.g.
//!   `x001/234`; `<W>` in 1..=255, no leading zeros). Metadata bundle `N[.p/W]` covers
//!   exactly the entries of entry bundle `N[.p/W]`: indexes `[N·256, N·256 + W)`, with
//!   `W = 256` when there is no `.p/` suffix.
//! * **Availability.** As for entry bundles: a full bundle once the published tree holds
//!   all 256 of its entries; a partial `.p/<W>` once it holds at least `W` of them (`W` up
//!   to the bundle's current width). Anything else, and any malformed path, is 404 with
//!   the usual `{"code","message"}` JSON body.
//! * **Body.** `200`, `application/json`:
//!   `{"entries":[{"logIndex":256,"integratedTime":1700000000,"signedEntryTimestamp":"<base64>","extra":"<base64>"}, ...]}`
//!   (DTO: `signet_rekor::api::EntryMetaBundle`), exactly `W` elements in index order:
//!   - `logIndex`: the global index, `N·256 + i` for element `i`;
//!   - `integratedTime`: Unix seconds, the entry's integrated time;
//!   - `signedEntryTimestamp`: standard base64 of the DER ECDSA SET (PROTOCOL.md §4.3),
//!     the same bytes the Rekor read API returns for the entry. It verifies with the log
//!     key over `signet_rekor::set::set_payload(base64(body), integratedTime, logID,
//!     logIndex)`, `body` being element `i` of entry bundle `N`. Omitted on a log
//!     without SETs (the CT log);
//!   - `extra`: standard base64 of the bytes stored beside the leaf. For a dsse 0.0.1
//!     entry, the DSSE envelope text exactly as submitted (UTF-8 JSON; its SHA-256 is the
//!     body's `spec.envelopeHash.value`); for a CT leaf, its issuance record. Omitted
//!     when nothing is stored (hashedrekord).
//!
//!   Readers should ignore members they do not know: the format may grow.
//! * **Caching.** As for tiles: a full bundle never changes
//!   (`Cache-Control: public, max-age=31536000, immutable`); a partial one is `no-cache`.

use std::{collections::HashMap, time::Duration};

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, DefaultBodyLimit, Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use signet_rekor::{
    api,
    entry::EntryError,
    pki::{key_fingerprint, SubmittedKey},
};
use signet_tlog_core::tile::{parse_tile_path, EntryBundleId, TileError, TilePath, TILE_WIDTH};

use crate::{
    error::LogError,
    log::{AppendOutcome, Log},
    wire,
};

/// HTTP limits. Documented in the README.
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// Largest request body accepted (413 beyond). Default 256 KiB.
    pub max_body_bytes: usize,
    /// Requests handled at once; more wait. Default 4096.
    pub max_concurrent_requests: usize,
    /// Time limit for one request (408 beyond). Default 30 s.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            max_concurrent_requests: 4096,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The read-only C2SP tlog-tiles API alone (`/checkpoint`, `/tile/...`): what a log
/// without the Rekor API (the CT log) serves to monitors and auditors.
pub fn tiles_router(log: Log, limits: &HttpLimits) -> Router {
    with_limits(
        Router::new()
            .route("/checkpoint", get(checkpoint))
            .route("/tile/{*path}", get(tile))
            .route(ENTRY_META_ROUTE, get(entry_meta)),
        limits,
    )
    .with_state(log)
}

/// Body, concurrency and time limits shared by every router of the log.
fn with_limits(router: Router<Log>, limits: &HttpLimits) -> Router<Log> {
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(tower::limit::ConcurrencyLimitLayer::new(
            limits.max_concurrent_requests,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
}

/// Route of the Signet entry-metadata extension (module docs).
const ENTRY_META_ROUTE: &str = "/signet/v1/entry-meta/{*path}";

/// The log's router.
pub fn router(log: Log, limits: &HttpLimits) -> Router {
    let routes = Router::new()
        .route("/api/v1/log", get(log_info))
        .route("/api/v1/log/publicKey", get(public_key))
        .route("/api/v1/log/proof", get(consistency_proof))
        .route(
            "/api/v1/log/entries",
            post(create_entry).get(entry_by_index),
        )
        .route("/api/v1/log/entries/retrieve", post(retrieve_entries))
        .route("/api/v1/log/entries/retrieve/", post(retrieve_entries))
        .route("/api/v1/log/entries/{uuid}", get(entry_by_uuid))
        .route("/api/v1/index/retrieve", post(search_index))
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .route(ENTRY_META_ROUTE, get(entry_meta));
    with_limits(routes, limits).with_state(log)
}

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

fn params(q: Params) -> Result<HashMap<String, String>, LogError> {
    q.map(|Query(m)| m)
        .map_err(|e| LogError::BadRequest(format!("malformed query string: {e}")))
}

fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|e| ApiError::Status(e.status(), format!("request body: {}", e.body_text())))
}

fn num(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, LogError> {
    params
        .get(name)
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                LogError::BadRequest(format!("{name} must be a non-negative integer, got {v:?}"))
            })
        })
        .transpose()
}

fn check_tree_id(log: &Log, params: &HashMap<String, String>) -> Result<(), LogError> {
    match params.get("treeID") {
        Some(t) if t.parse::<u64>().ok() != Some(log.meta().tree_id) => {
            Err(LogError::NotFound(format!("unknown treeID {t:?}")))
        }
        _ => Ok(()),
    }
}

async fn log_info(State(log): State<Log>) -> Json<api::LogInfo> {
    let head = log.head();
    Json(api::LogInfo {
        root_hash: head.root.to_hex(),
        tree_size: head.size,
        signed_tree_head: head.note.clone(),
        tree_id: log.meta().tree_id.to_string(),
        inactive_shards: Vec::new(),
    })
}

async fn public_key(State(log): State<Log>, q: Params) -> Result<Response, ApiError> {
    check_tree_id(&log, &params(q)?)?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        log.public_key_pem(),
    )
        .into_response())
}

async fn consistency_proof(
    State(log): State<Log>,
    q: Params,
) -> Result<Json<api::ConsistencyProof>, ApiError> {
    let p = params(q)?;
    check_tree_id(&log, &p)?;
    let first = num(&p, "firstSize")?.unwrap_or(1);
    let last = num(&p, "lastSize")?
        .ok_or_else(|| LogError::BadRequest("lastSize is required".to_owned()))?;
    let answer = log.consistency(first, last).await?;
    Ok(Json(api::ConsistencyProof {
        root_hash: answer.root.to_hex(),
        hashes: answer.proof.iter().map(|h| h.to_hex()).collect(),
    }))
}

async fn create_entry(
    State(log): State<Log>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b = body(b)?;
    match log.append(&b).await? {
        AppendOutcome::Created(proven) => {
            let id = log.entry_id(&proven.entry.leaf_hash);
            let location = format!("/api/v1/log/entries/{id}");
            let mut headers = HeaderMap::new();
            headers.insert(header::ETAG, header_value(&id)?);
            headers.insert(header::LOCATION, header_value(&location)?);
            Ok((
                StatusCode::CREATED,
                headers,
                Json(wire::log_entry(&log, &proven)),
            )
                .into_response())
        }
        AppendOutcome::Duplicate { leaf_hash, .. } => {
            let id = log.entry_id(&leaf_hash);
            let location = format!("/api/v1/log/entries/{id}");
            let mut resp = error_response(
                StatusCode::CONFLICT,
                format!(
                    "an equivalent entry already exists in the transparency log with UUID {id}"
                ),
            );
            resp.headers_mut()
                .insert(header::LOCATION, header_value(&location)?);
            Ok(resp)
        }
    }
}

async fn entry_by_index(
    State(log): State<Log>,
    q: Params,
) -> Result<Json<api::LogEntry>, ApiError> {
    let p = params(q)?;
    let index = num(&p, "logIndex")?
        .ok_or_else(|| LogError::BadRequest("logIndex is required".to_owned()))?;
    let proven = log.entry_by_index(index).await?;
    Ok(Json(wire::log_entry(&log, &proven)))
}

async fn entry_by_uuid(
    State(log): State<Log>,
    uuid: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<api::LogEntry>, ApiError> {
    let Path(uuid) = uuid.map_err(|e| LogError::BadRequest(e.body_text()))?;
    let proven = log.entry_by_uuid(&uuid).await?;
    Ok(Json(wire::log_entry(&log, &proven)))
}

async fn retrieve_entries(
    State(log): State<Log>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<api::LogEntry>>, ApiError> {
    let query: api::SearchLogQuery = json(&body(b)?)?;
    let found = log
        .retrieve(
            query.entry_uuids.as_deref().unwrap_or_default(),
            query.log_indexes.as_deref().unwrap_or_default(),
            query.entries.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok(Json(
        found.iter().map(|p| wire::log_entry(&log, p)).collect(),
    ))
}

async fn search_index(
    State(log): State<Log>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<String>>, ApiError> {
    let query: api::SearchIndex = json(&body(b)?)?;
    let keys = index_query_keys(&query)?;
    let or = match query.operator.as_deref() {
        None | Some("and") => false,
        Some("or") => true,
        Some(other) => {
            return Err(LogError::BadRequest(format!(
                "operator must be \"and\" or \"or\", got {other:?}"
            ))
            .into())
        }
    };
    let mut result: Option<Vec<u64>> = None;
    for key in &keys {
        let hits = log.lookup(key).await?;
        result = Some(match result {
            None => hits,
            Some(acc) if or => {
                let mut all = acc;
                all.extend(hits);
                all.sort_unstable();
                all.dedup();
                all
            }
            Some(acc) => acc.into_iter().filter(|i| hits.contains(i)).collect(),
        });
    }
    let mut ids = Vec::new();
    for index in result.unwrap_or_default() {
        ids.push(log.entry_id(&log.leaf_hash_at(index).await?));
    }
    Ok(Json(ids))
}

/// The search keys a `SearchIndex` query asks for (same form as `signet_rekor::entry` files them).
fn index_query_keys(q: &api::SearchIndex) -> Result<Vec<String>, LogError> {
    let mut keys = Vec::new();
    if let Some(h) = &q.hash {
        let (alg, hex_part) = match h.split_once(':') {
            Some((a, v)) => (a.to_ascii_lowercase(), v),
            None => ("sha256".to_owned(), h.as_str()),
        };
        let want = match alg.as_str() {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            other => {
                return Err(LogError::BadRequest(format!(
                    "hash: unsupported algorithm {other:?}"
                )))
            }
        };
        if hex_part.len() != want || !hex_part.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(LogError::BadRequest(format!(
                "hash: {alg} digest must be {want} hex characters"
            )));
        }
        keys.push(format!("{alg}:{}", hex_part.to_ascii_lowercase()));
    }
    if let Some(pk) = &q.public_key {
        if pk.format != "x509" {
            return Err(LogError::BadRequest(format!(
                "publicKey.format {:?} is not supported (only \"x509\")",
                pk.format
            )));
        }
        if pk.url.is_some() {
            return Err(LogError::BadRequest(
                "publicKey.url is not supported: the log never fetches URLs from requests"
                    .to_owned(),
            ));
        }
        let content = pk
            .content
            .as_deref()
            .ok_or_else(|| LogError::BadRequest("publicKey.content is required".to_owned()))?;
        let pem = base64_decode(content)
            .map_err(|_| LogError::BadRequest("publicKey.content: invalid base64".to_owned()))?;
        let key = SubmittedKey::from_pem(&pem)
            .map_err(|e| LogError::BadRequest(format!("publicKey.content: {e}")))?;
        keys.push(key_fingerprint(&key.canonical_pem()));
    }
    if let Some(e) = &q.email {
        keys.push(e.to_lowercase());
    }
    if let Some(s) = &q.subject {
        keys.push(s.clone());
    }
    if keys.is_empty() {
        return Err(LogError::BadRequest(
            "give at least one of hash, publicKey, email, subject".to_owned(),
        ));
    }
    Ok(keys)
}

async fn checkpoint(State(log): State<Log>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        log.head().note.clone(),
    )
        .into_response()
}

async fn tile(
    State(log): State<Log>,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let Path(path) = path.map_err(|e| LogError::BadRequest(e.body_text()))?;
    let parsed =
        parse_tile_path(&path).map_err(|e| LogError::NotFound(format!("tile/{path}: {e}")))?;
    let bytes = log.tile(&parsed).await?;
    let width = match &parsed {
        TilePath::Hash(t) => t.width,
        TilePath::Entries(b) => b.width,
        _ => 0,
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, tile_cache_control(width)),
        ],
        bytes,
    )
        .into_response())
}

/// Full tiles never change (C2SP tlog-tiles); partial ones are superseded.
fn tile_cache_control(width: u16) -> &'static str {
    if u64::from(width) == TILE_WIDTH {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// `GET /signet/v1/entry-meta/<N>[.p/<W>]` (module docs).
async fn entry_meta(
    State(log): State<Log>,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let Path(path) = path.map_err(|e| LogError::BadRequest(e.body_text()))?;
    let bundle = parse_entry_meta_path(&path)
        .map_err(|e| LogError::NotFound(format!("signet/v1/entry-meta/{path}: {e}")))?;
    let entries = log.entry_meta(&bundle).await?;
    Ok((
        [(header::CACHE_CONTROL, tile_cache_control(bundle.width))],
        Json(wire::entry_meta_bundle(&entries)),
    )
        .into_response())
}

/// `<N>[.p/<W>]` with the spelling rules of `tile/entries/<N>[.p/<W>]`.
fn parse_entry_meta_path(path: &str) -> Result<EntryBundleId, TileError> {
    match parse_tile_path(&format!("entries/{path}"))? {
        TilePath::Entries(bundle) => Ok(bundle),
        // `entries/` always parses as an entry bundle; a hash tile cannot come back.
        _ => Err(TileError::MissingIndex),
    }
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "no such endpoint".to_owned())
}

fn json<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, LogError> {
    serde_json::from_slice(b).map_err(|e| LogError::BadRequest(format!("malformed JSON: {e}")))
}

fn base64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s)
}

fn header_value(s: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(s)
        .map_err(|_| ApiError::Status(StatusCode::INTERNAL_SERVER_ERROR, "bad header".to_owned()))
}

/// `{"code", "message"}` JSON error response (PROTOCOL.md §4).
pub fn error_response(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(api::ErrorBody {
            code: status.as_u16(),
            message,
        }),
    )
        .into_response()
}

/// Error answered to a client.
#[derive(Debug)]
pub enum ApiError {
    /// A domain error.
    Log(LogError),
    /// A transport-level error with its status.
    Status(StatusCode, String),
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        ApiError::Log(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = match self {
            ApiError::Status(status, message) => return error_response(status, message),
            ApiError::Log(e) => e,
        };
        let status = match &e {
            LogError::InvalidEntry(EntryError::BodyTooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            LogError::InvalidEntry(_) | LogError::BadRequest(_) => StatusCode::BAD_REQUEST,
            LogError::TooManyItems(_) => StatusCode::UNPROCESSABLE_ENTITY,
            LogError::NotFound(_) => StatusCode::NOT_FOUND,
            LogError::RateLimited { retry_after, .. } => {
                let mut resp = error_response(StatusCode::TOO_MANY_REQUESTS, e.to_string());
                resp.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after.header_secs()),
                );
                return resp;
            }
            LogError::Overloaded
            | LogError::ShuttingDown
            | LogError::Storage(_)
            | LogError::WriteFailed { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        let message = match status {
            StatusCode::INTERNAL_SERVER_ERROR => "internal error".to_owned(),
            _ => e.to_string(),
        };
        let mut resp = error_response(status, message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}
