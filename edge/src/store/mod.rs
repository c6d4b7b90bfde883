//! The only code that speaks SQL, one file per resource as in `routes/`.
//!
//! Two doors: [`Directory`] answers the few questions asked before the caller is known (which
//! domain has this public site key or this MAC-proven id, which key has this hash), and
//! [`OrgStore`] does everything else. An `OrgStore` is made only from an admitted [`Tenant`] or
//! an authenticated [`Owner`], and every statement it runs is bound to that organization's id
//! (`?1`), so no request can reach another organization's rows: ids of another organization's
//! rows simply match nothing.

mod audit;
mod conversations;
mod domains;
mod keys;
mod knowledge;
mod leads;
mod members;
mod messages;
mod organization;
mod sources;
mod users;

pub use audit::{AuditFilter, Requester};
pub use conversations::ConversationFilter;
pub use domains::{DomainChanges, NewDomain};
pub use leads::{LeadLimits, NewLead};
pub use members::{Grant, NewInvitation};
pub use messages::{Added, Earlier, FinishedReply, PromptContext, StoredReply, STALE_REPLY_MS};
pub use organization::MonthSpend;
pub use sources::{ChunkOrigin, ChunkPlace, ChunkRow, FetchedPage, KnownPage, NewChunk, NewSource};
pub use users::{Acceptance, LiveSession, NewSession};

use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::error::EdgeResult;
use crate::ids::OrgId;
use crate::tenancy::{Owner, Tenant};

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, text)
}

fn opt_int(n: Option<i64>) -> JsValue {
    n.map_or(JsValue::NULL, int)
}

/// Whether the statement changed any row.
fn changed(result: &worker::D1Result) -> EdgeResult<bool> {
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

fn bind(db: &D1Database, sql: &str, values: &[JsValue]) -> EdgeResult<D1PreparedStatement> {
    Ok(db.prepare(sql).bind(values)?)
}

/// A count or sum read from SQLite, where integers are signed.
pub(super) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A position in a newest-first list: the sort time and id of the last row seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    /// Exactly what [`Cursor::encode`] writes (digits, a dot, a lower-case hyphenated id), as
    /// the OpenAPI document describes it; anything else cannot have come from us.
    pub fn parse(raw: &str) -> Option<Self> {
        let (at, id) = raw.split_once('.')?;
        let digits = (1..=18).contains(&at.len()) && at.bytes().all(|b| b.is_ascii_digit());
        let at = at.parse().ok().filter(|_| digits)?;
        let canonical = uuid::Uuid::try_parse(id).ok()?.hyphenated().to_string();
        (canonical == id).then_some(Self { at, id: canonical })
    }
}

/// A listing's statement as it is built: each clause's `?` is numbered after the values bound
/// so far (`?1` is the organization).
struct Query {
    sql: String,
    values: Vec<JsValue>,
}

impl Query {
    /// `sql` ends in a WHERE clause whose only parameter is `?1`, the organization.
    fn new(sql: String, org: JsValue) -> Self {
        Self { sql, values: vec![org] }
    }

    /// Appends `clause`, which binds nothing.
    fn push_clause(&mut self, clause: &str) {
        self.sql.push_str(clause);
    }

    /// Appends `clause`, its one `?` bound to `value`.
    fn push(&mut self, clause: &str, value: JsValue) {
        self.values.push(value);
        self.sql.push_str(&clause.replace('?', &format!("?{}", self.values.len())));
    }
}

impl OrgStore {
    /// One page of a listing, newest first by the columns `at` then `id`: the rows of `query`
    /// after `after`, at most `limit` of them, and the cursor the next page starts after (made
    /// by `cursor` from the page's last row), if there is a next page. Reads one row more than
    /// `limit` to know.
    async fn page<T: DeserializeOwned>(
        &self,
        mut query: Query,
        (at, id): (&str, &str),
        after: Option<&Cursor>,
        limit: u32,
        cursor: impl Fn(&T) -> Cursor,
    ) -> EdgeResult<(Vec<T>, Option<Cursor>)> {
        if let Some(c) = after {
            query.push(&format!(" AND ({at}, {id}) < (?, "), int(c.at));
            query.push("?)", text(&c.id));
        }
        query.push(&format!(" ORDER BY {at} DESC, {id} DESC LIMIT ?"), int(i64::from(limit) + 1));
        let mut rows: Vec<T> = bind(&self.db, &query.sql, &query.values)?.all().await?.results()?;
        let limit = limit as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor)
        } else {
            None
        };
        Ok((rows, next))
    }
}

/// Lookups made before the tenant is known.
pub struct Directory {
    db: D1Database,
}

impl Directory {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }
}

/// Everything of one organization, and nothing of any other.
pub struct OrgStore {
    db: D1Database,
    org: OrgId,
    /// Who the audit rows of an owner's changes and reads name; visitors' stores write none.
    auditor: Option<(Owner, Requester)>,
}

impl OrgStore {
    pub fn for_tenant(db: D1Database, tenant: &Tenant) -> Self {
        Self { db, org: tenant.org(), auditor: None }
    }

    /// The store of the owner's organization, whose changes it writes to the audit trail as
    /// made by that owner from `requester`.
    pub fn for_owner(db: D1Database, owner: &Owner, requester: Requester) -> Self {
        Self { db, org: owner.org(), auditor: Some((owner.clone(), requester)) }
    }

    /// The store of an organization's work queued by its owners (a website's crawl): the
    /// queue is the edge's own, so the organization it names was an owner's.
    pub fn for_queued_work(db: D1Database, org: OrgId) -> Self {
        Self { db, org, auditor: None }
    }

    /// The organization every statement of this store is bound to.
    pub fn org_id(&self) -> OrgId {
        self.org
    }

    fn org(&self) -> JsValue {
        text(&self.org.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_we_did_not_make() {
        let c = Cursor { at: 1_795_392_000_000, id: "0193a000-0000-7000-8000-000000000001".into() };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for bad in ["", "1.2", "x.0193a000-0000-7000-8000-000000000001", "1.0193a000-0000-7000-8000-00000000000' OR 1"]
        {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
