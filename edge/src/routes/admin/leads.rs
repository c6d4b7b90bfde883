//! `/v1/admin/leads`: the contact details visitors left, newest first.

use serde::Deserialize;
use shared::admin::Page;
use worker::{Request, Response};

use super::{day_start, domain_filter, page, query};
use crate::error::EdgeResult;
use crate::http;
use crate::store::OrgStore;

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
    let (items, next) = store.leads(domain, (since_ms, until_ms), after.as_ref(), limit).await?;
    http::json(200, &Page { items, next_cursor: next.map(|c| c.encode()) })
}
