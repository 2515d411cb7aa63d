//! Failures and the replay report: the JSON form (`--json`) is a contract for tools; the
//! human form is a table, one failure per line.
//!
//! JSON (`Report`): `{"clean", "logs":[{"role","url","origin","treeSize","rootHash",
//! "previousTreeSize","entriesFetched","entriesVerified"}], "failures":[{"log","index",
//! "check","message"}], "unusedCertificates":[{"ctIndex","san","issuer","notBefore"}]}`.
//! `index` is `null` for a failure of the log as a whole (e.g. its checkpoint).
//! `check` is a stable kebab-case name (module constants below, and
//! [`signet_verifier::audit::AuditError::check`] for per-entry checks).

use serde::Serialize;

/// Which of the two logs a failure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogName {
    /// The transparency log of signatures.
    Tlog,
    /// The certificate-transparency log.
    Ct,
}

impl LogName {
    /// `tlog` or `ct`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tlog => "tlog",
            Self::Ct => "ct",
        }
    }
}

/// A fetch failed (status, timeout, connection).
pub const FETCH: &str = "fetch";
/// A response was larger than allowed.
pub const RESPONSE_TOO_LARGE: &str = "response-too-large";
/// An entry bundle, hash tile or entry-meta bundle is malformed or truncated.
pub const MALFORMED_TILE: &str = "malformed-tile";
/// An entry's bytes do not hash to the leaf the log committed to (hash tile and checkpoint
/// agree with each other, not with the entry): the entry was altered after inclusion.
pub const ENTRY_ALTERED: &str = "entry-altered";
/// A hash tile's leaf differs from the re-hashed entry while the entries agree with the
/// checkpoint: the tile does not match the checkpoint.
pub const HASH_TILE: &str = "hash-tile";
/// Neither the entries nor the hash tiles hash to the checkpoint's root.
pub const ROOT_MISMATCH: &str = "root-mismatch";
/// The log's new checkpoint is not an extension of the saved one (history rewritten or
/// forked); the index is the first entry that differs.
pub const INCONSISTENT_WITH_STATE: &str = "inconsistent-with-state";
/// The log is smaller than the saved checkpoint.
pub const LOG_SHRANK: &str = "log-shrank";
/// A certificate used in the transparency log is not in the CT log.
pub const CT_MISSING: &str = "ct-missing";
/// The same checkpoint origin or key is not what the saved state recorded.
pub const STATE_MISMATCH: &str = "state-mismatch";

/// One failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Which log.
    pub log: LogName,
    /// The first index concerned, or `None` for the log as a whole.
    pub index: Option<u64>,
    /// The check that failed (stable name).
    pub check: String,
    /// Why, on one line.
    pub message: String,
}

impl Failure {
    /// A failure at `index` (or of the whole log).
    #[must_use]
    pub fn new(log: LogName, index: Option<u64>, check: &str, message: impl Into<String>) -> Self {
        Self {
            log,
            index,
            check: check.to_owned(),
            message: message.into(),
        }
    }
}

/// What a replay established about one log.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogSummary {
    /// `tlog` or `ct`.
    pub role: String,
    /// The URL replayed.
    pub url: String,
    /// The checkpoint origin.
    pub origin: String,
    /// The verified checkpoint's size.
    pub tree_size: u64,
    /// Its root, hex.
    pub root_hash: String,
    /// The saved checkpoint's size, on an incremental run.
    pub previous_tree_size: Option<u64>,
    /// Entries downloaded in this run.
    pub entries_fetched: u64,
    /// Entries re-verified in this run.
    pub entries_verified: u64,
}

/// A certificate in the CT log that signed nothing in the transparency log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnusedCertificate {
    /// Its CT index.
    pub ct_index: u64,
    /// Its identity SAN.
    pub san: String,
    /// Its OIDC issuer.
    pub issuer: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
}

/// The replay report.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// True only when there is no failure.
    pub clean: bool,
    /// Each log replayed.
    pub logs: Vec<LogSummary>,
    /// Every failure, in the order found.
    pub failures: Vec<Failure>,
    /// CT-logged certificates that never signed.
    pub unused_certificates: Vec<UnusedCertificate>,
}

impl Report {
    /// The human form: a summary line per log, then a table of failures and of unused
    /// certificates.
    #[must_use]
    pub fn to_table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for l in &self.logs {
            let _ = writeln!(
                out,
                "{:<4} {}  origin {:?}  size {}  root {}  fetched {}  verified {}{}",
                l.role,
                l.url,
                l.origin,
                l.tree_size,
                l.root_hash,
                l.entries_fetched,
                l.entries_verified,
                l.previous_tree_size
                    .map(|p| format!("  (consistent with saved size {p})"))
                    .unwrap_or_default()
            );
        }
        if self.failures.is_empty() {
            out.push_str("no failures\n");
        } else {
            let _ = writeln!(out, "{:<4}  {:>10}  {:<24}  why", "log", "index", "check");
            for f in &self.failures {
                let index = f.index.map_or_else(|| "-".to_owned(), |i| i.to_string());
                let _ = writeln!(
                    out,
                    "{:<4}  {:>10}  {:<24}  {}",
                    f.log.as_str(),
                    index,
                    f.check,
                    f.message
                );
            }
        }
        if !self.unused_certificates.is_empty() {
            let _ = writeln!(
                out,
                "{} CT-logged certificate(s) never signed in the transparency log:",
                self.unused_certificates.len()
            );
            for c in &self.unused_certificates {
                let _ = writeln!(
                    out,
                    "  ct {:>8}  {}  ({}), notBefore {}",
                    c.ct_index, c.san, c.issuer, c.not_before
                );
            }
        }
        let _ = writeln!(out, "{}", if self.clean { "CLEAN" } else { "NOT CLEAN" });
        out
    }
}
