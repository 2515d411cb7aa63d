//! The CA's error type. Every variant says which check failed, because the message goes
//! back to the client (PROTOCOL.md §2.5). Status codes are chosen in one place
//! (`http.rs`) from [`CaError::status`].

/// Why an issuance was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// No token in `Authorization: Bearer` nor `credentials.oidcIdentityToken`.
    #[error("no identity token: send it as `Authorization: Bearer <token>` or in credentials.oidcIdentityToken")]
    MissingToken,
    /// The token's issuer is not one this CA trusts.
    #[error("issuer not allowed: {issuer:?} is not a configured OIDC issuer")]
    IssuerNotAllowed {
        /// The token's `iss`.
        issuer: String,
    },
    /// The token failed verification (signature, audience, expiry, size...).
    #[error("invalid identity token: {0}")]
    Token(#[from] signet_oidc::TokenError),
    /// The token's claims do not make a valid identity for its issuer type.
    #[error("identity: {0}")]
    Identity(#[from] signet_ca_identity::IdentityError),
    /// The issuance policy denied the identity.
    #[error("{0}")]
    PolicyDenied(#[from] signet_ca_identity::PolicyDenied),
    /// The request body is larger than the CA accepts.
    #[error("request body too large: the limit is {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request body is malformed.
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// The key material (CSR, public key, proof of possession, key strength) failed.
    #[error("{0}")]
    Key(#[from] signet_ca_core::request::RequestError),
    /// The CA key or certificate construction failed.
    #[error("error communicating with CA backend: {0}")]
    Signing(String),
    /// The CT log did not take the precertificate.
    #[error("Error entering certificate in CTL: {0}")]
    Ct(String),
    /// The identity obtained its rate of certificates; retry later.
    #[error("rate limit of {rate} certificates per identity exceeded for {identity}; retry in {} s", retry_after.header_secs())]
    RateLimited {
        /// Issuer and SAN.
        identity: String,
        /// The configured rate.
        rate: signet_tlog::ratelimit::Rate,
        /// How long until the next request may pass.
        retry_after: signet_tlog::ratelimit::RetryAfter,
    },
    /// The CA is overloaded or shutting down; retry later.
    #[error("CA unavailable: {0}")]
    Unavailable(String),
}

/// The class of an error, deciding its HTTP status and gRPC code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// 400 / InvalidArgument (Fulcio answers token problems this way too).
    InvalidArgument,
    /// 401 / Unauthenticated.
    Unauthenticated,
    /// 403 / PermissionDenied.
    PermissionDenied,
    /// 413.
    TooLarge,
    /// 429 / ResourceExhausted.
    RateLimited,
    /// 500 / Internal.
    Internal,
    /// 503 / Unavailable.
    Unavailable,
}

impl CaError {
    /// Its class.
    #[must_use]
    pub fn class(&self) -> ErrorClass {
        use signet_ca_core::request::RequestErrorClass;
        match self {
            CaError::MissingToken => ErrorClass::Unauthenticated,
            CaError::IssuerNotAllowed { .. }
            | CaError::Token(_)
            | CaError::Identity(_)
            | CaError::BadRequest(_) => ErrorClass::InvalidArgument,
            CaError::PolicyDenied(_) => ErrorClass::PermissionDenied,
            CaError::BodyTooLarge { .. } => ErrorClass::TooLarge,
            CaError::Key(e) if e.class() == RequestErrorClass::TooLarge => ErrorClass::TooLarge,
            CaError::Key(_) => ErrorClass::InvalidArgument,
            CaError::Signing(_) | CaError::Ct(_) => ErrorClass::Internal,
            CaError::Unavailable(_) => ErrorClass::Unavailable,
            CaError::RateLimited { .. } => ErrorClass::RateLimited,
        }
    }
}
