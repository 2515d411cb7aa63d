//! Length-prefixed sections: `u32` big-endian length, then that many bytes. A length that
//! runs past the end takes what is left, and missing sections are empty, so every input
//! splits (the fuzzer never wastes executions on a framing error). `seeds.py` writes the
//! same framing.

/// Splits `data` into `n` length-prefixed sections and returns them with the bytes left
/// after the last one.
pub fn sections(data: &[u8], n: usize) -> (Vec<&[u8]>, &[u8]) {
    let mut rest = data;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (len, after) = match rest.split_first_chunk::<4>() {
            Some((len, after)) => (u32::from_be_bytes(*len) as usize, after),
            None => (0, &rest[rest.len()..]),
        };
        let len = len.min(after.len());
        let (section, after) = after.split_at(len);
        out.push(section);
        rest = after;
    }
    (out, rest)
}

/// A big-endian `u16` from the first two bytes (missing bytes read as zero), and the rest.
pub fn take_u16(data: &[u8]) -> (u16, &[u8]) {
    match data.split_first_chunk::<2>() {
        Some((v, rest)) => (u16::from_be_bytes(*v), rest),
        None => (0, &data[data.len()..]),
    }
}

/// A big-endian `u32` from the first four bytes (missing bytes read as zero), and the rest.
pub fn take_u32(data: &[u8]) -> (u32, &[u8]) {
    match data.split_first_chunk::<4>() {
        Some((v, rest)) => (u32::from_be_bytes(*v), rest),
        None => (0, &data[data.len()..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_and_tolerate_truncation() {
        let data = [0, 0, 0, 2, b'a', b'b', 0, 0, 0, 9, b'c', b'd'];
        let (s, rest) = sections(&data, 3);
        assert_eq!(s, vec![&b"ab"[..], &b"cd"[..], &b""[..]]);
        assert!(rest.is_empty());
        let (s, rest) = sections(&[0, 0, 0, 1, b'x', b'y', b'z'], 1);
        assert_eq!((s[0], rest), (&b"x"[..], &b"yz"[..]));
    }
}
