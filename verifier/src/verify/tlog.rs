//! The bundle's transparency-log entry against the trusted log (PROTOCOL.md §4.2–4.5,
//! §5.3–5.5, §8.1 steps 4–6, §8.2 step 1): body kind, inclusion proof, checkpoint, signed
//! entry timestamp, integrated time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use signet_rekor::set::set_payload;
use signet_tlog_core::{
    checkpoint::{parse_rekor_v1_origin, Checkpoint},
    hash::leaf_hash,
    note::{Note, NoteVerifier},
    proof,
};

use super::{body, error::TlogError, log_key::LogKey, memo::Memo};
use crate::{
    bundle::TlogEntry,
    trusted_root::{LogKind, LogLookupError, TransparencyLog, TrustedRoot},
};

/// How far in the future of the verifier's clock an integrated time may be: the log's
/// and the verifier's clocks are independent. An integrated time is signed by the log,
/// so the allowance cannot move it; it only tolerates skew.
pub const INTEGRATED_TIME_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// A log entry whose inclusion, checkpoint and (if present) SET verified.
#[derive(Debug)]
pub(crate) struct CheckedEntry<'a> {
    pub log: &'a TransparencyLog,
    pub body: body::EntryBody,
    /// The integrated time, only when a signed entry timestamp vouches for it.
    pub signed_integrated_time: Option<SystemTime>,
}

/// Verifies `entry` against the trusted log its `logId` names. `keys` holds the
/// prepared key of each trusted log, in `root.tlogs` order; `memo` the checkpoints
/// already verified.
pub(crate) fn check_entry<'a>(
    entry: &TlogEntry,
    root: &'a TrustedRoot,
    keys: &[Result<LogKey, String>],
    memo: &Memo,
    now: SystemTime,
) -> Result<CheckedEntry<'a>, TlogError> {
    let (position, log) = root
        .tlogs
        .iter()
        .enumerate()
        .find(|(_, l)| l.log_id == entry.log_id)
        .ok_or(TlogError::UnknownLog(LogLookupError::Unknown {
            kind: LogKind::Tlog,
            log_id: entry.log_id,
        }))?;
    let key = match keys.get(position) {
        Some(Ok(key)) => key,
        Some(Err(reason)) => {
            return Err(TlogError::UnusableLogKey {
                log_id: entry.log_id,
                reason: reason.clone(),
            })
        }
        None => {
            return Err(TlogError::UnusableLogKey {
                log_id: entry.log_id,
                reason: "not prepared".to_owned(),
            })
        }
    };
    let body = body::parse(&entry.kind, &entry.kind_version, &entry.canonicalized_body)?;
    check_inclusion(entry, log, position, key, memo)?;
    let signed_integrated_time = check_promise(entry, key)?;
    if let Some(t) = signed_integrated_time {
        if now
            .checked_add(INTEGRATED_TIME_CLOCK_SKEW)
            .is_some_and(|latest| t > latest)
        {
            return Err(TlogError::IntegratedTimeInFuture { integrated: t });
        }
        root.tlog_at(&entry.log_id, t)
            .map_err(TlogError::LogKeyOutsideValidity)?;
    }
    Ok(CheckedEntry {
        log,
        body,
        signed_integrated_time,
    })
}

/// RFC 9162 §2.1.3.2 inclusion of SHA-256(0x00 ‖ body) under the proof's root, and a
/// checkpoint signed by the log (the trusted log at `position`) that commits to that root
/// and size. A checkpoint note already verified for that log is taken from `memo`.
fn check_inclusion(
    entry: &TlogEntry,
    log: &TransparencyLog,
    position: usize,
    key: &LogKey,
    memo: &Memo,
) -> Result<(), TlogError> {
    let p = entry
        .inclusion_proof
        .as_ref()
        .ok_or(TlogError::NoInclusionProof)?;
    let note = p.checkpoint.as_deref().ok_or(TlogError::NoInclusionProof)?;
    let leaf = leaf_hash(&entry.canonicalized_body);
    proof::verify_inclusion(p.log_index, p.tree_size, &leaf, &p.hashes, &p.root_hash)
        .map_err(TlogError::Inclusion)?;
    let checkpoint = match memo.checkpoint(position, note) {
        Some(known) => known,
        None => {
            let verified = check_checkpoint(note, log, key)?;
            memo.remember_checkpoint(position, note, &verified);
            verified
        }
    };
    if checkpoint.size != p.tree_size || checkpoint.root != p.root_hash {
        return Err(TlogError::CheckpointMismatch {
            cp_size: checkpoint.size,
            cp_root: checkpoint.root,
            size: p.tree_size,
            root: p.root_hash,
        });
    }
    Ok(())
}

/// The checkpoint's signature by the log. A Rekor v1 checkpoint (origin `<host> - <tree
/// ID>`, PROTOCOL.md §4.5) must carry only the log's signatures, every one valid (Rekor's
/// own verifier, which sigstore-go uses). A C2SP checkpoint (§5.3, §5.5) must name the
/// trusted log's host as origin and carry a valid signature by it under that name; other
/// signers (witnesses) are ignored.
pub(crate) fn check_checkpoint(
    note_text: &str,
    log: &TransparencyLog,
    key: &LogKey,
) -> Result<Checkpoint, TlogError> {
    let bad = |reason: String| TlogError::Checkpoint { reason };
    let note = Note::parse(note_text).map_err(|e| bad(e.to_string()))?;
    let checkpoint = Checkpoint::parse(&note.text).map_err(|e| bad(e.to_string()))?;
    let hint = log.log_id.key_hint();
    if parse_rekor_v1_origin(&checkpoint.origin).is_ok() {
        if note.signatures.is_empty() {
            return Err(bad("no signature".to_owned()));
        }
        for sig in &note.signatures {
            if sig.key_hint != hint {
                return Err(bad(format!(
                    "signature by {:?} is not from the log's key",
                    sig.name
                )));
            }
            if !key.verify(note.text.as_bytes(), &sig.signature) {
                return Err(bad(format!("signature by {:?} does not verify", sig.name)));
            }
        }
        return Ok(checkpoint);
    }
    let host = host_of(&log.base_url);
    if checkpoint.origin != host {
        return Err(TlogError::CheckpointOrigin {
            origin: checkpoint.origin,
            host: host.to_owned(),
        });
    }
    let verifier = NamedKey {
        name: host,
        hint,
        key,
    };
    note.verify(&[&verifier]).map_err(|e| bad(e.to_string()))?;
    Ok(checkpoint)
}

/// The host of a `baseUrl`: no scheme, port, path or user info (sigstore-go
/// `url.Hostname()`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

struct NamedKey<'a> {
    name: &'a str,
    hint: [u8; 4],
    key: &'a LogKey,
}

impl NoteVerifier for NamedKey<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        self.hint
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.key.verify(msg, sig)
    }
}

/// PROTOCOL.md §4.3: the SET over JCS {body, integratedTime, logID, logIndex}. Returns the
/// integrated time it vouches for; `None` without an inclusion promise. Only Rekor v1
/// kinds (0.0.1) carry one (sigstore-python §8.1 step 0).
fn check_promise(entry: &TlogEntry, key: &LogKey) -> Result<Option<SystemTime>, TlogError> {
    let Some(set) = &entry.signed_entry_timestamp else {
        return Ok(None);
    };
    let t = entry.integrated_time.ok_or(TlogError::PromiseWithoutTime)?;
    if entry.kind_version != "0.0.1" || !key.is_ecdsa() {
        return Err(TlogError::SignedEntryTimestamp);
    }
    let body_b64 = base64::engine::general_purpose::STANDARD.encode(&entry.canonicalized_body);
    let signed_time = i64::try_from(t).map_err(|_| TlogError::SignedEntryTimestamp)?;
    let payload = set_payload(
        &body_b64,
        signed_time,
        &hex::encode(entry.log_id.as_bytes()),
        entry.log_index,
    )
    .map_err(|_| TlogError::SignedEntryTimestamp)?;
    if !key.verify(&payload, set) {
        return Err(TlogError::SignedEntryTimestamp);
    }
    UNIX_EPOCH
        .checked_add(Duration::from_secs(t))
        .map(Some)
        .ok_or(TlogError::SignedEntryTimestamp)
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_of_strips_scheme_port_path_and_user() {
        assert_eq!(
            host_of("https://log2025-1.rekor.sigstore.dev"),
            "log2025-1.rekor.sigstore.dev"
        );
        assert_eq!(host_of("http://127.0.0.1:3000/api"), "127.0.0.1");
        assert_eq!(host_of("https://u:p@example.com:8443/x?y#z"), "example.com");
        assert_eq!(host_of("https://[::1]:80/"), "::1");
        assert_eq!(host_of("example.com"), "example.com");
    }
}
