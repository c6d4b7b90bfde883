//! `/v1/admin/audit`: the organization's audit trail, newest first, filtered and paged. There
//! is no route that changes or deletes a row.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::Page;
use worker::{Request, Response};

use super::{day_range, invalid, page, query};
use crate::error::EdgeResult;
use crate::http;
use crate::store::{AuditFilter, OrgStore};

#[derive(Deserialize)]
struct AuditQuery {
    action: Option<String>,
    actor_id: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    /// First day included, `YYYY-MM-DD` (UTC).
    from: Option<String>,
    /// Last day included.
    to: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn list(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let q: AuditQuery = query(req)?;
    let (limit, cursor) = page(q.limit.as_deref(), q.cursor.as_deref())?;
    let action = q
        .action
        .as_deref()
        .map(|a| AuditAction::parse(a).ok_or_else(|| invalid(format!("action: {a:?} is not an audited action"))))
        .transpose()?;
    let (from_ms, to_ms) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let filter = AuditFilter {
        action,
        actor_id: q.actor_id,
        target_type: q.target_type,
        target_id: q.target_id,
        from_ms,
        to_ms,
    };
    let (items, next) = store.audit_events(&filter, cursor.as_ref(), limit).await?;
    http::json(200, &Page { items, next_cursor: next.map(|c| c.encode()) })
}
