//! Who may do what in an organization: the roles a member (or an API key) holds and the
//! permissions each role grants, named once here. Every `/v1/admin` route names the one
//! permission it needs; the edge checks it whatever the credential, and the console reads the
//! same table to offer only what a role may do.

use serde::{Deserialize, Serialize};

/// A member's (or a key's) role in one organization, from most to least trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Everything, including the budget and prices (what the organization pays) and other owners.
    Owner,
    /// Runs the sites, knowledge, keys and team; not the money.
    Admin,
    /// Answers visitors: reads conversations and leads, sees the setup without changing it.
    Agent,
    /// Looks at the numbers and the setup; reads no visitor's words.
    Viewer,
}

impl MemberRole {
    pub const ALL: [Self; 4] = [Self::Owner, Self::Admin, Self::Agent, Self::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Agent => "agent",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, RoleError> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw).ok_or_else(|| RoleError(raw.chars().take(40).collect()))
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::Owner => true,
            Self::Admin => permission != BillingWrite,
            Self::Agent => {
                matches!(
                    permission,
                    OrganizationRead | SitesRead | KnowledgeRead | ConversationsRead | LeadsRead | MembersRead
                )
            }
            Self::Viewer => matches!(permission, OrganizationRead | BillingRead | SitesRead | KnowledgeRead),
        }
    }

    /// Everything the role may do, in the table's order.
    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.can(*p)).collect()
    }

    /// Whether a member of this role may give `other` to someone, or change or remove someone
    /// who holds it: only owners touch owners, so an admin cannot take the organization over.
    pub fn may_manage(self, other: Self) -> bool {
        self.can(Permission::MembersManage) && (self == Self::Owner || other != Self::Owner)
    }
}

impl std::fmt::Display for MemberRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleError(String);

impl std::fmt::Display for RoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "role must be one of owner, admin, agent, viewer (got {:?})", self.0)
    }
}

impl crate::error::Refusal for RoleError {}

/// One thing a route does, as a route names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// The organization's name and settings, read.
    #[serde(rename = "organization.read")]
    OrganizationRead,
    /// Usage and spend.
    #[serde(rename = "billing.read")]
    BillingRead,
    /// The organization's name, monthly budget and model prices, changed.
    #[serde(rename = "billing.write")]
    BillingWrite,
    /// API keys: list, mint, revoke.
    #[serde(rename = "keys.manage")]
    KeysManage,
    #[serde(rename = "sites.read")]
    SitesRead,
    /// Sites added, changed, verified, removed.
    #[serde(rename = "sites.write")]
    SitesWrite,
    #[serde(rename = "knowledge.read")]
    KnowledgeRead,
    #[serde(rename = "knowledge.write")]
    KnowledgeWrite,
    /// Visitors' conversations and transcripts.
    #[serde(rename = "conversations.read")]
    ConversationsRead,
    /// Contact details visitors left.
    #[serde(rename = "leads.read")]
    LeadsRead,
    /// Who is in the team.
    #[serde(rename = "members.read")]
    MembersRead,
    /// Invitations, roles, removals and password-reset links.
    #[serde(rename = "members.manage")]
    MembersManage,
    /// The audit trail.
    #[serde(rename = "audit.read")]
    AuditRead,
}

impl Permission {
    pub const ALL: [Self; 13] = [
        Self::OrganizationRead,
        Self::BillingRead,
        Self::BillingWrite,
        Self::KeysManage,
        Self::SitesRead,
        Self::SitesWrite,
        Self::KnowledgeRead,
        Self::KnowledgeWrite,
        Self::ConversationsRead,
        Self::LeadsRead,
        Self::MembersRead,
        Self::MembersManage,
        Self::AuditRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationRead => "organization.read",
            Self::BillingRead => "billing.read",
            Self::BillingWrite => "billing.write",
            Self::KeysManage => "keys.manage",
            Self::SitesRead => "sites.read",
            Self::SitesWrite => "sites.write",
            Self::KnowledgeRead => "knowledge.read",
            Self::KnowledgeWrite => "knowledge.write",
            Self::ConversationsRead => "conversations.read",
            Self::LeadsRead => "leads.read",
            Self::MembersRead => "members.read",
            Self::MembersManage => "members.manage",
            Self::AuditRead => "audit.read",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_each_grants_what_the_next_grants() {
        for p in Permission::ALL {
            assert!(MemberRole::Owner.can(p));
            for pair in MemberRole::ALL.windows(2) {
                if pair[1].can(p) && pair != [MemberRole::Agent, MemberRole::Viewer] {
                    assert!(pair[0].can(p), "{} may {} but {} may not", pair[1], p.as_str(), pair[0]);
                }
            }
        }
        // Agents and viewers differ sideways: one reads visitors' words, the other the money.
        assert!(
            MemberRole::Agent.can(Permission::ConversationsRead)
                && !MemberRole::Viewer.can(Permission::ConversationsRead)
        );
        assert!(MemberRole::Viewer.can(Permission::BillingRead) && !MemberRole::Agent.can(Permission::BillingRead));
        assert!(MemberRole::Admin.can(Permission::BillingRead));
    }

    #[test]
    fn only_owners_touch_money_and_owners() {
        assert!(!MemberRole::Admin.can(Permission::BillingWrite));
        assert!(MemberRole::Admin.may_manage(MemberRole::Admin) && !MemberRole::Admin.may_manage(MemberRole::Owner));
        assert!(MemberRole::Owner.may_manage(MemberRole::Owner));
        assert!(!MemberRole::Agent.may_manage(MemberRole::Viewer));
    }

    #[test]
    fn names_round_trip_on_the_wire() {
        for r in MemberRole::ALL {
            assert_eq!(MemberRole::parse(r.as_str()), Ok(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert!(MemberRole::parse("Owner").is_err());
        for p in Permission::ALL {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.as_str()));
        }
    }
}
