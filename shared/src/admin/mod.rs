//! The site owner's API (`/v1/admin/...`): request and response bodies, one file per resource,
//! and the checks what an owner submits must pass before it is stored. Times are milliseconds
//! since the epoch. A domain's widget config, provider and limits settings have their own
//! modules (`config`, `provider`, `limits`), since the widget and the relay read them too.

pub mod audit;
pub mod conversations;
pub mod domains;
pub mod keys;
pub mod knowledge;
pub mod leads;
pub mod members;
pub mod organization;
pub mod usage;

use serde::{Deserialize, Serialize};

use crate::field::{text_within, FieldError};

/// The largest body the admin API accepts (a knowledge entry or a system prompt at full length).
pub const MAX_ADMIN_BODY_BYTES: usize = 256 * 1024;
/// Page sizes of the list endpoints.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;
pub const MAX_NAME_CHARS: usize = 200;

/// One page of a list, newest first; pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A name an owner gives something (an organization, a key, a domain).
pub fn check_name(field: &str, name: &str) -> Result<(), FieldError> {
    text_within(field, name, MAX_NAME_CHARS, true)
}
