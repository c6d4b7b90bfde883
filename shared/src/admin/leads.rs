//! `/v1/admin/leads`: the contact details visitors left, as the owner reads them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadView {
    pub id: String,
    pub domain_id: String,
    pub conversation_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
    pub message: Option<String>,
    pub status: String,
    pub created_at: i64,
}
