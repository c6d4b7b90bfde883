//! The public key in the script tag that says which site is calling.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{wire_string, ErrorCode, Refusal};

/// A well-formed site key: 8 to 64 characters of `[A-Za-z0-9_-]`. Being well-formed says
/// nothing about being registered; the edge looks that up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a site key is 8 to 64 characters of letters, digits, '_' or '-'")]
pub struct SiteKeyError;

impl Refusal for SiteKeyError {
    fn code(&self) -> ErrorCode {
        ErrorCode::SiteKeyMissing
    }
}

wire_string!(SiteKey, SiteKey::parse);

impl SiteKey {
    pub fn parse(raw: &str) -> Result<Self, SiteKeyError> {
        let raw = raw.trim();
        let ok =
            (8..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SiteKeyError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SiteKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_keys() {
        assert_eq!(SiteKey::parse(" site_demo_local ").unwrap().as_str(), "site_demo_local");
        assert!(SiteKey::parse("ABCdef12-_").is_ok());
        assert!(SiteKey::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in ["", "short", "has space12", "semi;colon1", "ümlaut1234", &"a".repeat(65)] {
            assert!(SiteKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
