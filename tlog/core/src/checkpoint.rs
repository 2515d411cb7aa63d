//! C2SP tlog-checkpoint bodies (vectors/c2sp/tlog-checkpoint.md, PROTOCOL.md §4.5, §5.3).
//!
//! ```text
//! <origin>\n
//! <tree size, decimal, no leading zeros>\n
//! <base64 root hash>\n
//! [<extension line>\n]*
//! ```
//!
//! The body is carried as the text of a signed note ([`crate::note`]).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::hash::Hash;
use crate::note::{Note, NoteError, NoteSigner, NoteVerifier};

/// A checkpoint: the log's origin, tree size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log identity (C2SP tlog-checkpoint §Note text, line 1).
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree at `size`.
    pub root: Hash,
    /// Extension lines, without their `\n` (OPTIONAL, NOT RECOMMENDED).
    pub extensions: Vec<String>,
}

/// Errors from parsing, signing or opening a checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The signed note is malformed, or did not verify.
    #[error("checkpoint note")]
    Note(#[from] NoteError),
    /// The text does not end in `\n`.
    #[error("checkpoint text does not end in a newline")]
    MissingFinalNewline,
    /// The text contains an ASCII control character other than `\n`.
    #[error("control character {byte:#04x} in checkpoint text")]
    ControlCharacter {
        /// The offending byte.
        byte: u8,
    },
    /// Fewer than the three mandatory lines.
    #[error("checkpoint has {lines} lines, need at least 3")]
    TooFewLines {
        /// Number of lines found.
        lines: usize,
    },
    /// The origin line is empty.
    #[error("empty origin")]
    EmptyOrigin,
    /// The size line is not a decimal u64 without leading zeros.
    #[error("invalid tree size {line:?}")]
    InvalidSize {
        /// The size line as found.
        line: String,
    },
    /// The root hash line is not standard padded base64.
    #[error("root hash is not valid base64")]
    InvalidRootBase64,
    /// The root hash does not decode to 32 bytes.
    #[error("root hash is {len} bytes, expected 32")]
    RootHashLength {
        /// Decoded length.
        len: usize,
    },
    /// An extension line is empty.
    #[error("extension line {index} is empty")]
    EmptyExtension {
        /// 0-based index among the extension lines.
        index: usize,
    },
    /// The origin or an extension line contains a newline, so the text would not parse back.
    #[error("origin or extension line contains a newline")]
    NewlineInField,
    /// An origin is not `<hostname> - <treeID>` (PROTOCOL.md §4.5).
    #[error("origin {origin:?} is not a Rekor v1 origin \"<hostname> - <treeID>\"")]
    NotRekorV1Origin {
        /// The origin as found.
        origin: String,
    },
}

/// C2SP tlog-checkpoint §Note text item 2: ASCII decimal, no leading zeros unless `0`.
fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let invalid = || CheckpointError::InvalidSize {
        line: line.to_owned(),
    };
    let digits_only = !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (line.len() > 1 && line.starts_with('0')) {
        return Err(invalid());
    }
    line.parse::<u64>().map_err(|_| invalid())
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n[ext\n]*`.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.as_bytes())
        );
        for ext in &self.extensions {
            out.push_str(ext);
            out.push('\n');
        }
        out
    }

    /// Strictly parses a checkpoint body (C2SP tlog-checkpoint §Note text).
    ///
    /// # Errors
    /// [`CheckpointError::MissingFinalNewline`], [`CheckpointError::ControlCharacter`],
    /// [`CheckpointError::TooFewLines`], [`CheckpointError::EmptyOrigin`],
    /// [`CheckpointError::InvalidSize`], [`CheckpointError::InvalidRootBase64`],
    /// [`CheckpointError::RootHashLength`], [`CheckpointError::EmptyExtension`].
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        if let Some(byte) = text.bytes().find(|&b| b < 0x20 && b != b'\n') {
            return Err(CheckpointError::ControlCharacter { byte });
        }
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingFinalNewline)?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines { lines: lines.len() });
        };
        // Item 1: the origin MUST be non-empty. Spaces are allowed: Rekor v1
        // origins are "<hostname> - <treeID>" (PROTOCOL.md §4.5).
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let size = parse_size(size)?;
        // Item 3: standard base64 of the 32-byte RFC 6962 root.
        let root_bytes = BASE64
            .decode(root)
            .map_err(|_| CheckpointError::InvalidRootBase64)?;
        let root = Hash::from_slice(&root_bytes).ok_or(CheckpointError::RootHashLength {
            len: root_bytes.len(),
        })?;
        // Item 4: extension lines, if any, MUST be non-empty.
        if let Some(index) = extensions.iter().position(|e| e.is_empty()) {
            return Err(CheckpointError::EmptyExtension { index });
        }
        Ok(Checkpoint {
            origin: (*origin).to_owned(),
            size,
            root,
            extensions: extensions.iter().map(|e| (*e).to_owned()).collect(),
        })
    }

    /// Signs the checkpoint body with each signer into a full signed-note string.
    ///
    /// The log's key name SHOULD equal the origin (C2SP tlog-checkpoint §Signatures);
    /// for Rekor v1 it is the hostname (PROTOCOL.md §4.5).
    ///
    /// # Errors
    /// The errors of [`Checkpoint::parse`] and [`CheckpointError::NewlineInField`] if
    /// the text would not parse back to `self`; [`CheckpointError::Note`] from signing.
    pub fn sign(&self, signers: &[&dyn NoteSigner]) -> Result<String, CheckpointError> {
        // Refuse to sign something `parse` would reject (e.g. a '\n' inside the origin).
        let text = self.to_text();
        if Checkpoint::parse(&text)? != *self {
            return Err(CheckpointError::NewlineInField);
        }
        Ok(Note::sign(&text, signers)?)
    }

    /// Parses a signed note, verifies it with `verifiers` (C2SP signed-note rules:
    /// unknown keys ignored, a failing known key rejects, at least one known key
    /// must verify), then parses its text.
    ///
    /// Callers decide whether a verifier's key name must equal the origin.
    ///
    /// # Errors
    /// [`CheckpointError::Note`] for a malformed or unverified note, then the
    /// errors of [`Checkpoint::parse`].
    pub fn open(
        note: &str,
        verifiers: &[&dyn NoteVerifier],
    ) -> Result<Checkpoint, CheckpointError> {
        let note = Note::parse(note)?;
        note.verify(verifiers)?;
        Checkpoint::parse(&note.text)
    }
}

/// Rekor v1 checkpoint origin: `"<hostname> - <treeID decimal>"` (PROTOCOL.md §4.5).
pub fn rekor_v1_origin(hostname: &str, tree_id: u64) -> String {
    format!("{hostname} - {tree_id}")
}

/// Splits a Rekor v1 origin `"<hostname> - <treeID decimal>"` (PROTOCOL.md §4.5)
/// into hostname and tree ID.
///
/// # Errors
/// [`CheckpointError::NotRekorV1Origin`] if the origin does not have that shape.
pub fn parse_rekor_v1_origin(origin: &str) -> Result<(&str, u64), CheckpointError> {
    let not_v1 = || CheckpointError::NotRekorV1Origin {
        origin: origin.to_owned(),
    };
    let (host, tree_id) = origin.rsplit_once(" - ").ok_or_else(not_v1)?;
    if host.is_empty() || tree_id.is_empty() || !tree_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_v1());
    }
    let tree_id = tree_id.parse::<u64>().map_err(|_| not_v1())?;
    Ok((host, tree_id))
}
