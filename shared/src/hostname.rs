//! A website's hostname in one canonical form, so `Example.COM.`, `example.com:443`
//! and `https://example.com` all name the same domain.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{wire_string, Refusal};

/// Read from a request as an owner writes it ([`Hostname::parse_ascii`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hostname(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostnameError {
    #[error("hostname is empty")]
    Empty,
    #[error("hostname {0:?} is not a valid host name")]
    Invalid(String),
    #[error("origin {0:?} is not of the form scheme://host[:port]")]
    BadOrigin(String),
    #[error("hostname {0:?} must be written in ASCII (another script in its xn-- form), without an IPv6 literal")]
    NotAscii(String),
}

impl Refusal for HostnameError {}

wire_string!(Hostname, Hostname::parse_ascii);

const MAX_LEN: usize = 253;

impl Hostname {
    /// Parses a bare host, optionally with a port (`Example.com:8080`), into the canonical form:
    /// lowercase, IDNA (punycode), no port, no trailing dot.
    pub fn parse(raw: &str) -> Result<Self, HostnameError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(HostnameError::Empty);
        }
        if let Some(rest) = raw.strip_prefix('[') {
            return Self::parse_ipv6(raw, rest);
        }
        let host = match raw.rsplit_once(':') {
            Some((host, port)) if is_port(port) => host,
            Some(_) => return Err(HostnameError::Invalid(raw.to_owned())),
            None => raw,
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return Err(HostnameError::Empty);
        }
        let ascii = idna::domain_to_ascii(host).map_err(|_| HostnameError::Invalid(raw.to_owned()))?;
        let labels_ok = ascii.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if ascii.len() > MAX_LEN || !labels_ok {
            return Err(HostnameError::Invalid(raw.to_owned()));
        }
        Ok(Self(ascii))
    }

    /// A hostname as an owner writes one in a request, so the API's document can say exactly
    /// which strings are hostnames: ASCII (an internationalised name in its `xn--` form), no
    /// IPv6 literal; then as [`Hostname::parse`].
    pub fn parse_ascii(raw: &str) -> Result<Self, HostnameError> {
        if !raw.trim().is_ascii() || raw.contains('[') {
            return Err(HostnameError::NotAscii(raw.to_owned()));
        }
        Self::parse(raw)
    }

    /// Takes the host out of a browser `Origin` header (`https://shop.example:8443`).
    pub fn from_origin(origin: &str) -> Result<Self, HostnameError> {
        let bad = || HostnameError::BadOrigin(origin.to_owned());
        let (scheme, rest) = origin.trim().split_once("://").ok_or_else(bad)?;
        if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") || rest.contains(['/', '?', '#', '@']) {
            return Err(bad());
        }
        Self::parse(rest).map_err(|_| bad())
    }

    fn parse_ipv6(raw: &str, rest: &str) -> Result<Self, HostnameError> {
        let invalid = || HostnameError::Invalid(raw.to_owned());
        let (addr, after) = rest.split_once(']').ok_or_else(invalid)?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        let addr: std::net::Ipv6Addr = addr.parse().map_err(|_| invalid())?;
        if !port_ok {
            return Err(invalid());
        }
        Ok(Self(format!("[{addr}]")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u16>().is_ok()
}

impl AsRef<str> for Hostname {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn norm(s: &str) -> String {
        Hostname::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn lowercases_strips_port_and_trailing_dot() {
        assert_eq!(norm("Example.COM"), "example.com");
        assert_eq!(norm("example.com."), "example.com");
        assert_eq!(norm("example.com:8080"), "example.com");
        assert_eq!(norm("  shop.example.com:443  "), "shop.example.com");
        assert_eq!(norm("localhost:8787"), "localhost");
        assert_eq!(norm("127.0.0.1:3000"), "127.0.0.1");
    }

    #[test]
    fn internationalised_names_become_punycode() {
        assert_eq!(norm("Bücher.example"), "xn--bcher-kva.example");
        assert_eq!(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
        assert_eq!(norm("ПРИМЕР.рф"), "xn--e1afmkfd.xn--p1ai");
    }

    #[test]
    fn ipv6_literals_keep_brackets_and_canonical_form() {
        assert_eq!(norm("[::1]:8080"), "[::1]");
        assert_eq!(norm("[0:0::1]"), "[::1]");
        assert!(Hostname::parse("[::1").is_err());
        assert!(Hostname::parse("[nope]").is_err());
    }

    #[test]
    fn rejects_what_is_not_a_host() {
        for bad in [
            "",
            "   ",
            ".",
            "exa mple.com",
            "example..com",
            "-bad.com",
            "bad-.com",
            "a/b",
            "host:port",
            "host:99999",
            "ex_ample.com",
            "user@host",
        ] {
            assert!(Hostname::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Hostname::parse(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn origins_give_their_host() {
        assert_eq!(Hostname::from_origin("https://Shop.Example.com").unwrap().as_str(), "shop.example.com");
        assert_eq!(Hostname::from_origin("http://localhost:8788").unwrap().as_str(), "localhost");
        assert_eq!(Hostname::from_origin("http://[::1]:3000").unwrap().as_str(), "[::1]");
        for bad in [
            "null",
            "example.com",
            "ftp://example.com",
            "https://example.com/path",
            "https://user@example.com",
            "https://",
        ] {
            assert!(Hostname::from_origin(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn an_owner_writes_hostnames_in_ascii_and_requests_read_them_so() {
        assert_eq!(Hostname::parse_ascii("Shop.Example:443").unwrap().as_str(), "shop.example");
        assert_eq!(Hostname::parse_ascii("xn--bcher-kva.example").unwrap().as_str(), "xn--bcher-kva.example");
        for bad in ["bücher.example", "[::1]", "ПРИМЕР.рф"] {
            assert_eq!(Hostname::parse_ascii(bad), Err(HostnameError::NotAscii(bad.to_owned())));
        }
        let read = |v: &str| serde_json::from_value::<Hostname>(serde_json::Value::String(v.to_owned()));
        assert_eq!(read("Example.COM.").unwrap().as_str(), "example.com");
        let refused = crate::error::Refused::read(&read("bücher.example").unwrap_err().to_string()).unwrap();
        assert_eq!(refused.code, crate::ErrorCode::InvalidField);
        assert!(refused.message.starts_with("hostname \"bücher.example\""), "{}", refused.message);
        assert_eq!(serde_json::to_value(Hostname::parse("a.example").unwrap()).unwrap(), "a.example");
    }

    /// Strings near hostnames: letters of both cases and several scripts, digits, dots (also
    /// the ideographic and full-width ones IDNA maps to dots), hyphens, ports, brackets, spaces;
    /// and any string at all.
    fn near_hostname() -> impl Strategy<Value = String> {
        let piece = proptest::sample::select(vec![
            "a",
            "Z",
            "q",
            "0",
            "9",
            "-",
            ".",
            "..",
            "xn--",
            "xn--bcher-kva",
            "ü",
            "ß",
            "Б",
            "日",
            "\u{3002}",
            "\u{ff0e}",
            "_",
            ":",
            ":443",
            ":99999",
            "[",
            "]",
            "::1",
            " ",
            "ﬁ",
            "\u{200d}",
            "İ",
            "K",
        ]);
        prop_oneof![proptest::collection::vec(piece, 1..12).prop_map(|p| p.concat()), any::<String>(),]
    }

    proptest! {
        #[test]
        fn what_parse_accepts_is_canonical_and_parses_to_itself(raw in near_hostname()) {
            if let Ok(host) = Hostname::parse(&raw) {
                let s = host.as_str();
                prop_assert!(s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()), "{raw:?} gave {s:?}");
                prop_assert!(!s.is_empty() && !s.ends_with('.'), "{raw:?} gave {s:?}");
                prop_assert_eq!(Hostname::parse(s), Ok(host.clone()), "{:?} then {:?}", raw, s);
                if !s.starts_with('[') {
                    prop_assert_eq!(Hostname::parse_ascii(s), Ok(host.clone()));
                }
                let read: Hostname = serde_json::from_value(serde_json::to_value(&host).unwrap()).unwrap();
                prop_assert_eq!(read, host);
            }
        }
    }

    #[test]
    fn equal_hosts_compare_equal_after_parsing() {
        assert_eq!(Hostname::parse("EXAMPLE.com.:80").unwrap(), Hostname::from_origin("https://example.com").unwrap());
    }
}
