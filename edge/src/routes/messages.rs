//! `GET` and `POST /v1/conversations/{id}/messages`: the history, and a new visitor message
//! answered as a stream of Server-Sent Events.

use std::time::Duration;

use futures_channel::mpsc;
use futures_util::StreamExt;
use shared::limits::MAX_HISTORY_MESSAGES;
use shared::message::MessageTextError;
use shared::{ClientMessageId, ErrorCode, History, MessageStatus, MessageText, PostMessage, Role, StreamEvent};
use worker::{Context, Delay, Env, Request, Response};

use crate::clock::{now_ms, utc_month};
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::ids::ConversationId;
use crate::ids::DomainId;
use crate::limits::{VisitorLimits, MINUTE_MS};
use crate::meter::{Admission, Hit, Meter, Reserve};
use crate::prompt::{estimate_tokens, Turn};
use crate::settings::secret;
use crate::store::{Added, Earlier, OrgStore, StoredReply};
use crate::{budget, prompt, relay};

use super::access::{authorize, Access};

/// Turns of history read to build a prompt; the token budget then decides how many are sent.
const PROMPT_HISTORY_MESSAGES: usize = 50;
/// How often, and how long, a repeated message looks for the reply its first sending is still
/// receiving.
const REPLAY_POLL: Duration = Duration::from_millis(250);
const REPLAY_WAIT_MS: i64 = 120_000;

pub async fn get(req: &Request, env: &Env, cors: &mut CorsGrant, id: &str) -> EdgeResult<Response> {
    let access = authorize(req, env, cors, id).await?;
    let messages = access.store.history(access.conversation, MAX_HISTORY_MESSAGES).await?;
    let mut resp = http::json(200, &History { conversation_id: access.conversation.to_string(), messages })?;
    let _ = resp.headers_mut().set("cache-control", "no-store");
    Ok(resp)
}

pub async fn post(req: &mut Request, env: &Env, ctx: &Context, cors: &mut CorsGrant, id: &str) -> EdgeResult<Response> {
    let access = authorize(req, env, cors, id).await?;
    let body: PostMessage = http::read_json(req).await?;
    let text = MessageText::parse(&body.content).map_err(|e| match e {
        MessageTextError::Empty => EdgeError::new(ErrorCode::MessageEmpty, e.to_string()),
        MessageTextError::TooLong { .. } => EdgeError::new(ErrorCode::MessageTooLong, e.to_string()),
    })?;
    let client_id = match body.client_message_id.as_deref() {
        None => None,
        Some(raw) => Some(ClientMessageId::parse(raw).ok_or_else(|| {
            EdgeError::new(ErrorCode::InvalidField, "client_message_id must be 8 to 64 letters, digits, _ or -")
        })?),
    };
    let started = now_ms();
    let Access { conversation, tenant, store, settings } = access;
    let domain = tenant.domain();
    let limits = settings.limits.with_overrides(&domain.limits);
    let llm = settings.llm.with_overrides(&domain.llm, tenant.org(), |name| secret(env, name));
    // History is read before the new message is stored and the message appended here, which
    // saves a round trip to D1 before the provider is called.
    let month = utc_month(started);
    let context = store
        .prompt_context(domain.id, conversation, &llm.model, &month, PROMPT_HISTORY_MESSAGES, client_id.as_ref())
        .await?;
    if let (Some(client_id), Some(Earlier { reply, .. })) = (client_id.clone(), context.earlier) {
        // Sent before (a retry after a network blip): answered from what is stored, not again.
        return replay(store, conversation, client_id, reply);
    }
    let mut turns = context.turns;
    turns.push(Turn { role: Role::User, content: text.as_str().to_owned(), status: MessageStatus::Complete });
    let system = prompt::system_message(&domain.system_prompt, &context.knowledge);
    let prompt = prompt::build(&system, &turns, settings.history_token_budget);

    let full = || EdgeError::new(ErrorCode::ConversationFull, "This conversation is full. Please start a new one.");
    // Checked here so a full conversation costs no allowance; the insert below checks again, exactly.
    if context.user_messages >= limits.messages_per_conversation {
        return Err(full());
    }
    let visitor = context.visitor_id.unwrap_or_else(|| conversation.to_string());
    let hits = visitor_hits(domain.id, &visitor, &http::client_ip(req), &limits);
    let price = context.price.unwrap_or(settings.default_price);
    // Worst case: the prompt (estimated generously, providers count differently) and a full reply.
    let prompt_tokens: u64 = prompt.iter().map(|m| u64::from(estimate_tokens(&m.content))).sum();
    let reserve = Reserve {
        month,
        budget_micros: context.monthly_budget_cents.saturating_mul(budget::MICROS_PER_CENT),
        spent_micros: context.month_spent_micros,
        micros: budget::cost_micros(prompt_tokens * 2, u64::from(llm.max_tokens), price),
    };
    let meter = Meter::for_org(env, tenant.org())?;
    let reservation = match meter.admit(hits, Some(reserve)).await? {
        Admission::RateLimited { retry_after } => {
            return Err(EdgeError::rate_limited(
                retry_after,
                "You are sending messages too quickly. Please wait a moment.",
            ))
        }
        Admission::BudgetHeld { retry_after } => {
            return Err(EdgeError::rate_limited(
                retry_after,
                "The assistant is busy. Please try again in a few seconds.",
            ))
        }
        Admission::Admitted { reservation } => reservation,
        Admission::BudgetExhausted => None,
    };
    let exhausted = reservation.is_none();
    // From here on every way out settles the reservation, so no budget stays held for nothing.
    let added =
        store.add_user_message(conversation, text.as_str(), client_id.as_ref(), limits.messages_per_conversation);
    let message_id = match (added.await, client_id) {
        (Ok(Added::Stored(id)), _) => id,
        (Ok(Added::Repeated), Some(client_id)) => {
            // The same message raced in twice; the other sending gets the reply.
            meter.settle_quietly(reservation, 0).await;
            return replay(store, conversation, client_id, None);
        }
        (stored, _) => {
            meter.settle_quietly(reservation, 0).await;
            return Err(stored.err().unwrap_or_else(full));
        }
    };
    if exhausted {
        // The visitor's message is kept; the reply is refused until the budget allows again.
        let refusal = StreamEvent::Error {
            code: ErrorCode::BudgetExhausted,
            message: "The assistant is not available right now. Please try again later.".to_owned(),
        };
        return event_stream(futures_util::stream::iter([Ok(refusal.encode().into_bytes())]));
    }

    // Absent unless `[ai]` is in wrangler.toml; only Workers AI without a URL needs it.
    let ai = env.ai("AI").ok();
    let (tx, rx) = mpsc::unbounded::<Vec<u8>>();
    // The reply is read and stored inside wait_until, so it completes and is saved even if
    // the visitor closes the tab mid-stream; sends to a closed stream are simply dropped.
    ctx.wait_until(async move {
        let send = |event: StreamEvent| {
            let _ = tx.unbounded_send(event.encode().into_bytes());
        };
        let on_token = |delta: &str| send(StreamEvent::Token { delta: delta.to_owned() });
        let outcome = relay::stream_reply(&llm, ai.as_ref(), &prompt, on_token).await;
        let latency = now_ms() - started;
        let cost = budget::cost_micros(u64::from(outcome.usage.tokens_in), u64::from(outcome.usage.tokens_out), price);
        let stored = store.finish_reply(conversation, message_id, &outcome, &llm.model, cost, latency).await;
        meter.settle_quietly(reservation, if stored.is_ok() { cost } else { 0 }).await;
        let last = match stored {
            Ok(reply_id) => match outcome.error {
                None => StreamEvent::Done { message_id: reply_id.to_string(), usage: outcome.usage },
                Some(e) => e.into(),
            },
            Err(e) => e.into(),
        };
        send(last);
    });
    event_stream(rx.map(Ok::<Vec<u8>, worker::Error>))
}

/// The answer to a message sent before: its stored reply as one piece, or, while its first
/// sending is still receiving it, that reply once stored. Nothing is asked of the provider.
fn replay(
    store: OrgStore,
    conversation: ConversationId,
    client_id: ClientMessageId,
    reply: Option<StoredReply>,
) -> EdgeResult<Response> {
    let frames = async move {
        let started = now_ms();
        let mut reply = reply;
        while reply.is_none() && now_ms() - started < REPLAY_WAIT_MS {
            Delay::from(REPLAY_POLL).await;
            match store.earlier(conversation, &client_id).await {
                Ok(earlier) => reply = earlier.and_then(|e| e.reply),
                Err(e) => return StreamEvent::from(e).encode().into_bytes(),
            }
        }
        let events = match reply {
            Some(r) => replayed(r),
            None => vec![StreamEvent::Error {
                code: ErrorCode::UpstreamError,
                message: "The reply is taking long. It will appear in the conversation when it is ready.".to_owned(),
            }],
        };
        events.iter().flat_map(|e| e.encode().into_bytes()).collect::<Vec<u8>>()
    };
    event_stream(futures_util::stream::once(async move { Ok::<Vec<u8>, worker::Error>(frames.await) }))
}

/// A stored reply as the events that first carried it.
fn replayed(r: StoredReply) -> Vec<StreamEvent> {
    let end = match r.status {
        MessageStatus::Complete => StreamEvent::Done { message_id: r.id.to_string(), usage: r.usage },
        MessageStatus::Interrupted => relay::interrupted().into(),
        MessageStatus::Failed => relay::unavailable().into(),
    };
    let text = Some(r.content).filter(|t| !t.is_empty()).map(|delta| StreamEvent::Token { delta });
    text.into_iter().chain([end]).collect()
}

/// A `text/event-stream` response of the given frames.
fn event_stream<S>(frames: S) -> EdgeResult<Response>
where
    S: futures_util::Stream<Item = worker::Result<Vec<u8>>> + 'static,
{
    let mut resp = Response::from_stream(frames)?;
    let headers = resp.headers_mut();
    headers.set("content-type", "text/event-stream; charset=utf-8")?;
    headers.set("cache-control", "no-cache, no-transform")?;
    headers.set("x-accel-buffering", "no")?;
    Ok(resp)
}

/// A visitor's message counts against the visitor, their IP address and the whole domain.
fn visitor_hits(domain: DomainId, visitor: &str, ip: &str, l: &VisitorLimits) -> Vec<Hit> {
    vec![
        Hit { key: format!("m:v:{domain}:{visitor}"), limit: l.messages_per_minute_per_visitor, window_ms: MINUTE_MS },
        Hit { key: format!("m:i:{domain}:{ip}"), limit: l.messages_per_minute_per_ip, window_ms: MINUTE_MS },
        Hit { key: format!("m:d:{domain}"), limit: l.messages_per_minute_per_domain, window_ms: MINUTE_MS },
    ]
}
