//! `signet dev-token`: gets an identity token from the **insecure** development issuer
//! that `signet serve --insecure-dev-issuer` mounts at `<server>/dev-issuer`
//! ([`signet_oidc::dev_issuer`]), and prints it alone on stdout, so that
//! `TOKEN=$(signet dev-token --server URL --sub SUB)` works.
//!
//! It posts a [`MintRequest`] to `<server>/dev-issuer/token`. The server must be on this
//! machine: the URL's host must be a loopback address (127.0.0.0/8, `::1`) or `localhost`
//! (which is resolved to loopback here, whatever the system resolver says), and the request
//! never goes through a proxy or follows a redirect. The endpoint hands out tokens for any
//! identity; it is a development tool, not something to reach across a network.

use std::{
    collections::BTreeSet,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use anyhow::{anyhow, bail, Context, Result};
use clap::{builder::NonEmptyStringValueParser, Args};
use reqwest::{StatusCode, Url};
use serde_json::{Map, Value};
use signet_oidc::dev_issuer::{MintRequest, MintResponse};

use super::quote::one_line;

/// Where the development issuer is nested in `signet serve`.
const DEV_ISSUER_PATH: &str = "dev-issuer";

/// The whole exchange, connection included, must finish within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `signet dev-token` arguments.
#[derive(Args, Debug)]
pub struct DevTokenArgs {
    /// Base URL of a `signet serve --insecure-dev-issuer` on this machine, e.g.
    /// http://127.0.0.1:3000 (loopback hosts only).
    #[arg(long, value_name = "URL")]
    server: String,
    /// `sub` claim of the token.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    sub: String,
    /// `email` claim (the issuer adds `email_verified: true`).
    #[arg(long, value_name = "E")]
    email: Option<String>,
    /// Further claim; VALUE is taken as JSON if it parses (`run_id=42` is a number,
    /// `x='"42"'` a string, `ok=true` a boolean), else as a string. Repeatable.
    #[arg(long = "claim", value_name = "KEY=VALUE", value_parser = parse_claim)]
    claims: Vec<(String, Value)>,
    /// Token lifetime in seconds [default: the issuer's, 600; at most 3600].
    #[arg(long, value_name = "SECS")]
    lifetime: Option<u64>,
}

/// Runs `signet dev-token`.
pub fn run(args: DevTokenArgs) -> Result<()> {
    // Every check that needs no connection comes first.
    let url = token_url(&args.server)?;
    let mut claims = Map::new();
    let mut seen = BTreeSet::new();
    for (key, value) in args.claims {
        if !seen.insert(key.clone()) {
            bail!("--claim {key}=... is given more than once");
        }
        claims.insert(key, value);
    }
    let request = MintRequest {
        sub: args.sub,
        email: args.email,
        claims,
        lifetime_secs: args.lifetime,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let token = rt.block_on(mint(&url, &request))?;
    println!("{token}");
    Ok(())
}

/// `--claim KEY=VALUE`: the value as JSON if it parses, else as a string.
fn parse_claim(arg: &str) -> Result<(String, Value), String> {
    let (key, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got {arg:?}"))?;
    if key.is_empty() {
        return Err(format!("the claim name is empty in {arg:?}"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

/// `<server>/dev-issuer/token`, after checking that `server` is an `http`/`https` base
/// URL on a loopback host.
fn token_url(server: &str) -> Result<Url> {
    let mut url = Url::parse(server).with_context(|| format!("--server {server:?}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!(
            "--server {server:?}: the scheme must be http or https, not {:?}",
            url.scheme()
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("--server {server:?}: give the server's base URL, without a query or fragment");
    }
    let host = url.host_str().unwrap_or_default();
    if !is_loopback_host(host) {
        bail!(
            "--server {server:?}: refused: the development issuer hands out tokens for any \
             identity, so `signet dev-token` only talks to a server on this machine \
             (127.0.0.0/8, ::1 or localhost), not to {host:?}"
        );
    }
    let path = format!(
        "{}/{DEV_ISSUER_PATH}/token",
        url.path().trim_end_matches('/')
    );
    url.set_path(&path);
    Ok(url)
}

/// A URL host (as `Url::host_str` gives it: IPv6 in brackets, names lower-cased) that is
/// `localhost` or a loopback address.
fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

async fn mint(url: &Url, request: &MintRequest) -> Result<String> {
    let client = reqwest::Client::builder()
        // A proxy would carry the request off this machine; a redirect could send it
        // anywhere.
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        // `localhost` is loopback whatever /etc/hosts or DNS say (the port comes from the
        // URL; the one here is ignored).
        .resolve_to_addrs(
            "localhost",
            &[
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
            ],
        )
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    let response = client
        .post(url.clone())
        .json(request)
        .send()
        .await
        .map_err(|e| {
            if e.is_connect() {
                anyhow!(
                    "cannot connect to {url}: is `signet serve --insecure-dev-issuer` running \
                     there? ({})",
                    error_chain(&e)
                )
            } else if e.is_timeout() {
                anyhow!(
                    "{url} did not answer within {} s",
                    REQUEST_TIMEOUT.as_secs()
                )
            } else {
                anyhow!("POST {url}: {}", error_chain(&e))
            }
        })?;
    let status = response.status();
    if status == StatusCode::OK {
        let answer: MintResponse = response
            .json()
            .await
            .with_context(|| format!("{url} answered 200 OK, but not with a token"))?;
        return Ok(answer.token);
    }
    let body = response.text().await.unwrap_or_default();
    let body = quote_body(&body);
    Err(match status {
        StatusCode::NOT_FOUND => anyhow!(
            "{url} answered 404 Not Found: the server has no development issuer (start it \
             with `signet serve --insecure-dev-issuer`)"
        ),
        StatusCode::BAD_REQUEST => anyhow!("the development issuer refused the request: {body}"),
        _ => anyhow!("{url} answered {status}: {body}"),
    })
}

/// An error and its sources, `: `-separated (reqwest's own message omits the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A response body for an error message: one line, at most [`super::quote::MAX_QUOTED`] characters.
fn quote_body(body: &str) -> String {
    one_line(body, "(empty body)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_values_are_json_when_they_parse() {
        assert_eq!(
            parse_claim("run_id=42").unwrap(),
            ("run_id".to_owned(), Value::from(42))
        );
        assert_eq!(
            parse_claim(r#"x="42""#).unwrap(),
            ("x".to_owned(), Value::from("42"))
        );
        assert_eq!(
            parse_claim("team=infra").unwrap(),
            ("team".to_owned(), Value::from("infra"))
        );
        assert_eq!(
            parse_claim("ok=true").unwrap(),
            ("ok".to_owned(), Value::from(true))
        );
        assert_eq!(
            parse_claim(r#"o={"a":[1]}"#).unwrap().1,
            serde_json::json!({"a": [1]})
        );
        // Only the first `=` splits.
        assert_eq!(
            parse_claim("q=a=b").unwrap(),
            ("q".to_owned(), Value::from("a=b"))
        );
        assert_eq!(
            parse_claim("empty=").unwrap(),
            ("empty".to_owned(), Value::from(""))
        );
        assert!(parse_claim("novalue").is_err());
        assert!(parse_claim("=1").is_err());
    }

    #[test]
    fn only_loopback_servers_are_accepted() {
        for (server, want) in [
            (
                "http://127.0.0.1:3000",
                "http://127.0.0.1:3000/dev-issuer/token",
            ),
            (
                "http://127.1.2.3:3000/",
                "http://127.1.2.3:3000/dev-issuer/token",
            ),
            ("http://[::1]:3000", "http://[::1]:3000/dev-issuer/token"),
            (
                "http://LocalHost:8080",
                "http://localhost:8080/dev-issuer/token",
            ),
            (
                "https://localhost/base/",
                "https://localhost/base/dev-issuer/token",
            ),
        ] {
            assert_eq!(token_url(server).unwrap().as_str(), want, "{server}");
        }
        for server in [
            "http://192.0.2.1:3000",
            "http://10.0.0.1",
            "http://[::2]:3000",
            "http://[::ffff:192.0.2.1]",
            "http://localhost.example.com",
            "http://example.com",
            "http://0.0.0.0:3000",
            "ftp://127.0.0.1",
            "http://127.0.0.1/?x=1",
            "127.0.0.1:3000",
        ] {
            assert!(token_url(server).is_err(), "{server} accepted");
        }
        let err = token_url("http://192.0.2.1:3000").unwrap_err().to_string();
        assert!(
            err.contains("only talks to a server on this machine"),
            "{err}"
        );
    }

    #[test]
    fn error_bodies_are_quoted_on_one_bounded_line() {
        assert_eq!(quote_body("  a\nb \n"), "a b");
        assert_eq!(quote_body(""), "(empty body)");
        assert_eq!(
            quote_body(&"x".repeat(10_000)).len(),
            crate::cmd::quote::MAX_QUOTED
        );
    }
}
