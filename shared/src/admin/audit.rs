//! `/v1/admin/audit`: who changed what, and who read visitors' words, append-only.

use serde::{Deserialize, Serialize};

/// What was done. The wire names are stable: filters and exports depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    #[serde(rename = "organization.update")]
    OrganizationUpdate,
    #[serde(rename = "key.create")]
    KeyCreate,
    #[serde(rename = "key.revoke")]
    KeyRevoke,
    #[serde(rename = "domain.create")]
    DomainCreate,
    #[serde(rename = "domain.update")]
    DomainUpdate,
    #[serde(rename = "domain.delete")]
    DomainDelete,
    #[serde(rename = "domain.verify")]
    DomainVerify,
    #[serde(rename = "knowledge.create")]
    KnowledgeCreate,
    #[serde(rename = "knowledge.update")]
    KnowledgeUpdate,
    #[serde(rename = "knowledge.delete")]
    KnowledgeDelete,
    /// A conversation's transcript was read.
    #[serde(rename = "conversation.read")]
    ConversationRead,
    /// A page of leads was read.
    #[serde(rename = "leads.read")]
    LeadsRead,
    #[serde(rename = "invitation.create")]
    InvitationCreate,
    #[serde(rename = "invitation.revoke")]
    InvitationRevoke,
    #[serde(rename = "invitation.accept")]
    InvitationAccept,
    #[serde(rename = "member.update")]
    MemberUpdate,
    #[serde(rename = "member.remove")]
    MemberRemove,
    #[serde(rename = "member.password_reset")]
    MemberPasswordReset,
}

impl AuditAction {
    pub const ALL: [Self; 18] = [
        Self::OrganizationUpdate,
        Self::KeyCreate,
        Self::KeyRevoke,
        Self::DomainCreate,
        Self::DomainUpdate,
        Self::DomainDelete,
        Self::DomainVerify,
        Self::KnowledgeCreate,
        Self::KnowledgeUpdate,
        Self::KnowledgeDelete,
        Self::ConversationRead,
        Self::LeadsRead,
        Self::InvitationCreate,
        Self::InvitationRevoke,
        Self::InvitationAccept,
        Self::MemberUpdate,
        Self::MemberRemove,
        Self::MemberPasswordReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationUpdate => "organization.update",
            Self::KeyCreate => "key.create",
            Self::KeyRevoke => "key.revoke",
            Self::DomainCreate => "domain.create",
            Self::DomainUpdate => "domain.update",
            Self::DomainDelete => "domain.delete",
            Self::DomainVerify => "domain.verify",
            Self::KnowledgeCreate => "knowledge.create",
            Self::KnowledgeUpdate => "knowledge.update",
            Self::KnowledgeDelete => "knowledge.delete",
            Self::ConversationRead => "conversation.read",
            Self::LeadsRead => "leads.read",
            Self::InvitationCreate => "invitation.create",
            Self::InvitationRevoke => "invitation.revoke",
            Self::InvitationAccept => "invitation.accept",
            Self::MemberUpdate => "member.update",
            Self::MemberRemove => "member.remove",
            Self::MemberPasswordReset => "member.password_reset",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Who acted: a signed-in person or an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    Key,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: String,
    pub actor_type: ActorKind,
    /// The user's or the key's id.
    pub actor_id: String,
    pub action: AuditAction,
    /// What the action was done to (`domain`, `knowledge`, `conversation`, …) and its id;
    /// absent for the organization itself and for lists.
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// How long audit rows are kept unless the operator sets `AUDIT_RETENTION_DAYS`.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_by_their_wire_names() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.as_str()));
        }
    }
}
