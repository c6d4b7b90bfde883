//! Bearer secrets the edge hands out (session cookies, invitation and reset links, API keys):
//! 256 random bits, shown once, and kept only as their SHA-256, so a copy of the database opens
//! nothing.

use sha2::{Digest, Sha256};

/// 64 hex digits of 32 random bytes.
pub fn random_hex() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// What the database keeps of a secret, and looks it up by.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A secret as the caller presented it: exactly 64 lower-case hex digits, or nothing.
pub fn presented(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    (raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_and_only_their_own_shape_is_presented() {
        let a = random_hex().unwrap();
        assert_ne!(a, random_hex().unwrap());
        assert_eq!(presented(&a), Some(a.as_str()));
        assert_eq!(hash(&a).len(), 64);
        for bad in ["", &a[..63], &a.to_uppercase(), &format!("{a}0"), "' OR 1=1 --"] {
            assert_eq!(presented(bad), None, "{bad}");
        }
    }
}
