//! `/v1/admin/conversations`: what visitors talked about, newest activity first, and one
//! conversation with all its messages.

use serde::Deserialize;
use shared::admin::conversations::{ConversationDetail, SearchText};
use shared::admin::Page;
use shared::{ErrorCode, MessageStatus, Rating};
use worker::{Request, Response};

use super::{invalid, query, window, Window};
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::ConversationId;
use crate::store::{ConversationFilter, OrgStore};

/// The inbox's own filters, beside the [`Window`] every dated list takes.
#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    rating: Option<String>,
    status: Option<String>,
    lead: Option<String>,
}

pub async fn list(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let Window { domain, since_ms, until_ms, limit, after } = window(req)?;
    let q: ListQuery = query(req)?;
    let search = q.q.as_deref().map(SearchText::parse).transpose().map_err(|e| invalid(e.to_string()))?;
    let rating = match q.rating.as_deref() {
        None => None,
        Some("up") => Some(Rating::Up),
        Some("down") => Some(Rating::Down),
        Some(_) => return Err(invalid("rating must be up or down")),
    };
    let status = match q.status.as_deref() {
        None => None,
        Some("interrupted") => Some(MessageStatus::Interrupted),
        Some("failed") => Some(MessageStatus::Failed),
        Some(_) => return Err(invalid("status must be interrupted or failed")),
    };
    let with_lead = match q.lead.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(invalid("lead must be true or false")),
    };
    let filter = ConversationFilter { domain, since_ms, until_ms, search, rating, status, with_lead, after, limit };
    let (items, next) = store.conversations(&filter).await?;
    http::json(200, &Page { items, next_cursor: next.map(|c| c.encode()) })
}

pub async fn get(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let not_found = || EdgeError::new(ErrorCode::ConversationNotFound, "No such conversation.");
    let id = ConversationId::parse(id).ok_or_else(not_found)?;
    let (conversation, messages, leads) = store.conversation(id).await?.ok_or_else(not_found)?;
    http::json(200, &ConversationDetail { conversation, messages, leads })
}
