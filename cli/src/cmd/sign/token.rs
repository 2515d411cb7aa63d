//! The identity token a certificate is requested with, and where it comes from.
//!
//! Sources are tried in this order, the first one present wins (issue 4, "Signing"):
//! 1. `--identity-token TOKEN`;
//! 2. the `SIGSTORE_ID_TOKEN` environment variable;
//! 3. GitHub Actions ambient credentials: with `ACTIONS_ID_TOKEN_REQUEST_URL` and
//!    `ACTIONS_ID_TOKEN_REQUEST_TOKEN` set, `GET <URL>&audience=sigstore` with
//!    `Authorization: bearer <TOKEN>` answers `{"value": "<JWT>"}` (the workflow needs
//!    `permissions: id-token: write`);
//! 4. `--identity-token-file FILE` (e.g. a Kubernetes projected service-account token).
//!
//! A source that is present but fails (an unreadable file, a refused Actions request) is an
//! error, never a reason to fall through to the next one. The token is not verified here
//! (the CA does that); its payload is only read to refuse an expired token before any
//! certificate is requested, and to name its issuer and subject in messages.

use std::{
    fmt,
    io::Read as _,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::{anyhow, bail, Context as _, Result};
use base64::Engine as _;
use clap::Args;
use reqwest_tls::{Method, StatusCode, Url};
use serde::Deserialize;

use super::http::{Body, Http};

/// The environment variable holding a token (sigstore-python, cosign).
pub const ENV_TOKEN: &str = "SIGSTORE_ID_TOKEN";
/// GitHub Actions: the token endpoint (already carries a query).
pub const ENV_ACTIONS_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// GitHub Actions: the bearer token for that endpoint.
pub const ENV_ACTIONS_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// The audience Sigstore CAs expect (PROTOCOL.md §2.3).
const AUDIENCE: &str = "sigstore";
/// A token (or an Actions token response) larger than this is refused.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Token options shared by `signet sign` and `signet attest`.
#[derive(Args, Debug, Default)]
pub struct TokenArgs {
    /// OIDC identity token (JWT) to request the signing certificate with [first source
    /// tried; then SIGSTORE_ID_TOKEN, GitHub Actions, --identity-token-file].
    #[arg(long, value_name = "TOKEN")]
    pub identity_token: Option<String>,
    /// File holding the identity token (e.g. a Kubernetes projected service-account
    /// token); the last source tried.
    #[arg(long, value_name = "FILE")]
    pub identity_token_file: Option<PathBuf>,
}

/// Where a token came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `--identity-token`.
    Flag,
    /// `SIGSTORE_ID_TOKEN`.
    EnvVar,
    /// GitHub Actions ambient credentials.
    GitHubActions,
    /// `--identity-token-file`.
    File(PathBuf),
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Flag => f.write_str("--identity-token"),
            TokenSource::EnvVar => f.write_str(ENV_TOKEN),
            TokenSource::GitHubActions => f.write_str("GitHub Actions ambient credentials"),
            TokenSource::File(p) => write!(f, "--identity-token-file {}", p.display()),
        }
    }
}

/// The claims the signer reads (unverified).
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    /// `iss`.
    pub iss: String,
    /// `sub`.
    #[serde(default)]
    pub sub: Option<String>,
    /// `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `exp`, Unix seconds.
    #[serde(default)]
    pub exp: Option<i64>,
}

/// A token, its source and its (unverified) claims.
#[derive(Clone)]
pub struct IdentityToken {
    raw: String,
    source: TokenSource,
    claims: Claims,
}

impl fmt::Debug for IdentityToken {
    // The raw token is a credential: never in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityToken")
            .field("source", &self.source)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl IdentityToken {
    /// Reads the payload of `raw` (from `source`) and refuses a token expired at `now`.
    ///
    /// # Errors
    /// Not a JWT, a payload without `iss`, or expired.
    pub fn parse(raw: &str, source: TokenSource, now: SystemTime) -> Result<Self> {
        let raw = raw.trim();
        let not_jwt = |why: &str| anyhow!("the identity token from {source} is not a JWT: {why}");
        if raw.is_empty() {
            return Err(not_jwt("it is empty"));
        }
        if raw.len() > MAX_TOKEN_BYTES {
            return Err(not_jwt(&format!(
                "it is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let parts: Vec<&str> = raw.split('.').collect();
        let [_, payload, _] = parts[..] else {
            return Err(not_jwt("expected three dot-separated parts"));
        };
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| not_jwt("the payload is not base64url"))?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|e| {
            not_jwt(&format!(
                "the payload is not a claims object with `iss`: {e}"
            ))
        })?;
        if let Some(exp) = claims.exp {
            let now_s = now
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            if exp <= now_s {
                bail!(
                    "the identity token from {source} expired {} s ago (exp {}): get a fresh one",
                    now_s - exp,
                    rfc3339(exp)
                );
            }
        }
        Ok(Self {
            raw: raw.to_owned(),
            source,
            claims,
        })
    }

    /// The raw JWT.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Where it came from.
    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// The unverified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// Obtains a token from the first source present (module documentation). `env` reads an
/// environment variable (injected so that the order can be tested without a process).
///
/// # Errors
/// No source present (the message lists every source tried), a present source failing,
/// or a token that [`IdentityToken::parse`] refuses.
pub fn obtain(
    args: &TokenArgs,
    env: &dyn Fn(&str) -> Option<String>,
    http: &Http,
    now: SystemTime,
) -> Result<IdentityToken> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(token) = &args.identity_token {
        return IdentityToken::parse(token, TokenSource::Flag, now);
    }
    if let Some(token) = env(ENV_TOKEN) {
        return IdentityToken::parse(&token, TokenSource::EnvVar, now);
    }
    let actions = (env(ENV_ACTIONS_URL), env(ENV_ACTIONS_TOKEN));
    if let (Some(url), Some(bearer)) = &actions {
        let token = github_actions_token(http, url, bearer)?;
        return IdentityToken::parse(&token, TokenSource::GitHubActions, now);
    }
    if let Some(path) = &args.identity_token_file {
        let token = read_token_file(path)?;
        return IdentityToken::parse(&token, TokenSource::File(path.clone()), now);
    }
    let actions_state = match actions {
        (None, None) => format!("{ENV_ACTIONS_URL} and {ENV_ACTIONS_TOKEN} not set"),
        (Some(_), _) => format!("{ENV_ACTIONS_TOKEN} not set"),
        (_, Some(_)) => format!("{ENV_ACTIONS_URL} not set"),
    };
    bail!(
        "no identity token: tried --identity-token (not given), {ENV_TOKEN} (not set), \
         GitHub Actions ambient credentials ({actions_state}; the workflow needs \
         `permissions: id-token: write`), --identity-token-file (not given)"
    )
}

/// GitHub Actions: `GET <url>&audience=sigstore`, `Authorization: bearer <bearer>`,
/// answer `{"value": "<JWT>"}`.
fn github_actions_token(http: &Http, url: &str, bearer: &str) -> Result<String> {
    #[derive(Deserialize)]
    struct Answer {
        value: String,
    }
    let mut url =
        Url::parse(url).with_context(|| format!("{ENV_ACTIONS_URL} is not a URL ({url:?})"))?;
    url.query_pairs_mut().append_pair("audience", AUDIENCE);
    let reply = http
        .send(
            Method::GET,
            &url,
            Body::Empty,
            Some(bearer),
            MAX_TOKEN_BYTES,
        )
        .map_err(|e| anyhow!("requesting a GitHub Actions identity token: {e}"))?;
    if reply.status != StatusCode::OK {
        bail!(
            "GitHub Actions refused the identity token request ({}): {} (does the workflow \
             have `permissions: id-token: write`?)",
            reply.status_text(),
            reply.error_message()
        );
    }
    let answer: Answer = serde_json::from_slice(&reply.body).map_err(|e| {
        anyhow!("the GitHub Actions token endpoint answered without a token (`value`): {e}")
    })?;
    Ok(answer.value)
}

fn read_token_file(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("reading --identity-token-file {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_TOKEN_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading --identity-token-file {}", path.display()))?;
    if text.len() > MAX_TOKEN_BYTES {
        bail!(
            "--identity-token-file {}: larger than {MAX_TOKEN_BYTES} bytes, not a token",
            path.display()
        );
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, time::Duration};

    use super::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.{}",
            b64.encode(br#"{"alg":"ES256"}"#),
            b64.encode(claims.to_string()),
            b64.encode(b"sig")
        )
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn good() -> String {
        jwt(&serde_json::json!({"iss": "https://issuer", "sub": "alice", "exp": 1_700_000_600}))
    }

    #[test]
    fn claims_are_read_and_expired_tokens_refused() {
        let t =
            IdentityToken::parse(&format!(" {}\n", good()), TokenSource::EnvVar, now()).unwrap();
        assert_eq!(t.claims().iss, "https://issuer");
        assert_eq!(t.claims().sub.as_deref(), Some("alice"));
        assert_eq!(t.raw(), good());
        assert!(!format!("{t:?}").contains(&good()), "no token in Debug");

        let expired = jwt(&serde_json::json!({"iss": "i", "exp": 1_699_999_990}));
        let err = IdentityToken::parse(&expired, TokenSource::Flag, now())
            .unwrap_err()
            .to_string();
        assert!(err.contains("expired 10 s ago"), "{err}");
        assert!(err.contains("--identity-token"), "{err}");

        for (bad, why) in [
            ("", "empty"),
            ("a.b", "three"),
            ("a.!!!.c", "base64url"),
            (&jwt(&serde_json::json!({"sub": "x"})), "iss"),
        ] {
            let err = IdentityToken::parse(bad, TokenSource::Flag, now())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("not a JWT") && err.contains(why),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn sources_are_tried_in_order() {
        let http = Http::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        let from_file = jwt(&serde_json::json!({"iss": "https://file", "exp": 1_700_000_600}));
        std::fs::write(&file, &from_file).unwrap();
        let from_env = jwt(&serde_json::json!({"iss": "https://env", "exp": 1_700_000_600}));
        let vars: HashMap<&str, String> = HashMap::from([(ENV_TOKEN, from_env)]);
        let env = |k: &str| vars.get(k).cloned();
        let no_env = |_: &str| None;

        let args = TokenArgs {
            identity_token: Some(good()),
            identity_token_file: Some(file.clone()),
        };
        let t = obtain(&args, &env, &http, now()).unwrap();
        assert_eq!(t.source(), &TokenSource::Flag);

        let args = TokenArgs {
            identity_token: None,
            identity_token_file: Some(file.clone()),
        };
        let t = obtain(&args, &env, &http, now()).unwrap();
        assert_eq!(t.source(), &TokenSource::EnvVar);
        assert_eq!(t.claims().iss, "https://env");

        let t = obtain(&args, &no_env, &http, now()).unwrap();
        assert_eq!(t.source(), &TokenSource::File(file.clone()));
        assert_eq!(t.claims().iss, "https://file");

        // An empty variable counts as unset.
        let empty = |k: &str| (k == ENV_TOKEN).then(|| " ".to_owned());
        let t = obtain(&args, &empty, &http, now()).unwrap();
        assert_eq!(t.claims().iss, "https://file");

        // Nothing: every source is named.
        let err = obtain(&TokenArgs::default(), &no_env, &http, now())
            .unwrap_err()
            .to_string();
        for source in [
            "--identity-token",
            ENV_TOKEN,
            ENV_ACTIONS_URL,
            ENV_ACTIONS_TOKEN,
            "--identity-token-file",
        ] {
            assert!(err.contains(source), "{source} missing from: {err}");
        }
        // Half of the Actions pair names the other half.
        let half = |k: &str| (k == ENV_ACTIONS_URL).then(|| "http://127.0.0.1:1/".to_owned());
        let err = obtain(&TokenArgs::default(), &half, &http, now())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("{ENV_ACTIONS_TOKEN} not set")),
            "{err}"
        );

        // A present source that fails is an error, not a fall-through.
        let args = TokenArgs {
            identity_token: None,
            identity_token_file: Some(dir.path().join("missing")),
        };
        let err = format!("{:#}", obtain(&args, &no_env, &http, now()).unwrap_err());
        assert!(err.contains("reading --identity-token-file"), "{err}");
    }
}
