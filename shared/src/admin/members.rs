//! `/v1/admin/members` and `/v1/admin/invitations`: the people of an organization, their roles,
//! and invitations to join.

use serde::{Deserialize, Serialize};

use crate::access::MemberRole;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub joined_at: i64,
    /// Whether they have a password yet (a bootstrapped owner may not, until the link is used).
    pub has_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    pub role: MemberRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    pub email: String,
    pub role: MemberRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: MemberRole,
    pub created_at: i64,
    pub expires_at: i64,
    /// Who invited: a user's or an API key's id.
    pub created_by: String,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A one-time link: sent by mail when the edge has a mail provider, otherwise handed to the
/// caller to pass on (`link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDelivery {
    /// `true` when a mail provider took the message.
    pub sent: bool,
    pub link: Option<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationCreated {
    pub invitation: InvitationView,
    pub delivery: LinkDelivery,
}
