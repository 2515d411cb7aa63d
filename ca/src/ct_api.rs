//! The RFC 6962 §4 read API of the CA's CT log, so that CT monitors and auditors can
//! read it with standard tooling (beside the C2SP tiles the log already serves):
//!
//! | RFC 6962 | path (relative to where the router is nested) | answer |
//! |---|---|---|
//! | §4.3 | `GET /ct/v1/get-sth` | `tree_size`, `timestamp`, `sha256_root_hash`, `tree_head_signature` |
//! | §4.4 | `GET /ct/v1/get-sth-consistency?first=&second=` | `consistency` |
//! | §4.5 | `GET /ct/v1/get-proof-by-hash?hash=&tree_size=` | `leaf_index`, `audit_path` |
//! | §4.6 | `GET /ct/v1/get-entries?start=&end=` | `entries`: `leaf_input`, `extra_data` |
//! | §4.7 | `GET /ct/v1/get-roots` | `certificates` |
//! | §4.8 | `GET /ct/v1/get-entry-and-proof?leaf_index=&tree_size=` | `leaf_input`, `extra_data`, `audit_path` |
//!
//! Binary fields are standard base64 with padding. `extra_data` is the RFC 6962 §3.1
//! `PrecertChainEntry` (every entry of this log is a precertificate): the stored
//! precertificate and the CA chain `[intermediate, root]`. `get-entries` returns at most
//! [`MAX_GET_ENTRIES`] entries and stops at the end of the tree, returning fewer rather
//! than failing. Errors are `{"code", "message"}` JSON: 400 for a missing, malformed or
//! out-of-range parameter, 404 for a leaf hash not in the tree of the given size.
//!
//! [`CtApi`] holds the domain functions; the handlers below only decode the query, call
//! one of them and encode the answer.

use std::collections::HashMap;
use std::sync::Arc;

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use base64::Engine as _;
use serde::Serialize;
use signet_ca_core::sth::SignedTreeHead;
use signet_tlog::{http::HttpLimits, LogError};
use signet_tlog_core::{hash::Hash, proof::ProofError};

use crate::ct::{precert_chain_entry, CtError, CtLog, ExtraError, StoredExtra};

/// Most entries one `get-entries` returns (what production CT logs allow).
pub const MAX_GET_ENTRIES: u64 = 256;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why an RFC 6962 read request was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtApiError {
    /// A required query parameter is absent (400).
    #[error("missing query parameter {name:?}")]
    MissingParameter {
        /// The parameter.
        name: &'static str,
    },
    /// A query parameter does not parse (400).
    #[error("query parameter {name:?}: {reason}")]
    BadParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The query string itself does not parse (400).
    #[error("malformed query string: {0}")]
    BadQuery(String),
    /// Sizes or indexes outside the published tree, or in the wrong order (400).
    #[error("{0}")]
    OutOfRange(String),
    /// No entry with that leaf hash in the tree of the requested size (404).
    #[error("{0}")]
    NotFound(String),
    /// A stored entry cannot be served as RFC 6962 asks (500).
    #[error("CT log entry {index}: {reason}")]
    StoredEntry {
        /// The entry.
        index: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Its stored extra does not decode (500).
    #[error("CT log entry {index}: {source}")]
    StoredExtra {
        /// The entry.
        index: u64,
        /// Why.
        #[source]
        source: ExtraError,
    },
    /// A proof could not be assembled from the stored tiles (500).
    #[error("proof construction failed: {0}")]
    Proof(#[from] ProofError),
    /// Signing the tree head or reading the CT log failed.
    #[error(transparent)]
    Ct(#[from] CtError),
    /// Reading the log failed.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// One `get-entries` item, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtEntry {
    /// The RFC 6962 §3.4 `MerkleTreeLeaf`.
    pub leaf_input: Vec<u8>,
    /// The RFC 6962 §3.1 `PrecertChainEntry`.
    pub extra_data: Vec<u8>,
}

/// An inclusion proof of a leaf in a tree of a given size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// Index of the leaf.
    pub leaf_index: u64,
    /// RFC 6962 §2.1.1 audit path, leaf to root.
    pub audit_path: Vec<Hash>,
}

/// The domain side of the RFC 6962 read API: the CT log and the CA chain its entries are
/// issued under.
#[derive(Clone, Debug)]
pub struct CtApi {
    ct: CtLog,
    /// DER `[intermediate, root]`.
    chain_der: Arc<[Vec<u8>]>,
}

impl CtApi {
    /// The read API of `ct`, whose precertificates are issued under `chain_der` (DER,
    /// issuer first, root last: `CaKeys::chain_der`).
    #[must_use]
    pub fn new(ct: CtLog, chain_der: Vec<Vec<u8>>) -> Self {
        Self {
            ct,
            chain_der: chain_der.into(),
        }
    }

    /// §4.3: the signed tree head of the newest tree (cached per tree size; see
    /// [`CtLog::signed_tree_head`]).
    ///
    /// # Errors
    /// [`CtApiError::Ct`] if it cannot be signed.
    pub async fn get_sth(&self) -> Result<Arc<SignedTreeHead>, CtApiError> {
        Ok(self.ct.signed_tree_head().await?)
    }

    /// §4.4: the consistency proof between the trees of sizes `first` and `second`
    /// (`1 <= first <= second <= tree size`; empty when they are equal).
    ///
    /// # Errors
    /// [`CtApiError::OutOfRange`] for other sizes.
    pub async fn get_sth_consistency(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Vec<Hash>, CtApiError> {
        let size = self.ct.log().head().size;
        if second > size {
            return Err(CtApiError::OutOfRange(format!(
                "second={second} is beyond the tree size {size}"
            )));
        }
        if first == 0 || first > second {
            return Err(CtApiError::OutOfRange(format!(
                "need 1 <= first <= second, got first={first} second={second}"
            )));
        }
        if first == second {
            return Ok(Vec::new());
        }
        Ok(self.ct.log().consistency(first, second).await?.proof)
    }

    /// §4.5: the index of the leaf with `leaf_hash` and its audit path in the tree of
    /// `tree_size` (`1 <= tree_size <= tree size`).
    ///
    /// # Errors
    /// [`CtApiError::OutOfRange`] for a bad size; [`CtApiError::NotFound`] if no entry of
    /// that tree has this leaf hash.
    pub async fn get_proof_by_hash(
        &self,
        leaf_hash: &Hash,
        tree_size: u64,
    ) -> Result<InclusionProof, CtApiError> {
        let head_size = self.ct.log().head().size;
        check_tree_size(tree_size, head_size)?;
        let index = match self.ct.log().entry_by_uuid(&leaf_hash.to_hex()).await {
            Ok(found) => found.entry.index,
            Err(LogError::NotFound(_)) => {
                return Err(CtApiError::NotFound(format!(
                    "no entry with leaf hash {}",
                    B64.encode(leaf_hash.as_bytes())
                )))
            }
            Err(e) => return Err(e.into()),
        };
        if index >= tree_size {
            return Err(CtApiError::NotFound(format!(
                "the entry with leaf hash {} is at index {index}, not in the tree of size \
                 {tree_size}",
                B64.encode(leaf_hash.as_bytes())
            )));
        }
        let audit_path = self.ct.log().inclusion_proof(index, tree_size).await?;
        Ok(InclusionProof {
            leaf_index: index,
            audit_path,
        })
    }

    /// §4.6: entries `start..=end`, cut at the end of the tree and at
    /// [`MAX_GET_ENTRIES`] (fewer, never an error, as RFC 6962 allows).
    ///
    /// # Errors
    /// [`CtApiError::OutOfRange`] if `start > end` or `start` is not in the tree.
    pub async fn get_entries(&self, start: u64, end: u64) -> Result<Vec<CtEntry>, CtApiError> {
        if start > end {
            return Err(CtApiError::OutOfRange(format!(
                "start={start} is after end={end}"
            )));
        }
        let size = self.ct.log().head().size;
        if start >= size {
            return Err(CtApiError::OutOfRange(format!(
                "start={start} is beyond the tree size {size}"
            )));
        }
        let last = end
            .min(size - 1)
            .min(start.saturating_add(MAX_GET_ENTRIES - 1));
        self.entries(start, last - start + 1).await
    }

    /// §4.7: the roots this log accepts: the CA root.
    #[must_use]
    pub fn get_roots(&self) -> Vec<Vec<u8>> {
        self.chain_der.last().cloned().into_iter().collect()
    }

    /// §4.8: entry `leaf_index` and its audit path in the tree of `tree_size`
    /// (`leaf_index < tree_size <= tree size`).
    ///
    /// # Errors
    /// [`CtApiError::OutOfRange`] for other values.
    pub async fn get_entry_and_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> Result<(CtEntry, Vec<Hash>), CtApiError> {
        let head_size = self.ct.log().head().size;
        check_tree_size(tree_size, head_size)?;
        if leaf_index >= tree_size {
            return Err(CtApiError::OutOfRange(format!(
                "leaf_index={leaf_index} is not in the tree of size {tree_size}"
            )));
        }
        let entry =
            self.entries(leaf_index, 1)
                .await?
                .pop()
                .ok_or_else(|| CtApiError::StoredEntry {
                    index: leaf_index,
                    reason: "missing from storage below the tree size".to_owned(),
                })?;
        let audit_path = self.ct.log().inclusion_proof(leaf_index, tree_size).await?;
        Ok((entry, audit_path))
    }

    /// Entries `[start, start + count)`, which must all be published.
    async fn entries(&self, start: u64, count: u64) -> Result<Vec<CtEntry>, CtApiError> {
        let stored = self.ct.log().entries_range(start, count).await?;
        if stored.len() as u64 != count {
            return Err(CtApiError::StoredEntry {
                index: start,
                reason: format!(
                    "storage returned {} of {count} published entries",
                    stored.len()
                ),
            });
        }
        let mut out = Vec::with_capacity(stored.len());
        for (expected, e) in (start..).zip(stored) {
            if e.index != expected {
                return Err(CtApiError::StoredEntry {
                    index: expected,
                    reason: format!("storage returned entry {} in its place", e.index),
                });
            }
            let extra = e.extra.as_deref().ok_or_else(|| CtApiError::StoredEntry {
                index: e.index,
                reason: "no precertificate stored beside the leaf".to_owned(),
            })?;
            let extra = StoredExtra::decode(extra).map_err(|source| CtApiError::StoredExtra {
                index: e.index,
                source,
            })?;
            out.push(CtEntry {
                extra_data: precert_chain_entry(&extra.precertificate_der, &self.chain_der)?,
                leaf_input: e.body,
            });
        }
        Ok(out)
    }
}

fn check_tree_size(tree_size: u64, head_size: u64) -> Result<(), CtApiError> {
    if tree_size == 0 || tree_size > head_size {
        return Err(CtApiError::OutOfRange(format!(
            "tree_size={tree_size} is not between 1 and the tree size {head_size}"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HTTP

/// The RFC 6962 §4 read routes of `ct` (whose entries are issued under `chain_der`,
/// issuer first, root last), relative to where they are nested: nest under `/ct` for the
/// standard `/ct/ct/v1/...`. The router has no fallback, so it merges with
/// `signet_tlog::http::tiles_router` of the same log:
///
/// ```text
/// router.nest("/ct", tiles_router(log, &limits).merge(rfc6962_router(ct, chain, &limits)))
/// ```
pub fn rfc6962_router(ct: CtLog, chain_der: Vec<Vec<u8>>, limits: &HttpLimits) -> Router {
    Router::new()
        .route("/ct/v1/get-sth", get(get_sth))
        .route("/ct/v1/get-sth-consistency", get(get_sth_consistency))
        .route("/ct/v1/get-proof-by-hash", get(get_proof_by_hash))
        .route("/ct/v1/get-entries", get(get_entries))
        .route("/ct/v1/get-roots", get(get_roots))
        .route("/ct/v1/get-entry-and-proof", get(get_entry_and_proof))
        .layer(tower::limit::ConcurrencyLimitLayer::new(
            limits.max_concurrent_requests,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .with_state(CtApi::new(ct, chain_der))
}

type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

#[derive(Serialize)]
struct SthJson {
    tree_size: u64,
    timestamp: u64,
    sha256_root_hash: String,
    tree_head_signature: String,
}

#[derive(Serialize)]
struct ConsistencyJson {
    consistency: Vec<String>,
}

#[derive(Serialize)]
struct ProofJson {
    leaf_index: u64,
    audit_path: Vec<String>,
}

#[derive(Serialize)]
struct EntryJson {
    leaf_input: String,
    extra_data: String,
}

#[derive(Serialize)]
struct EntriesJson {
    entries: Vec<EntryJson>,
}

#[derive(Serialize)]
struct RootsJson {
    certificates: Vec<String>,
}

#[derive(Serialize)]
struct EntryAndProofJson {
    leaf_input: String,
    extra_data: String,
    audit_path: Vec<String>,
}

async fn get_sth(State(api): State<CtApi>) -> Result<Response, CtApiError> {
    let sth = api.get_sth().await?;
    let head = &sth.tree_head;
    let body = SthJson {
        tree_size: head.tree_size,
        timestamp: head.timestamp_ms,
        sha256_root_hash: B64.encode(head.sha256_root_hash),
        tree_head_signature: B64.encode(
            sth.signature
                .to_bytes()
                .map_err(|e| CtApiError::Ct(CtError::TreeHead(e)))?,
        ),
    };
    Ok(json_no_cache(&body))
}

async fn get_sth_consistency(
    State(api): State<CtApi>,
    params: Params,
) -> Result<Response, CtApiError> {
    let q = query(params)?;
    let proof = api
        .get_sth_consistency(u64_param(&q, "first")?, u64_param(&q, "second")?)
        .await?;
    Ok(Json(ConsistencyJson {
        consistency: b64_hashes(&proof),
    })
    .into_response())
}

async fn get_proof_by_hash(
    State(api): State<CtApi>,
    params: Params,
) -> Result<Response, CtApiError> {
    let q = query(params)?;
    let proof = api
        .get_proof_by_hash(&hash_param(&q, "hash")?, u64_param(&q, "tree_size")?)
        .await?;
    Ok(Json(ProofJson {
        leaf_index: proof.leaf_index,
        audit_path: b64_hashes(&proof.audit_path),
    })
    .into_response())
}

async fn get_entries(State(api): State<CtApi>, params: Params) -> Result<Response, CtApiError> {
    let q = query(params)?;
    let entries = api
        .get_entries(u64_param(&q, "start")?, u64_param(&q, "end")?)
        .await?;
    Ok(Json(EntriesJson {
        entries: entries
            .iter()
            .map(|e| EntryJson {
                leaf_input: B64.encode(&e.leaf_input),
                extra_data: B64.encode(&e.extra_data),
            })
            .collect(),
    })
    .into_response())
}

async fn get_roots(State(api): State<CtApi>) -> Response {
    Json(RootsJson {
        certificates: api.get_roots().iter().map(|c| B64.encode(c)).collect(),
    })
    .into_response()
}

async fn get_entry_and_proof(
    State(api): State<CtApi>,
    params: Params,
) -> Result<Response, CtApiError> {
    let q = query(params)?;
    let (entry, audit_path) = api
        .get_entry_and_proof(u64_param(&q, "leaf_index")?, u64_param(&q, "tree_size")?)
        .await?;
    Ok(Json(EntryAndProofJson {
        leaf_input: B64.encode(&entry.leaf_input),
        extra_data: B64.encode(&entry.extra_data),
        audit_path: b64_hashes(&audit_path),
    })
    .into_response())
}

fn json_no_cache(body: &impl Serialize) -> Response {
    let mut resp = Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn b64_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h.as_bytes())).collect()
}

fn query(params: Params) -> Result<HashMap<String, String>, CtApiError> {
    params
        .map(|Query(q)| q)
        .map_err(|e| CtApiError::BadQuery(e.body_text()))
}

fn param<'q>(q: &'q HashMap<String, String>, name: &'static str) -> Result<&'q str, CtApiError> {
    q.get(name)
        .map(String::as_str)
        .ok_or(CtApiError::MissingParameter { name })
}

/// A non-negative decimal integer (digits only, as RFC 6962 clients send them).
fn u64_param(q: &HashMap<String, String>, name: &'static str) -> Result<u64, CtApiError> {
    let v = param(q, name)?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CtApiError::BadParameter {
            name,
            reason: format!("{v:?} is not a non-negative decimal integer"),
        });
    }
    v.parse().map_err(|_| CtApiError::BadParameter {
        name,
        reason: format!("{v:?} does not fit in 64 bits"),
    })
}

/// A base64 SHA-256 hash. A `+` the client forgot to percent-encode arrives as a space
/// (form encoding); it is put back, since base64 has no spaces.
fn hash_param(q: &HashMap<String, String>, name: &'static str) -> Result<Hash, CtApiError> {
    let v = param(q, name)?.replace(' ', "+");
    let bytes = B64.decode(&v).map_err(|e| CtApiError::BadParameter {
        name,
        reason: format!("not standard base64: {e}"),
    })?;
    Hash::from_slice(&bytes).ok_or_else(|| CtApiError::BadParameter {
        name,
        reason: format!("a SHA-256 hash is 32 bytes, got {}", bytes.len()),
    })
}

impl IntoResponse for CtApiError {
    fn into_response(self) -> Response {
        let log_status = |e: &LogError| match e {
            LogError::BadRequest(_) => StatusCode::BAD_REQUEST,
            LogError::NotFound(_) => StatusCode::NOT_FOUND,
            LogError::Overloaded
            | LogError::ShuttingDown
            | LogError::Storage(_)
            | LogError::WriteFailed { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let status = match &self {
            CtApiError::MissingParameter { .. }
            | CtApiError::BadParameter { .. }
            | CtApiError::BadQuery(_)
            | CtApiError::OutOfRange(_) => StatusCode::BAD_REQUEST,
            CtApiError::NotFound(_) => StatusCode::NOT_FOUND,
            CtApiError::Log(e) | CtApiError::Ct(CtError::Log(e)) => log_status(e),
            CtApiError::StoredEntry { .. }
            | CtApiError::StoredExtra { .. }
            | CtApiError::Proof(_)
            | CtApiError::Ct(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "RFC 6962 read failed");
        }
        let message = match status {
            StatusCode::INTERNAL_SERVER_ERROR => "internal error".to_owned(),
            _ => self.to_string(),
        };
        let mut resp = signet_tlog::http::error_response(status, message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parameters_parse_strictly() {
        let hash_b64 = B64.encode([0xfb; 32]);
        assert!(hash_b64.contains('+'));
        let spaced = hash_b64.replace('+', " ");
        let q: HashMap<String, String> = [
            ("n", "42"),
            ("neg", "-1"),
            ("plus", "+1"),
            ("big", "18446744073709551616"),
            ("empty", ""),
            ("h", spaced.as_str()),
            ("short", "AAAA"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(u64_param(&q, "n").unwrap(), 42);
        for bad in ["neg", "plus", "big", "empty"] {
            assert!(
                matches!(u64_param(&q, bad), Err(CtApiError::BadParameter { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            u64_param(&q, "absent"),
            Err(CtApiError::MissingParameter { name: "absent" })
        ));
        assert_eq!(hash_param(&q, "h").unwrap(), Hash([0xfb; 32]));
        assert!(matches!(
            hash_param(&q, "short"),
            Err(CtApiError::BadParameter { .. })
        ));
    }
}
