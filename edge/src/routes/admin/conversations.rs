//! `/v1/admin/conversations`: what visitors talked about, newest activity first, and one
//! conversation with all its messages.

use serde::Deserialize;
use shared::admin::conversations::ConversationDetail;
use shared::admin::Page;
use shared::ErrorCode;
use worker::{Request, Response};

use super::{day_start, domain_filter, page, query};
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::ConversationId;
use crate::store::{ConversationFilter, OrgStore};

#[derive(Deserialize)]
struct ListQuery {
    domain_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

pub async fn list(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let q: ListQuery = query(req)?;
    let (limit, after) = page(q.limit.as_deref(), q.cursor.as_deref())?;
    let domain = domain_filter(q.domain_id.as_deref())?;
    let since_ms = q.from.as_deref().map(day_start).transpose()?;
    // `to` is inclusive: everything before the next day's start.
    let until_ms = q.to.as_deref().map(day_start).transpose()?.map(|t| t + 86_400_000);
    let filter = ConversationFilter { domain, since_ms, until_ms, after, limit };
    let (items, next) = store.conversations(&filter).await?;
    http::json(200, &Page { items, next_cursor: next.map(|c| c.encode()) })
}

pub async fn get(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let not_found = || EdgeError::new(ErrorCode::ConversationNotFound, "No such conversation.");
    let id = ConversationId::parse(id).ok_or_else(not_found)?;
    let (conversation, messages) = store.conversation(id).await?.ok_or_else(not_found)?;
    http::json(200, &ConversationDetail { conversation, messages })
}
