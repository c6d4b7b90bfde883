//! Conversation tokens: proof that the bearer opened this conversation on this domain, lately.
//!
//! `v2.<domain id>.<issued, seconds since 1970>.<hex HMAC-SHA256(secret, "v2:" conversation id
//! ":" domain id ":" issued)>`. The domain id travels in clear so the edge can find the tenant
//! before touching any organization's rows; the MAC makes it unforgeable. A token expires a
//! while after it was issued (`TOKEN_TTL_DAYS`); reading the history renews one close to that.
//! Tokens of the first version carry no issue time and are no longer accepted.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids::{ConversationId, DomainId};

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "v2";

/// The server secret the tokens are signed with (`TOKEN_SECRET`).
pub struct TokenKey(Vec<u8>);

impl TokenKey {
    /// Refuses secrets too short to be worth anything, so a misconfiguration fails loudly.
    pub fn new(secret: &str) -> Option<Self> {
        (secret.len() >= 32).then(|| Self(secret.as_bytes().to_vec()))
    }

    fn mac(&self, conversation: ConversationId, domain: DomainId, issued_secs: i64) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("{VERSION}:{conversation}:{domain}:{issued_secs}").as_bytes());
        mac
    }

    /// A token for the conversation, issued at `now_ms`.
    pub fn sign(&self, conversation: ConversationId, domain: DomainId, now_ms: i64) -> String {
        let issued = now_ms.div_euclid(1000);
        let tag = self.mac(conversation, domain, issued).finalize().into_bytes();
        format!("{VERSION}.{domain}.{issued}.{}", hex::encode(tag))
    }

    /// What a genuine token for this conversation says, if it is one; whether it is still
    /// valid is [`Grant::check`]'s business.
    pub fn verify(&self, token: &str, conversation: ConversationId) -> Option<Grant> {
        let mut parts = token.trim().splitn(4, '.');
        let (version, domain, issued, tag) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION {
            return None;
        }
        let domain = DomainId::parse(domain)?;
        let issued_secs: i64 = issued.parse().ok().filter(|n| *n >= 0)?;
        let tag = hex::decode(tag).ok()?;
        // verify_slice compares in constant time.
        self.mac(conversation, domain, issued_secs).verify_slice(&tag).ok()?;
        Some(Grant { domain, issued_ms: issued_secs.saturating_mul(1000) })
    }
}

/// What a genuine token grants: a conversation on this domain, since this moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub domain: DomainId,
    pub issued_ms: i64,
}

/// Where a genuine token stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Valid,
    /// Valid, but past two thirds of its life: a history read hands out a fresh one.
    Renew,
    Expired,
}

impl Grant {
    pub fn check(&self, now_ms: i64, ttl_ms: i64) -> Standing {
        let age = now_ms - self.issued_ms;
        if age >= ttl_ms || age < -ttl_ms {
            Standing::Expired
        } else if age >= ttl_ms / 3 * 2 {
            Standing::Renew
        } else {
            Standing::Valid
        }
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

    const NOW: i64 = 1_790_000_000_000;
    const DAY: i64 = 86_400_000;

    #[test]
    fn a_signed_token_verifies_for_its_conversation() {
        let (c, d) = (ConversationId::generate(), DomainId::generate());
        let token = key().sign(c, d, NOW + 999);
        assert_eq!(key().verify(&token, c), Some(Grant { domain: d, issued_ms: NOW }));
    }

    #[test]
    fn a_token_grants_nothing_else() {
        let (c, d) = (ConversationId::generate(), DomainId::generate());
        let token = key().sign(c, d, NOW);
        assert_eq!(key().verify(&token, ConversationId::generate()), None, "other conversation");
        let other_key = TokenKey::new("another-secret-another-secret-another").unwrap();
        assert_eq!(other_key.verify(&token, c), None, "other secret");
        let swapped = token.replace(&d.to_string(), &DomainId::generate().to_string());
        assert_eq!(key().verify(&swapped, c), None, "domain id swapped");
        let younger = token.replace(&(NOW / 1000).to_string(), &(NOW / 1000 + 86_400 * 60).to_string());
        assert_eq!(key().verify(&younger, c), None, "issue time moved");
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(key().verify(&flipped, c), None, "tag altered");
        let v1 = format!("v1.{d}.{}", token.rsplit('.').next().unwrap());
        for junk in ["", "v2", "v2...", "v1.x.y", &v1, &token[..token.len() - 2]] {
            assert_eq!(key().verify(junk, c), None, "{junk:?}");
        }
    }

    #[test]
    fn a_token_lives_its_ttl_and_is_renewed_in_its_last_third() {
        let grant = Grant { domain: DomainId::generate(), issued_ms: NOW };
        let ttl = 90 * DAY;
        assert_eq!(grant.check(NOW, ttl), Standing::Valid);
        assert_eq!(grant.check(NOW + 59 * DAY, ttl), Standing::Valid);
        assert_eq!(grant.check(NOW + 61 * DAY, ttl), Standing::Renew);
        assert_eq!(grant.check(NOW + 90 * DAY, ttl), Standing::Expired);
        assert_eq!(grant.check(NOW - 91 * DAY, ttl), Standing::Expired, "issued in the far future");
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
