//! proto3 JSON decoding shared by the bundle and trusted-root parsers (PROTOCOL.md §1).

use std::{fmt, marker::PhantomData};

use base64::{
    alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
    Engine as _,
};
use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{FieldProblem, MAX_CERTIFICATE_CHAIN_LEN};

/// Padding optional, as protojson decodes `bytes`.
const LENIENT_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_PADDING);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT_PADDING);

/// Decodes a proto `bytes` field: the URL-safe alphabet if the text uses `-` or `_`
/// (as protojson decides), the standard one otherwise.
pub(crate) fn decode_b64(text: &str) -> Result<Vec<u8>, FieldProblem> {
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine.decode(text).map_err(|_| FieldProblem::NotBase64)
}

/// Decodes a proto `bytes` field that must be exactly `N` bytes.
pub(crate) fn decode_b64_fixed<const N: usize>(text: &str) -> Result<[u8; N], FieldProblem> {
    let bytes = decode_b64(text)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| FieldProblem::WrongLength {
        expected: N,
        actual: bytes.len(),
    })
}

/// Parses an RFC 3339 `google.protobuf.Timestamp`.
pub(crate) fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, FieldProblem> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| FieldProblem::NotRfc3339(clip(text)))
}

/// Input echoed in an error, cut to a readable length.
pub(crate) fn clip(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An `int64` field as given: proto3 JSON sends it as a string, but a number is accepted.
#[derive(Clone, Debug)]
pub(crate) enum JsonInt {
    /// A JSON string (validated later).
    Text(String),
    /// An integral JSON number.
    Number(i128),
    /// A fractional or out-of-range JSON number.
    NotIntegral,
}

impl JsonInt {
    /// The value as an int64.
    pub(crate) fn to_i64(&self) -> Result<i64, FieldProblem> {
        match self {
            JsonInt::Text(s) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(FieldProblem::NotInt64);
                }
                s.parse().map_err(|_| FieldProblem::NotInt64)
            }
            JsonInt::Number(n) => i64::try_from(*n).map_err(|_| FieldProblem::NotInt64),
            JsonInt::NotIntegral => Err(FieldProblem::NotInt64),
        }
    }

    /// The value as a non-negative int64 (indices, sizes, times).
    pub(crate) fn to_u64(&self) -> Result<u64, FieldProblem> {
        let v = self.to_i64()?;
        u64::try_from(v).map_err(|_| FieldProblem::Negative(v))
    }
}

impl<'de> Deserialize<'de> for JsonInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JsonInt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an int64 as a JSON string or number")
            }
            fn visit_str<E>(self, v: &str) -> Result<JsonInt, E> {
                Ok(JsonInt::Text(v.to_owned()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<JsonInt, E> {
                Ok(JsonInt::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<JsonInt, E> {
                Ok(JsonInt::Number(v.into()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<JsonInt, E> {
                Ok(JsonInt::NotIntegral)
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON array of which at most `N` elements are kept; the rest are skipped without
/// being stored, but counted, so that an oversized array costs no memory and the limit
/// error can say how many there were.
#[derive(Clone, Debug)]
pub(crate) struct Bounded<T, const N: usize> {
    /// The first (at most `N`) elements.
    pub(crate) items: Vec<T>,
    /// How many elements the array had.
    pub(crate) total: usize,
}

impl<T, const N: usize> Default for Bounded<T, N> {
    fn default() -> Self {
        Bounded {
            items: Vec::new(),
            total: 0,
        }
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Bounded<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = Bounded<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Bounded::default();
                while out.items.len() < N {
                    match seq.next_element::<T>()? {
                        Some(item) => out.items.push(item),
                        None => break,
                    }
                }
                out.total = out.items.len();
                if out.total == N {
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        out.total = out.total.saturating_add(1);
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
}

/// `X509Certificate` as sent.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCertificate {
    #[serde(alias = "raw_bytes")]
    pub(crate) raw_bytes: Option<String>,
}

/// `X509CertificateChain` as sent.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCertificateChain {
    pub(crate) certificates: Option<Bounded<RawCertificate, MAX_CERTIFICATE_CHAIN_LEN>>,
}

/// `LogId` as sent.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawLogId {
    #[serde(alias = "key_id")]
    pub(crate) key_id: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::common::{HashAlgorithm, PublicKeyDetails};

    fn int(json: &str) -> Result<i64, FieldProblem> {
        serde_json::from_str::<JsonInt>(json).unwrap().to_i64()
    }

    #[test]
    fn int64_as_string_or_number() {
        assert_eq!(int("\"25915956\""), Ok(25_915_956));
        assert_eq!(int("25915956"), Ok(25_915_956));
        assert_eq!(int("\"-3\""), Ok(-3));
        assert_eq!(int("\"9223372036854775807\""), Ok(i64::MAX));
        for bad in [
            "\"\"",
            "\"+1\"",
            "\" 1\"",
            "\"1e3\"",
            "\"0x10\"",
            "\"9223372036854775808\"",
            "9223372036854775808",
            "1.5",
        ] {
            assert_eq!(int(bad), Err(FieldProblem::NotInt64), "{bad}");
        }
        assert!(serde_json::from_str::<JsonInt>("true").is_err());
        let neg = serde_json::from_str::<JsonInt>("-1").unwrap();
        assert_eq!(neg.to_u64(), Err(FieldProblem::Negative(-1)));
    }

    #[test]
    fn base64_both_alphabets_padding_optional() {
        assert_eq!(decode_b64("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_b64("+/8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_b64("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_b64("+_8="), Err(FieldProblem::NotBase64));
        assert_eq!(decode_b64("not base64!"), Err(FieldProblem::NotBase64));
        assert_eq!(
            decode_b64_fixed::<32>("AAAA"),
            Err(FieldProblem::WrongLength {
                expected: 32,
                actual: 3
            })
        );
    }

    #[test]
    fn bounded_counts_what_it_skips() {
        let b: Bounded<u8, 2> = serde_json::from_str("[1, 2, 3, {\"x\": [4]}]").unwrap();
        assert_eq!((b.items, b.total), (vec![1, 2], 4));
        let b: Bounded<u8, 2> = serde_json::from_str("[1]").unwrap();
        assert_eq!((b.items, b.total), (vec![1], 1));
        assert!(serde_json::from_str::<Bounded<u8, 2>>("[1, 2, 3,]").is_err());
    }

    #[test]
    fn enums_by_proto_name() {
        assert_eq!(
            HashAlgorithm::from_proto_name("SHA2_384"),
            Some(HashAlgorithm::Sha2_384)
        );
        assert_eq!(
            HashAlgorithm::from_proto_name("HASH_ALGORITHM_UNSPECIFIED"),
            None
        );
        assert_eq!(HashAlgorithm::from_proto_name("sha2_256"), None);
        assert_eq!(
            PublicKeyDetails::from_proto_name("PKIX_ED25519"),
            Some(PublicKeyDetails::PkixEd25519)
        );
        assert_eq!(
            PublicKeyDetails::PkixEcdsaP256Sha256.proto_name(),
            "PKIX_ECDSA_P256_SHA_256"
        );
    }

    #[test]
    fn clip_cuts_on_char_boundaries() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(clip(&long).chars().count(), 81);
    }
}
