//! Who is calling. A visitor: a site key and the browser's `Origin` resolve to one active
//! domain and its organization. A site owner: an API key resolves to its organization. Or an
//! error that says which check failed. Nothing is stored before this.

use shared::{ErrorCode, Hostname, WidgetConfig};

use crate::error::{EdgeError, EdgeResult};
use crate::ids::{ApiKeyId, DomainId, OrgId, UserId};
use shared::admin::audit::ActorKind;
use shared::limits::LimitsConfig;
use shared::provider::LlmConfig;
use shared::{MemberRole, Permission};

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
    pub role: MemberRole,
    pub revoked: bool,
}

/// Who acts for an organization: a signed-in person or an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    Key(ApiKeyId),
}

impl Actor {
    pub fn kind(self) -> ActorKind {
        match self {
            Self::User(_) => ActorKind::User,
            Self::Key(_) => ActorKind::Key,
        }
    }

    pub fn id(self) -> String {
        match self {
            Self::User(u) => u.to_string(),
            Self::Key(k) => k.to_string(),
        }
    }
}

/// Someone acting for one organization with one role, proven by a live API key or a session
/// and a membership. Only [`authenticate`] and [`act_as_member`] make one.
#[derive(Debug, Clone)]
pub struct Owner {
    org: OrgId,
    actor: Actor,
    role: MemberRole,
}

impl Owner {
    pub fn org(&self) -> OrgId {
        self.org
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub fn role(&self) -> MemberRole {
        self.role
    }

    /// Refuses what the role does not grant, before anything is read or written.
    pub fn may(&self, permission: Permission) -> EdgeResult<()> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(forbidden(format!("Your role ({}) may not do this: it needs {}.", self.role, permission.as_str())))
        }
    }

    /// Refuses touching a member (or inviting one) of role `other` unless the role may.
    pub fn may_manage(&self, other: MemberRole) -> EdgeResult<()> {
        self.may(Permission::MembersManage)?;
        if self.role.may_manage(other) {
            Ok(())
        } else {
            Err(forbidden(format!("Only an owner may give, change or remove the {other} role.")))
        }
    }
}

pub fn forbidden(message: impl Into<String>) -> EdgeError {
    EdgeError::new(ErrorCode::Forbidden, message)
}

pub fn invalid_api_key() -> EdgeError {
    EdgeError::new(ErrorCode::InvalidApiKey, "A valid API key is required: Authorization: Bearer sk_live_….")
}

/// Unknown and revoked keys get the same answer, so a caller cannot tell them apart.
pub fn authenticate(found: Option<KeyRecord>) -> EdgeResult<Owner> {
    match found {
        Some(k) if !k.revoked => Ok(Owner { org: k.organization_id, actor: Actor::Key(k.id), role: k.role }),
        _ => Err(invalid_api_key()),
    }
}

/// A signed-in user acting for the organization they chose (`X-Organization-Id`), or for their
/// only one. An organization they do not belong to is not found, as if it did not exist.
pub fn act_as_member(user: UserId, memberships: &[(OrgId, MemberRole)], chosen: Option<&str>) -> EdgeResult<Owner> {
    let (org, role) = match (chosen, memberships) {
        (None, [only]) => *only,
        (None, []) => return Err(forbidden("You belong to no organization.")),
        (None, _) => {
            return Err(EdgeError::new(
                ErrorCode::OrganizationRequired,
                "You belong to several organizations: name one in the X-Organization-Id header.",
            ))
        }
        (Some(raw), _) => OrgId::parse(raw.trim())
            .and_then(|org| memberships.iter().find(|(o, _)| *o == org).copied())
            .ok_or_else(|| EdgeError::new(ErrorCode::NotFound, "You are not a member of that organization."))?,
    };
    Ok(Owner { org, actor: Actor::User(user), role })
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
        let key =
            |revoked| KeyRecord { id: ApiKeyId::generate(), organization_id: org, role: MemberRole::Viewer, revoked };
        let owner = authenticate(Some(key(false))).unwrap();
        assert_eq!((owner.org(), owner.role()), (org, MemberRole::Viewer));
        assert_eq!(owner.may(Permission::SitesWrite).unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(authenticate(Some(key(true))).unwrap_err().code, ErrorCode::InvalidApiKey);
        assert_eq!(authenticate(None).unwrap_err().code, ErrorCode::InvalidApiKey);
    }

    #[test]
    fn a_member_acts_only_for_an_organization_they_belong_to_with_its_role() {
        let (a, b) = (OrgId::generate(), OrgId::generate());
        let user = UserId::generate();
        let both = [(a, MemberRole::Owner), (b, MemberRole::Viewer)];
        let in_b = act_as_member(user, &both, Some(&b.to_string())).unwrap();
        assert_eq!((in_b.org(), in_b.role(), in_b.actor()), (b, MemberRole::Viewer, Actor::User(user)));
        assert_eq!(act_as_member(user, &both, None).unwrap_err().code, ErrorCode::OrganizationRequired);
        assert_eq!(act_as_member(user, &both[..1], None).unwrap().org(), a);
        let stranger = OrgId::generate().to_string();
        for chosen in [stranger.as_str(), "not-an-id", ""] {
            assert_eq!(act_as_member(user, &both, Some(chosen)).unwrap_err().code, ErrorCode::NotFound, "{chosen}");
        }
        assert_eq!(act_as_member(user, &[], None).unwrap_err().code, ErrorCode::Forbidden);
    }

    #[test]
    fn admins_manage_members_but_not_owners() {
        let admin = Owner { org: OrgId::generate(), actor: Actor::Key(ApiKeyId::generate()), role: MemberRole::Admin };
        assert!(admin.may_manage(MemberRole::Agent).is_ok());
        assert_eq!(admin.may_manage(MemberRole::Owner).unwrap_err().code, ErrorCode::Forbidden);
    }
}
