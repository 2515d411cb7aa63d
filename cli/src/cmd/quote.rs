//! Text from a server, quoted inside a one-line error message.

/// Longest quotation, in characters.
pub const MAX_QUOTED: usize = 500;

/// `text` trimmed, on one line (control characters become spaces), at most
/// [`MAX_QUOTED`] characters; `empty` when nothing is left.
pub fn one_line(text: &str, empty: &str) -> String {
    let line: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_QUOTED)
        .collect();
    if line.is_empty() {
        empty.to_owned()
    } else {
        line
    }
}
