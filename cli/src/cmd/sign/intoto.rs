//! In-toto attestations: the Statement v1 `signet attest` signs, and DSSE's
//! pre-authentication encoding (PROTOCOL.md §7.4).
//!
//! A statement is `{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name",
//! "digest": {"sha256"}}], "predicateType", "predicate"}` (in-toto attestation spec v1);
//! it travels as the payload of a DSSE envelope of type `application/vnd.in-toto+json`,
//! whose signature is over `PAE(type, payload)`.

use anyhow::{bail, Context as _, Result};
use serde::Serialize;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// DSSE `payloadType` of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// One subject: a name and its SHA-256.
#[derive(Debug, Serialize)]
pub struct Subject {
    /// The subject's name (Signet uses the file name).
    pub name: String,
    /// `{"sha256": hex}`.
    pub digest: SubjectDigest,
}

/// `ResourceDescriptor.digest`, SHA-256 only.
#[derive(Debug, Serialize)]
pub struct SubjectDigest {
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// An in-toto Statement v1.
#[derive(Debug, Serialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    statement_type: &'static str,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: serde_json::Value,
}

impl Statement {
    /// A statement about `subjects`. `predicate` must be a JSON object (the spec's
    /// `predicate` is a `Struct`) and `predicate_type` a non-empty URI.
    ///
    /// # Errors
    /// No subjects, an empty type, or a predicate that is not an object.
    pub fn new(
        subjects: Vec<Subject>,
        predicate_type: &str,
        predicate: serde_json::Value,
    ) -> Result<Self> {
        if subjects.is_empty() {
            bail!("an in-toto statement needs at least one subject");
        }
        if predicate_type.trim().is_empty() || predicate_type.contains(char::is_whitespace) {
            bail!("--type {predicate_type:?}: the predicate type must be a URI");
        }
        if !predicate.is_object() {
            bail!("the predicate must be a JSON object");
        }
        Ok(Self {
            statement_type: STATEMENT_TYPE,
            subject: subjects,
            predicate_type: predicate_type.to_owned(),
            predicate,
        })
    }

    /// The payload bytes (compact JSON).
    ///
    /// # Errors
    /// Serialisation failure (not expected for JSON values).
    pub fn to_payload(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).context("encoding the in-toto statement")
    }
}

/// Checks that `payload` (`signet sign-bundle --in-toto FILE`) is an in-toto statement:
/// a JSON object with `_type`, a non-empty `subject` list and a `predicateType`.
///
/// # Errors
/// What is missing.
pub fn check_statement(payload: &[u8]) -> Result<()> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).context("the in-toto statement is not JSON")?;
    let Some(obj) = value.as_object() else {
        bail!("the in-toto statement is not a JSON object");
    };
    if obj.get("_type").and_then(|v| v.as_str()).is_none() {
        bail!("the in-toto statement has no _type");
    }
    if obj
        .get("subject")
        .and_then(|v| v.as_array())
        .is_none_or(Vec::is_empty)
    {
        bail!("the in-toto statement has no subject");
    }
    if obj.get("predicateType").and_then(|v| v.as_str()).is_none() {
        bail!("the in-toto statement has no predicateType");
    }
    Ok(())
}

/// DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths as ASCII decimal byte
/// counts (§7.4).
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // DSSE protocol.md test vector: type "http://example.com/HelloWorld", body "hello world".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn statements_have_the_v1_shape() {
        let s = Statement::new(
            vec![Subject {
                name: "a.txt".into(),
                digest: SubjectDigest {
                    sha256: "ab".repeat(32),
                },
            }],
            "https://slsa.dev/provenance/v1",
            serde_json::json!({"builder": {"id": "x"}}),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&s.to_payload().unwrap()).unwrap();
        assert_eq!(v["_type"], STATEMENT_TYPE);
        assert_eq!(v["subject"][0]["name"], "a.txt");
        assert_eq!(v["subject"][0]["digest"]["sha256"], "ab".repeat(32));
        assert_eq!(v["predicateType"], "https://slsa.dev/provenance/v1");
        assert_eq!(v["predicate"]["builder"]["id"], "x");
        check_statement(&s.to_payload().unwrap()).unwrap();

        assert!(Statement::new(vec![], "t", serde_json::json!({})).is_err());
        let one = || {
            vec![Subject {
                name: "a".into(),
                digest: SubjectDigest {
                    sha256: "00".into(),
                },
            }]
        };
        assert!(Statement::new(one(), "", serde_json::json!({})).is_err());
        assert!(Statement::new(one(), "t", serde_json::json!([1])).is_err());
    }

    #[test]
    fn statement_files_are_checked() {
        for (bad, why) in [
            (&b"not json"[..], "not JSON"),
            (b"[]", "not a JSON object"),
            (br#"{"subject":[{}],"predicateType":"t"}"#, "_type"),
            (
                br#"{"_type":"t","subject":[],"predicateType":"t"}"#,
                "subject",
            ),
            (br#"{"_type":"t","subject":[{}]}"#, "predicateType"),
        ] {
            let err = check_statement(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
    }
}
