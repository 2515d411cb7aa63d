//! The log under test: a base URL that must point at this machine.
//!
//! The load generator only ever talks to loopback addresses (127.0.0.0/8, `[::1]`,
//! `localhost`); anything else is refused before a single request is made.

use std::net::IpAddr;

use reqwest::Url;

/// Why a `--url` was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The text is not a URL.
    #[error("invalid URL {url:?}: {reason}")]
    Parse {
        /// The rejected text.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Only plain `http` is supported (the client is built without TLS).
    #[error("unsupported scheme {scheme:?}: only http:// is supported")]
    Scheme {
        /// The rejected scheme.
        scheme: String,
    },
    /// The host is not a loopback address.
    #[error(
        "refusing non-loopback host {host:?}: only 127.0.0.0/8, [::1] and localhost are allowed"
    )]
    NotLoopback {
        /// The rejected host.
        host: String,
    },
    /// The URL has no host.
    #[error("URL {url:?} has no host")]
    NoHost {
        /// The rejected URL.
        url: String,
    },
    /// The URL carries a path, query, fragment or credentials; give the server root only.
    #[error("URL {url:?} must be the server root (no path, query, fragment or credentials)")]
    NotRoot {
        /// The rejected URL.
        url: String,
    },
}

/// A validated loopback base URL, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    base: String,
}

impl Target {
    /// Parses and checks `url`: `http://` scheme, loopback host, no path beyond `/`.
    ///
    /// # Errors
    /// [`TargetError`] naming the first rule the URL breaks.
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        let parsed = Url::parse(url).map_err(|e| TargetError::Parse {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        if parsed.scheme() != "http" {
            return Err(TargetError::Scheme {
                scheme: parsed.scheme().to_owned(),
            });
        }
        let Some(host) = parsed.host_str() else {
            return Err(TargetError::NoHost {
                url: url.to_owned(),
            });
        };
        // The URL parser has already normalised IPv4 forms ("127.1" → "127.0.0.1") and
        // lower-cased domains; IPv6 literals keep their brackets in `host_str`.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = match bare.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => bare.trim_end_matches('.') == "localhost",
        };
        if !loopback {
            return Err(TargetError::NotLoopback {
                host: host.to_owned(),
            });
        }
        if !matches!(parsed.path(), "" | "/")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
            || !parsed.username().is_empty()
            || parsed.password().is_some()
        {
            return Err(TargetError::NotRoot {
                url: url.to_owned(),
            });
        }
        let base = parsed.as_str().trim_end_matches('/').to_owned();
        Ok(Self { base })
    }

    /// The base URL, e.g. `http://127.0.0.1:3000`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `base` followed by `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        let mut s = String::with_capacity(self.base.len() + path.len());
        s.push_str(&self.base);
        s.push_str(path);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_forms() {
        for (input, base) in [
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
            ("http://127.9.8.7:80", "http://127.9.8.7"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("http://localhost:1", "http://localhost:1"),
            ("http://LOCALHOST.:1", "http://localhost.:1"),
        ] {
            let t = Target::parse(input).unwrap();
            assert_eq!(t.base(), base, "{input}");
        }
        let t = Target::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(t.join("/api/v1/log"), "http://127.0.0.1:9/api/v1/log");
    }

    #[test]
    fn refuses_other_hosts() {
        for input in [
            "http://10.0.0.1:3000",
            "http://192.168.1.1",
            "http://172.16.0.1",
            "http://8.8.8.8",
            "http://example.com",
            "http://localhost.example.com",
            "http://[::2]:80",
            "http://0.0.0.0:80",
            "http://[::ffff:10.0.0.1]:80",
        ] {
            assert!(
                matches!(Target::parse(input), Err(TargetError::NotLoopback { .. })),
                "{input} must be refused"
            );
        }
    }

    #[test]
    fn refuses_bad_shapes() {
        assert!(matches!(
            Target::parse("https://127.0.0.1:3000"),
            Err(TargetError::Scheme { .. })
        ));
        assert!(matches!(
            Target::parse("127.0.0.1:3000"),
            Err(TargetError::Parse { .. } | TargetError::Scheme { .. })
        ));
        assert!(matches!(
            Target::parse("http://127.0.0.1:3000/api/v1"),
            Err(TargetError::NotRoot { .. })
        ));
        assert!(matches!(
            Target::parse("http://127.0.0.1:3000/?x=1"),
            Err(TargetError::NotRoot { .. })
        ));
        assert!(matches!(
            Target::parse("http://u:p@127.0.0.1:3000/"),
            Err(TargetError::NotRoot { .. })
        ));
    }
}
