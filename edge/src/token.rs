//! Conversation tokens: proof that the bearer opened this conversation on this domain.
//!
//! `v1.<domain id>.<hex HMAC-SHA256(secret, "v1:" conversation id ":" domain id)>`. The domain id
//! travels in clear so the edge can find the tenant before touching any organization's rows; the
//! MAC makes it unforgeable.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids::{ConversationId, DomainId};

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "v1";

/// The server secret the tokens are signed with (`TOKEN_SECRET`).
pub struct TokenKey(Vec<u8>);

impl TokenKey {
    /// Refuses secrets too short to be worth anything, so a misconfiguration fails loudly.
    pub fn new(secret: &str) -> Option<Self> {
        (secret.len() >= 32).then(|| Self(secret.as_bytes().to_vec()))
    }

    fn mac(&self, conversation: ConversationId, domain: DomainId) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("{VERSION}:{conversation}:{domain}").as_bytes());
        mac
    }

    pub fn sign(&self, conversation: ConversationId, domain: DomainId) -> String {
        let tag = self.mac(conversation, domain).finalize().into_bytes();
        format!("{VERSION}.{domain}.{}", hex::encode(tag))
    }

    /// The domain the token was issued for, if the token is genuine for this conversation.
    pub fn verify(&self, token: &str, conversation: ConversationId) -> Option<DomainId> {
        let mut parts = token.trim().splitn(3, '.');
        let (version, domain, tag) = (parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION {
            return None;
        }
        let domain = DomainId::parse(domain)?;
        let tag = hex::decode(tag).ok()?;
        // verify_slice compares in constant time.
        self.mac(conversation, domain).verify_slice(&tag).ok()?;
        Some(domain)
    }
}

/// Takes the token out of an `Authorization: Bearer …` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new("test-secret-test-secret-test-secret!").unwrap()
    }

    #[test]
    fn a_signed_token_verifies_for_its_conversation() {
        let (c, d) = (ConversationId::generate(), DomainId::generate());
        let token = key().sign(c, d);
        assert_eq!(key().verify(&token, c), Some(d));
    }

    #[test]
    fn a_token_grants_nothing_else() {
        let (c, d) = (ConversationId::generate(), DomainId::generate());
        let token = key().sign(c, d);
        assert_eq!(key().verify(&token, ConversationId::generate()), None, "other conversation");
        let other_key = TokenKey::new("another-secret-another-secret-another").unwrap();
        assert_eq!(other_key.verify(&token, c), None, "other secret");
        let swapped = token.replace(&d.to_string(), &DomainId::generate().to_string());
        assert_eq!(key().verify(&swapped, c), None, "domain id swapped");
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(key().verify(&flipped, c), None, "tag altered");
        for junk in ["", "v1", "v1..", "v2.x.y", &token[..token.len() - 2]] {
            assert_eq!(key().verify(junk, c), None, "{junk:?}");
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKey::new("short").is_none());
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }
}
