//! Passwords: hashed with PBKDF2-HMAC-SHA256 through the runtime's WebCrypto (native code, so a
//! hash costs the worker's CPU budget little), checked against the most common passwords, and
//! compared in constant time. The stored form names its scheme and cost
//! (`pbkdf2-sha256$100000$<salt>$<hash>`), so the scheme can change later while old hashes
//! still verify. A password or its hash never reaches a log line or a response.

use shared::auth::check_password_length;
use shared::field::FieldError;
use subtle::ConstantTimeEq;

use crate::error::{EdgeError, EdgeResult};

const SCHEME: &str = "pbkdf2-sha256";
/// Workers' WebCrypto refuses more than 100,000 iterations of PBKDF2.
const ITERATIONS: u32 = 100_000;
const SALT_BYTES: usize = 16;
const HASH_BITS: u32 = 256;

/// The most common passwords long enough to pass the length rule, lower-cased: build.rs keeps
/// only those of `edge/data/common-passwords.txt` (the whole list stays in the repository).
const COMMON: &str = include_str!(concat!(env!("OUT_DIR"), "/common-passwords-long.txt"));

/// A stored hash, parsed.
#[derive(Debug, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl PasswordHash {
    pub fn parse(stored: &str) -> Option<Self> {
        let mut parts = stored.split('$');
        if parts.next()? != SCHEME {
            return None;
        }
        let iterations = parts.next()?.parse().ok().filter(|n| (1..=ITERATIONS).contains(n))?;
        let salt = hex::decode(parts.next()?).ok().filter(|s| s.len() == SALT_BYTES)?;
        let hash = hex::decode(parts.next()?).ok().filter(|h| h.len() * 8 == HASH_BITS as usize)?;
        parts.next().is_none().then_some(Self { iterations, salt, hash })
    }

    pub fn encode(&self) -> String {
        format!("{SCHEME}${}${}${}", self.iterations, hex::encode(&self.salt), hex::encode(&self.hash))
    }

    /// Hashes a new password with a fresh salt.
    pub async fn new(password: &str) -> EdgeResult<Self> {
        let mut salt = vec![0u8; SALT_BYTES];
        getrandom::fill(&mut salt).map_err(EdgeError::internal)?;
        let hash = derive(password, &salt, ITERATIONS).await?;
        Ok(Self { iterations: ITERATIONS, salt, hash })
    }

    pub async fn verify(&self, password: &str) -> EdgeResult<bool> {
        let derived = derive(password, &self.salt, self.iterations).await?;
        Ok(derived.ct_eq(&self.hash).into())
    }

    /// Spends what verifying a real hash spends, for an account that does not exist, so the
    /// answer's timing does not tell the two apart.
    pub async fn verify_nothing(password: &str) -> EdgeResult<()> {
        derive(password, &[0; SALT_BYTES], ITERATIONS).await.map(|_| ())
    }
}

/// Why a new password was refused: its length, or being one everybody tries first.
pub fn check_new(field: &str, password: &str) -> Result<(), FieldError> {
    check_password_length(field, password)?;
    let lower = password.to_lowercase();
    if COMMON.lines().any(|common| common == lower) {
        return Err(FieldError::new(field, "is one of the most common passwords; choose another"));
    }
    Ok(())
}

#[cfg(target_arch = "wasm32")]
async fn derive(password: &str, salt: &[u8], iterations: u32) -> EdgeResult<Vec<u8>> {
    use worker::js_sys::{Array, Object, Reflect, Uint8Array};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;

    let fail = |e: JsValue| EdgeError::internal(format!("WebCrypto PBKDF2: {e:?}"));
    let crypto: web_sys::Crypto =
        Reflect::get(&worker::js_sys::global(), &"crypto".into()).map_err(fail)?.unchecked_into();
    let subtle = crypto.subtle();
    let usages = Array::of1(&"deriveBits".into());
    let raw = Uint8Array::from(password.as_bytes());
    let key = subtle.import_key_with_str("raw", &raw, "PBKDF2", false, &usages).map_err(fail)?;
    let key: web_sys::CryptoKey = JsFuture::from(key).await.map_err(fail)?.unchecked_into();
    let params = Object::new();
    for (name, value) in [
        ("name", JsValue::from_str("PBKDF2")),
        ("hash", JsValue::from_str("SHA-256")),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", JsValue::from(iterations)),
    ] {
        Reflect::set(&params, &name.into(), &value).map_err(fail)?;
    }
    let bits = subtle.derive_bits_with_object(&params, &key, HASH_BITS).map_err(fail)?;
    let bits = JsFuture::from(bits).await.map_err(fail)?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// Host builds (unit tests) have no WebCrypto; nothing there hashes a password.
#[cfg(not(target_arch = "wasm32"))]
async fn derive(_password: &str, _salt: &[u8], _iterations: u32) -> EdgeResult<Vec<u8>> {
    Err(EdgeError::internal("PBKDF2 runs on the worker's WebCrypto only"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hashes_round_trip_and_nothing_else_parses() {
        let h = PasswordHash { iterations: ITERATIONS, salt: vec![7; 16], hash: vec![9; 32] };
        let stored = h.encode();
        assert!(stored.starts_with("pbkdf2-sha256$100000$0707"));
        assert_eq!(PasswordHash::parse(&stored), Some(h));
        for bad in [
            "",
            "plain",
            "pbkdf2-sha1$100000$07070707070707070707070707070707$09",
            "pbkdf2-sha256$0$07070707070707070707070707070707$0909090909090909090909090909090909090909090909090909090909090909",
            "pbkdf2-sha256$100001$07070707070707070707070707070707$0909090909090909090909090909090909090909090909090909090909090909",
            "pbkdf2-sha256$100000$0707$0909090909090909090909090909090909090909090909090909090909090909",
            "pbkdf2-sha256$100000$07070707070707070707070707070707$0909$x",
        ] {
            assert_eq!(PasswordHash::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn common_and_short_passwords_are_refused_whatever_their_case() {
        assert!(COMMON.lines().count() > 100, "the list of common passwords is built in");
        // build.rs filters the list by the same shortest length.
        assert_eq!(shared::auth::MIN_PASSWORD_CHARS, 10);
        assert!(check_new("password", "1234567890").is_err());
        assert!(check_new("password", "QwertyUiop").is_err());
        assert!(check_new("password", "short").is_err());
        assert!(check_new("password", "correct horse battery staple").is_ok());
    }
}
