//! `/v1/admin/leads`: the contact details visitors left, newest first.

use serde::Deserialize;
use shared::admin::Page;
use worker::{Request, Response};

use super::{domain_filter, page, query};
use crate::error::EdgeResult;
use crate::http;
use crate::store::OrgStore;

#[derive(Deserialize)]
struct ListQuery {
    domain_id: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

pub async fn list(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let q: ListQuery = query(req)?;
    let (limit, after) = page(q.limit.as_deref(), q.cursor.as_deref())?;
    let domain = domain_filter(q.domain_id.as_deref())?;
    let (items, next) = store.leads(domain, after.as_ref(), limit).await?;
    http::json(200, &Page { items, next_cursor: next.map(|c| c.encode()) })
}
