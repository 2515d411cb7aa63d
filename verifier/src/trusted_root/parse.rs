//! From the wire form ([`super::wire`]) to the checked model.

use time::OffsetDateTime;

use super::{
    wire::{RawAuthority, RawClientTrustConfig, RawLog, RawTimeRange, RawTrustedRoot},
    CertificateAuthority, LogKind, TransparencyLog, TrustedRoot, TrustedRootError,
    TrustedRootVersion, ValidityPeriod, CLIENT_TRUST_CONFIG_MEDIA_TYPE, MEDIA_TYPE_V0_1,
    MEDIA_TYPE_V0_2,
};
use crate::common::{
    clip, decode_b64, decode_b64_fixed, parse_rfc3339, Bounded, FieldProblem, HashAlgorithm, Limit,
    LogId, PublicKeyDetails, RawLogId, MAX_TRUSTED_ROOT_BYTES,
};

fn missing(field: String) -> TrustedRootError {
    TrustedRootError::MissingField { field }
}

fn invalid(field: String, problem: FieldProblem) -> TrustedRootError {
    TrustedRootError::InvalidField { field, problem }
}

/// A required, non-empty string.
fn required_str(value: Option<String>, field: &str) -> Result<String, TrustedRootError> {
    value
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing(field.to_owned()))
}

/// A required `bytes` field: present, non-empty, base64.
fn required_b64(value: Option<String>, field: &str) -> Result<Vec<u8>, TrustedRootError> {
    let text = required_str(value, field)?;
    decode_b64(&text).map_err(|p| invalid(field.to_owned(), p))
}

/// A required `LogId` message.
fn required_log_id(value: Option<RawLogId>, field: &str) -> Result<LogId, TrustedRootError> {
    let raw = value.ok_or_else(|| missing(field.to_owned()))?;
    let key_field = format!("{field}.keyId");
    let text = required_str(raw.key_id, &key_field)?;
    decode_b64_fixed(&text)
        .map(LogId)
        .map_err(|p| invalid(key_field, p))
}

/// The kept items of a bounded array, or the limit error.
fn within<T, const N: usize>(
    list: Option<Bounded<T, N>>,
    limit: Limit,
    field: &str,
) -> Result<Vec<T>, TrustedRootError> {
    let list = list.unwrap_or_default();
    if list.total > limit.max() {
        return Err(TrustedRootError::LimitExceeded {
            field: field.to_owned(),
            limit,
            actual: list.total,
        });
    }
    Ok(list.items)
}

fn check_size(json: &[u8]) -> Result<(), TrustedRootError> {
    if json.len() > MAX_TRUSTED_ROOT_BYTES {
        return Err(TrustedRootError::LimitExceeded {
            field: "trusted root".to_owned(),
            limit: Limit::TrustedRootBytes,
            actual: json.len(),
        });
    }
    Ok(())
}

fn from_json<'a, T: serde::Deserialize<'a>>(json: &'a [u8]) -> Result<T, TrustedRootError> {
    serde_json::from_slice(json).map_err(|e| TrustedRootError::Json {
        reason: e.to_string(),
    })
}

pub(super) fn trusted_root_document(json: &[u8]) -> Result<TrustedRoot, TrustedRootError> {
    check_size(json)?;
    trusted_root(from_json(json)?, "")
}

pub(super) fn client_trust_config_document(json: &[u8]) -> Result<TrustedRoot, TrustedRootError> {
    check_size(json)?;
    let raw: RawClientTrustConfig = from_json(json)?;
    let media_type = required_str(raw.media_type, "mediaType")?;
    if media_type != CLIENT_TRUST_CONFIG_MEDIA_TYPE {
        return Err(TrustedRootError::UnsupportedTrustConfigMediaType {
            media_type: clip(&media_type),
        });
    }
    let root = raw
        .trusted_root
        .ok_or_else(|| missing("trustedRoot".to_owned()))?;
    trusted_root(root, "trustedRoot.")
}

/// `prefix` is prepended to every field path (`trustedRoot.` inside a trust config).
fn trusted_root(raw: RawTrustedRoot, prefix: &str) -> Result<TrustedRoot, TrustedRootError> {
    let media_type = required_str(raw.media_type, &format!("{prefix}mediaType"))?;
    let version = match media_type.as_str() {
        MEDIA_TYPE_V0_1 => TrustedRootVersion::V0_1,
        MEDIA_TYPE_V0_2 => TrustedRootVersion::V0_2,
        _ => {
            return Err(TrustedRootError::UnsupportedMediaType {
                media_type: clip(&media_type),
            })
        }
    };
    Ok(TrustedRoot {
        version,
        tlogs: logs(raw.tlogs, LogKind::Tlog, &format!("{prefix}tlogs"))?,
        ctlogs: logs(raw.ctlogs, LogKind::Ctlog, &format!("{prefix}ctlogs"))?,
        certificate_authorities: authorities(
            raw.certificate_authorities,
            &format!("{prefix}certificateAuthorities"),
        )?,
        timestamp_authorities: authorities(
            raw.timestamp_authorities,
            &format!("{prefix}timestampAuthorities"),
        )?,
    })
}

fn logs<const N: usize>(
    raw: Option<Bounded<RawLog, N>>,
    kind: LogKind,
    field: &str,
) -> Result<Vec<TransparencyLog>, TrustedRootError> {
    let mut out: Vec<TransparencyLog> = Vec::new();
    for (second, entry) in within(raw, Limit::TrustedLogs, field)?
        .into_iter()
        .enumerate()
    {
        let log = transparency_log(entry, &format!("{field}[{second}]"))?;
        if let Some(first) = out.iter().position(|l| l.log_id == log.log_id) {
            return Err(TrustedRootError::DuplicateLogId {
                kind,
                log_id: log.log_id,
                first,
                second,
            });
        }
        out.push(log);
    }
    Ok(out)
}

fn transparency_log(raw: RawLog, at: &str) -> Result<TransparencyLog, TrustedRootError> {
    let base_url = required_str(raw.base_url, &format!("{at}.baseUrl"))?;
    let field = format!("{at}.hashAlgorithm");
    let name = required_str(raw.hash_algorithm, &field)?;
    // sigstore-go rejects any other log hash (PROTOCOL.md §7.1, §12 item 2).
    let hash_algorithm = match HashAlgorithm::from_proto_name(&name) {
        Some(HashAlgorithm::Sha2_256) => HashAlgorithm::Sha2_256,
        Some(_) => {
            return Err(invalid(
                field,
                FieldProblem::Unsupported {
                    value: name,
                    expected: "SHA2_256",
                },
            ))
        }
        None => return Err(invalid(field, FieldProblem::UnknownEnumValue(clip(&name)))),
    };
    let key_at = format!("{at}.publicKey");
    let key = raw.public_key.ok_or_else(|| missing(key_at.clone()))?;
    let public_key = required_b64(key.raw_bytes, &format!("{key_at}.rawBytes"))?;
    let field = format!("{key_at}.keyDetails");
    let name = required_str(key.key_details, &field)?;
    let key_details = PublicKeyDetails::from_proto_name(&name)
        .ok_or_else(|| invalid(field, FieldProblem::UnknownEnumValue(clip(&name))))?;
    let valid_for = validity(key.valid_for, &format!("{key_at}.validFor"))?;
    let log_id = required_log_id(raw.log_id, &format!("{at}.logId"))?;
    let checkpoint_key_id = raw
        .checkpoint_key_id
        .map(|id| required_log_id(Some(id), &format!("{at}.checkpointKeyId")))
        .transpose()?;
    Ok(TransparencyLog {
        base_url,
        hash_algorithm,
        public_key,
        key_details,
        valid_for,
        log_id,
        checkpoint_key_id,
        operator: raw.operator.unwrap_or_default(),
    })
}

fn authorities<const N: usize>(
    raw: Option<Bounded<RawAuthority, N>>,
    field: &str,
) -> Result<Vec<CertificateAuthority>, TrustedRootError> {
    within(raw, Limit::TrustedAuthorities, field)?
        .into_iter()
        .enumerate()
        .map(|(i, a)| authority(a, &format!("{field}[{i}]")))
        .collect()
}

fn authority(raw: RawAuthority, at: &str) -> Result<CertificateAuthority, TrustedRootError> {
    let subject = raw.subject;
    let chain_at = format!("{at}.certChain");
    let chain = raw.cert_chain.ok_or_else(|| missing(chain_at.clone()))?;
    let certs_at = format!("{chain_at}.certificates");
    let certs = within(chain.certificates, Limit::CertificateChainLen, &certs_at)?;
    if certs.is_empty() {
        return Err(TrustedRootError::EmptyCertificateChain { field: chain_at });
    }
    let cert_chain = certs
        .into_iter()
        .enumerate()
        .map(|(i, c)| required_b64(c.raw_bytes, &format!("{certs_at}[{i}].rawBytes")))
        .collect::<Result<Vec<_>, _>>()?;
    let valid_for = validity(raw.valid_for, &format!("{at}.validFor"))?;
    let (organization, common_name) = subject
        .map(|s| {
            (
                s.organization.unwrap_or_default(),
                s.common_name.unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    Ok(CertificateAuthority {
        organization,
        common_name,
        uri: raw.uri.unwrap_or_default(),
        cert_chain,
        valid_for,
        operator: raw.operator.unwrap_or_default(),
    })
}

/// A required `validFor` with a required `start` (sigstore-go requires it for log keys;
/// applied to every entry for one rule).
fn validity(raw: Option<RawTimeRange>, at: &str) -> Result<ValidityPeriod, TrustedRootError> {
    let raw = raw.ok_or_else(|| missing(at.to_owned()))?;
    let time = |value: Option<String>, name: &str| -> Result<Option<OffsetDateTime>, _> {
        let field = format!("{at}.{name}");
        value
            .filter(|s| !s.is_empty())
            .map(|s| parse_rfc3339(&s).map_err(|p| invalid(field, p)))
            .transpose()
    };
    let start = time(raw.start, "start")?.ok_or_else(|| missing(format!("{at}.start")))?;
    let end = time(raw.end, "end")?;
    if let Some(end) = end.filter(|end| *end < start) {
        return Err(TrustedRootError::ValidityEndsBeforeStart {
            field: at.to_owned(),
            start,
            end,
        });
    }
    Ok(ValidityPeriod {
        start: start.into(),
        end: end.map(Into::into),
    })
}
