//! Verification of a Rekor v1 `LogEntry` (PROTOCOL.md §4.1–4.5, §9.1).
//!
//! Each step is its own function with its own error, in the order a client must apply
//! them; [`verify_log_entry`] succeeds only if every step passed.

use base64::Engine as _;
use signet_rekor::{api::LogEntryAnon, set};
use signet_tlog_core::{
    checkpoint::Checkpoint,
    hash::{leaf_hash, Hash},
    keys::EcdsaP256Verifier,
    note::Note,
    proof,
};

/// Why a log entry failed verification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryCheckError {
    /// `body` is not base64.
    #[error("body is not valid base64")]
    BodyEncoding,
    /// The entry ID/UUID does not end in the hex leaf hash of the body.
    #[error("entry ID {entry_id} does not match the body's leaf hash {leaf}")]
    EntryIdMismatch {
        /// Entry ID as given.
        entry_id: String,
        /// Leaf hash computed from the body.
        leaf: Hash,
    },
    /// `logID` is not the trusted log key's ID.
    #[error("logID {got} is not the trusted log's {want}")]
    WrongLog {
        /// logID in the entry.
        got: String,
        /// SHA-256 of the trusted key's SPKI.
        want: String,
    },
    /// The signed entry timestamp is not base64 or does not verify.
    #[error("signed entry timestamp does not verify")]
    SignedEntryTimestamp,
    /// A proof hash or the root is not 32-byte hex.
    #[error("inclusion proof field {field} is not 32-byte hex")]
    ProofEncoding {
        /// Field name.
        field: &'static str,
    },
    /// The Merkle inclusion proof does not lead to the root.
    #[error("inclusion proof does not verify: {0}")]
    Inclusion(#[from] proof::ProofError),
    /// The checkpoint is malformed, or no signature on it is by the log key, or it does not verify.
    #[error("checkpoint is not validly signed by the log: {reason}")]
    CheckpointSignature {
        /// What was wrong.
        reason: String,
    },
    /// The checkpoint's size or root differs from the proof's.
    #[error("checkpoint (size {cp_size}, root {cp_root}) does not match the proof (size {size}, root {root})")]
    CheckpointMismatch {
        /// Size in the checkpoint.
        cp_size: u64,
        /// Root in the checkpoint.
        cp_root: Hash,
        /// treeSize of the proof.
        size: u64,
        /// rootHash of the proof.
        root: Hash,
    },
}

/// What a verified entry proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// Leaf hash of the body.
    pub leaf_hash: Hash,
    /// The canonical body.
    pub body: Vec<u8>,
    /// Index in the log.
    pub index: u64,
    /// The checkpoint the entry is proven against.
    pub checkpoint: Checkpoint,
}

/// Verifies a Rekor v1 log entry against the log's public key: every step below must pass.
///
/// # Errors
/// The first failing step's [`EntryCheckError`].
pub fn verify_log_entry(
    entry_id: &str,
    entry: &LogEntryAnon,
    log_key: &EcdsaP256Verifier,
) -> Result<VerifiedEntry, EntryCheckError> {
    let body = base64::engine::general_purpose::STANDARD
        .decode(&entry.body)
        .map_err(|_| EntryCheckError::BodyEncoding)?;
    let leaf = leaf_hash(&body);
    check_entry_id(entry_id, &leaf)?;
    check_log_id(&entry.log_id, log_key)?;
    check_set(entry, log_key)?;
    let (root, size) = check_inclusion(entry, &leaf)?;
    let checkpoint = check_checkpoint(&entry.verification.inclusion_proof.checkpoint, log_key)?;
    if checkpoint.size != size || checkpoint.root != root {
        return Err(EntryCheckError::CheckpointMismatch {
            cp_size: checkpoint.size,
            cp_root: checkpoint.root,
            size,
            root,
        });
    }
    Ok(VerifiedEntry {
        leaf_hash: leaf,
        body,
        index: entry.log_index,
        checkpoint,
    })
}

/// PROTOCOL.md §4.2: the 64-hex UUID is the leaf hash; the 80-hex entry ID prefixes the tree ID.
fn check_entry_id(entry_id: &str, leaf: &Hash) -> Result<(), EntryCheckError> {
    let ok = match entry_id.len() {
        64 => entry_id.eq_ignore_ascii_case(&leaf.to_hex()),
        80 => entry_id[16..].eq_ignore_ascii_case(&leaf.to_hex()),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(EntryCheckError::EntryIdMismatch {
            entry_id: entry_id.to_owned(),
            leaf: *leaf,
        })
    }
}

/// PROTOCOL.md §4.2: logID = hex(SHA-256(DER SPKI)).
fn check_log_id(log_id: &str, key: &EcdsaP256Verifier) -> Result<(), EntryCheckError> {
    let want = hex::encode(key.key_id());
    if log_id.eq_ignore_ascii_case(&want) {
        Ok(())
    } else {
        Err(EntryCheckError::WrongLog {
            got: log_id.to_owned(),
            want,
        })
    }
}

/// PROTOCOL.md §4.3: SET over JCS {body, integratedTime, logID, logIndex}.
fn check_set(entry: &LogEntryAnon, key: &EcdsaP256Verifier) -> Result<(), EntryCheckError> {
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&entry.verification.signed_entry_timestamp)
        .map_err(|_| EntryCheckError::SignedEntryTimestamp)?;
    set::verify_set(
        key,
        &entry.body,
        entry.integrated_time,
        entry.log_index,
        &sig,
    )
    .map_err(|_| EntryCheckError::SignedEntryTimestamp)
}

/// RFC 9162 §2.1.3.2 inclusion proof (PROTOCOL.md §9.1). Returns (root, size).
fn check_inclusion(entry: &LogEntryAnon, leaf: &Hash) -> Result<(Hash, u64), EntryCheckError> {
    // The proof uses the tree-local index; `logIndex` is global and bound by the SET
    // (they differ on sharded logs, PROTOCOL.md §4.2).
    let p = &entry.verification.inclusion_proof;
    let root =
        Hash::from_hex(&p.root_hash).ok_or(EntryCheckError::ProofEncoding { field: "rootHash" })?;
    let hashes = p
        .hashes
        .iter()
        .map(|h| Hash::from_hex(h).ok_or(EntryCheckError::ProofEncoding { field: "hashes" }))
        .collect::<Result<Vec<_>, _>>()?;
    proof::verify_inclusion(p.log_index, p.tree_size, leaf, &hashes, &root)?;
    Ok((root, p.tree_size))
}

/// PROTOCOL.md §4.5: the signature line whose key hint is logID[:4] must verify over the note text.
fn check_checkpoint(note: &str, key: &EcdsaP256Verifier) -> Result<Checkpoint, EntryCheckError> {
    let bad = |reason: String| EntryCheckError::CheckpointSignature { reason };
    let note = Note::parse(note).map_err(|e| bad(e.to_string()))?;
    let id = key.key_id();
    let mut verified = false;
    for sig in note.signatures.iter().filter(|s| s.key_hint[..] == id[..4]) {
        key.verify(note.text.as_bytes(), &sig.signature)
            .map_err(|_| bad(format!("signature by {:?} does not verify", sig.name)))?;
        verified = true;
    }
    if !verified {
        return Err(bad("no signature with the log's key hint".to_owned()));
    }
    Checkpoint::parse(&note.text).map_err(|e| bad(e.to_string()))
}
