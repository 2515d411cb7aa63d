//! The HTTP side: one pooled client, the Rekor v1 requests the workloads send
//! (PROTOCOL.md §4.1, §4.4), and cheap checks of their responses.

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use crate::stats::{ErrorKind, Outcome};
use crate::target::Target;

/// A pooled HTTP/1.1 client bound to one log.
#[derive(Clone, Debug)]
pub struct LogClient {
    client: reqwest::Client,
    target: Target,
    entries_url: String,
}

impl LogClient {
    /// One client for the whole run: unbounded idle pool, `TCP_NODELAY`, no proxy
    /// (so loopback traffic never leaves the machine), no redirects, `timeout` per request.
    ///
    /// # Errors
    /// If the client cannot be built.
    pub fn new(target: Target, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            .timeout(timeout)
            .build()
            .context("building the HTTP client")?;
        let entries_url = target.join("/api/v1/log/entries");
        Ok(Self {
            client,
            target,
            entries_url,
        })
    }

    /// The log's base URL.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// `GET /api/v1/log` → `treeSize` (PROTOCOL.md §4.4).
    ///
    /// # Errors
    /// Transport errors, a non-200 status, or a body without `treeSize`.
    pub async fn tree_size(&self) -> anyhow::Result<u64> {
        #[derive(Deserialize)]
        struct LogInfo {
            #[serde(rename = "treeSize")]
            tree_size: u64,
        }
        let url = self.target.join("/api/v1/log");
        let resp = self.client.get(&url).send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        anyhow::ensure!(
            status == reqwest::StatusCode::OK,
            "GET {url}: status {status}: {}",
            String::from_utf8_lossy(&body)
        );
        let info: LogInfo =
            serde_json::from_slice(&body).with_context(|| format!("GET {url}: bad body"))?;
        Ok(info.tree_size)
    }

    /// `POST /api/v1/log/entries` (PROTOCOL.md §4.1): 201 is [`Outcome::Ok`]; the body
    /// is drained (to keep the connection reusable) but not parsed.
    pub async fn append(&self, body: Vec<u8>) -> Outcome {
        let req = self
            .client
            .post(&self.entries_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        match req.send().await {
            Err(e) => Outcome::Error(ErrorKind::of(&e)),
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                loop {
                    match resp.chunk().await {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(e) => return Outcome::Error(ErrorKind::of(&e)),
                    }
                }
                if status == 201 {
                    Outcome::Ok
                } else {
                    Outcome::Status(status)
                }
            }
        }
    }

    /// `POST url` with a JSON `body`, expecting `ok_status` and a body accepted by `check`.
    pub async fn post_checked(
        &self,
        url: &str,
        body: Vec<u8>,
        ok_status: u16,
        check: impl FnOnce(&[u8]) -> bool,
    ) -> Outcome {
        let req = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        match req.send().await {
            Err(e) => Outcome::Error(ErrorKind::of(&e)),
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Err(e) => Outcome::Error(ErrorKind::of(&e)),
                    Ok(_) if status != ok_status => Outcome::Status(status),
                    Ok(body) if check(&body) => Outcome::Ok,
                    Ok(_) => Outcome::Invalid,
                }
            }
        }
    }

    /// The underlying client, for one-off set-up requests.
    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// `GET url`, expecting 200 and a body accepted by `check`.
    pub async fn get_checked(&self, url: &str, check: impl FnOnce(&[u8]) -> bool) -> Outcome {
        match self.client.get(url).send().await {
            Err(e) => Outcome::Error(ErrorKind::of(&e)),
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Err(e) => Outcome::Error(ErrorKind::of(&e)),
                    Ok(_) if status != 200 => Outcome::Status(status),
                    Ok(body) if check(&body) => Outcome::Ok,
                    Ok(_) => Outcome::Invalid,
                }
            }
        }
    }

    /// `…/api/v1/log/entries?logIndex=N` written into `buf` (PROTOCOL.md §4.4).
    pub fn inclusion_url(&self, buf: &mut String, index: u64) {
        use std::fmt::Write as _;
        buf.clear();
        let _ = write!(buf, "{}?logIndex={index}", self.entries_url);
    }

    /// `…/api/v1/log/proof?firstSize=A&lastSize=B` written into `buf` (PROTOCOL.md §4.4).
    pub fn consistency_url(&self, buf: &mut String, first: u64, last: u64) {
        use std::fmt::Write as _;
        buf.clear();
        let _ = write!(
            buf,
            "{}/api/v1/log/proof?firstSize={first}&lastSize={last}",
            self.target.base()
        );
    }
}

// Borrowing, field-skipping shapes: parse only what the check needs.
#[derive(Deserialize)]
struct EntryMin<'a> {
    #[serde(rename = "logIndex")]
    log_index: u64,
    #[serde(borrow)]
    verification: VerificationMin<'a>,
}

#[derive(Deserialize)]
struct VerificationMin<'a> {
    #[serde(rename = "inclusionProof", borrow)]
    inclusion_proof: InclusionMin<'a>,
}

#[derive(Deserialize)]
struct InclusionMin<'a> {
    #[serde(borrow)]
    hashes: Vec<&'a str>,
    #[serde(rename = "treeSize")]
    tree_size: u64,
    #[serde(rename = "logIndex")]
    log_index: u64,
}

/// True if `body` is a `LogEntry` map (PROTOCOL.md §4.1) with exactly one entry, for
/// `log_index`, carrying `verification.inclusionProof.hashes` (64-hex each) and a tree
/// size that contains the entry.
pub fn check_inclusion(body: &[u8], log_index: u64) -> bool {
    let Ok(map) = serde_json::from_slice::<std::collections::HashMap<&str, EntryMin<'_>>>(body)
    else {
        return false;
    };
    let mut entries = map.values();
    let (Some(e), None) = (entries.next(), entries.next()) else {
        return false;
    };
    let p = &e.verification.inclusion_proof;
    e.log_index == log_index && p.log_index < p.tree_size && p.hashes.iter().all(|h| is_hex32(h))
}

#[derive(Deserialize)]
struct ConsistencyMin<'a> {
    #[serde(rename = "rootHash")]
    root_hash: &'a str,
    #[serde(borrow)]
    hashes: Vec<&'a str>,
}

/// True if `body` is a consistency proof `{"rootHash": hex, "hashes": [hex…]}`
/// (PROTOCOL.md §4.4).
pub fn check_consistency(body: &[u8]) -> bool {
    match serde_json::from_slice::<ConsistencyMin<'_>>(body) {
        Ok(p) => is_hex32(p.root_hash) && p.hashes.iter().all(|h| is_hex32(h)),
        Err(_) => false,
    }
}

fn is_hex32(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn entry_json(index: u64, hashes: &str) -> String {
        format!(
            r#"{{"abc": {{"body":"e30=","integratedTime":1,"logID":"{H}","logIndex":{index},
              "verification":{{"signedEntryTimestamp":"MEU=","inclusionProof":{{
              "checkpoint":"x","hashes":{hashes},"logIndex":{index},"rootHash":"{H}",
              "treeSize":{}}}}}}}}}"#,
            index + 1
        )
    }

    #[test]
    fn inclusion_check() {
        assert!(check_inclusion(
            entry_json(5, &format!(r#"["{H}","{H}"]"#)).as_bytes(),
            5
        ));
        assert!(check_inclusion(entry_json(0, "[]").as_bytes(), 0));
        // Wrong index, missing hashes, bad hash, not JSON, two entries.
        assert!(!check_inclusion(entry_json(5, "[]").as_bytes(), 6));
        let no_hashes = entry_json(5, "[]").replace(r#""hashes":[],"#, "");
        assert!(!check_inclusion(no_hashes.as_bytes(), 5));
        assert!(!check_inclusion(entry_json(5, r#"["zz"]"#).as_bytes(), 5));
        assert!(!check_inclusion(b"not json", 5));
        let one = entry_json(1, "[]");
        let two = format!(
            "{},{}",
            &one[..one.len() - 1],
            &one.replacen("abc", "def", 1)[1..]
        );
        assert!(serde_json::from_str::<serde_json::Value>(&two).is_ok());
        assert!(!check_inclusion(two.as_bytes(), 1));
    }

    #[test]
    fn consistency_check() {
        assert!(check_consistency(
            format!(r#"{{"rootHash":"{H}","hashes":["{H}"]}}"#).as_bytes()
        ));
        assert!(check_consistency(
            format!(r#"{{"hashes":[],"rootHash":"{H}","extra":1}}"#).as_bytes()
        ));
        assert!(!check_consistency(
            format!(r#"{{"rootHash":"{H}"}}"#).as_bytes()
        ));
        assert!(!check_consistency(br#"{"rootHash":"ab","hashes":[]}"#));
        assert!(!check_consistency(b"{"));
    }

    #[test]
    fn urls() {
        let c = LogClient::new(
            Target::parse("http://127.0.0.1:7/").unwrap(),
            Duration::from_secs(1),
        )
        .unwrap();
        let mut buf = String::from("junk");
        c.inclusion_url(&mut buf, 42);
        assert_eq!(buf, "http://127.0.0.1:7/api/v1/log/entries?logIndex=42");
        c.consistency_url(&mut buf, 3, 9);
        assert_eq!(
            buf,
            "http://127.0.0.1:7/api/v1/log/proof?firstSize=3&lastSize=9"
        );
    }
}
