#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Issuer patterns that allow another host (USERS.md §3.3-D, §3.4 "SSRF"):
//! GHSA-59jp-pj84-45mr / CVE-2026-22772 — Fulcio's MetaIssuer regex was not anchored, so
//! `http://localhost:3000?https://meta-url-issuer.com/*` matched and discovery was fetched
//! from an attacker-chosen host. Fulcio's fix, which `signet-ca-identity` implements
//! (PROTOCOL.md §2.3): the match is anchored at both ends and each `*` matches
//! `[-_a-zA-Z0-9]+` only. Here: the advisory's own input, every trick of the class (`?`,
//! `#`, `@`, userinfo, `.evil.com`, path traversal, IP literals, control characters,
//! percent-encoding) in every wildcard position, a randomized property over what any match
//! can be as a URL, and the configuration checks that keep such tricks out of patterns.

mod common;

use common::registry;
use serde_json::json;
use signet_ca_identity::{ConfigError, IdentityConfig, IssuerRegistry};
use url::{Host, Url};

/// Fulcio-style meta issuers an operator would configure, each with a matching example.
const PATTERNS: &[(&str, &str)] = &[
    (
        "https://oidc.eks.*.amazonaws.com/id/*",
        "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
    ),
    (
        "https://container.googleapis.com/v1/projects/*/locations/*/clusters/*",
        "https://container.googleapis.com/v1/projects/p-1/locations/us-central1/clusters/c_1",
    ),
    (
        "https://token.actions.githubusercontent.com/*",
        "https://token.actions.githubusercontent.com/octo-enterprise",
    ),
    (
        "https://oidc.*.example.com",
        "https://oidc.eu-1.example.com",
    ),
    ("https://*.example.com", "https://tenant-7.example.com"),
    (
        "https://meta-url-issuer.com/*",
        "https://meta-url-issuer.com/tenant-1",
    ),
];

fn wildcard_registry(patterns: &[&str]) -> IssuerRegistry {
    let issuers: Vec<_> = patterns
        .iter()
        .map(|p| json!({ "wildcard_issuer_url": p, "issuer_type": "kubernetes" }))
        .collect();
    registry(json!({ "issuers": issuers }))
}

fn all_patterns() -> IssuerRegistry {
    wildcard_registry(&PATTERNS.iter().map(|(p, _)| *p).collect::<Vec<_>>())
}

/// The advisory's reproducer and its neighbours.
#[test]
fn ghsa_59jp_pj84_45mr_the_advisory_input_matches_no_meta_issuer() {
    let registry = all_patterns();
    assert!(registry
        .find("https://meta-url-issuer.com/tenant-1")
        .is_some());
    for iss in [
        "http://localhost:3000?https://meta-url-issuer.com/x",
        "http://localhost:3000?https://meta-url-issuer.com/",
        "http://localhost:3000/https://meta-url-issuer.com/x",
        "http://localhost:3000#https://meta-url-issuer.com/x",
        "http://localhost:3000@meta-url-issuer.com/x",
        "https://evil.com?https://meta-url-issuer.com/x",
        "https://meta-url-issuer.com/x?https://evil.com",
        "https://meta-url-issuer.com/x#https://evil.com",
        "https://meta-url-issuer.com.evil.com/x",
        "https://meta-url-issuer.com/x/../../evil",
        "https://meta-url-issuer.com@localhost:3000/x",
        "https://meta-url-issuer.com/x\nhttp://localhost:3000",
    ] {
        assert!(registry.find(iss).is_none(), "{iss:?} matched");
    }
}

/// Every trick of the class, put in place of each `*` in turn (the other `*`s filled with
/// a plain value), and around the whole issuer: none matches.
#[test]
fn ghsa_59jp_pj84_45mr_no_wildcard_matches_a_host_or_url_trick() {
    let registry = all_patterns();
    // What a `*` may never match: anything outside [-_a-zA-Z0-9]+.
    let in_wildcard = [
        "",
        "a?b",
        "?",
        "a#b",
        "#",
        "a@evil.com",
        "user:pw@evil.com",
        "user@evil",
        "a.evil.com",
        ".evil.com",
        "evil.com/",
        "a/b",
        "..",
        "a/../b",
        "%2e%2e",
        "a%2Fb",
        "a%40b",
        "127.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "a:443",
        "a:b",
        "a\nb",
        "\n",
        "a\r\nb",
        "a b",
        "a\tb",
        "a\0b",
        "a\\b",
        "caf\u{e9}",
        "\u{430}",
        "a\u{2044}b",
        "a;b",
        "a,b",
        "a~b",
        "a+b",
        "a*b",
        "a=b",
        "a&b",
        "a'b",
        "a\"b",
        "a<b",
        "a>b",
        "a|b",
    ];
    // What may not precede or follow the whole issuer.
    let around = [
        ("", "?x"),
        ("", "#x"),
        ("", "@evil.com"),
        ("", ".evil.com"),
        ("", "/"),
        ("", "/x"),
        ("", "/.."),
        ("", "/%2e%2e"),
        ("", ":443"),
        ("", "\n"),
        ("", "\r\n"),
        ("", " "),
        ("", "\0"),
        (" ", ""),
        ("\n", ""),
        ("x", ""),
        ("http://localhost:3000?", ""),
        ("http://localhost:3000/", ""),
        ("https://evil.com#", ""),
        ("https://user@", ""),
    ];
    let mut tried = 0;
    for (pattern, example) in PATTERNS {
        assert!(
            registry.find(example).is_some(),
            "{example} should match {pattern}"
        );
        let stars = pattern.matches('*').count();
        for slot in 0..stars {
            for trick in in_wildcard {
                let mut i = 0;
                let iss: String = pattern
                    .split('*')
                    .enumerate()
                    .map(|(k, lit)| {
                        if k == 0 {
                            return lit.to_owned();
                        }
                        i += 1;
                        let fill = if i - 1 == slot { trick } else { "ok-1_A" };
                        format!("{fill}{lit}")
                    })
                    .collect();
                assert!(registry.find(&iss).is_none(), "{pattern}: {iss:?} matched");
                tried += 1;
            }
        }
        for (before, after) in around {
            let iss = format!("{before}{example}{after}");
            assert!(registry.find(&iss).is_none(), "{pattern}: {iss:?} matched");
            tried += 1;
        }
    }
    assert!(tried > 400, "{tried}");
}

/// xorshift64*: reproducible choices (not for anything secret).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.next() % items.len() as u64).unwrap()]
    }
}

/// The literal host suffix of a pattern's host (after its last `*`), e.g. `.example.com`.
fn host_suffix(pattern: &str) -> String {
    let host = pattern
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap();
    host.rsplit('*').next().unwrap().to_owned()
}

/// Randomized: whatever fills the `*`s, any issuer a pattern accepts is an https URL in
/// canonical form (but for the case of host letters) whose host is a DNS name under the pattern's literal host, with no user
/// information, query, fragment or dot segment; and fillers of `[-_a-zA-Z0-9]+` always
/// match (the property is not vacuous).
#[test]
fn ghsa_59jp_pj84_45mr_every_match_is_a_url_on_the_configured_host() {
    let registry = all_patterns();
    let pieces = [
        "a",
        "Z",
        "0",
        "9",
        "-",
        "_",
        "eu",
        "west-2",
        ".",
        "..",
        "/",
        "?",
        "#",
        "@",
        ":",
        "%",
        "%2e",
        "[",
        "]",
        "\n",
        " ",
        "\\",
        "evil.com",
        "127",
        "0x7f",
        "localhost",
        "\u{e9}",
    ];
    let safe = [
        "a",
        "Z",
        "0",
        "9",
        "-",
        "_",
        "eu",
        "west-2",
        "127",
        "0x7f",
        "localhost",
    ];
    let mut rng = Rng(0x59);
    let (mut matched, mut safe_matched) = (0, 0);
    for round in 0..20_000 {
        let (pattern, _) = PATTERNS[round % PATTERNS.len()];
        let only_safe = round % 2 == 0;
        let iss: String = pattern
            .split('*')
            .enumerate()
            .map(|(k, lit)| {
                if k == 0 {
                    return lit.to_owned();
                }
                let n = 1 + rng.next() % 4;
                let fill: String = (0..n)
                    .map(|_| rng.pick(if only_safe { &safe } else { &pieces }))
                    .collect();
                format!("{fill}{lit}")
            })
            .collect();
        let Some(issuer) = registry.find(&iss) else {
            assert!(
                !only_safe,
                "{pattern}: {iss:?} (only [-_a-zA-Z0-9]) did not match"
            );
            continue;
        };
        matched += 1;
        safe_matched += usize::from(only_safe);
        let pattern = issuer.wildcard_issuer_url().unwrap();
        let url = Url::parse(&iss).unwrap_or_else(|e| panic!("{pattern}: {iss:?}: {e}"));
        assert_eq!(url.scheme(), "https", "{iss:?}");
        assert!(
            url.username().is_empty() && url.password().is_none(),
            "{iss:?}"
        );
        assert!(url.query().is_none() && url.fragment().is_none(), "{iss:?}");
        assert!(url.port().is_none(), "{iss:?}");
        let Some(Host::Domain(host)) = url.host() else {
            panic!("{pattern}: {iss:?} has host {:?}", url.host());
        };
        assert!(host.ends_with(&host_suffix(pattern)), "{pattern}: {iss:?}");
        assert!(
            !url.path().split('/').any(|seg| seg == ".." || seg == "."),
            "{iss:?}"
        );
        // Canonical up to the case of the host's letters (`*` matches both cases).
        let canonical = url.as_str();
        assert!(
            canonical.eq_ignore_ascii_case(&iss)
                || canonical.eq_ignore_ascii_case(&format!("{iss}/")),
            "{iss:?} is not canonical ({canonical})"
        );
    }
    assert!(
        safe_matched >= 10_000 && matched >= safe_matched,
        "{matched} {safe_matched}"
    );
}

fn config_error(pattern: &str) -> Option<ConfigError> {
    let config: IdentityConfig = serde_json::from_value(
        json!({ "issuers": [{ "wildcard_issuer_url": pattern, "issuer_type": "kubernetes" }] }),
    )
    .unwrap();
    IssuerRegistry::from_config(&config).err()
}

/// A pattern's literal text cannot smuggle the tricks in: with every `*` made a letter it
/// must be a canonical https issuer URL without user information, query or fragment.
#[test]
fn ghsa_59jp_pj84_45mr_patterns_with_url_tricks_are_refused_by_configuration() {
    for pattern in [
        "http://localhost:3000?https://meta-url-issuer.com/*",
        "https://meta-url-issuer.com/*?x",
        "https://meta-url-issuer.com/?*",
        "https://meta-url-issuer.com/*#x",
        "https://*@meta-url-issuer.com/",
        "https://user:pw@meta-url-issuer.com/*",
        "https://meta-url-issuer.com\\@evil.com/*",
        "https://meta-url-issuer.com/*\n",
        "https://meta-url-issuer.com/*\r\nx",
        "https://meta-url-issuer.com/a b/*",
        "https://meta-url-issuer.com/../*",
        "https://meta-url-issuer.com/./*",
        "https://META-url-issuer.com/*",
        "https://meta-url-issuer.com:443/*",
        "http://meta-url-issuer.com/*",
        "ftp://meta-url-issuer.com/*",
        "*://meta-url-issuer.com/x",
        "https://meta-url-issuer.com/**",
        "https://meta-url-issuer.com/x",
        "https://m\u{e9}ta.com/*",
        "",
    ] {
        assert!(config_error(pattern).is_some(), "{pattern:?} was accepted");
    }
    // The issuer of a token is capped before any matching (10⁶ dots: GHSA-f83f-xpx7-ffpw).
    let registry = all_patterns();
    assert!(registry
        .find(&format!("https://{}.example.com", ".".repeat(1_000_000)))
        .is_none());
    assert!(registry
        .find(&format!("https://{}.example.com", "a".repeat(1_000_000)))
        .is_none());
}

/// IP literals and loopback names. Where a pattern keeps a literal DNS name in its host,
/// no `*` can produce one (above). A pattern whose wildcards make up the whole host
/// (`https://*`, `https://*.*.*.*`) is another matter: the URL standard reads a host of
/// digits (`2130706433`, `0x7f000001`, `127.1`) as an IPv4 address, so such a pattern would
/// send discovery requests to 127.0.0.1 — the advisory's outcome. Configuration must refuse
/// such patterns, or the match must refuse such issuers.
#[test]
fn ghsa_59jp_pj84_45mr_no_wildcard_issuer_matches_an_ip_literal_or_loopback_host() {
    let attacks = [
        "https://localhost",
        "https://localhost/id/x",
        "https://2130706433",
        "https://2130706433/id/x",
        "https://0x7f000001",
        "https://0x7f000001/id/x",
        "https://127.1",
        "https://127.0.0.1",
        "https://127.0.0.1/id/x",
        "https://0177.0.0.1",
        "https://169.254.169.254",
        "https://169.254.169.254/id/x",
        "https://10.0.0.1/id/x",
    ];
    // The realistic patterns (literal registrable domain) never match one.
    let registry = all_patterns();
    for iss in attacks {
        assert!(registry.find(iss).is_none(), "{iss}");
    }
    // Patterns whose host is all wildcard.
    let mut problems = Vec::new();
    for pattern in [
        "https://*",
        "https://*/id/*",
        "https://*.*",
        "https://*.*.*.*",
        "https://*.*.*.*/id/*",
    ] {
        if config_error(pattern).is_some() {
            continue;
        }
        let registry = wildcard_registry(&[pattern]);
        let hits: Vec<String> = attacks
            .iter()
            .filter(|iss| registry.find(iss).is_some())
            .map(|iss| {
                let host = Url::parse(iss)
                    .ok()
                    .and_then(|u| u.host().map(|h| h.to_owned()));
                format!("{iss} (host {host:?})")
            })
            .collect();
        if !hits.is_empty() {
            problems.push(format!(
                "{pattern} is accepted and matches {}",
                hits.join(", ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
