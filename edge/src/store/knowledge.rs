//! Knowledge entries: what owners write for the model, per site or for the whole organization.
//! A system prompt entry steers it; FAQ and custom entries are sources (see `sources.rs`), each
//! kept in step with its entry here, in the same batch as the entry's change.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::knowledge::{KnowledgeKind, KnowledgeView};
use worker::D1PreparedStatement;

use super::{bind, changed, count, int, opt_int, opt_text, text, OrgStore};
use crate::clock::now_ms;
use crate::error::EdgeResult;
use crate::ids::{DomainId, KnowledgeId};

#[derive(Deserialize)]
struct KnowledgeRow {
    id: String,
    domain_id: Option<String>,
    kind: KnowledgeKind,
    title: String,
    content: String,
    active: i64,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<KnowledgeRow> for KnowledgeView {
    fn from(r: KnowledgeRow) -> Self {
        Self {
            id: r.id,
            domain_id: r.domain_id,
            kind: r.kind,
            title: r.title,
            content: r.content,
            active: r.active == 1,
            version: r.version.max(1) as u32,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const KNOWLEDGE_VIEW: &str =
    "SELECT id, domain_id, kind, title, content, active, version, created_at, updated_at FROM knowledge";

impl OrgStore {
    pub async fn knowledge_list(&self, domain: Option<DomainId>) -> EdgeResult<Vec<KnowledgeView>> {
        let rows: Vec<KnowledgeRow> = match domain {
            Some(d) => {
                let sql = format!(
                    "{KNOWLEDGE_VIEW} WHERE organization_id = ?1 AND domain_id = ?2 ORDER BY updated_at DESC, id"
                );
                bind(&self.db, &sql, &[self.org(), text(&d.to_string())])?.all().await?.results()?
            }
            None => {
                let sql = format!("{KNOWLEDGE_VIEW} WHERE organization_id = ?1 ORDER BY updated_at DESC, id");
                bind(&self.db, &sql, &[self.org()])?.all().await?.results()?
            }
        };
        Ok(rows.into_iter().map(KnowledgeView::from).collect())
    }

    pub async fn knowledge(&self, id: KnowledgeId) -> EdgeResult<Option<KnowledgeView>> {
        let sql = format!("{KNOWLEDGE_VIEW} WHERE organization_id = ?1 AND id = ?2");
        let row: Option<KnowledgeRow> = bind(&self.db, &sql, &[self.org(), text(&id.to_string())])?.first(None).await?;
        Ok(row.map(KnowledgeView::from))
    }

    /// `None` if `domain` is given but not one of the organization's domains.
    pub async fn create_knowledge(
        &self,
        domain: Option<DomainId>,
        kind: KnowledgeKind,
        title: &str,
        content: &str,
        active: bool,
    ) -> EdgeResult<Option<KnowledgeId>> {
        let id = KnowledgeId::generate();
        let result = bind(
            &self.db,
            "INSERT INTO knowledge (id, organization_id, domain_id, kind, title, content, active, version, \
             created_at, updated_at) \
             SELECT ?2, ?1, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8 \
             WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM domains WHERE organization_id = ?1 AND id = ?3)",
            &[
                self.org(),
                text(&id.to_string()),
                opt_text(domain.map(|d| d.to_string()).as_deref()),
                text(kind.as_str()),
                text(title),
                text(content),
                int(i64::from(active)),
                int(now_ms()),
            ],
        )?;
        let audit = self.audit_if_changed(AuditAction::KnowledgeCreate, Some(("knowledge", &id.to_string())))?;
        let mut statements = vec![result, audit];
        statements.extend(self.entry_source(id)?);
        let results = self.db.batch(statements).await?;
        Ok(results.first().map_or(Ok(false), changed)?.then_some(id))
    }

    /// Bytes of knowledge text the organization holds, leaving out entry `except` (about to be
    /// replaced), and its quota if the operator set one.
    pub async fn knowledge_bytes(&self, except: Option<KnowledgeId>) -> EdgeResult<(u64, Option<u64>)> {
        #[derive(Deserialize)]
        struct Row {
            used: i64,
            quota: Option<i64>,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT (SELECT coalesce(sum(length(CAST(content AS BLOB)) + length(CAST(title AS BLOB))), 0) \
               FROM knowledge WHERE organization_id = ?1 AND (?2 IS NULL OR id != ?2)) AS used, \
             quota_knowledge_bytes AS quota FROM organizations WHERE id = ?1",
            &[self.org(), opt_text(except.map(|k| k.to_string()).as_deref())],
        )?
        .first(None)
        .await?;
        Ok(row.map_or((0, None), |r| (count(r.used), r.quota.map(count))))
    }

    /// Applies the changes as a new version. False if there is no such entry.
    pub async fn update_knowledge(
        &self,
        id: KnowledgeId,
        title: Option<&str>,
        content: Option<&str>,
        active: Option<bool>,
    ) -> EdgeResult<bool> {
        let result = bind(
            &self.db,
            "UPDATE knowledge SET title = coalesce(?3, title), content = coalesce(?4, content), \
             active = coalesce(?5, active), version = version + 1, updated_at = ?6 \
             WHERE organization_id = ?1 AND id = ?2",
            &[
                self.org(),
                text(&id.to_string()),
                opt_text(title),
                opt_text(content),
                opt_int(active.map(i64::from)),
                int(now_ms()),
            ],
        )?;
        let audit = self.audit_if_changed(AuditAction::KnowledgeUpdate, Some(("knowledge", &id.to_string())))?;
        let mut statements = vec![result, audit];
        statements.extend(self.entry_source(id)?);
        let results = self.db.batch(statements).await?;
        results.first().map_or(Ok(false), changed)
    }

    pub async fn delete_knowledge(&self, id: KnowledgeId) -> EdgeResult<bool> {
        let result = bind(
            &self.db,
            "DELETE FROM knowledge WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), text(&id.to_string())],
        )?;
        let audit = self.audit_if_changed(AuditAction::KnowledgeDelete, Some(("knowledge", &id.to_string())))?;
        let mut statements = vec![result, audit];
        statements.extend(self.entry_source(id)?);
        let results = self.db.batch(statements).await?;
        results.first().map_or(Ok(false), changed)
    }

    /// Statements that bring entry `id`'s source in line with the entry as the batch left it:
    /// an active FAQ or custom entry has one, under its title, queued to be indexed again; any
    /// other (inactive, a system prompt, removed) has none, nor passages, so it is never cited.
    fn entry_source(&self, id: KnowledgeId) -> EdgeResult<Vec<D1PreparedStatement>> {
        const IS_SOURCE: &str = "EXISTS (SELECT 1 FROM knowledge WHERE organization_id = ?1 AND id = ?2 \
             AND active = 1 AND kind != 'system_prompt')";
        let entry = text(&id.to_string());
        let gone = |table: &str, column: &str| {
            let sql = format!("DELETE FROM {table} WHERE organization_id = ?1 AND {column} = ?2 AND NOT {IS_SOURCE}");
            bind(&self.db, &sql, &[self.org(), entry.clone()])
        };
        let kept = bind(
            &self.db,
            "INSERT INTO knowledge_sources (id, organization_id, domain_id, kind, title, url, status, max_pages, \
               created_at, updated_at, entry_id) \
             SELECT id, organization_id, domain_id, 'document', title, NULL, 'queued', 0, ?3, ?3, id FROM knowledge \
             WHERE organization_id = ?1 AND id = ?2 AND active = 1 AND kind != 'system_prompt' \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, status = 'queued', error = NULL, \
               updated_at = excluded.updated_at",
            &[self.org(), entry.clone(), int(now_ms())],
        )?;
        Ok(vec![gone("knowledge_chunks", "source_id")?, gone("knowledge_sources", "id")?, kept])
    }
}
