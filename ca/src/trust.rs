//! The Sigstore trust configuration a Signet deployment publishes, so that any Sigstore
//! client can be pointed at it (PROTOCOL.md §7): `trusted_root.json` (§7.1),
//! `signing_config.json` v0.2 (§7.2) and the `ClientTrustConfig` that wraps both (§7.3,
//! what `sigstore --trust-config FILE` reads).

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// The only trusted-root media type both sigstore-go and sigstore-python accept (§7.1,
/// §12 item 2): the `v0.2` form is rejected by both.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// Signing config v0.2, the only version the clients accept (§7.2).
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// ClientTrustConfig (§7.3).
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// Why the trust configuration could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A timestamp could not be formatted as RFC 3339.
    #[error("cannot format time {unix}: {reason}")]
    Time {
        /// The Unix time.
        unix: i64,
        /// Why.
        reason: String,
    },
}

/// A transparency or CT log as the trusted root lists it.
#[derive(Clone, Debug)]
pub struct LogKey {
    /// Base URL clients use (`https://host` or `http://127.0.0.1:PORT`).
    pub base_url: String,
    /// DER SubjectPublicKeyInfo of its ECDSA P-256 key.
    pub public_key_der: Vec<u8>,
    /// Unix time from which the key is valid.
    pub valid_from: i64,
}

/// The certificate authority as the trusted root lists it.
#[derive(Clone, Debug)]
pub struct CaEntry {
    /// Its URL (the Fulcio base URL).
    pub uri: String,
    /// Subject organisation and common name of the root.
    pub organization: String,
    /// Root common name.
    pub common_name: String,
    /// DER certificates, issuing (intermediate) first, root last.
    pub chain_der: Vec<Vec<u8>>,
    /// Unix time from which the chain issues certificates.
    pub valid_from: i64,
}

/// Everything the three documents describe.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The CA.
    pub ca: CaEntry,
    /// The Rekor v1 transparency log.
    pub tlog: LogKey,
    /// The CT log whose SCTs the CA embeds.
    pub ctlog: LogKey,
    /// An OIDC issuer to advertise for interactive token acquisition (the development
    /// issuer), if any.
    pub oidc_url: Option<String>,
    /// Operator name (scheme-less), e.g. the listen host.
    pub operator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ValidFor {
    start: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicKey {
    raw_bytes: String,
    key_details: &'static str,
    valid_for: ValidFor,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogId {
    key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransparencyLogInstance {
    base_url: String,
    hash_algorithm: &'static str,
    public_key: PublicKey,
    log_id: LogId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DistinguishedName {
    organization: String,
    common_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CertChain {
    certificates: Vec<RawCert>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CertificateAuthority {
    subject: DistinguishedName,
    uri: String,
    cert_chain: CertChain,
    valid_for: ValidFor,
}

/// `trusted_root.json` (§7.1).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRoot {
    media_type: &'static str,
    tlogs: Vec<TransparencyLogInstance>,
    certificate_authorities: Vec<CertificateAuthority>,
    ctlogs: Vec<TransparencyLogInstance>,
    timestamp_authorities: Vec<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Service {
    url: String,
    major_api_version: u32,
    valid_for: ValidFor,
    operator: String,
}

#[derive(Serialize)]
struct Selector {
    selector: &'static str,
}

/// `signing_config.json` v0.2 (§7.2).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningConfig {
    media_type: &'static str,
    ca_urls: Vec<Service>,
    oidc_urls: Vec<Service>,
    rekor_tlog_urls: Vec<Service>,
    rekor_tlog_config: Selector,
    tsa_urls: Vec<Service>,
    tsa_config: Selector,
}

/// `trust_config.json`: the ClientTrustConfig (§7.3).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTrustConfig {
    media_type: &'static str,
    trusted_root: TrustedRoot,
    signing_config: SigningConfig,
}

fn rfc3339(unix: i64) -> Result<String, TrustError> {
    let err = |reason: String| TrustError::Time { unix, reason };
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| err(e.to_string()))?
        .format(&Rfc3339)
        .map_err(|e| err(e.to_string()))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The v1 log ID of a key: SHA-256 of its DER SubjectPublicKeyInfo (§4.2, §7.1).
#[must_use]
pub fn log_id(public_key_der: &[u8]) -> [u8; 32] {
    Sha256::digest(public_key_der).into()
}

fn log_instance(log: &LogKey) -> Result<TransparencyLogInstance, TrustError> {
    Ok(TransparencyLogInstance {
        base_url: log.base_url.clone(),
        // sigstore-go rejects anything else (§7.1).
        hash_algorithm: "SHA2_256",
        public_key: PublicKey {
            raw_bytes: b64(&log.public_key_der),
            key_details: "PKIX_ECDSA_P256_SHA_256",
            // `start` is required by sigstore-go.
            valid_for: ValidFor {
                start: rfc3339(log.valid_from)?,
            },
        },
        log_id: LogId {
            key_id: b64(&log_id(&log.public_key_der)),
        },
    })
}

impl Deployment {
    /// The trusted root.
    ///
    /// # Errors
    /// [`TrustError::Time`] for a time outside RFC 3339's range.
    pub fn trusted_root(&self) -> Result<TrustedRoot, TrustError> {
        Ok(TrustedRoot {
            media_type: TRUSTED_ROOT_MEDIA_TYPE,
            tlogs: vec![log_instance(&self.tlog)?],
            certificate_authorities: vec![CertificateAuthority {
                subject: DistinguishedName {
                    organization: self.ca.organization.clone(),
                    common_name: self.ca.common_name.clone(),
                },
                uri: self.ca.uri.clone(),
                cert_chain: CertChain {
                    certificates: self
                        .ca
                        .chain_der
                        .iter()
                        .map(|c| RawCert { raw_bytes: b64(c) })
                        .collect(),
                },
                valid_for: ValidFor {
                    start: rfc3339(self.ca.valid_from)?,
                },
            }],
            ctlogs: vec![log_instance(&self.ctlog)?],
            timestamp_authorities: Vec::new(),
        })
    }

    /// The signing config.
    ///
    /// # Errors
    /// [`TrustError::Time`] for a time outside RFC 3339's range.
    pub fn signing_config(&self) -> Result<SigningConfig, TrustError> {
        let service = |url: &str, version: u32, from: i64| -> Result<Service, TrustError> {
            Ok(Service {
                url: url.to_owned(),
                major_api_version: version,
                valid_for: ValidFor {
                    start: rfc3339(from)?,
                },
                operator: self.operator.clone(),
            })
        };
        Ok(SigningConfig {
            media_type: SIGNING_CONFIG_MEDIA_TYPE,
            // Fulcio's API is "v2" on the wire but majorApiVersion 1 in signing configs (§12.2).
            ca_urls: vec![service(&self.ca.uri, 1, self.ca.valid_from)?],
            oidc_urls: self
                .oidc_url
                .iter()
                .map(|u| service(u, 1, self.ca.valid_from))
                .collect::<Result<_, _>>()?,
            rekor_tlog_urls: vec![service(&self.tlog.base_url, 1, self.tlog.valid_from)?],
            rekor_tlog_config: Selector { selector: "ANY" },
            tsa_urls: Vec::new(),
            tsa_config: Selector { selector: "ANY" },
        })
    }

    /// The ClientTrustConfig wrapping both.
    ///
    /// # Errors
    /// [`TrustError::Time`] for a time outside RFC 3339's range.
    pub fn client_trust_config(&self) -> Result<ClientTrustConfig, TrustError> {
        Ok(ClientTrustConfig {
            media_type: CLIENT_TRUST_CONFIG_MEDIA_TYPE,
            trusted_root: self.trusted_root()?,
            signing_config: self.signing_config()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn deployment() -> Deployment {
        Deployment {
            ca: CaEntry {
                uri: "http://127.0.0.1:3000".to_owned(),
                organization: "signet".to_owned(),
                common_name: "signet root".to_owned(),
                chain_der: vec![vec![1, 2, 3], vec![4, 5]],
                valid_from: 1_700_000_000,
            },
            tlog: LogKey {
                base_url: "http://127.0.0.1:3000".to_owned(),
                public_key_der: vec![9; 91],
                valid_from: 1_700_000_001,
            },
            ctlog: LogKey {
                base_url: "http://127.0.0.1:3000/ct".to_owned(),
                public_key_der: vec![7; 91],
                valid_from: 1_700_000_002,
            },
            oidc_url: None,
            operator: "127.0.0.1".to_owned(),
        }
    }

    #[test]
    fn trusted_root_has_the_shape_clients_accept() {
        let v = serde_json::to_value(deployment().trusted_root().unwrap()).unwrap();
        assert_eq!(v["mediaType"], TRUSTED_ROOT_MEDIA_TYPE);
        let tlog = &v["tlogs"][0];
        assert_eq!(tlog["hashAlgorithm"], "SHA2_256");
        assert_eq!(tlog["publicKey"]["keyDetails"], "PKIX_ECDSA_P256_SHA_256");
        assert_eq!(
            tlog["publicKey"]["validFor"]["start"],
            "2023-11-14T22:13:21Z"
        );
        assert_eq!(tlog["logId"]["keyId"], b64(&log_id(&[9; 91])));
        assert_eq!(v["ctlogs"][0]["logId"]["keyId"], b64(&log_id(&[7; 91])));
        let ca = &v["certificateAuthorities"][0];
        assert_eq!(
            ca["certChain"]["certificates"][0]["rawBytes"],
            b64(&[1, 2, 3])
        );
        assert_eq!(ca["certChain"]["certificates"][1]["rawBytes"], b64(&[4, 5]));
        assert_eq!(ca["subject"]["commonName"], "signet root");
        assert_eq!(v["timestampAuthorities"], serde_json::json!([]));
    }

    #[test]
    fn signing_config_and_client_trust_config() {
        let mut d = deployment();
        d.oidc_url = Some("http://127.0.0.1:3000/dev-issuer".to_owned());
        let v = serde_json::to_value(d.client_trust_config().unwrap()).unwrap();
        assert_eq!(v["mediaType"], CLIENT_TRUST_CONFIG_MEDIA_TYPE);
        let sc = &v["signingConfig"];
        assert_eq!(sc["mediaType"], SIGNING_CONFIG_MEDIA_TYPE);
        assert_eq!(sc["caUrls"][0]["url"], "http://127.0.0.1:3000");
        assert_eq!(sc["caUrls"][0]["majorApiVersion"], 1);
        assert_eq!(sc["rekorTlogUrls"][0]["majorApiVersion"], 1);
        assert_eq!(sc["oidcUrls"][0]["url"], "http://127.0.0.1:3000/dev-issuer");
        assert_eq!(sc["rekorTlogConfig"]["selector"], "ANY");
        assert_eq!(v["trustedRoot"]["mediaType"], TRUSTED_ROOT_MEDIA_TYPE);
    }
}
