//! The bundle as sent: protobuf JSON (`sigstore_bundle.proto`, `sigstore_rekor.proto`,
//! `envelope.proto`), every field optional so that [`super::parse`] can say which one is
//! missing. Keys are camelCase with the snake_case spelling accepted (PROTOCOL.md §1);
//! unknown keys are rejected, as protojson does. `null` counts as absent.

use serde::Deserialize;

use crate::common::{
    Bounded, JsonInt, RawCertificate, RawCertificateChain, RawLogId, MAX_PROOF_HASHES,
    MAX_RFC3161_TIMESTAMPS, MAX_TLOG_ENTRIES,
};

/// A DSSE envelope keeps this many signatures; more are counted, not stored.
pub(super) const DSSE_SIGNATURES_KEPT: usize = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawBundle {
    #[serde(alias = "media_type")]
    pub media_type: Option<String>,
    #[serde(alias = "verification_material")]
    pub verification_material: Option<RawVerificationMaterial>,
    #[serde(alias = "message_signature")]
    pub message_signature: Option<RawMessageSignature>,
    #[serde(alias = "dsse_envelope")]
    pub dsse_envelope: Option<RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawVerificationMaterial {
    #[serde(alias = "public_key")]
    pub public_key: Option<RawPublicKeyIdentifier>,
    #[serde(alias = "x509_certificate_chain")]
    pub x509_certificate_chain: Option<RawCertificateChain>,
    pub certificate: Option<RawCertificate>,
    #[serde(alias = "tlog_entries")]
    pub tlog_entries: Option<Bounded<RawTlogEntry, MAX_TLOG_ENTRIES>>,
    #[serde(alias = "timestamp_verification_data")]
    pub timestamp_verification_data: Option<RawTimestampVerificationData>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublicKeyIdentifier {
    pub hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawTimestampVerificationData {
    #[serde(alias = "rfc3161_timestamps")]
    pub rfc3161_timestamps: Option<Bounded<RawSignedTimestamp, MAX_RFC3161_TIMESTAMPS>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawSignedTimestamp {
    #[serde(alias = "signed_timestamp")]
    pub signed_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawTlogEntry {
    #[serde(alias = "log_index")]
    pub log_index: Option<JsonInt>,
    #[serde(alias = "log_id")]
    pub log_id: Option<RawLogId>,
    #[serde(alias = "kind_version")]
    pub kind_version: Option<RawKindVersion>,
    #[serde(alias = "integrated_time")]
    pub integrated_time: Option<JsonInt>,
    #[serde(alias = "inclusion_promise")]
    pub inclusion_promise: Option<RawInclusionPromise>,
    #[serde(alias = "inclusion_proof")]
    pub inclusion_proof: Option<RawInclusionProof>,
    #[serde(alias = "canonicalized_body")]
    pub canonicalized_body: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKindVersion {
    pub kind: Option<String>,
    pub version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawInclusionPromise {
    #[serde(alias = "signed_entry_timestamp")]
    pub signed_entry_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawInclusionProof {
    #[serde(alias = "log_index")]
    pub log_index: Option<JsonInt>,
    #[serde(alias = "root_hash")]
    pub root_hash: Option<String>,
    #[serde(alias = "tree_size")]
    pub tree_size: Option<JsonInt>,
    pub hashes: Option<Bounded<String, MAX_PROOF_HASHES>>,
    pub checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCheckpoint {
    pub envelope: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawMessageSignature {
    #[serde(alias = "message_digest")]
    pub message_digest: Option<RawHashOutput>,
    pub signature: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHashOutput {
    pub algorithm: Option<String>,
    pub digest: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawEnvelope {
    pub payload: Option<String>,
    #[serde(alias = "payload_type")]
    pub payload_type: Option<String>,
    pub signatures: Option<Bounded<RawSignature, DSSE_SIGNATURES_KEPT>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSignature {
    pub sig: Option<String>,
    pub keyid: Option<String>,
}
