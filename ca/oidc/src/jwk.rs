//! [`AwsLcJsonWebKey`]: the JWK type given to openidconnect's `IdTokenVerifier`, whose
//! signature check runs on aws-lc-rs (the project's crypto backend) instead of
//! openidconnect's RustCrypto path (`rsa`, `p256`, `ed25519-dalek`), several times slower.
//!
//! openidconnect keeps doing the JWT work (header checks, key selection by `kid`, `kty`,
//! `use` and `alg`, claims); only [`JsonWebKey::verify_signature`] and
//! [`JsonWebKey::hash_bytes`] are ours. The JSON side is openidconnect's own
//! `CoreJsonWebKey`, wrapped: a JWKS entry parses, serialises and is selected exactly as
//! before.
//!
//! # Pre-decoded keys
//!
//! When a key is deserialised (once per JWKS fetch), its public material is decoded and parsed
//! by aws-lc-rs into a [`ParsedPublicKey`], so a verification does no base64, no point
//! decoding and no curve check. The key sits behind an `Arc`: cloning one (openidconnect's
//! verifier takes its key set by value) costs a reference count.
//!
//! # Keys that cannot be used
//!
//! A JWKS entry that openidconnect cannot parse (an unknown `kty`, a `kty` that is not a
//! string…) fails deserialisation and openidconnect's `JsonWebKeySet` skips it, as it did
//! with `CoreJsonWebKey`. An entry that parses but whose material is unusable (a missing or
//! malformed coordinate, a point off its curve, an unsupported curve, an RSA modulus outside
//! 2048–8192 bits, a symmetric `oct` key) is **kept**, so the rest of the set loads, the set
//! means what the issuer published (a `kid` stays known, key selection is unchanged), and a
//! token naming that key fails with `SignatureVerificationError::InvalidKey` saying what is
//! wrong with it rather than with an "unknown key".
//!
//! # Algorithms
//!
//! | JWS `alg` (RFC 7518 §3.1) | key (RFC 7518 §6, RFC 8037 §2) | aws-lc-rs |
//! | --- | --- | --- |
//! | RS256, RS384, RS512 | `RSA`, 2048–8192 bits | `RSA_PKCS1_2048_8192_SHA*` |
//! | PS256, PS384, PS512 | `RSA`, 2048–8192 bits | `RSA_PSS_2048_8192_SHA*` |
//! | ES256 | `EC`, `crv` P-256 | `ECDSA_P256_SHA256_FIXED` |
//! | ES384 | `EC`, `crv` P-384 | `ECDSA_P384_SHA384_FIXED` |
//! | EdDSA | `OKP`, `crv` Ed25519 | `ED25519` |
//!
//! Any other algorithm (HMAC, ES512, `none`) is `SignatureVerificationError::UnsupportedAlg`.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{
    self as sig, EcdsaVerificationAlgorithm, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openidconnect::core::{
    CoreJsonWebKey, CoreJsonWebKeyType, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyId, JsonWebKeyUse as _, JwsSigningAlgorithm as _,
    SignatureVerificationError,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Smallest RSA modulus accepted: RFC 7518 §3.3 (RS*) and §3.5 (PS*): "A key of size 2048
/// bits or larger MUST be used with these algorithms."
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted: aws-lc-rs's `*_2048_8192_*` bound (a larger key only makes
/// every verification slower).
const MAX_RSA_BITS: usize = 8192;

/// A public JWK whose signatures are verified with aws-lc-rs. Parses and serialises as
/// openidconnect's `CoreJsonWebKey` (which it wraps); see the module docs.
#[derive(Clone)]
pub(crate) struct AwsLcJsonWebKey(Arc<Inner>);

struct Inner {
    core: CoreJsonWebKey,
    key: VerificationKey,
}

/// The key material, decoded and parsed once.
enum VerificationKey {
    /// One parsed key per RSA scheme (aws-lc-rs binds a parsed key to its algorithm),
    /// indexed by [`RsaScheme::index`].
    Rsa {
        bits: usize,
        parsed: Box<[ParsedPublicKey]>,
    },
    Ec {
        curve: Curve,
        parsed: ParsedPublicKey,
    },
    Ed25519(ParsedPublicKey),
    /// The key parsed as a JWK but cannot verify anything; the text says why.
    Unusable(String),
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerificationKey::Rsa { bits, .. } => write!(f, "RSA ({bits} bits)"),
            VerificationKey::Ec { curve, .. } => write!(f, "EC ({})", curve.name()),
            VerificationKey::Ed25519(_) => f.write_str("Ed25519"),
            VerificationKey::Unusable(reason) => write!(f, "unusable ({reason})"),
        }
    }
}

impl fmt::Debug for AwsLcJsonWebKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsLcJsonWebKey")
            .field("kid", &self.0.core.key_id().map(|kid| kid.as_str()))
            .field("key", &self.0.key)
            .finish()
    }
}

/// The elliptic curves of ES256 and ES384 (RFC 7518 §3.4, §6.2.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

impl Curve {
    fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }

    /// Octets in one coordinate (RFC 7518 §6.2.1.2, §6.2.1.3: "the full size of a
    /// coordinate for the curve"), and in a JWS signature `r || s` (RFC 7518 §3.4).
    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    /// JWS ECDSA signatures are the fixed-width `r || s`, not DER (RFC 7518 §3.4).
    fn algorithm(self) -> &'static EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &sig::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &sig::ECDSA_P384_SHA384_FIXED,
        }
    }
}

/// RSASSA-PKCS1-v1_5 (RFC 7518 §3.3) and RSASSA-PSS (§3.5) with their hashes.
#[derive(Clone, Copy, Debug)]
enum RsaScheme {
    Pkcs1Sha256,
    Pkcs1Sha384,
    Pkcs1Sha512,
    PssSha256,
    PssSha384,
    PssSha512,
}

impl RsaScheme {
    const ALL: [RsaScheme; 6] = [
        RsaScheme::Pkcs1Sha256,
        RsaScheme::Pkcs1Sha384,
        RsaScheme::Pkcs1Sha512,
        RsaScheme::PssSha256,
        RsaScheme::PssSha384,
        RsaScheme::PssSha512,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// RFC 7518 §3.5: PSS with MGF1 on the same hash and a salt as long as the hash, which
    /// is what aws-lc-rs's `RSA_PSS_*` verify.
    fn params(self) -> &'static RsaParameters {
        match self {
            RsaScheme::Pkcs1Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            RsaScheme::Pkcs1Sha384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            RsaScheme::Pkcs1Sha512 => &sig::RSA_PKCS1_2048_8192_SHA512,
            RsaScheme::PssSha256 => &sig::RSA_PSS_2048_8192_SHA256,
            RsaScheme::PssSha384 => &sig::RSA_PSS_2048_8192_SHA384,
            RsaScheme::PssSha512 => &sig::RSA_PSS_2048_8192_SHA512,
        }
    }
}

/// What a JWS algorithm needs (`None` for one this type does not verify).
#[derive(Clone, Copy, Debug)]
enum Scheme {
    Rsa(RsaScheme),
    Ecdsa(Curve),
    Ed25519,
}

impl Scheme {
    fn of(alg: &CoreJwsSigningAlgorithm) -> Option<Scheme> {
        Some(match alg {
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256 => Scheme::Rsa(RsaScheme::Pkcs1Sha256),
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384 => Scheme::Rsa(RsaScheme::Pkcs1Sha384),
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512 => Scheme::Rsa(RsaScheme::Pkcs1Sha512),
            CoreJwsSigningAlgorithm::RsaSsaPssSha256 => Scheme::Rsa(RsaScheme::PssSha256),
            CoreJwsSigningAlgorithm::RsaSsaPssSha384 => Scheme::Rsa(RsaScheme::PssSha384),
            CoreJwsSigningAlgorithm::RsaSsaPssSha512 => Scheme::Rsa(RsaScheme::PssSha512),
            CoreJwsSigningAlgorithm::EcdsaP256Sha256 => Scheme::Ecdsa(Curve::P256),
            CoreJwsSigningAlgorithm::EcdsaP384Sha384 => Scheme::Ecdsa(Curve::P384),
            CoreJwsSigningAlgorithm::EdDsa => Scheme::Ed25519,
            _ => return None,
        })
    }

    fn needs(self) -> &'static str {
        match self {
            Scheme::Rsa(_) => "an RSA key",
            Scheme::Ecdsa(Curve::P256) => "an EC key on P-256",
            Scheme::Ecdsa(Curve::P384) => "an EC key on P-384",
            Scheme::Ed25519 => "an OKP key on Ed25519",
        }
    }
}

/// The JOSE name of an algorithm (`"ES256"`), for messages.
pub(crate) fn jose_name(alg: &CoreJwsSigningAlgorithm) -> String {
    match serde_json::to_value(alg) {
        Ok(Value::String(name)) => name,
        _ => format!("{alg:?}"),
    }
}

impl AwsLcJsonWebKey {
    /// Wraps `core`, decoding and parsing its public key material.
    pub(crate) fn from_core(core: CoreJsonWebKey) -> Self {
        let key = decode(&core).unwrap_or_else(VerificationKey::Unusable);
        AwsLcJsonWebKey(Arc::new(Inner { core, key }))
    }

    /// `` key `kid` `` or `key without kid`, for messages.
    fn describe(&self) -> String {
        match self.0.core.key_id() {
            Some(kid) => format!("key `{}`", kid.as_str()),
            None => "key without kid".to_owned(),
        }
    }

    /// openidconnect's own key-selection test (its `check_key_compatibility`), repeated so
    /// this type is sound on its own: `use` allows signatures (RFC 7517 §4.2), `kty` is the
    /// algorithm's (RFC 7517 §4.1), and the key's `alg`, if any, is this one (RFC 7517 §4.4).
    fn check_compatible(&self, alg: &CoreJwsSigningAlgorithm) -> Result<(), &'static str> {
        if self.key_use().is_some_and(|use_| !use_.allows_signature()) {
            return Err("key `use` does not permit signatures");
        }
        if alg.key_type().as_ref() != Some(self.key_type()) {
            return Err("key type (`kty`) does not match the signature algorithm");
        }
        match self.signing_alg() {
            JsonWebKeyAlgorithm::Unspecified => Ok(()),
            JsonWebKeyAlgorithm::Algorithm(key_alg) if key_alg == alg => Ok(()),
            JsonWebKeyAlgorithm::Algorithm(_) => Err("key `alg` names another algorithm"),
            JsonWebKeyAlgorithm::Unsupported => Err("key `alg` is not a signing algorithm"),
        }
    }
}

/// Decodes the public material of `core` (RFC 7518 §6.2.1 EC, §6.3.1 RSA; RFC 8037 §2 OKP)
/// and parses it with aws-lc-rs. The fields are read from `core` re-serialised, i.e. as
/// openidconnect understood them.
fn decode(core: &CoreJsonWebKey) -> Result<VerificationKey, String> {
    let json = serde_json::to_value(core).map_err(|e| format!("cannot re-encode the JWK: {e}"))?;
    match core.key_type() {
        CoreJsonWebKeyType::RSA => decode_rsa(&json),
        CoreJsonWebKeyType::EllipticCurve => decode_ec(&json),
        CoreJsonWebKeyType::OctetKeyPair => decode_okp(&json),
        CoreJsonWebKeyType::Symmetric => Err(
            "symmetric (`oct`) key: HMAC-signed tokens are never accepted from an issuer"
                .to_owned(),
        ),
        other => Err(format!("key type {other:?} is not supported")),
    }
}

/// A base64url member of a JWK (RFC 7518 §2 `Base64urlUInt` for RSA, fixed-length octets for
/// EC and OKP).
fn member(json: &Value, name: &str) -> Result<Vec<u8>, String> {
    let text = json
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{name}` is missing or not base64url"))?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| format!("`{name}` is not base64url: {e}"))
}

/// RFC 7518 §6.3.1: `n` and `e` as big-endian unsigned integers.
fn decode_rsa(json: &Value) -> Result<VerificationKey, String> {
    let n = member(json, "n")?;
    let e = member(json, "e")?;
    // RFC 7518 §6.3.1.1 asks for no leading zero octet, but notes some libraries add one.
    let significant = n.iter().position(|&b| b != 0).map_or(&[][..], |i| &n[i..]);
    let bits = match significant.first() {
        Some(&top) => (significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(format!(
            "RSA key is {bits} bits; RS256/384/512 and PS256/384/512 need {MIN_RSA_BITS} to \
             {MAX_RSA_BITS} bits (RFC 7518 §3.3 and §3.5 require at least {MIN_RSA_BITS})"
        ));
    }
    let components = RsaPublicKeyComponents {
        n: significant,
        e: e.as_slice(),
    };
    let parsed = RsaScheme::ALL
        .iter()
        .map(|scheme| components.to_parsed_public_key(scheme.params()))
        .collect::<Result<Box<[_]>, _>>()
        .map_err(|e| format!("RSA key rejected: {e}"))?;
    Ok(VerificationKey::Rsa { bits, parsed })
}

/// RFC 7518 §6.2.1: `crv`, and `x` and `y` each the full coordinate length; the point is
/// the SEC 1 uncompressed encoding `0x04 || x || y`, which aws-lc-rs checks is on the curve.
fn decode_ec(json: &Value) -> Result<VerificationKey, String> {
    let curve = match json.get("crv").and_then(Value::as_str) {
        Some("P-256") => Curve::P256,
        Some("P-384") => Curve::P384,
        Some(other) => {
            return Err(format!(
                "EC curve `{other}` is not supported (only P-256 and P-384)"
            ))
        }
        None => return Err("EC key has no supported `crv`".to_owned()),
    };
    let len = curve.coordinate_len();
    let x = member(json, "x")?;
    let y = member(json, "y")?;
    for (name, coordinate) in [("x", &x), ("y", &y)] {
        if coordinate.len() != len {
            return Err(format!(
                "`{name}` is {} bytes; {} coordinates are {len} bytes (RFC 7518 §6.2.1.2)",
                coordinate.len(),
                curve.name()
            ));
        }
    }
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let parsed = ParsedPublicKey::new(curve.algorithm(), &point)
        .map_err(|e| format!("not a valid {} public key: {e}", curve.name()))?;
    Ok(VerificationKey::Ec { curve, parsed })
}

/// RFC 8037 §2: `crv` Ed25519 and `x` the 32-byte public key.
fn decode_okp(json: &Value) -> Result<VerificationKey, String> {
    match json.get("crv").and_then(Value::as_str) {
        Some("Ed25519") => {}
        Some(other) => {
            return Err(format!(
                "OKP curve `{other}` is not supported (only Ed25519)"
            ))
        }
        None => return Err("OKP key has no supported `crv`".to_owned()),
    }
    let x = member(json, "x")?;
    if x.len() != 32 {
        return Err(format!(
            "`x` is {} bytes; an Ed25519 public key is 32 bytes (RFC 8037 §2)",
            x.len()
        ));
    }
    let parsed = ParsedPublicKey::new(&sig::ED25519, &x)
        .map_err(|e| format!("not a valid Ed25519 public key: {e}"))?;
    Ok(VerificationKey::Ed25519(parsed))
}

impl<'de> Deserialize<'de> for AwsLcJsonWebKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CoreJsonWebKey::deserialize(deserializer).map(AwsLcJsonWebKey::from_core)
    }
}

impl Serialize for AwsLcJsonWebKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.core.serialize(serializer)
    }
}

impl JsonWebKey for AwsLcJsonWebKey {
    type KeyUse = CoreJsonWebKeyUse;
    type SigningAlgorithm = CoreJwsSigningAlgorithm;

    fn key_id(&self) -> Option<&JsonWebKeyId> {
        self.0.core.key_id()
    }

    fn key_type(&self) -> &CoreJsonWebKeyType {
        self.0.core.key_type()
    }

    fn key_use(&self) -> Option<&CoreJsonWebKeyUse> {
        self.0.core.key_use()
    }

    fn signing_alg(&self) -> JsonWebKeyAlgorithm<&CoreJwsSigningAlgorithm> {
        self.0.core.signing_alg()
    }

    /// Only for openidconnect's confidential-client HMAC path, which this crate never takes
    /// (its verifier has no client secret); such a key verifies nothing.
    fn new_symmetric(key: Vec<u8>) -> Self {
        AwsLcJsonWebKey::from_core(CoreJsonWebKey::new_symmetric(key))
    }

    fn verify_signature(
        &self,
        signature_alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureVerificationError> {
        let alg = || jose_name(signature_alg);
        let Some(scheme) = Scheme::of(signature_alg) else {
            return Err(SignatureVerificationError::UnsupportedAlg(alg()));
        };
        self.check_compatible(signature_alg).map_err(|reason| {
            SignatureVerificationError::InvalidKey(format!(
                "{} cannot verify {}: {reason}",
                self.describe(),
                alg()
            ))
        })?;
        let invalid_key = |reason: &str| {
            SignatureVerificationError::InvalidKey(format!("{}: {reason}", self.describe()))
        };
        let (parsed, expected_len) = match (&self.0.key, scheme) {
            (VerificationKey::Unusable(reason), _) => return Err(invalid_key(reason)),
            (VerificationKey::Rsa { parsed, .. }, Scheme::Rsa(rsa)) => {
                // The modulus size was checked when the key was decoded. The signature's
                // length (that of the modulus, RFC 8017 §8.2.2 step 1) is aws-lc-rs's check.
                let parsed = parsed
                    .get(rsa.index())
                    .ok_or_else(|| invalid_key("RSA key was not parsed for this scheme"))?;
                (parsed, None)
            }
            (VerificationKey::Ec { curve, parsed }, Scheme::Ecdsa(wanted)) if *curve == wanted => {
                // RFC 7518 §3.4: R and S as fixed-length octet strings, concatenated.
                (parsed, Some(2 * curve.coordinate_len()))
            }
            // RFC 8032 §5.1.6: an Ed25519 signature is 64 octets.
            (VerificationKey::Ed25519(parsed), Scheme::Ed25519) => (parsed, Some(64)),
            (key, scheme) => {
                return Err(invalid_key(&format!(
                    "{} needs {}, this is {key:?}",
                    alg(),
                    scheme.needs()
                )))
            }
        };
        if let Some(expected) = expected_len {
            if signature.len() != expected {
                return Err(SignatureVerificationError::CryptoError(format!(
                    "{} signature is {} bytes, expected {expected}",
                    alg(),
                    signature.len()
                )));
            }
        }
        parsed.verify_sig(message, signature).map_err(|_| {
            SignatureVerificationError::CryptoError(format!(
                "{} signature does not verify with {}",
                alg(),
                self.describe()
            ))
        })
    }

    /// The hash of `alg` (RFC 7518 §3.1), for `at_hash`/`c_hash` (OpenID Connect Core 1.0
    /// §3.1.3.6, §3.3.2.11); EdDSA with Ed25519 uses SHA-512, as openidconnect does.
    fn hash_bytes(&self, bytes: &[u8], alg: &CoreJwsSigningAlgorithm) -> Result<Vec<u8>, String> {
        self.check_compatible(alg).map_err(str::to_owned)?;
        let algorithm = match alg {
            CoreJwsSigningAlgorithm::HmacSha256
            | CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
            | CoreJwsSigningAlgorithm::RsaSsaPssSha256
            | CoreJwsSigningAlgorithm::EcdsaP256Sha256 => &digest::SHA256,
            CoreJwsSigningAlgorithm::HmacSha384
            | CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384
            | CoreJwsSigningAlgorithm::RsaSsaPssSha384
            | CoreJwsSigningAlgorithm::EcdsaP384Sha384 => &digest::SHA384,
            CoreJwsSigningAlgorithm::HmacSha512
            | CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512
            | CoreJwsSigningAlgorithm::RsaSsaPssSha512
            | CoreJwsSigningAlgorithm::EcdsaP521Sha512 => &digest::SHA512,
            CoreJwsSigningAlgorithm::EdDsa => match self.0.key {
                VerificationKey::Ed25519(_) => &digest::SHA512,
                _ => return Err("EdDSA hashing needs an Ed25519 key".to_owned()),
            },
            other => {
                return Err(format!(
                    "signature algorithm {} has no hash function",
                    jose_name(other)
                ))
            }
        };
        Ok(digest::digest(algorithm, bytes).as_ref().to_vec())
    }
}

#[cfg(test)]
mod tests;
