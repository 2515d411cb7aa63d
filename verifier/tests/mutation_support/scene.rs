//! [`Scene`]: a bundle with its trust, artefact, policy and clock, run through
//! `Bundle::from_json` and `Verifier::verify`; failures named by their variant path.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::fmt::Debug;
use std::time::SystemTime;

use serde_json::Value;
use signet_verifier::bundle::{Bundle, BundleError};
use signet_verifier::chain::ChainError;
use signet_verifier::trusted_root::TrustedRoot;
use signet_verifier::tsa::TimestampError;
use signet_verifier::verify::{
    Artifact, BindingError, SignerPolicy, VerifiedBundle, Verifier, VerifyError,
};

use super::*;

/// A bundle with everything verification needs.
#[derive(Clone)]
pub struct Scene {
    pub parts: Parts,
    pub artefact: Vec<u8>,
    /// Give the artefact as its SHA-256 (`sha256:<hex>`) rather than its bytes.
    pub by_digest: bool,
    pub policy: SignerPolicy,
    pub root: Value,
    pub now: SystemTime,
    /// An edit of the parsed bundle (defence in depth for what the parser enforces).
    pub model: Option<fn(&mut Bundle)>,
    /// Bundle bytes to use instead of `parts`.
    pub raw_json: Option<Vec<u8>>,
}

/// Why a scene did not verify: the typed error's variant path and its message.
#[derive(Clone, Debug)]
pub struct Failure {
    pub path: String,
    pub message: String,
}

impl Scene {
    pub fn bundle_json(&self) -> Vec<u8> {
        self.raw_json
            .clone()
            .unwrap_or_else(|| self.parts.json_bytes())
    }

    pub fn verifier(&self) -> Result<Verifier, Failure> {
        let root = TrustedRoot::from_json(&serde_json::to_vec(&self.root).unwrap())
            .expect("the scene's trusted root parses");
        Verifier::new(root).map_err(|e| Failure {
            path: verify_path(&e),
            message: e.to_string(),
        })
    }

    pub fn run(&self) -> Result<VerifiedBundle, Failure> {
        let verifier = self.verifier()?;
        self.run_with(&verifier, &self.bundle_json())
    }

    pub fn run_with(&self, verifier: &Verifier, json: &[u8]) -> Result<VerifiedBundle, Failure> {
        let mut bundle = Bundle::from_json(json).map_err(|e| Failure {
            path: parse_path(&e),
            message: e.to_string(),
        })?;
        if let Some(edit) = self.model {
            edit(&mut bundle);
        }
        let digest: [u8; 32] = sha256(&self.artefact).try_into().unwrap();
        let artifact = if self.by_digest {
            Artifact::Sha256(digest)
        } else {
            Artifact::Bytes(&self.artefact)
        };
        verifier
            .verify(&bundle, artifact, &self.policy, self.now)
            .map_err(|e| Failure {
                path: verify_path(&e),
                message: e.to_string(),
            })
    }
}

/// The name of an enum value's variant (what `derive(Debug)` prints first).
pub fn variant<T: Debug + ?Sized>(value: &T) -> String {
    let text = format!("{value:?}");
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn chain_path(e: &ChainError) -> String {
    match e {
        ChainError::Certificate { failure, .. } => format!("Certificate/{}", variant(failure)),
        other => variant(other),
    }
}

fn tsa_path(e: &TimestampError) -> String {
    match e {
        TimestampError::Certificate { failure, .. } => format!("Certificate/{}", variant(failure)),
        other => variant(other),
    }
}

/// `Step/Variant[/Detail]` of a verification error, from the typed error.
pub fn verify_path(e: &VerifyError) -> String {
    let head = variant(e);
    let tail = match e {
        VerifyError::Tlog(t) => variant(t),
        VerifyError::Signature(s) => variant(s),
        VerifyError::Binding(BindingError::Field { field }) => format!("Field:{field}"),
        VerifyError::Binding(b) => variant(b),
        VerifyError::Timestamp { source, .. } => tsa_path(source),
        VerifyError::Chain { source, .. } | VerifyError::BundleChain(source) => chain_path(source),
        VerifyError::Sct(s) => variant(s),
        VerifyError::Identity(i) => variant(i),
        _ => return head,
    };
    format!("{head}/{tail}")
}

/// `Parse/Variant[:Limit]` of a bundle parse error.
pub fn parse_path(e: &BundleError) -> String {
    match e {
        BundleError::LimitExceeded { limit, .. } => format!("Parse/LimitExceeded:{}", limit.name()),
        other => format!("Parse/{}", variant(other)),
    }
}
