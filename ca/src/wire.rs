//! Fulcio v2 JSON as clients send and read it (PROTOCOL.md §2.1, §2.4–2.7). Decoding
//! only: what the fields mean is decided in `issuance`.

use serde::{Deserialize, Serialize};

/// `POST /api/v2/signingCert` body (`CreateSigningCertificateRequest`, §2.1). Unknown
/// fields are ignored, as grpc-gateway does.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCertRequest {
    /// Token in the body (sigstore-js); takes precedence over the Bearer header.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// Public key plus proof of possession (sigstore-go, sigstore-js).
    #[serde(default)]
    pub public_key_request: Option<PublicKeyRequest>,
    /// Base64 of a PEM PKCS#10 CSR (sigstore-python). Wins over `publicKeyRequest`.
    #[serde(default)]
    pub certificate_signing_request: Option<String>,
}

/// `credentials`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// The raw JWT.
    #[serde(default)]
    pub oidc_identity_token: Option<String>,
}

/// `publicKeyRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyRequest {
    /// The key.
    pub public_key: PublicKeyContent,
    /// Base64 signature over the challenge claim (§2.2).
    pub proof_of_possession: String,
}

/// `publicKeyRequest.publicKey`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyContent {
    /// Ignored by the server (the algorithm is inferred from the key), accepted in any
    /// spelling clients use.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// PEM `PUBLIC KEY` text (not base64), or DER bytes as a string.
    pub content: String,
}

/// A PEM chain, leaf (or most specific) first.
#[derive(Debug, Serialize)]
pub struct Chain {
    /// PEM certificates.
    pub certificates: Vec<String>,
}

/// `signedCertificateEmbeddedSct`.
#[derive(Debug, Serialize)]
pub struct EmbeddedSct {
    /// `[leaf, intermediate, root]`.
    pub chain: Chain,
}

/// Response of `POST /api/v2/signingCert` (§2.4): always the embedded-SCT form, the only
/// one sigstore-python reads.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCertificate {
    /// The chain with the SCT embedded in the leaf.
    pub signed_certificate_embedded_sct: EmbeddedSct,
}

/// `GET /api/v2/trustBundle` (§2.6): one chain per active CA, no leaf.
#[derive(Debug, Serialize)]
pub struct TrustBundle {
    /// `[intermediate, root]` chains.
    pub chains: Vec<Chain>,
}

/// Error body, grpc-gateway style (§2.5).
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// gRPC status code.
    pub code: u32,
    /// What failed, for the client to show.
    pub message: String,
    /// Always empty.
    pub details: Vec<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_every_client_shape() {
        // sigstore-python: CSR only, token in the header.
        let r: SigningCertRequest =
            serde_json::from_str(r#"{"certificateSigningRequest":"LS0t"}"#).unwrap();
        assert_eq!(r.certificate_signing_request.as_deref(), Some("LS0t"));
        assert!(r.credentials.is_none() && r.public_key_request.is_none());
        // sigstore-js: token in the body, PEM key, "ECDSA".
        let r: SigningCertRequest = serde_json::from_str(
            r#"{"credentials":{"oidcIdentityToken":"a.b.c"},
                "publicKeyRequest":{"publicKey":{"algorithm":"ECDSA","content":"-----BEGIN PUBLIC KEY-----"},
                "proofOfPossession":"MEU="}}"#,
        )
        .unwrap();
        assert_eq!(
            r.credentials.unwrap().oidc_identity_token.as_deref(),
            Some("a.b.c")
        );
        let pk = r.public_key_request.unwrap();
        assert_eq!(pk.public_key.algorithm.as_deref(), Some("ECDSA"));
        assert_eq!(pk.proof_of_possession, "MEU=");
        // sigstore-go: "RSA" is not an enum name upstream; accepted, and unknown fields too.
        let r: SigningCertRequest = serde_json::from_str(
            r#"{"publicKeyRequest":{"publicKey":{"algorithm":"RSA","content":"x"},"proofOfPossession":""},"extra":1}"#,
        )
        .unwrap();
        assert!(r.public_key_request.is_some());
    }

    #[test]
    fn response_field_names() {
        let v = serde_json::to_value(SigningCertificate {
            signed_certificate_embedded_sct: EmbeddedSct {
                chain: Chain {
                    certificates: vec!["leaf".into(), "int".into(), "root".into()],
                },
            },
        })
        .unwrap();
        assert_eq!(
            v["signedCertificateEmbeddedSct"]["chain"]["certificates"][2],
            "root"
        );
    }
}
