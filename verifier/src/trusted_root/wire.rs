//! `trusted_root.json` and `ClientTrustConfig` as sent (`sigstore_trustroot.proto`,
//! protobuf JSON): every field optional so that [`super::parse`] can name the missing
//! one; camelCase keys with snake_case accepted; unknown keys rejected.

use serde::{de::IgnoredAny, Deserialize};

use crate::common::{
    Bounded, RawCertificateChain, RawLogId, MAX_TRUSTED_AUTHORITIES, MAX_TRUSTED_LOGS,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawClientTrustConfig {
    #[serde(alias = "media_type")]
    pub media_type: Option<String>,
    #[serde(alias = "trusted_root")]
    pub trusted_root: Option<RawTrustedRoot>,
    /// Accepted but not needed to verify; its shape is the signer's concern.
    #[allow(dead_code)]
    #[serde(alias = "signing_config")]
    pub signing_config: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawTrustedRoot {
    #[serde(alias = "media_type")]
    pub media_type: Option<String>,
    pub tlogs: Option<Bounded<RawLog, MAX_TRUSTED_LOGS>>,
    #[serde(alias = "certificate_authorities")]
    pub certificate_authorities: Option<Bounded<RawAuthority, MAX_TRUSTED_AUTHORITIES>>,
    pub ctlogs: Option<Bounded<RawLog, MAX_TRUSTED_LOGS>>,
    #[serde(alias = "timestamp_authorities")]
    pub timestamp_authorities: Option<Bounded<RawAuthority, MAX_TRUSTED_AUTHORITIES>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawLog {
    #[serde(alias = "base_url")]
    pub base_url: Option<String>,
    #[serde(alias = "hash_algorithm")]
    pub hash_algorithm: Option<String>,
    #[serde(alias = "public_key")]
    pub public_key: Option<RawPublicKey>,
    #[serde(alias = "log_id")]
    pub log_id: Option<RawLogId>,
    #[serde(alias = "checkpoint_key_id")]
    pub checkpoint_key_id: Option<RawLogId>,
    pub operator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawPublicKey {
    #[serde(alias = "raw_bytes")]
    pub raw_bytes: Option<String>,
    #[serde(alias = "key_details")]
    pub key_details: Option<String>,
    #[serde(alias = "valid_for")]
    pub valid_for: Option<RawTimeRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimeRange {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawAuthority {
    pub subject: Option<RawDistinguishedName>,
    pub uri: Option<String>,
    #[serde(alias = "cert_chain")]
    pub cert_chain: Option<RawCertificateChain>,
    #[serde(alias = "valid_for")]
    pub valid_for: Option<RawTimeRange>,
    pub operator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawDistinguishedName {
    pub organization: Option<String>,
    #[serde(alias = "common_name")]
    pub common_name: Option<String>,
}
