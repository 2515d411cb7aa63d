//! C2SP signed notes (c2sp.org/signed-note, vectors/c2sp/signed-note.md).
//!
//! ```text
//! <text, one or more lines, each ending in \n>
//! \n                                   <- the LAST blank line separates text from signatures
//! — <key name> <base64(key ID[4] || signature)>\n   <- one or more
//! ```
//!
//! Parsing is strict (PROTOCOL.md §12 item 9); verification follows the
//! C2SP rules: unknown keys are ignored, a known key's failing signature
//! rejects the note, and at least one known key must verify.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::keys::KeyError;

/// Largest note accepted by [`Note::parse`], in bytes (C2SP signed-note §Format:
/// verifiers SHOULD cap the size; 1 MiB fits far more than 16 post-quantum signatures).
pub const MAX_NOTE_SIZE: usize = 1 << 20;

/// Most signature lines accepted by [`Note::parse`] (C2SP: MUST accept at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The signature line prefix: em dash U+2014 and a space (C2SP signed-note §Format).
const SIG_PREFIX: &str = "\u{2014} ";

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// The 4-byte key ID (big-endian uint32) that prefixes the signature.
    pub key_hint: [u8; 4],
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// A parsed signed note. Its text is untrusted until [`Note::verify`] succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The note text, ending in `\n` (without the separating blank line).
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Something that signs notes under a key name and key ID.
pub trait NoteSigner {
    /// The key name written in the signature line.
    fn name(&self) -> &str;
    /// The 4-byte key ID prefixed to the signature.
    fn key_hint(&self) -> [u8; 4];
    /// Signs the note text `msg` (including its final `\n`).
    ///
    /// # Errors
    /// Any [`KeyError`] of the underlying key.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError>;
}

/// Something that verifies note signatures made under a key name and key ID.
pub trait NoteVerifier {
    /// The key name this verifier answers to.
    fn name(&self) -> &str;
    /// The 4-byte key ID this verifier answers to.
    fn key_hint(&self) -> [u8; 4];
    /// Whether `sig` is a valid signature of the note text `msg`.
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool;
}

/// Errors from parsing, signing or verifying a note.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is larger than [`MAX_NOTE_SIZE`].
    #[error("note is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// The note's size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The note contains an ASCII control character other than `\n`.
    #[error("control character {byte:#04x} at byte {offset}")]
    ControlCharacter {
        /// The offending byte.
        byte: u8,
        /// Its byte offset.
        offset: usize,
    },
    /// No blank line separates the text from the signatures.
    #[error("no blank line separating text and signatures")]
    MissingSeparator,
    /// The text is empty.
    #[error("note text is empty")]
    EmptyText,
    /// The text does not end in `\n`.
    #[error("note text does not end in a newline")]
    TextMissingNewline,
    /// The text ends with an empty line, i.e. more than one blank line precedes the signatures.
    #[error("more than one blank line before the signatures")]
    ExtraBlankLine,
    /// The note does not end in `\n`.
    #[error("note does not end in a newline")]
    MissingFinalNewline,
    /// A signature line is not `— <name> <base64>`.
    #[error("signature line {line} is malformed")]
    MalformedSignatureLine {
        /// 0-based index of the signature line.
        line: usize,
    },
    /// A key name is empty or contains a space or `+`.
    #[error("invalid key name {name:?}")]
    InvalidKeyName {
        /// The rejected name.
        name: String,
    },
    /// A signature is not valid standard padded base64.
    #[error("signature line {line}: invalid base64")]
    InvalidBase64 {
        /// 0-based index of the signature line.
        line: usize,
    },
    /// A signature decodes to fewer than 5 bytes (4-byte key ID and at least one byte).
    #[error("signature line {line}: {len} bytes, need at least 5")]
    SignatureTooShort {
        /// 0-based index of the signature line.
        line: usize,
        /// Decoded length.
        len: usize,
    },
    /// The note has no signature lines.
    #[error("note has no signatures")]
    NoSignatures,
    /// The note has more than [`MAX_SIGNATURES`] signature lines.
    #[error("note has {count} signatures, more than the {max} allowed")]
    TooManySignatures {
        /// Number of signature lines.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// No signer was given to [`Note::sign`].
    #[error("no signers")]
    NoSigners,
    /// A signer failed.
    #[error("signing with key {name:?} failed")]
    Sign {
        /// The signer's key name.
        name: String,
        /// The key error.
        #[source]
        source: KeyError,
    },
    /// A known key's signature failed to verify (C2SP: reject the whole note).
    #[error("invalid signature from known key {name:?} {key_hint:02x?}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_hint: [u8; 4],
    },
    /// The same known key signed the note more than once.
    #[error("duplicate signature from known key {name:?} {key_hint:02x?}")]
    DuplicateSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_hint: [u8; 4],
    },
    /// No signature from a known key (C2SP: reject the note).
    #[error("no signature from a known key")]
    NoKnownSignature,
}

/// C2SP signed-note §Format: key names are non-empty and contain no Unicode
/// spaces and no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// C2SP signed-note §Format: no ASCII control characters other than `\n`.
fn check_control_chars(s: &str) -> Result<(), NoteError> {
    match s.bytes().enumerate().find(|&(_, b)| b < 0x20 && b != b'\n') {
        Some((offset, byte)) => Err(NoteError::ControlCharacter { byte, offset }),
        None => Ok(()),
    }
}

/// Checks a note text: non-empty, ends in `\n`, last line non-empty (so that
/// exactly one blank line separates it from the signatures), no control characters.
fn check_text(text: &str) -> Result<(), NoteError> {
    check_control_chars(text)?;
    if text.is_empty() || text == "\n" {
        return Err(NoteError::EmptyText);
    }
    if !text.ends_with('\n') {
        return Err(NoteError::TextMissingNewline);
    }
    if text.ends_with("\n\n") {
        return Err(NoteError::ExtraBlankLine);
    }
    Ok(())
}

/// Parses one signature line (without its `\n`): `— <name> <base64(hint || sig)>`.
fn parse_signature_line(line: &str, index: usize) -> Result<NoteSignature, NoteError> {
    let malformed = NoteError::MalformedSignatureLine { line: index };
    let rest = line.strip_prefix(SIG_PREFIX).ok_or(malformed)?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(NoteError::MalformedSignatureLine { line: index })?;
    if !is_valid_key_name(name) {
        return Err(NoteError::InvalidKeyName {
            name: name.to_owned(),
        });
    }
    // Standard padded base64 (C2SP signed-note §Conventions: RFC 4648 §4); the
    // engine rejects spaces, so "name sig extra" fails here.
    let raw = BASE64
        .decode(b64)
        .map_err(|_| NoteError::InvalidBase64 { line: index })?;
    let (hint, signature) = match raw.split_first_chunk::<4>() {
        Some((hint, sig)) if !sig.is_empty() => (*hint, sig.to_vec()),
        _ => {
            return Err(NoteError::SignatureTooShort {
                line: index,
                len: raw.len(),
            })
        }
    };
    Ok(NoteSignature {
        name: name.to_owned(),
        key_hint: hint,
        signature,
    })
}

impl NoteSignature {
    /// The signature line without its final `\n`: `— <name> <base64(hint || sig)>`.
    fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_hint);
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}", self.name, BASE64.encode(raw))
    }
}

impl Note {
    /// Strictly parses a signed note (C2SP signed-note §Format, PROTOCOL.md §12 item 9).
    ///
    /// # Errors
    /// A [`NoteError`] naming the first rule broken: size over [`MAX_NOTE_SIZE`],
    /// control characters, no separator, empty text, more than one blank line
    /// before the signatures, malformed signature lines, invalid key names,
    /// bad base64, signatures shorter than 5 bytes, no signatures or more
    /// than [`MAX_SIGNATURES`].
    pub fn parse(s: &str) -> Result<Note, NoteError> {
        if s.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge {
                size: s.len(),
                max: MAX_NOTE_SIZE,
            });
        }
        check_control_chars(s)?;
        if !s.ends_with('\n') {
            return Err(NoteError::MissingFinalNewline);
        }
        // "The text is separated from the signatures by the last empty line in the note."
        let sep = s.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
        let (text, sigs) = (&s[..=sep], &s[sep + 2..]);
        check_text(text)?;
        if sigs.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        // `sigs` ends in '\n' (checked above), so the last split element is empty.
        let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                count: lines.len(),
                max: MAX_SIGNATURES,
            });
        }
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(i, line)| parse_signature_line(line, i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Serialises the note exactly: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.to_line());
            out.push('\n');
        }
        out
    }

    /// Signs `text` with each signer, in order, producing the signed note text.
    ///
    /// # Errors
    /// The text rules of [`Note::parse`] ([`NoteError::EmptyText`],
    /// [`NoteError::TextMissingNewline`], [`NoteError::ExtraBlankLine`],
    /// [`NoteError::ControlCharacter`]), [`NoteError::NoSigners`],
    /// [`NoteError::InvalidKeyName`], [`NoteError::Sign`].
    pub fn sign(text: &str, signers: &[&dyn NoteSigner]) -> Result<String, NoteError> {
        check_text(text)?;
        if signers.is_empty() {
            return Err(NoteError::NoSigners);
        }
        if signers.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                count: signers.len(),
                max: MAX_SIGNATURES,
            });
        }
        let signatures = signers
            .iter()
            .map(|signer| {
                let name = signer.name();
                if !is_valid_key_name(name) {
                    return Err(NoteError::InvalidKeyName {
                        name: name.to_owned(),
                    });
                }
                let signature = signer
                    .sign(text.as_bytes())
                    .map_err(|source| NoteError::Sign {
                        name: name.to_owned(),
                        source,
                    })?;
                Ok(NoteSignature {
                    name: name.to_owned(),
                    key_hint: signer.key_hint(),
                    signature,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        }
        .to_text())
    }

    /// Verifies the note with the known keys `verifiers` (C2SP signed-note §Signatures).
    ///
    /// Signatures whose (name, key ID) matches no verifier are ignored. A
    /// signature that matches a verifier must verify, and each known key may
    /// sign only once. Returns the names of the verifiers that verified, in
    /// signature order.
    ///
    /// # Errors
    /// [`NoteError::InvalidSignature`] if a known key's signature fails,
    /// [`NoteError::DuplicateSignature`] if a known key signed twice,
    /// [`NoteError::NoKnownSignature`] if no known key signed.
    pub fn verify(&self, verifiers: &[&dyn NoteVerifier]) -> Result<Vec<String>, NoteError> {
        let mut seen: Vec<(&str, [u8; 4])> = Vec::new();
        let mut verified = Vec::new();
        for sig in &self.signatures {
            let mut matching = verifiers
                .iter()
                .filter(|v| v.name() == sig.name && v.key_hint() == sig.key_hint)
                .peekable();
            if matching.peek().is_none() {
                // Unknown key: MUST be ignored, even if it shares a name or an ID with a known key.
                continue;
            }
            if seen.contains(&(sig.name.as_str(), sig.key_hint)) {
                return Err(NoteError::DuplicateSignature {
                    name: sig.name.clone(),
                    key_hint: sig.key_hint,
                });
            }
            seen.push((sig.name.as_str(), sig.key_hint));
            // Known key: MUST verify; a failure rejects the whole note.
            if !matching.any(|v| v.verify(self.text.as_bytes(), &sig.signature)) {
                return Err(NoteError::InvalidSignature {
                    name: sig.name.clone(),
                    key_hint: sig.key_hint,
                });
            }
            verified.push(sig.name.clone());
        }
        if verified.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(verified)
    }
}
