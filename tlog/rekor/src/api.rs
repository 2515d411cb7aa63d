//! Rekor v1 REST wire DTOs (PROTOCOL.md §4.1, §4.4; rekor `openapi.yaml`), and the
//! Signet entry-metadata extension ([`EntryMetaBundle`]) auditors read beside the C2SP
//! tiles API.
//!
//! These are serialisation shapes only. Integers are plain JSON numbers, hashes and
//! log IDs are lowercase hex, bodies and signatures are standard base64
//! (PROTOCOL.md §1, "Rekor v1 REST").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `LogEntry`: a map with exactly one key, the 80-hex entry ID (PROTOCOL.md §4.1).
pub type LogEntry = BTreeMap<String, LogEntryAnon>;

/// The value of a [`LogEntry`] map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryAnon {
    /// Base64 of the canonical entry body (the bytes hashed into the tree).
    pub body: String,
    /// Unix seconds at which the entry was integrated.
    pub integrated_time: i64,
    /// Hex SHA-256 of the log key's DER SubjectPublicKeyInfo (PROTOCOL.md §4.2).
    #[serde(rename = "logID")]
    pub log_id: String,
    /// Global (virtual) index; equal to the tree index on a single-shard log.
    pub log_index: u64,
    /// Proof material.
    pub verification: Verification,
}

/// `verification` of a [`LogEntryAnon`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Inclusion proof against a signed checkpoint.
    pub inclusion_proof: InclusionProof,
    /// Base64 DER ECDSA signature over the JCS SET payload (PROTOCOL.md §4.3).
    pub signed_entry_timestamp: String,
}

/// RFC 6962 inclusion proof with the checkpoint it was computed against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// The signed note (checkpoint) whose tree size and root the proof is for.
    pub checkpoint: String,
    /// Hex sibling hashes, leaf to root.
    pub hashes: Vec<String>,
    /// Index within the (single) shard tree.
    pub log_index: u64,
    /// Hex root hash of the tree of `tree_size`.
    pub root_hash: String,
    /// Tree size the proof is for.
    pub tree_size: u64,
}

/// `GET /api/v1/log` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogInfo {
    /// Hex root hash.
    pub root_hash: String,
    /// Tree size.
    pub tree_size: u64,
    /// The signed checkpoint for this size.
    pub signed_tree_head: String,
    /// Decimal tree ID.
    #[serde(rename = "treeID")]
    pub tree_id: String,
    /// Earlier shards (always empty: Signet runs a single shard).
    #[serde(default)]
    pub inactive_shards: Vec<InactiveShard>,
}

/// An inactive shard in [`LogInfo`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InactiveShard {
    /// Hex root hash.
    pub root_hash: String,
    /// Tree size.
    pub tree_size: u64,
    /// Signed checkpoint.
    pub signed_tree_head: String,
    /// Decimal tree ID.
    #[serde(rename = "treeID")]
    pub tree_id: String,
}

/// `GET /api/v1/log/proof` response (RFC 6962 consistency proof).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsistencyProof {
    /// Hex root hash of the tree at `lastSize`.
    pub root_hash: String,
    /// Hex proof hashes (RFC 6962 §2.1.2 order).
    pub hashes: Vec<String>,
}

/// `POST /api/v1/log/entries/retrieve` request; at most 10 items in total.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchLogQuery {
    /// 64- or 80-hex entry UUIDs.
    #[serde(default, rename = "entryUUIDs")]
    pub entry_uuids: Option<Vec<String>>,
    /// Global log indexes.
    #[serde(default)]
    pub log_indexes: Option<Vec<i64>>,
    /// Proposed entries, looked up by their canonical leaf hash.
    #[serde(default)]
    pub entries: Option<Vec<serde_json::Value>>,
}

/// `POST /api/v1/index/retrieve` request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchIndex {
    /// `"sha256:<hex>"` (or bare hex) artefact digest.
    #[serde(default)]
    pub hash: Option<String>,
    /// Signer public key or certificate.
    #[serde(default)]
    pub public_key: Option<SearchIndexPublicKey>,
    /// Email SAN of the signer certificate.
    #[serde(default)]
    pub email: Option<String>,
    /// Other subject (URI SAN).
    #[serde(default)]
    pub subject: Option<String>,
    /// `"and"` (default) or `"or"` across the given criteria.
    #[serde(default)]
    pub operator: Option<String>,
}

/// Public key criterion of [`SearchIndex`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchIndexPublicKey {
    /// Only `"x509"` is supported (PEM certificate or PEM public key).
    pub format: String,
    /// Base64 of the PEM text.
    #[serde(default)]
    pub content: Option<String>,
    /// Fetching keys from URLs is refused: the log never fetches a URL from a request.
    #[serde(default)]
    pub url: Option<String>,
}

/// `GET /signet/v1/entry-meta/<N>[.p/<W>]` response, a Signet extension beside the C2SP
/// tlog-tiles API (contract in `signet_tlog::http`): for each entry of entry bundle `N`,
/// what the log stores beside the leaf but does not hash into the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMetaBundle {
    /// One element per entry of the bundle, in index order: exactly `W` (or 256).
    pub entries: Vec<EntryMeta>,
}

/// One entry of an [`EntryMetaBundle`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryMeta {
    /// Global log index of the entry (`N·256 + i` for the `i`-th element).
    pub log_index: u64,
    /// Unix seconds at which the entry was integrated (the SET's `integratedTime`).
    pub integrated_time: i64,
    /// Standard base64 of the DER ECDSA signed entry timestamp (PROTOCOL.md §4.3), the
    /// same bytes as `verification.signedEntryTimestamp` of the Rekor read API. Absent on
    /// logs whose entries carry no SET (the certificate-transparency log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_entry_timestamp: Option<String>,
    /// Standard base64 of the data stored beside the leaf: for dsse, the submitted DSSE
    /// envelope text, whose SHA-256 is the body's `envelopeHash`; for the CT log, the
    /// issuance record. Absent when nothing is stored (hashedrekord).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
}

/// Error body `{"code", "message"}` used by every endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// HTTP status code.
    pub code: u16,
    /// What was wrong.
    pub message: String,
}

/// A hashedrekord 0.0.1 `ProposedEntry` (PROTOCOL.md §4.1) as clients send it:
/// `signature` raw bytes, `key_pem` the PEM certificate or public key, `digest` the
/// artefact digest under `algorithm` (`"sha256"`, `"sha384"` or `"sha512"`).
pub fn hashedrekord_proposal(
    signature: &[u8],
    key_pem: &[u8],
    algorithm: &str,
    digest: &[u8],
) -> serde_json::Value {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::json!({
        "kind": "hashedrekord",
        "apiVersion": "0.0.1",
        "spec": {
            "signature": {
                "content": b64.encode(signature),
                "publicKey": { "content": b64.encode(key_pem) }
            },
            "data": { "hash": { "algorithm": algorithm, "value": hex::encode(digest) } }
        }
    })
}
