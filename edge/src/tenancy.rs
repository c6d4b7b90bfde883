//! Who is calling. A visitor: a site key and the browser's `Origin` resolve to one active
//! domain and its organization. A site owner: an API key resolves to its organization. Or an
//! error that says which check failed. Nothing is stored before this.

use shared::{ErrorCode, Hostname, WidgetConfig};

use crate::error::{EdgeError, EdgeResult};
use crate::ids::{ApiKeyId, DomainId, OrgId};
use shared::limits::LimitsConfig;
use shared::provider::LlmConfig;

/// A registered website, as loaded by the store.
#[derive(Debug, Clone)]
pub struct Domain {
    pub id: DomainId,
    pub organization_id: OrgId,
    /// The primary hostname first, then its aliases.
    pub hostnames: Vec<Hostname>,
    pub active: bool,
    pub config: WidgetConfig,
    pub system_prompt: String,
    pub llm: LlmConfig,
    pub limits: LimitsConfig,
    /// When the domain last changed (its `updated_at`): a copy kept elsewhere is current while
    /// this matches the row.
    pub version: i64,
}

/// A domain admitted for this request: it exists, is active and the caller's origin is its own.
/// Only [`admit`] makes one, and the store's organization-scoped half takes only this.
#[derive(Debug, Clone)]
pub struct Tenant {
    domain: Domain,
}

impl Tenant {
    pub fn org(&self) -> OrgId {
        self.domain.organization_id
    }

    pub fn domain(&self) -> &Domain {
        &self.domain
    }
}

/// Checks a looked-up domain against the request's `Origin` header.
///
pub fn origin_not_allowed() -> EdgeError {
    EdgeError::new(ErrorCode::OriginNotAllowed, "This site key may only be used from its registered website.")
}

/// The origin is checked before the active flag, so a caller from a foreign origin learns
/// nothing about the state of a domain that is not theirs.
pub fn admit(domain: Option<Domain>, origin: Option<&str>) -> EdgeResult<Tenant> {
    let domain =
        domain.ok_or_else(|| EdgeError::new(ErrorCode::SiteNotRegistered, "This site key is not registered."))?;
    let host = origin.and_then(|o| Hostname::from_origin(o).ok());
    let allowed = host.is_some_and(|h| domain.hostnames.contains(&h));
    if !allowed {
        return Err(origin_not_allowed());
    }
    if !domain.active {
        return Err(EdgeError::new(ErrorCode::DomainInactive, "Chat is switched off for this website."));
    }
    Ok(Tenant { domain })
}

/// An API key as the store found it by its hash.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub id: ApiKeyId,
    pub organization_id: OrgId,
    pub revoked: bool,
}

/// A site owner, proven by a live API key: acts for that key's organization only. Only
/// [`authenticate`] makes one.
#[derive(Debug, Clone)]
pub struct Owner {
    org: OrgId,
    key: ApiKeyId,
}

impl Owner {
    pub fn org(&self) -> OrgId {
        self.org
    }

    pub fn key(&self) -> ApiKeyId {
        self.key
    }
}

pub fn invalid_api_key() -> EdgeError {
    EdgeError::new(ErrorCode::InvalidApiKey, "A valid API key is required: Authorization: Bearer sk_live_….")
}

/// Unknown and revoked keys get the same answer, so a caller cannot tell them apart.
pub fn authenticate(found: Option<KeyRecord>) -> EdgeResult<Owner> {
    match found {
        Some(k) if !k.revoked => Ok(Owner { org: k.organization_id, key: k.id }),
        _ => Err(invalid_api_key()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(active: bool) -> Domain {
        Domain {
            id: DomainId::generate(),
            organization_id: OrgId::generate(),
            hostnames: vec![Hostname::parse("shop.example.com").unwrap(), Hostname::parse("127.0.0.1").unwrap()],
            active,
            config: WidgetConfig::default(),
            system_prompt: String::new(),
            llm: LlmConfig::default(),
            limits: LimitsConfig::default(),
            version: 0,
        }
    }

    fn code(r: EdgeResult<Tenant>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[test]
    fn an_active_domain_from_its_own_origin_is_admitted() {
        let d = domain(true);
        let org = d.organization_id;
        let t = admit(Some(d), Some("https://SHOP.example.com")).unwrap();
        assert_eq!(t.org(), org);
        assert!(admit(Some(domain(true)), Some("http://127.0.0.1:8788")).is_ok(), "alias, any port");
    }

    #[test]
    fn unknown_key_wrong_or_missing_origin_and_inactive_domain_are_refused() {
        assert_eq!(code(admit(None, Some("https://shop.example.com"))), ErrorCode::SiteNotRegistered);
        assert_eq!(code(admit(Some(domain(true)), Some("https://evil.example"))), ErrorCode::OriginNotAllowed);
        assert_eq!(
            code(admit(Some(domain(true)), Some("https://shop.example.com.evil.example"))),
            ErrorCode::OriginNotAllowed
        );
        assert_eq!(code(admit(Some(domain(true)), Some("null"))), ErrorCode::OriginNotAllowed);
        assert_eq!(code(admit(Some(domain(true)), None)), ErrorCode::OriginNotAllowed);
        assert_eq!(code(admit(Some(domain(false)), Some("https://shop.example.com"))), ErrorCode::DomainInactive);
        assert_eq!(code(admit(Some(domain(false)), Some("https://evil.example"))), ErrorCode::OriginNotAllowed);
    }

    #[test]
    fn only_a_live_key_authenticates_and_for_its_own_organization() {
        let org = OrgId::generate();
        let key = |revoked| KeyRecord { id: ApiKeyId::generate(), organization_id: org, revoked };
        assert_eq!(authenticate(Some(key(false))).unwrap().org(), org);
        assert_eq!(authenticate(Some(key(true))).unwrap_err().code, ErrorCode::InvalidApiKey);
        assert_eq!(authenticate(None).unwrap_err().code, ErrorCode::InvalidApiKey);
    }
}
