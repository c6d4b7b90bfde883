//! Site owners' API keys: `sk_live_` and 64 hex digits of a 256-bit random secret. The edge
//! keeps only the SHA-256 of the whole key, and the first characters (`prefix`) so an owner can
//! tell keys apart. `dev/bootstrap` mints keys the same way from a shell.

use crate::secret;

const SCHEME: &str = "sk_live_";
const SECRET_HEX: usize = 64;
/// `sk_live_` and the first 8 hex digits.
const PREFIX_LEN: usize = SCHEME.len() + 8;

/// A key as presented by a caller, already checked for shape.
#[derive(Debug, PartialEq, Eq)]
pub struct PresentedKey<'a>(&'a str);

impl<'a> PresentedKey<'a> {
    /// The key of an `Authorization: Bearer sk_live_…` header, or `None` if it is not one.
    pub fn from_header(header: Option<&'a str>) -> Option<Self> {
        let (scheme, key) = header?.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let key = key.trim();
        let hex = key.strip_prefix(SCHEME)?;
        (hex.len() == SECRET_HEX && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(Self(key))
    }

    /// What the database stores and looks the key up by.
    pub fn hash(&self) -> String {
        secret::hash(self.0)
    }
}

/// A freshly minted key: the secret is shown to the owner once and then forgotten.
pub struct MintedKey {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

impl MintedKey {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let secret = format!("{SCHEME}{}", secret::random_hex()?);
        Ok(Self { prefix: secret[..PREFIX_LEN].to_owned(), hash: secret::hash(&secret), secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_key_is_accepted_and_hashes_to_its_stored_hash() {
        let k = MintedKey::generate().unwrap();
        assert!(k.secret.starts_with("sk_live_") && k.secret.len() == 72);
        assert!(k.secret.starts_with(&k.prefix) && k.prefix.len() == 16);
        let header = format!("Bearer {}", k.secret);
        let presented = PresentedKey::from_header(Some(&header)).unwrap();
        assert_eq!(presented.hash(), k.hash);
        assert_ne!(MintedKey::generate().unwrap().secret, k.secret);
    }

    #[test]
    fn the_hash_is_the_sha256_hex_a_shell_computes() {
        // printf %s sk_live_000…0 | sha256sum
        let key = format!("sk_live_{}", "0".repeat(64));
        assert_eq!(secret::hash(&key), "33a06e9e3e1d3ee68ae634fdd9d3937fb192b2865b2b927caa74c63d4118f3db");
    }

    #[test]
    fn malformed_headers_are_not_keys() {
        let good = format!("sk_live_{}", "ab".repeat(32));
        assert!(PresentedKey::from_header(Some(&format!("bearer {good}"))).is_some());
        for bad in [
            String::new(),
            good.clone(),
            format!("Basic {good}"),
            format!("Bearer {}", &good[..70]),
            format!("Bearer {good}0"),
            format!("Bearer {}", good.to_uppercase()),
            format!("Bearer sk_test_{}", "ab".repeat(32)),
            "Bearer v1.token.abc".to_owned(),
        ] {
            assert!(PresentedKey::from_header(Some(&bad)).is_none(), "{bad}");
        }
        assert!(PresentedKey::from_header(None).is_none());
    }
}
