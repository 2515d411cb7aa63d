//! Strict navigation of an untrusted JSON document, with errors that name the field.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::EntryError;

/// A JSON value type, for [`EntryError::WrongType`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonType {
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// A JSON string.
    String,
}

impl std::fmt::Display for JsonType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Object => "an object",
            Self::Array => "an array",
            Self::String => "a string",
        })
    }
}

/// The location of a field in a proposed entry, e.g. `spec.signature.content` or
/// `spec.proposedContent.verifiers[2]`. Fields inside the DSSE envelope (a JSON string)
/// are named below `spec.proposedContent.envelope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPath {
    base: &'static str,
    index: Option<usize>,
    leaf: Option<&'static str>,
}

impl FieldPath {
    /// The document root.
    pub const ROOT: FieldPath = FieldPath::new("");

    /// A dotted path.
    #[must_use]
    pub const fn new(base: &'static str) -> Self {
        Self {
            base,
            index: None,
            leaf: None,
        }
    }

    /// Element `index` of the array at this path.
    #[must_use]
    pub const fn at(self, index: usize) -> Self {
        Self {
            index: Some(index),
            ..self
        }
    }

    /// Member `leaf` of the array element at this path.
    #[must_use]
    pub const fn then(self, leaf: &'static str) -> Self {
        Self {
            leaf: Some(leaf),
            ..self
        }
    }

    pub(crate) fn child(self, name: &str) -> String {
        if self == Self::ROOT {
            name.to_owned()
        } else {
            format!("{self}.{name}")
        }
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.base.is_empty() {
            "proposed entry"
        } else {
            self.base
        })?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        if let Some(leaf) = self.leaf {
            write!(f, ".{leaf}")?;
        }
        Ok(())
    }
}

/// `v` as an object.
pub(crate) fn object(v: &Value, field: FieldPath) -> Result<&Map<String, Value>, EntryError> {
    v.as_object().ok_or(EntryError::WrongType {
        field,
        expected: JsonType::Object,
    })
}

/// `v` as an array.
pub(crate) fn array(v: &Value, field: FieldPath) -> Result<&Vec<Value>, EntryError> {
    v.as_array().ok_or(EntryError::WrongType {
        field,
        expected: JsonType::Array,
    })
}

/// `v` as a string.
pub(crate) fn string(v: &Value, field: FieldPath) -> Result<&str, EntryError> {
    v.as_str().ok_or(EntryError::WrongType {
        field,
        expected: JsonType::String,
    })
}

/// Rejects any key of `obj` not in `allowed`.
pub(crate) fn only_keys(
    obj: &Map<String, Value>,
    allowed: &[&str],
    parent: FieldPath,
) -> Result<(), EntryError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(name) => Err(EntryError::UnknownField {
            parent,
            name: name.clone(),
        }),
        None => Ok(()),
    }
}

/// The member `key` of `obj`; absent or `null` is [`EntryError::MissingField`] (Go's
/// decoder treats `null` as absent too).
pub(crate) fn member<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    field: FieldPath,
) -> Result<&'a Value, EntryError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(EntryError::MissingField { field }),
        Some(v) => Ok(v),
    }
}

/// The member `key` of `obj` as a non-empty string.
pub(crate) fn nonempty_string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    field: FieldPath,
) -> Result<&'a str, EntryError> {
    let s = string(member(obj, key, field)?, field)?;
    if s.is_empty() {
        return Err(EntryError::EmptyField { field });
    }
    Ok(s)
}

/// Standard, padded base64 (RFC 4648 §4), as Go's `base64.StdEncoding` and swagger's
/// `format: byte`.
pub(crate) fn base64_std(s: &str, field: FieldPath) -> Result<Vec<u8>, EntryError> {
    STANDARD
        .decode(s)
        .map_err(|_| EntryError::InvalidBase64 { field })
}

/// Standard or URL-safe padded base64, as the DSSE reference implementation's
/// `b64Decode` accepts for envelope payloads (DSSE envelope.md).
pub(crate) fn base64_std_or_url(s: &str, field: FieldPath) -> Result<Vec<u8>, EntryError> {
    STANDARD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .map_err(|_| EntryError::InvalidBase64 { field })
}

/// Standard, padded base64 encoding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}
