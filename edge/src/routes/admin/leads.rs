//! `/v1/admin/leads`: the contact details visitors left, newest first.

use shared::admin::Page;
use worker::{Request, Response};

use super::window;
use crate::error::EdgeResult;
use crate::http;
use crate::store::OrgStore;

pub async fn list(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let w = window(req)?;
    let (items, next) = store.leads(w.domain, (w.since_ms, w.until_ms), w.after.as_ref(), w.limit).await?;
    http::json(200, &Page { items, next_cursor: next.map(|c| c.encode()) })
}
