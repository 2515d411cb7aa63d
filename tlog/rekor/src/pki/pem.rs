//! Splitting submitted PEM text into blocks and the canonical re-encoding.
//!
//! Decoding of each block is RFC 7468 (`pem-rfc7468`, via `der::pem`); this module only
//! finds the block boundaries and the line width the submitter used, so that 64- and
//! 76-column bodies, CRLF line ends and a missing final newline are all accepted.

use x509_cert::der::pem::{self as rfc7468, LineEnding};

use super::PkiError;

/// RFC 7468 §5 label of an X.509 certificate.
pub(crate) const CERTIFICATE: &str = "CERTIFICATE";
/// RFC 7468 §13 label of a SubjectPublicKeyInfo.
pub(crate) const PUBLIC_KEY: &str = "PUBLIC KEY";

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";

/// One decoded PEM block.
pub(crate) struct Block {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// Splits `input` into PEM blocks and decodes each. Only whitespace may appear outside
/// blocks. Fails once more than `max_blocks` blocks are seen.
pub(crate) fn decode_blocks(input: &[u8], max_blocks: usize) -> Result<Vec<Block>, PkiError> {
    // Surrounding whitespace is ignored, as Rekor's `bytes.TrimSpace` before `pem.Decode`.
    let text = std::str::from_utf8(input)
        .map_err(|_| PkiError::NotPem)?
        .trim();
    let mut blocks = Vec::new();
    let mut start: Option<usize> = None;
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        match start {
            None if line.trim().is_empty() => {}
            None if line.starts_with(BEGIN) => start = Some(line_start),
            None if blocks.is_empty() => return Err(PkiError::NotPem),
            None => return Err(PkiError::TextOutsidePem),
            Some(s) if line.starts_with(END) => {
                let index = blocks.len();
                if index >= max_blocks {
                    return Err(PkiError::TooManyCertificates { limit: max_blocks });
                }
                blocks.push(decode_block(&text[s..line_start + line.len()], index)?);
                start = None;
            }
            Some(_) => {}
        }
    }
    if start.is_some() {
        return Err(PkiError::UnterminatedPem {
            block: blocks.len(),
        });
    }
    if blocks.is_empty() {
        return Err(PkiError::NotPem);
    }
    Ok(blocks)
}

/// Decodes one block (from its BEGIN line through its END line), using the width of its
/// first body line as the wrapping width (RFC 7468 §3 asks generators for 64 columns;
/// parsers in the wild accept others, e.g. 76-column MIME-style bodies).
fn decode_block(block: &str, index: usize) -> Result<Block, PkiError> {
    let malformed = |reason| PkiError::MalformedPem {
        block: index,
        reason,
    };
    let width = block
        .lines()
        .nth(1)
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.starts_with(END))
        .map(str::len)
        .filter(|w| *w >= 4)
        .unwrap_or(rfc7468::BASE64_WRAP_WIDTH);
    let mut decoder = rfc7468::Decoder::new_wrapped(block.as_bytes(), width).map_err(malformed)?;
    let label = decoder.type_label().to_owned();
    let mut der = Vec::new();
    decoder.decode_to_end(&mut der).map_err(malformed)?;
    Ok(Block { label, der })
}

/// Go `pem.Encode`: 64-column base64 lines, `\n` line ends, trailing newline.
pub(crate) fn encode(label: &str, der: &[u8]) -> Vec<u8> {
    // Encoding cannot fail for the fixed, valid labels used here; an empty result would
    // only follow an internal length-computation bug in the encoder.
    rfc7468::encode_string(label, LineEnding::LF, der)
        .map(String::into_bytes)
        .unwrap_or_default()
}
