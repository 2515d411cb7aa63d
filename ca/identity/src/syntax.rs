//! Syntax checks shared by configuration and mapping: URLs, email addresses, DNS names,
//! SPIFFE IDs. Each is deliberately strict: what passes ends up in a certificate that
//! verifiers compare byte for byte.

use url::{Host, Url};

use crate::config::UrlProblem;
use crate::mapping::SpiffeIdProblem;

/// Cap on any URL we parse (issuer URLs, subject domains, URI subjects, `server_url`).
pub(crate) const MAX_URL_BYTES: usize = 2048;

/// RFC 3986 §2: unreserved / reserved / `%` (for percent-encodings).
fn is_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// The first character of `s` that may not appear in a URI, if any.
pub(crate) fn first_non_uri_char(s: &str) -> Option<char> {
    s.chars().find(|c| !c.is_ascii() || !is_uri_byte(*c as u8))
}

/// Parses `s` as an absolute URL that is written in canonical form, has no user
/// information and only URI characters. The one spelling difference tolerated is a
/// missing `/` for an empty path (`https://example.com` for `https://example.com/`).
pub(crate) fn parse_canonical_url(s: &str) -> Result<Url, UrlProblem> {
    if s.len() > MAX_URL_BYTES {
        return Err(UrlProblem::TooLong {
            len: s.len(),
            max: MAX_URL_BYTES,
        });
    }
    if let Some(character) = first_non_uri_char(s) {
        return Err(UrlProblem::Character { character });
    }
    let url = Url::parse(s).map_err(UrlProblem::Parse)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Userinfo);
    }
    let canonical = url.as_str();
    let root_without_slash = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && canonical.strip_suffix('/') == Some(s);
    if canonical != s && !root_without_slash {
        return Err(UrlProblem::NotCanonical {
            canonical: canonical.to_owned(),
        });
    }
    Ok(url)
}

fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(name)) => name == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An issuer URL: canonical, `https` (or `http` on a loopback host, for tests and
/// local development), a host, no query, no fragment.
pub(crate) fn check_issuer_url(s: &str) -> Result<Url, UrlProblem> {
    let url = parse_canonical_url(s)?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => is_loopback(url.host()),
        _ => false,
    };
    if !scheme_ok {
        return Err(UrlProblem::Scheme {
            scheme: url.scheme().to_owned(),
        });
    }
    if url.host().is_none() {
        return Err(UrlProblem::NoHost);
    }
    if url.query().is_some() {
        return Err(UrlProblem::Query);
    }
    if url.fragment().is_some() {
        return Err(UrlProblem::Fragment);
    }
    Ok(url)
}

/// A bare origin: `scheme://host[:port]` (canonical, optional trailing `/`).
pub(crate) fn check_origin(s: &str) -> Result<Url, UrlProblem> {
    let url = parse_canonical_url(s)?;
    if url.host().is_none() {
        return Err(UrlProblem::NoHost);
    }
    if url.query().is_some() {
        return Err(UrlProblem::Query);
    }
    if url.fragment().is_some() {
        return Err(UrlProblem::Fragment);
    }
    if url.path() != "/" {
        return Err(UrlProblem::Path);
    }
    Ok(url)
}

/// Fulcio's `validateAllowedDomain`: equal host names, or at least two labels each and
/// the same last two labels (top- and second-level domain).
pub(crate) fn same_registered_domain(subject: &str, issuer: &str) -> bool {
    if subject == issuer {
        return true;
    }
    let s: Vec<&str> = subject.split('.').collect();
    let i: Vec<&str> = issuer.split('.').collect();
    s.len() >= 2 && i.len() >= 2 && s[s.len() - 2..] == i[i.len() - 2..]
}

/// An RFC 1123 label: 1–63 of `[a-zA-Z0-9-]`, not starting or ending with `-`.
fn is_dns_label(label: &str, lower_case_only: bool) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && b.iter().all(|&c| {
            c.is_ascii_digit()
                || c == b'-'
                || c.is_ascii_lowercase()
                || (!lower_case_only && c.is_ascii_uppercase())
        })
}

/// A DNS host name: dot-separated labels, at most 253 bytes.
pub(crate) fn is_host_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|l| is_dns_label(l, false))
}

/// A Kubernetes namespace: an RFC 1123 label in lower case.
pub(crate) fn is_kubernetes_label(s: &str) -> bool {
    is_dns_label(s, true)
}

/// A Kubernetes service account name: an RFC 1123 subdomain in lower case.
pub(crate) fn is_kubernetes_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|l| is_dns_label(l, true))
}

/// RFC 5322 `atext`.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// An email address usable as an rfc822Name: `local@domain`, ASCII, the local part a
/// dot-atom (no quoted strings), the domain a DNS host name with at least two labels
/// (no address literals), at most 254 bytes with a local part of at most 64 (RFC 5321
/// §4.5.3.1).
pub(crate) fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
        && domain.contains('.')
        && is_host_name(domain)
}

/// Parses a SPIFFE ID (SPIFFE-ID spec §2): `spiffe://<trust domain><path>`, the trust
/// domain `[a-z0-9._-]+`, the path non-empty here (a workload, not the trust domain
/// itself), made of `/`-separated non-empty segments of `[a-zA-Z0-9._-]` that are not
/// `.` or `..`; no query, fragment, port or user information. Returns the trust domain.
pub(crate) fn parse_spiffe_id(s: &str) -> Result<&str, SpiffeIdProblem> {
    if s.len() > MAX_URL_BYTES {
        return Err(SpiffeIdProblem::TooLong {
            len: s.len(),
            max: MAX_URL_BYTES,
        });
    }
    let rest = s.strip_prefix("spiffe://").ok_or(SpiffeIdProblem::Scheme)?;
    let (trust_domain, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !is_spiffe_trust_domain(trust_domain) {
        return Err(SpiffeIdProblem::TrustDomain);
    }
    if path.is_empty() {
        return Err(SpiffeIdProblem::NoPath);
    }
    for segment in path[1..].split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(SpiffeIdProblem::Segment);
        }
        if let Some(character) = segment
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return Err(SpiffeIdProblem::Character { character });
        }
    }
    Ok(trust_domain)
}

/// A SPIFFE trust domain name: `[a-z0-9._-]+`.
pub(crate) fn is_spiffe_trust_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in [
            "alice@example.com",
            "a.b+tag@mail.example.co.uk",
            "o'brien@example.org",
            "x@a-b.example",
            "UPPER@Example.COM",
        ] {
            assert!(is_valid_email(good), "{good}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_all = format!("a@{}.com", "b.".repeat(130));
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "alice@@example.com",
            "al ice@example.com",
            "alice@exa mple.com",
            ".alice@example.com",
            "alice.@example.com",
            "al..ice@example.com",
            "\"alice\"@example.com",
            "alice@[127.0.0.1]",
            "alice@-example.com",
            "alice@example-.com",
            "alice@example..com",
            "al\u{e9}@example.com",
            "alice@ex\u{e4}mple.com",
            "alice@example.com\n",
            "<alice@example.com>",
            "Alice <alice@example.com>",
            long_local.as_str(),
            long_all.as_str(),
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn canonical_urls() {
        assert!(parse_canonical_url("https://example.com").is_ok());
        assert!(parse_canonical_url("https://example.com/").is_ok());
        assert!(parse_canonical_url("https://example.com/a/b").is_ok());
        assert!(matches!(
            parse_canonical_url("https://EXAMPLE.com/a"),
            Err(UrlProblem::NotCanonical { canonical }) if canonical == "https://example.com/a"
        ));
        assert!(matches!(
            parse_canonical_url("https://example.com:443/a"),
            Err(UrlProblem::NotCanonical { .. })
        ));
        assert!(matches!(
            parse_canonical_url("https://example.com/a/../b"),
            Err(UrlProblem::NotCanonical { .. })
        ));
        assert_eq!(
            parse_canonical_url("https://example.com\\@evil.com"),
            Err(UrlProblem::Character { character: '\\' })
        );
        assert_eq!(
            parse_canonical_url("https://u@example.com/"),
            Err(UrlProblem::Userinfo)
        );
        assert!(matches!(
            parse_canonical_url("example.com/x"),
            Err(UrlProblem::Parse(_))
        ));
    }

    #[test]
    fn issuer_urls() {
        assert!(check_issuer_url("https://token.actions.githubusercontent.com").is_ok());
        assert!(check_issuer_url("http://127.0.0.1:8080/realms/x").is_ok());
        assert!(check_issuer_url("http://[::1]:8080").is_ok());
        assert!(check_issuer_url("http://localhost:8080").is_ok());
        assert_eq!(
            check_issuer_url("http://issuer.example.com"),
            Err(UrlProblem::Scheme {
                scheme: "http".into()
            })
        );
        assert_eq!(
            check_issuer_url("https://issuer.example.com/?a=b"),
            Err(UrlProblem::Query)
        );
        assert_eq!(
            check_issuer_url("https://issuer.example.com/#x"),
            Err(UrlProblem::Fragment)
        );
        assert!(check_issuer_url("file:///etc/passwd").is_err());
    }

    #[test]
    fn origins() {
        assert!(check_origin("https://example.com").is_ok());
        assert!(check_origin("https://example.com:8443/").is_ok());
        assert_eq!(check_origin("https://example.com/x"), Err(UrlProblem::Path));
        assert_eq!(
            check_origin("https://example.com/?x"),
            Err(UrlProblem::Query)
        );
    }

    #[test]
    fn registered_domains() {
        assert!(same_registered_domain("example.com", "example.com"));
        assert!(same_registered_domain(
            "users.example.com",
            "accounts.example.com"
        ));
        assert!(same_registered_domain("localhost", "localhost"));
        assert!(!same_registered_domain(
            "example.org",
            "accounts.example.com"
        ));
        assert!(!same_registered_domain("com", "example.com"));
        assert!(!same_registered_domain("evilexample.com", "example.com"));
    }

    #[test]
    fn spiffe_ids() {
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/ns/prod/sa/web"),
            Ok("example.org")
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org"),
            Err(SpiffeIdProblem::NoPath)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/"),
            Err(SpiffeIdProblem::Segment)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/a//b"),
            Err(SpiffeIdProblem::Segment)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/a/../b"),
            Err(SpiffeIdProblem::Segment)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/a/"),
            Err(SpiffeIdProblem::Segment)
        );
        assert_eq!(
            parse_spiffe_id("SPIFFE://example.org/a"),
            Err(SpiffeIdProblem::Scheme)
        );
        assert_eq!(
            parse_spiffe_id("https://example.org/a"),
            Err(SpiffeIdProblem::Scheme)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://Example.org/a"),
            Err(SpiffeIdProblem::TrustDomain)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org:443/a"),
            Err(SpiffeIdProblem::TrustDomain)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://u@example.org/a"),
            Err(SpiffeIdProblem::TrustDomain)
        );
        assert_eq!(
            parse_spiffe_id("spiffe:///a"),
            Err(SpiffeIdProblem::TrustDomain)
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/a?b"),
            Err(SpiffeIdProblem::Character { character: '?' })
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/a#b"),
            Err(SpiffeIdProblem::Character { character: '#' })
        );
        assert_eq!(
            parse_spiffe_id("spiffe://example.org/a%20b"),
            Err(SpiffeIdProblem::Character { character: '%' })
        );
    }

    #[test]
    fn kubernetes_names() {
        assert!(is_kubernetes_label("kube-system"));
        assert!(!is_kubernetes_label("Kube"));
        assert!(!is_kubernetes_label("a.b"));
        assert!(!is_kubernetes_label("-a"));
        assert!(!is_kubernetes_label(&"a".repeat(64)));
        assert!(is_kubernetes_subdomain("build.bot-1"));
        assert!(!is_kubernetes_subdomain("a/../b"));
        assert!(!is_kubernetes_subdomain(""));
    }
}
