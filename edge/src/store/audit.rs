//! The audit trail: one row per change an owner makes and per read of visitors' words, written
//! in the same batch (one transaction) as what it records. A row is written only if the change
//! changed something, by `changes()` of the statement just before it, so a failed or empty
//! action leaves none. Rows are never updated (a trigger refuses it) and leave only by age.

use serde::Deserialize;
use shared::admin::audit::{ActorKind, AuditAction, AuditEventView};
use worker::D1PreparedStatement;

use super::{bind, int, opt_text, text, Cursor, Directory, OrgStore, Query};
use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::ids::AuditEventId;

/// Where an owner's request came from, as the audit trail keeps it.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Requester {
    /// The user agent as kept: its first [`MAX_USER_AGENT`] characters.
    pub(super) fn user_agent(&self) -> Option<String> {
        self.user_agent.as_ref().map(|ua| ua.chars().take(MAX_USER_AGENT).collect())
    }
}

/// The audit list's filters; all optional.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub actor_id: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

const INSERT: &str = "INSERT INTO audit_events (id, organization_id, actor_type, actor_id, action, target_type, \
                      target_id, at, ip, user_agent) SELECT ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10";

/// Longest user agent kept.
const MAX_USER_AGENT: usize = 512;

impl OrgStore {
    /// The statement that records `action` on `target` (its kind and id) if the statement run
    /// just before it in the same batch changed a row.
    pub(super) fn audit_if_changed(
        &self,
        action: AuditAction,
        target: Option<(&str, &str)>,
    ) -> EdgeResult<D1PreparedStatement> {
        self.audit_statement(action, target, " WHERE changes() > 0")
    }

    /// The statement that records `action` on `target` unconditionally.
    pub(super) fn audit(&self, action: AuditAction, target: Option<(&str, &str)>) -> EdgeResult<D1PreparedStatement> {
        self.audit_statement(action, target, "")
    }

    fn audit_statement(
        &self,
        action: AuditAction,
        target: Option<(&str, &str)>,
        condition: &str,
    ) -> EdgeResult<D1PreparedStatement> {
        let Some((owner, from)) = &self.auditor else {
            return Err(EdgeError::internal("an audited change through a store with no owner"));
        };
        let actor = owner.actor();
        let kind = match actor.kind() {
            ActorKind::User => "user",
            ActorKind::Key => "key",
        };
        bind(
            &self.db,
            &format!("{INSERT}{condition}"),
            &[
                self.org(),
                text(&AuditEventId::generate().to_string()),
                text(kind),
                text(&actor.id()),
                text(action.as_str()),
                opt_text(target.map(|t| t.0)),
                opt_text(target.map(|t| t.1)),
                int(now_ms()),
                opt_text(from.ip.as_deref()),
                opt_text(from.user_agent().as_deref()),
            ],
        )
    }

    /// Records a read that changed nothing (a page of leads), after it succeeded.
    pub(super) async fn record_read(&self, action: AuditAction, target: Option<(&str, &str)>) -> EdgeResult<()> {
        self.audit(action, target)?.run().await?;
        Ok(())
    }

    /// A page of the trail, newest first.
    pub async fn audit_events(
        &self,
        filter: &AuditFilter,
        after: Option<&Cursor>,
        limit: u32,
    ) -> EdgeResult<(Vec<AuditEventView>, Option<Cursor>)> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            actor_type: String,
            actor_id: String,
            action: String,
            target_type: Option<String>,
            target_id: Option<String>,
            at: i64,
            ip: Option<String>,
            user_agent: Option<String>,
        }
        let mut query = Query::new(
            "SELECT id, actor_type, actor_id, action, target_type, target_id, at, ip, user_agent FROM audit_events \
             WHERE organization_id = ?1"
                .to_owned(),
            self.org(),
        );
        if let Some(a) = filter.action {
            query.push(" AND action = ?", text(a.as_str()));
        }
        if let Some(a) = &filter.actor_id {
            query.push(" AND actor_id = ?", text(a));
        }
        if let Some(t) = &filter.target_type {
            query.push(" AND target_type = ?", text(t));
        }
        if let Some(t) = &filter.target_id {
            query.push(" AND target_id = ?", text(t));
        }
        if let Some(from) = filter.from_ms {
            query.push(" AND at >= ?", int(from));
        }
        if let Some(to) = filter.to_ms {
            query.push(" AND at < ?", int(to));
        }
        let (rows, next) =
            self.page(query, ("at", "id"), after, limit, |r: &Row| Cursor { at: r.at, id: r.id.clone() }).await?;
        let views = rows
            .into_iter()
            .map(|r| {
                let action = AuditAction::parse(&r.action).ok_or_else(|| {
                    EdgeError::internal(format!("audit event {}: unknown action {:?}", r.id, r.action))
                })?;
                let actor_type = if r.actor_type == "user" { ActorKind::User } else { ActorKind::Key };
                Ok(AuditEventView {
                    id: r.id,
                    actor_type,
                    actor_id: r.actor_id,
                    action,
                    target_type: r.target_type,
                    target_id: r.target_id,
                    at: r.at,
                    ip: r.ip,
                    user_agent: r.user_agent,
                })
            })
            .collect::<EdgeResult<Vec<_>>>()?;
        Ok((views, next))
    }
}

impl Directory {
    /// Forgets audit rows older than `retention_days`; how many went.
    pub async fn forget_old_audit_events(&self, retention_days: u32) -> EdgeResult<u64> {
        let before = now_ms() - i64::from(retention_days) * 86_400_000;
        let result = bind(&self.db, "DELETE FROM audit_events WHERE at < ?1", &[int(before)])?.run().await?;
        Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) as u64)
    }
}
