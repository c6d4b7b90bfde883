//! `/v1/admin/keys`: the organization's API keys.

use serde::{Deserialize, Serialize};

use crate::access::MemberRole;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
    /// What the key may do; `admin` unless given (`viewer` for read-only integrations). Only
    /// an owner mints `owner` keys (which may also change the budget and prices); the operator's
    /// `dev/bootstrap` mints the organization's first key as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MemberRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, enough to tell keys apart.
    pub prefix: String,
    pub role: MemberRole,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The only time the secret is shown; the edge keeps its SHA-256 hash alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCreated {
    pub key: ApiKeyView,
    pub secret: String,
}
