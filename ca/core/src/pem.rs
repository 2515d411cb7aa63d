//! One PEM block in, one PEM block out (RFC 7468, via `pem-rfc7468` re-exported by `der`).
//!
//! Decoding accepts LF or CRLF line ends, surrounding whitespace and any consistent line
//! width (RFC 7468 §3 asks generators for 64 columns; parsers in the wild accept others),
//! but exactly one block and nothing else.

use x509_cert::der::pem::{self as rfc7468, LineEnding};

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";

/// Why a PEM text was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// Not UTF-8 text, or no `-----BEGIN` line at the start.
    #[error("not PEM text (no -----BEGIN line)")]
    NotPem,
    /// Non-whitespace text after the `-----END` line (a second block, or trailing data).
    #[error("unexpected text after the PEM block")]
    TrailingText,
    /// The block is malformed (RFC 7468 §2–3).
    #[error("malformed PEM: {0}")]
    Malformed(rfc7468::Error),
    /// A block type other than the one expected.
    #[error("PEM block is {found:?}, expected {expected:?}")]
    WrongLabel {
        /// The label that was required.
        expected: &'static str,
        /// The label found.
        found: String,
    },
}

/// Whether `input` starts (after whitespace) like a PEM block.
pub(crate) fn looks_like_pem(input: &[u8]) -> bool {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    input[start..].starts_with(BEGIN.as_bytes())
}

/// Decodes exactly one PEM block labelled `label`.
pub(crate) fn decode_one(input: &[u8], label: &'static str) -> Result<Vec<u8>, PemError> {
    let text = std::str::from_utf8(input)
        .map_err(|_| PemError::NotPem)?
        .trim();
    if !text.starts_with(BEGIN) {
        return Err(PemError::NotPem);
    }
    // The block runs through the end of the first END line; only whitespace may follow.
    let end_line = text.find(END).ok_or(PemError::Malformed(
        rfc7468::Error::PostEncapsulationBoundary,
    ))?;
    let block_end = text[end_line..]
        .find('\n')
        .map_or(text.len(), |i| end_line + i);
    let block = text[..block_end].trim_end_matches('\r');
    if !text[block_end..].trim().is_empty() {
        return Err(PemError::TrailingText);
    }
    // Wrap width = length of the first body line (RFC 7468 §2 allows any width up to 64
    // for strict parsers; lax parsers, like Go's encoding/pem, accept any).
    let width = block
        .lines()
        .nth(1)
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.starts_with(END))
        .map(str::len)
        .filter(|w| *w >= 4)
        .unwrap_or(rfc7468::BASE64_WRAP_WIDTH);
    let mut decoder =
        rfc7468::Decoder::new_wrapped(block.as_bytes(), width).map_err(PemError::Malformed)?;
    if decoder.type_label() != label {
        return Err(PemError::WrongLabel {
            expected: label,
            found: decoder.type_label().to_owned(),
        });
    }
    let mut der = Vec::new();
    decoder
        .decode_to_end(&mut der)
        .map_err(PemError::Malformed)?;
    Ok(der)
}

/// Encodes `der` as one PEM block: 64-column base64, `\n` line ends, trailing newline
/// (what Go's `pem.Encode` and pyca/cryptography produce).
pub(crate) fn encode(label: &'static str, der: &[u8]) -> Result<String, PemError> {
    rfc7468::encode_string(label, LineEnding::LF, der).map_err(PemError::Malformed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_widths() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = encode("PUBLIC KEY", &der).unwrap();
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert_eq!(decode_one(pem.as_bytes(), "PUBLIC KEY").unwrap(), der);
        // CRLF and surrounding whitespace.
        let crlf = format!("\n  {}\n\n", pem.replace('\n', "\r\n"));
        assert_eq!(decode_one(crlf.as_bytes(), "PUBLIC KEY").unwrap(), der);
        // 76-column body.
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let body: Vec<String> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        let wide = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
            body.join("\n")
        );
        assert_eq!(decode_one(wide.as_bytes(), "PUBLIC KEY").unwrap(), der);
    }

    #[test]
    fn rejects() {
        let pem = encode("PUBLIC KEY", b"abc").unwrap();
        assert!(matches!(
            decode_one(pem.as_bytes(), "CERTIFICATE REQUEST"),
            Err(PemError::WrongLabel { .. })
        ));
        let two = format!("{pem}{pem}");
        assert!(matches!(
            decode_one(two.as_bytes(), "PUBLIC KEY"),
            Err(PemError::TrailingText)
        ));
        assert!(matches!(
            decode_one(b"hello", "PUBLIC KEY"),
            Err(PemError::NotPem)
        ));
        let broken = pem.replace("YWJj", "Y@Jj");
        assert!(matches!(
            decode_one(broken.as_bytes(), "PUBLIC KEY"),
            Err(PemError::Malformed(_))
        ));
        assert!(looks_like_pem(b"  \n-----BEGIN X-----"));
        assert!(!looks_like_pem(b"0\x82"));
    }
}
