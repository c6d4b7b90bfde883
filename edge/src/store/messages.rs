//! A conversation's messages: the visitor's, the replies being made and finished, what a reply
//! needs to be made, and the visitor's verdict on one.

use serde::Deserialize;
use shared::{ClientMessageId, ErrorCode, MessageStatus, MessageView, Rating, Role, SourceRef, Usage};
use worker::wasm_bindgen::JsValue;

use super::organization::{MonthSpend, Spend, MONTH_SPEND};
use super::sources::KNOWLEDGE_VERSION;
use super::{bind, changed, count, int, opt_text, text, Directory, OrgStore};
use crate::budget::{Money, Price};
use crate::clock::{now_ms, utc_day};
use crate::error::{EdgeError, EdgeResult};
use crate::ids::{ConversationId, DomainId, MessageId};
use crate::prompt::{PromptEntry, Turn};

/// The visitor message of conversation `?2` the widget named `?3`, and its reply if stored.
const EARLIER: &str = "SELECT r.id AS reply_id, r.content, r.status, r.tokens_in, r.tokens_out, u.refusal \
     FROM messages u LEFT JOIN messages r ON r.organization_id = u.organization_id \
       AND r.conversation_id = u.conversation_id AND r.reply_to = u.id AND NOT (r.finished_at IS NULL AND r.updated_at IS NOT NULL) \
     WHERE u.organization_id = ?1 AND u.conversation_id = ?2 AND u.client_message_id = ?3";

/// The newest `?3` messages of conversation `?2`, newest first, replies in progress included.
const RECENT_MESSAGES: &str = "SELECT id, role, content, status, created_at FROM messages \
     WHERE organization_id = ?1 AND conversation_id = ?2 ORDER BY created_at DESC, rowid DESC LIMIT ?3";

/// The newest `?3` finished messages of conversation `?2`, newest first: a reply still being
/// made is not shown as if it had been cut off.
const FINISHED_MESSAGES: &str = "SELECT id, role, content, status, created_at, sources FROM messages \
     WHERE organization_id = ?1 AND conversation_id = ?2 AND NOT (finished_at IS NULL AND updated_at IS NOT NULL) \
     ORDER BY created_at DESC, rowid DESC LIMIT ?3";

/// A reply left in progress longer than this was abandoned: its worker died mid-reply.
pub const STALE_REPLY_MS: i64 = 60_000;

/// Closes replies of conversation `?2` (or of every conversation, `?2` NULL) whose last write is
/// older than `?3`: each keeps what was written of it, as interrupted, or failed if nothing was.
const CLOSE_STALE: &str = "UPDATE messages SET status = CASE WHEN content = '' THEN 'failed' ELSE 'interrupted' END, \
       finished_at = updated_at \
     WHERE finished_at IS NULL AND updated_at IS NOT NULL AND updated_at < ?3 \
       AND (?1 IS NULL OR organization_id = ?1) AND (?2 IS NULL OR conversation_id = ?2)";

impl Directory {
    /// Closes every reply left in progress since before `before_ms` by a worker that died,
    /// across all organizations (the scheduled sweep); how many it closed.
    pub async fn close_stale_replies(&self, before_ms: i64) -> EdgeResult<u64> {
        let result = bind(&self.db, CLOSE_STALE, &[JsValue::NULL, JsValue::NULL, int(before_ms)])?.run().await?;
        Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) as u64)
    }
}

/// What [`OrgStore::prompt_context`] reads.
pub struct PromptContext {
    /// The conversation exists on this domain of the organization.
    pub conversation_found: bool,
    /// The domain's version now (see [`Domain::version`]); `None` if it is gone.
    pub domain_version: Option<i64>,
    pub turns: Vec<Turn>,
    /// The system prompt entry that applies: the domain's newest, else the organization's.
    pub prompt_entries: Vec<PromptEntry>,
    /// The site's knowledge has passages to search (websites, documents, entries), and its
    /// version.
    pub has_passages: bool,
    pub knowledge_version: String,
    /// The organization's price for the model, if it set one.
    pub price: Option<Price>,
    pub visitor_id: Option<String>,
    /// Visitor messages the conversation holds so far.
    pub user_messages: u32,
    /// The month's money so far, by D1's usage totals.
    pub month: MonthSpend,
    /// Set when the widget has sent this very message before.
    pub earlier: Option<Earlier>,
    /// Why the conversation's latest visitor message was refused a reply, if it was.
    pub last_refusal: Option<ErrorCode>,
}

/// A visitor message sent before under the same client id.
#[derive(Debug)]
pub struct Earlier {
    /// Its reply, once stored.
    pub reply: Option<StoredReply>,
    /// Why it was refused a reply, if it was.
    pub refusal: Option<ErrorCode>,
}

#[derive(Debug)]
pub struct StoredReply {
    pub id: MessageId,
    pub content: String,
    pub status: MessageStatus,
    pub usage: Usage,
}

#[derive(Deserialize)]
struct EarlierRow {
    reply_id: Option<MessageId>,
    content: Option<String>,
    status: Option<MessageStatus>,
    tokens_in: Option<i64>,
    tokens_out: Option<i64>,
    refusal: Option<ErrorCode>,
}

impl EarlierRow {
    fn into_earlier(self) -> Earlier {
        let tokens = |n: Option<i64>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
        let reply = match (self.reply_id, self.status) {
            (Some(id), Some(status)) => Some(StoredReply {
                id,
                content: self.content.unwrap_or_default(),
                status,
                usage: Usage { tokens_in: tokens(self.tokens_in), tokens_out: tokens(self.tokens_out) },
            }),
            _ => None,
        };
        Earlier { reply, refusal: self.refusal }
    }
}

/// How storing a visitor's message went.
#[derive(Debug)]
pub enum Added {
    /// The organization has stored as many messages this month as it may.
    OverQuota,
    /// Stored, with the reply begun for it unless it was refused one.
    Stored { reply: Option<MessageId> },
    /// The conversation holds as many visitor messages as it may.
    Full,
    /// The widget sent this message before; it is stored already.
    Repeated,
}

/// How a reply ended, as it is stored.
pub struct FinishedReply<'a> {
    pub content: &'a str,
    pub status: MessageStatus,
    pub usage: Usage,
    /// What it cost the organization, and the operator (see [`MonthSpend`]).
    pub cost_micros: u64,
    pub operator_cost_micros: u64,
    /// The passages' sources it was given; how close the best passage was to the question, and
    /// whether the knowledge covered it (both `None` where nothing was searched).
    pub sources: &'a [SourceRef],
    pub retrieval_score: Option<f64>,
    pub retrieval_covered: Option<bool>,
}

#[derive(Deserialize)]
struct MessageRow {
    id: String,
    role: Role,
    content: String,
    status: MessageStatus,
    created_at: i64,
    /// JSON, for replies given passages of the knowledge.
    #[serde(default)]
    sources: Option<String>,
}

impl OrgStore {
    /// The newest `limit` finished messages, oldest first. Replies of the conversation left in
    /// progress by a worker that died are closed first, with what was written of them.
    pub async fn history(&self, conversation: ConversationId, limit: usize) -> EdgeResult<Vec<MessageView>> {
        let conv = text(&conversation.to_string());
        let results = self
            .db
            .batch(vec![
                bind(&self.db, CLOSE_STALE, &[self.org(), conv.clone(), int(now_ms() - STALE_REPLY_MS)])?,
                bind(&self.db, FINISHED_MESSAGES, &[self.org(), conv, int(limit as i64)])?,
            ])
            .await?;
        let Some(result) = results.get(1) else {
            return Err(EdgeError::internal("history: D1 returned fewer results than statements"));
        };
        let mut rows: Vec<MessageRow> = result.results()?;
        rows.reverse();
        Ok(rows
            .into_iter()
            .map(|r| MessageView {
                id: r.id,
                role: r.role,
                content: r.content,
                status: r.status,
                created_at: r.created_at,
                sources: r.sources.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            })
            .collect())
    }

    /// What a reply needs besides the new message, in one round trip: whether the conversation
    /// exists on `domain` and the domain's version, the conversation so far (newest `limit` turns;
    /// none without a `conversation`, as for the console's preview, which keeps its own),
    /// the system prompt entries, whether the site has passages and their version, the price of
    /// `model`, the conversation's visitor, the budget and spend of `month` (`YYYY-MM`), and
    /// whether the message named `client_id` was sent before.
    pub async fn prompt_context(
        &self,
        domain: DomainId,
        conversation: Option<ConversationId>,
        model: &str,
        month: &str,
        limit: usize,
        client_id: Option<&ClientMessageId>,
    ) -> EdgeResult<PromptContext> {
        #[derive(Deserialize)]
        struct PromptRow {
            content: String,
            own: i64,
        }
        #[derive(Deserialize)]
        struct PriceRow {
            input_micros_per_million: i64,
            output_micros_per_million: i64,
        }
        #[derive(Deserialize)]
        struct VersionRow {
            updated_at: i64,
            has_passages: i64,
            knowledge_version: String,
        }
        #[derive(Deserialize)]
        struct VisitorRow {
            visitor_id: Option<String>,
            user_messages: i64,
            last_refusal: Option<ErrorCode>,
        }
        let conv = opt_text(conversation.map(|c| c.to_string()).as_deref());
        let results = self
            .db
            .batch(vec![
                bind(&self.db, RECENT_MESSAGES, &[self.org(), conv.clone(), int(limit as i64)])?,
                bind(
                    &self.db,
                    "SELECT content, domain_id IS NOT NULL AS own FROM knowledge \
                     WHERE organization_id = ?1 AND active = 1 AND kind = 'system_prompt' \
                       AND (domain_id = ?2 OR domain_id IS NULL) \
                     ORDER BY domain_id IS NULL, updated_at DESC, version DESC LIMIT 1",
                    &[self.org(), text(&domain.to_string())],
                )?,
                bind(
                    &self.db,
                    "SELECT input_micros_per_million, output_micros_per_million FROM model_prices \
                     WHERE organization_id = ?1 AND model = ?2",
                    &[self.org(), text(model)],
                )?,
                bind(
                    &self.db,
                    "SELECT visitor_id, (SELECT count(*) FROM messages m WHERE m.organization_id = ?1 \
                       AND m.conversation_id = ?2 AND m.role = 'user') AS user_messages, \
                       (SELECT m.refusal FROM messages m WHERE m.organization_id = ?1 AND m.conversation_id = ?2 \
                        AND m.role = 'user' ORDER BY m.created_at DESC, m.rowid DESC LIMIT 1) AS last_refusal \
                     FROM conversations WHERE organization_id = ?1 AND id = ?2 AND domain_id = ?3",
                    &[self.org(), conv.clone(), text(&domain.to_string())],
                )?,
                bind(
                    &self.db,
                    &format!(
                        "SELECT updated_at, EXISTS (SELECT 1 FROM knowledge_chunks WHERE organization_id = ?1 \
                           AND (domain_id = ?2 OR domain_id IS NULL)) AS has_passages, \
                           {KNOWLEDGE_VERSION} AS knowledge_version \
                         FROM domains WHERE organization_id = ?1 AND id = ?2"
                    ),
                    &[self.org(), text(&domain.to_string())],
                )?,
                bind(&self.db, MONTH_SPEND, &[self.org(), text(month)])?,
                bind(&self.db, EARLIER, &[self.org(), conv, opt_text(client_id.map(ClientMessageId::as_str))])?,
            ])
            .await?;
        let [history, knowledge, price, visitor, version, budget, earlier] = results.as_slice() else {
            return Err(EdgeError::internal("prompt context: D1 returned fewer results than statements"));
        };
        let mut history: Vec<MessageRow> = history.results()?;
        history.reverse();
        let prompt_entries: Vec<PromptRow> = knowledge.results()?;
        let price: Option<PriceRow> = price.results()?.into_iter().next();
        let visitor: Option<VisitorRow> = visitor.results()?.into_iter().next();
        let version: Option<VersionRow> = version.results()?.into_iter().next();
        let month: Option<Spend> = budget.results()?.into_iter().next();
        let earlier: Option<EarlierRow> = earlier.results()?.into_iter().next();
        Ok(PromptContext {
            conversation_found: visitor.is_some(),
            domain_version: version.as_ref().map(|v| v.updated_at),
            has_passages: version.as_ref().is_some_and(|v| v.has_passages == 1),
            knowledge_version: version.map(|v| v.knowledge_version).unwrap_or_default(),
            turns: history.into_iter().map(|m| Turn { role: m.role, content: m.content, status: m.status }).collect(),
            prompt_entries: prompt_entries
                .into_iter()
                .map(|k| PromptEntry { content: k.content, domain_specific: k.own == 1 })
                .collect(),
            price: price.map(|p| Price {
                input: count(p.input_micros_per_million),
                output: count(p.output_micros_per_million),
            }),
            user_messages: visitor.as_ref().map_or(0, |v| v.user_messages.max(0) as u32),
            last_refusal: visitor.as_ref().and_then(|v| v.last_refusal),
            visitor_id: visitor.and_then(|v| v.visitor_id),
            month: month.map(MonthSpend::from).unwrap_or_default(),
            earlier: earlier.map(EarlierRow::into_earlier),
        })
    }

    /// The visitor message of `conversation` named `client_id`, and its reply once stored.
    pub async fn earlier(
        &self,
        conversation: ConversationId,
        client_id: &ClientMessageId,
    ) -> EdgeResult<Option<Earlier>> {
        let row = bind(&self.db, EARLIER, &[self.org(), text(&conversation.to_string()), text(client_id.as_str())])?
            .first::<EarlierRow>(None)
            .await?;
        Ok(row.map(EarlierRow::into_earlier))
    }

    /// Stores the visitor's message, before the provider is called so it is never lost, unless
    /// the conversation already holds `max_user_messages` of them or one named `client_id`.
    /// Checks and insert are one statement, so racing requests cannot both take the last place
    /// or both store a repeat.
    /// Unless it is `refused` a reply, the reply is begun in the same transaction, right after
    /// it: empty, and in progress until [`OrgStore::finish_reply`].
    pub async fn add_user_message(
        &self,
        conversation: ConversationId,
        content: &str,
        client_id: Option<&ClientMessageId>,
        refused: Option<ErrorCode>,
        max_user_messages: u32,
        max_month_messages: u64,
    ) -> EdgeResult<Added> {
        let id = MessageId::generate();
        let reply = refused.is_none().then(MessageId::generate);
        let now = now_ms();
        let conv = text(&conversation.to_string());
        let (day, stored) = (utc_day(now), 1 + i64::from(reply.is_some()));
        let mut statements = vec![
            bind(
                &self.db,
                "INSERT INTO messages (id, conversation_id, organization_id, role, content, status, created_at, \
                     client_message_id, refusal, finished_at, updated_at) \
                     SELECT ?1, ?2, ?3, 'user', ?4, 'complete', ?5, ?7, ?8, ?5, ?5 \
                     WHERE (SELECT count(*) FROM messages WHERE organization_id = ?3 AND conversation_id = ?2 \
                            AND role = 'user') < ?6 \
                       AND (?7 IS NULL OR NOT EXISTS (SELECT 1 FROM messages WHERE organization_id = ?3 \
                            AND conversation_id = ?2 AND client_message_id = ?7)) \
                       AND (SELECT coalesce(sum(messages), 0) FROM usage_daily WHERE organization_id = ?3 \
                            AND substr(day, 1, 7) = substr(?9, 1, 7)) + ?10 <= ?11",
                &[
                    text(&id.to_string()),
                    conv.clone(),
                    self.org(),
                    text(content),
                    int(now),
                    int(i64::from(max_user_messages)),
                    opt_text(client_id.map(ClientMessageId::as_str)),
                    opt_text(refused.map(ErrorCode::as_str)),
                    text(&day),
                    int(stored),
                    int(i64::try_from(max_month_messages).unwrap_or(i64::MAX)),
                ],
            )?,
            self.touch(&conv, now)?,
            // Counted in the same transaction, only if the message was stored.
            bind(
                &self.db,
                "INSERT INTO usage_daily (organization_id, day, messages) \
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM messages WHERE organization_id = ?1 AND id = ?4) \
                 ON CONFLICT (organization_id, day) DO UPDATE SET messages = messages + excluded.messages",
                &[self.org(), text(&day), int(stored), text(&id.to_string())],
            )?,
        ];
        if let Some(reply) = reply {
            statements.push(bind(
                &self.db,
                "INSERT INTO messages (id, conversation_id, organization_id, role, content, status, created_at, \
                 updated_at, reply_to) \
                 SELECT ?1, ?2, ?3, 'assistant', '', 'interrupted', ?4, ?4, ?5 \
                 WHERE EXISTS (SELECT 1 FROM messages WHERE organization_id = ?3 AND id = ?5)",
                &[text(&reply.to_string()), conv.clone(), self.org(), int(now), text(&id.to_string())],
            )?);
        }
        let results = self.db.batch(statements).await?;
        let stored = match results.first() {
            Some(r) => changed(r)?,
            None => false,
        };
        if stored {
            return Ok(Added::Stored { reply });
        }
        if let Some(c) = client_id {
            if self.earlier(conversation, c).await?.is_some() {
                return Ok(Added::Repeated);
            }
        }
        let held = bind(
            &self.db,
            "SELECT count(*) AS n FROM messages WHERE organization_id = ?1 AND conversation_id = ?2 AND role = 'user'",
            &[self.org(), conv],
        )?
        .first::<i64>(Some("n"))
        .await?;
        Ok(if held.unwrap_or(0) >= i64::from(max_user_messages) { Added::Full } else { Added::OverQuota })
    }

    /// Writes what has arrived of a reply in progress; whether the visitor asked to stop it.
    pub async fn flush_reply(&self, reply: MessageId, content: &str, now: i64) -> EdgeResult<bool> {
        let stop = bind(
            &self.db,
            "UPDATE messages SET content = ?3, updated_at = ?4 \
             WHERE organization_id = ?1 AND id = ?2 AND finished_at IS NULL RETURNING stop_requested",
            &[self.org(), text(&reply.to_string()), text(content), int(now)],
        )?
        .first::<i64>(Some("stop_requested"))
        .await?;
        Ok(stop == Some(1))
    }

    /// Asks the reply to the visitor message named `client_id` to stop, if it is still being
    /// made. `None` when the conversation has no such message; `Some(false)` when its reply has
    /// ended already.
    pub async fn request_stop(
        &self,
        conversation: ConversationId,
        client_id: &ClientMessageId,
    ) -> EdgeResult<Option<bool>> {
        #[derive(Deserialize)]
        struct Row {
            asked: i64,
        }
        let conv = text(&conversation.to_string());
        let results = self
            .db
            .batch(vec![
                bind(
                    &self.db,
                    "UPDATE messages SET stop_requested = 1 \
                     WHERE organization_id = ?1 AND conversation_id = ?2 AND role = 'assistant' \
                       AND finished_at IS NULL AND updated_at IS NOT NULL \
                       AND reply_to = (SELECT id FROM messages WHERE organization_id = ?1 AND conversation_id = ?2 \
                                       AND client_message_id = ?3)",
                    &[self.org(), conv.clone(), text(client_id.as_str())],
                )?,
                bind(
                    &self.db,
                    "SELECT changes() AS asked FROM messages WHERE organization_id = ?1 AND conversation_id = ?2 \
                       AND client_message_id = ?3",
                    &[self.org(), conv, text(client_id.as_str())],
                )?,
            ])
            .await?;
        let asked: Option<Row> = match results.get(1) {
            Some(r) => r.results()?.into_iter().next(),
            None => None,
        };
        Ok(asked.map(|r| r.asked > 0))
    }

    /// Stores how the reply `id`, begun by [`OrgStore::add_user_message`], ended, and adds its
    /// usage and cost to the day's total, in one transaction.
    pub async fn finish_reply(
        &self,
        conversation: ConversationId,
        id: MessageId,
        reply: &FinishedReply<'_>,
        model: &str,
        latency_ms: i64,
    ) -> EdgeResult<()> {
        let now = now_ms();
        let conv = text(&conversation.to_string());
        let (tokens_in, tokens_out) = (i64::from(reply.usage.tokens_in), i64::from(reply.usage.tokens_out));
        let cost = i64::try_from(reply.cost_micros).unwrap_or(i64::MAX);
        let operator_cost = i64::try_from(reply.operator_cost_micros).unwrap_or(i64::MAX);
        self.db
            .batch(vec![
                bind(
                    &self.db,
                    "UPDATE messages SET content = ?3, status = ?4, model = ?5, tokens_in = ?6, tokens_out = ?7, \
                       latency_ms = ?8, cost_micros = ?9, finished_at = ?10, updated_at = ?10, operator_cost_micros = ?11, \
                       sources = ?12, retrieval_score = ?13, retrieval_covered = ?14 \
                     WHERE organization_id = ?1 AND id = ?2",
                    &[
                        self.org(),
                        text(&id.to_string()),
                        text(reply.content),
                        text(reply.status.as_str()),
                        text(model),
                        int(tokens_in),
                        int(tokens_out),
                        int(latency_ms.max(0)),
                        int(cost),
                        int(now),
                        int(operator_cost),
                        if reply.sources.is_empty() {
                            JsValue::NULL
                        } else {
                            text(&serde_json::to_string(reply.sources).unwrap_or_default())
                        },
                        reply.retrieval_score.map_or(JsValue::NULL, JsValue::from_f64),
                        reply.retrieval_covered.map_or(JsValue::NULL, |c| int(i64::from(c))),
                    ],
                )?,
                self.touch(&conv, now)?,
                self.add_usage(reply.usage, Money { owner: reply.cost_micros, operator: reply.operator_cost_micros }, now)?,
            ])
            .await?;
        Ok(())
    }

    /// Records the visitor's verdict on a reply of their conversation, replacing an earlier one.
    /// False when the conversation has no such reply.
    pub async fn rate_reply(
        &self,
        conversation: ConversationId,
        message: MessageId,
        rating: Rating,
    ) -> EdgeResult<bool> {
        let now = now_ms();
        let result = bind(
            &self.db,
            "INSERT INTO message_feedback (message_id, conversation_id, organization_id, rating, created_at, updated_at) \
             SELECT id, conversation_id, organization_id, ?4, ?5, ?5 FROM messages \
             WHERE organization_id = ?1 AND conversation_id = ?2 AND id = ?3 AND role = 'assistant' \
               AND finished_at IS NOT NULL \
             ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, updated_at = excluded.updated_at",
            &[self.org(), text(&conversation.to_string()), text(&message.to_string()), text(rating.as_str()), int(now)],
        )?
        .run()
        .await?;
        changed(&result)
    }
}
