//! Conversations: begun by visitors, listed and read by owners.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::conversations::{ConversationSummary, SearchText, StoredMessage};
use shared::admin::leads::LeadView;
use shared::{MessageStatus, Rating, Role};
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::leads::LEAD_VIEW;
use super::{bind, count, int, opt_text, text, Cursor, OrgStore, Query};
use crate::clock::now_ms;
use crate::error::EdgeResult;
use crate::ids::{ConversationId, DomainId};

/// Which conversations to list, and where the page starts.
pub struct ConversationFilter {
    pub domain: Option<DomainId>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Words one of its messages holds.
    pub search: Option<SearchText>,
    /// A reply rated so.
    pub rating: Option<Rating>,
    /// A message that ended so (`interrupted`, `failed`).
    pub status: Option<MessageStatus>,
    /// A lead left in it.
    pub with_lead: bool,
    pub after: Option<Cursor>,
    pub limit: u32,
}

#[derive(Deserialize)]
struct ConversationRow {
    id: String,
    domain_id: String,
    visitor_id: Option<String>,
    page_url: Option<String>,
    started_at: i64,
    last_message_at: i64,
    message_count: i64,
}

impl From<ConversationRow> for ConversationSummary {
    fn from(r: ConversationRow) -> Self {
        Self {
            id: r.id,
            domain_id: r.domain_id,
            visitor_id: r.visitor_id,
            page_url: r.page_url,
            started_at: r.started_at,
            last_message_at: r.last_message_at,
            message_count: r.message_count.max(0) as u32,
        }
    }
}

const CONVERSATION_VIEW: &str = "SELECT c.id, c.domain_id, c.visitor_id, c.page_url, c.started_at, c.last_message_at, \
     (SELECT count(*) FROM messages m WHERE m.organization_id = c.organization_id AND m.conversation_id = c.id) \
       AS message_count \
     FROM conversations c";

#[derive(Deserialize)]
struct StoredMessageRow {
    id: String,
    role: Role,
    content: String,
    status: MessageStatus,
    model: Option<String>,
    tokens_in: i64,
    tokens_out: i64,
    cost_micros: i64,
    latency_ms: Option<i64>,
    created_at: i64,
    feedback: Option<Rating>,
}

impl OrgStore {
    pub async fn create_conversation(
        &self,
        domain: DomainId,
        visitor_id: Option<&str>,
        page_url: Option<&str>,
    ) -> EdgeResult<ConversationId> {
        let id = ConversationId::generate();
        let now = now_ms();
        bind(
            &self.db,
            "INSERT INTO conversations (id, domain_id, organization_id, visitor_id, page_url, started_at, last_message_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            &[text(&id.to_string()), text(&domain.to_string()), self.org(), opt_text(visitor_id), opt_text(page_url), int(now)],
        )?
        .run()
        .await?;
        Ok(id)
    }

    /// The conversation's visitor id (`Some(None)` when it has none), or `None` when this domain
    /// of this organization has no such conversation.
    pub async fn conversation_visitor(
        &self,
        domain: DomainId,
        id: ConversationId,
    ) -> EdgeResult<Option<Option<String>>> {
        #[derive(Deserialize)]
        struct Row {
            visitor_id: Option<String>,
        }
        let row = bind(
            &self.db,
            "SELECT visitor_id FROM conversations WHERE organization_id = ?1 AND domain_id = ?2 AND id = ?3",
            &[self.org(), text(&domain.to_string()), text(&id.to_string())],
        )?
        .first::<Row>(None)
        .await?;
        Ok(row.map(|r| r.visitor_id))
    }

    /// A page of conversations, most recently active first, and the cursor of the next page.
    pub async fn conversations(
        &self,
        f: &ConversationFilter,
    ) -> EdgeResult<(Vec<ConversationSummary>, Option<Cursor>)> {
        let mut query = Query::new(format!("{CONVERSATION_VIEW} WHERE c.organization_id = ?1"), self.org());
        if let Some(d) = f.domain {
            query.push(" AND c.domain_id = ?", text(&d.to_string()));
        }
        if let Some(t) = f.since_ms {
            query.push(" AND c.last_message_at >= ?", int(t));
        }
        if let Some(t) = f.until_ms {
            query.push(" AND c.last_message_at < ?", int(t));
        }
        // Each filter looks inside the same organization as the conversation it keeps.
        if let Some(words) = &f.search {
            query.push(
                " AND c.id IN (SELECT m.conversation_id FROM message_search s JOIN messages m ON m.rowid = s.rowid \
                 WHERE message_search MATCH ? AND m.organization_id = c.organization_id)",
                text(&words.fts_query()),
            );
        }
        if let Some(r) = f.rating {
            query.push(
                " AND EXISTS (SELECT 1 FROM message_feedback fb WHERE fb.organization_id = c.organization_id \
                 AND fb.conversation_id = c.id AND fb.rating = ?)",
                text(r.as_str()),
            );
        }
        if let Some(st) = f.status {
            query.push(
                " AND EXISTS (SELECT 1 FROM messages m WHERE m.organization_id = c.organization_id \
                 AND m.conversation_id = c.id AND m.status = ?)",
                text(st.as_str()),
            );
        }
        if f.with_lead {
            query.push_clause(
                " AND EXISTS (SELECT 1 FROM leads l WHERE l.organization_id = c.organization_id AND l.conversation_id = c.id)",
            );
        }
        let (rows, next) = self
            .page(query, ("c.last_message_at", "c.id"), f.after.as_ref(), f.limit, |r: &ConversationRow| Cursor {
                at: r.last_message_at,
                id: r.id.clone(),
            })
            .await?;
        Ok((rows.into_iter().map(ConversationSummary::from).collect(), next))
    }

    pub async fn conversation(
        &self,
        id: ConversationId,
    ) -> EdgeResult<Option<(ConversationSummary, Vec<StoredMessage>, Vec<LeadView>)>> {
        let sql = format!("{CONVERSATION_VIEW} WHERE c.organization_id = ?1 AND c.id = ?2");
        let results = self
            .db
            .batch(vec![
                bind(&self.db, &sql, &[self.org(), text(&id.to_string())])?,
                bind(
                    &self.db,
                    "SELECT m.id, m.role, m.content, m.status, m.model, m.tokens_in, m.tokens_out, m.cost_micros, \
                     m.latency_ms, m.created_at, fb.rating AS feedback FROM messages m \
                     LEFT JOIN message_feedback fb ON fb.message_id = m.id AND fb.organization_id = m.organization_id \
                     WHERE m.organization_id = ?1 AND m.conversation_id = ?2 ORDER BY m.created_at, m.rowid",
                    &[self.org(), text(&id.to_string())],
                )?,
                bind(
                    &self.db,
                    &format!("{LEAD_VIEW} WHERE organization_id = ?1 AND conversation_id = ?2 ORDER BY created_at"),
                    &[self.org(), text(&id.to_string())],
                )?,
            ])
            .await?;
        let Some(summary) =
            results.first().map(|r| r.results::<ConversationRow>()).transpose()?.and_then(|r| r.into_iter().next())
        else {
            return Ok(None);
        };
        let messages: Vec<StoredMessageRow> = match results.get(1) {
            Some(r) => r.results()?,
            None => Vec::new(),
        };
        let messages = messages
            .into_iter()
            .map(|m| StoredMessage {
                id: m.id,
                role: m.role,
                content: m.content,
                status: m.status,
                model: m.model,
                tokens_in: m.tokens_in.max(0) as u32,
                tokens_out: m.tokens_out.max(0) as u32,
                cost_micros: count(m.cost_micros),
                latency_ms: m.latency_ms.map(count),
                created_at: m.created_at,
                feedback: m.feedback,
            })
            .collect();
        let leads: Vec<LeadView> = match results.get(2) {
            Some(r) => r.results()?,
            None => Vec::new(),
        };
        self.record_read(AuditAction::ConversationRead, Some(("conversation", &id.to_string()))).await?;
        Ok(Some((summary.into(), messages, leads)))
    }

    pub(super) fn touch(&self, conversation: &JsValue, now: i64) -> EdgeResult<D1PreparedStatement> {
        bind(
            &self.db,
            "UPDATE conversations SET last_message_at = ?3 WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), conversation.clone(), int(now)],
        )
    }
}
