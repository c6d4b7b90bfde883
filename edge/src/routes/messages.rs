//! `GET` and `POST /v1/conversations/{id}/messages`: the history, and a new visitor message
//! answered as a stream of Server-Sent Events.

use std::time::Duration;

use futures_channel::{mpsc, oneshot};
use futures_util::future::join;
use futures_util::StreamExt;
use shared::admin::knowledge::SearchMode;
use shared::limits::MAX_HISTORY_MESSAGES;
use shared::{
    ClientMessageId, ErrorCode, History, MessageStatus, MessageText, PostMessage, Role, SourceRef, StopReply,
    StreamEvent, Usage,
};
use worker::{AbortController, Context, Delay, Env, Request, Response};

use crate::budget::Price;
use crate::clock::{now_ms, utc_month};
use crate::domain_cache;
use crate::error::{log_error, EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::ids::{ConversationId, DomainId, MessageId, ReservationId};
use crate::knowledge::{Freshness, Question};
use crate::limits::{VisitorLimits, MINUTE_MS};
use crate::meter::{Admission, Hit, Meter, Money, Reserve};
use crate::prompt::{estimate_tokens, Turn};
use crate::settings::{secret, LlmSettings, Payer, Settings};
use crate::store::{Added, Earlier, FinishedReply, MonthSpend, OrgStore, PromptContext, StoredReply, STALE_REPLY_MS};
use crate::{budget, knowledge, prompt, relay};

use super::access::{admit_token, authorize, conversation_not_found, Access};

/// A visitor's question as the knowledge is searched for it: both ways, ranking twice the
/// passages the prompt takes (those that fit go).
pub(super) fn question<'a>(domain: DomainId, text: &'a str, fresh: Freshness<'a>) -> Question<'a> {
    Question { domain, text, mode: SearchMode::Hybrid, limit: knowledge::PASSAGES * 2, fresh }
}
/// Turns of history read to build a prompt; the token budget then decides how many are sent.
const PROMPT_HISTORY_MESSAGES: usize = 50;
/// How often, and how long, a repeated message asks whether the reply its first sending is
/// still receiving is done.
const REPLAY_POLL: Duration = Duration::from_secs(1);
const REPLAY_WAIT_MS: i64 = 120_000;
/// Repeats waiting for a reply one address may start per minute.
const REPLAY_WAITS_PER_MINUTE_PER_IP: u32 = 10;

pub async fn get(req: &Request, env: &Env, cors: &mut CorsGrant, id: &str) -> EdgeResult<Response> {
    let (access, _) = authorize(req, env, cors, id).await?;
    let messages = access.store.history(access.conversation, MAX_HISTORY_MESSAGES).await?;
    // A visitor who comes back keeps their conversation: a token near its end is renewed.
    let token =
        access.renew.then(|| access.settings.token_key.sign(access.conversation, access.tenant.domain().id, now_ms()));
    let mut resp = http::json(200, &History { conversation_id: access.conversation.to_string(), messages, token })?;
    let _ = resp.headers_mut().set("cache-control", "no-store");
    Ok(resp)
}

/// `POST /v1/conversations/{id}/stop`: the visitor stops the reply to their message named
/// `client_message_id`. The reply in progress ends at its next write (within about a second):
/// the provider call is closed, what had been relayed is kept as interrupted, and only the
/// tokens produced are booked.
pub async fn stop(req: &mut Request, env: &Env, cors: &mut CorsGrant, id: &str) -> EdgeResult<Response> {
    let (access, _) = authorize(req, env, cors, id).await?;
    let body: StopReply = http::read_json(req).await?;
    let client_id = ClientMessageId::parse(&body.client_message_id)?;
    match access.store.request_stop(access.conversation, &client_id).await? {
        None => Err(EdgeError::new(ErrorCode::MessageNotFound, "This conversation has no such message.")),
        // Whether it was still being made or had ended already, it is not being made now.
        Some(_) => Ok(Response::empty()?.with_status(204)),
    }
}

/// What a new message is answered with, read on the domain's current settings: a domain from
/// the isolate's cache that changed since is read again from D1, and the context with it.
async fn current_context(
    req: &Request,
    env: &Env,
    cors: &mut CorsGrant,
    id: &str,
    mut access: Access,
    month: &str,
    client_id: Option<&ClientMessageId>,
) -> EdgeResult<(Access, LlmSettings, PromptContext)> {
    for fresh in [false, true] {
        let domain = access.tenant.domain();
        let llm = access.settings.llm_for(&domain.llm, access.tenant.org(), |name| secret(env, name))?;
        let context = access
            .store
            .prompt_context(
                domain.id,
                Some(access.conversation),
                llm.model.as_str(),
                month,
                PROMPT_HISTORY_MESSAGES,
                client_id,
            )
            .await?;
        if fresh || context.domain_version == Some(domain.version) {
            if !context.conversation_found {
                return Err(conversation_not_found());
            }
            return Ok((access, llm, context));
        }
        domain_cache::forget(domain.id);
        access = admit_token(req, env, cors, id, domain_cache::UNCACHED).await?;
    }
    Err(EdgeError::internal("the domain changed while a message was read"))
}

/// `arrived_ms`: when the router had the request, before the address shield let it through.
pub async fn post(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    cors: &mut CorsGrant,
    id: &str,
    arrived_ms: i64,
) -> EdgeResult<Response> {
    let mut timing = ServerTiming::start(arrived_ms);
    timing.mark("shield", now_ms());
    // The domain may come from the isolate's cache: its version is checked in the context read.
    let access = admit_token(req, env, cors, id, domain_cache::CHECKED_MS).await?;
    timing.mark("admit", now_ms());
    let body: PostMessage = http::read_json(req).await?;
    let text = MessageText::parse(&body.content)?;
    let client_id = body.client_message_id.as_deref().map(ClientMessageId::parse).transpose()?;
    let started = now_ms();
    let month = utc_month(started);
    // A site known to have knowledge is searched while the context is read and the meter
    // admits the message: the question's embedding is most of a search's time.
    let domain_id = access.tenant.domain().id;
    let small_talk = knowledge::ranking::is_small_talk(text.as_str());
    let early = if !small_talk && knowledge::known_to_have_passages(domain_id) {
        let (early_tx, early_rx) = oneshot::channel::<EdgeResult<knowledge::Search>>();
        let store = OrgStore::for_tenant(env.d1("DB")?, &access.tenant);
        let (env, settings, text) = (env.clone(), access.settings.clone(), text.as_str().to_owned());
        // Under wait_until, so the runtime knows the request is waiting on it (a task it does not
        // know of would make the request look hung).
        ctx.wait_until(async move {
            let asked = question(domain_id, &text, Freshness::Held);
            let _ = early_tx.send(knowledge::search(&store, &env, &settings, asked).await);
        });
        Some(early_rx)
    } else {
        None
    };
    // History is read before the new message is stored and the message appended here, which
    // saves a round trip to D1 before the provider is called; the same read checks that the
    // conversation exists.
    let context = current_context(req, env, cors, id, access, &month, client_id.as_ref()).await;
    let (access, llm, context) = context?;
    knowledge::remember_passages(domain_id, context.has_passages);
    timing.mark("context", now_ms());
    let Access { conversation, tenant, store, settings, .. } = access;
    let domain = tenant.domain();
    let limits = settings.limits.with_overrides(&domain.limits);
    let meter = Meter::for_org(env, tenant.org())?;
    if let (Some(client_id), Some(earlier)) = (client_id.clone(), context.earlier) {
        // Sent before (a retry after a network blip): answered from what is stored, not again.
        let wait = replay_wait_hit(domain.id, &http::client_ip(req));
        return replay(store, meter, conversation, client_id, earlier, wait).await;
    }
    let mut turns = context.turns;
    turns.push(Turn { role: Role::User, content: text.as_str().to_owned(), status: MessageStatus::Complete });
    let system = prompt::system_message(&domain.system_prompt, &context.prompt_entries);
    // The site's websites and documents are searched for the question (not for small talk)
    // while the meter admits it; the reservation counts the passages' room in advance.
    let searching = context.has_passages && !small_talk;

    let full = || EdgeError::new(ErrorCode::ConversationFull, "This conversation is full. Please start a new one.");
    // Checked here so a full conversation or a used-up quota costs no allowance; the insert
    // below checks both again, exactly.
    if context.user_messages >= limits.messages_per_conversation {
        return Err(full());
    }
    let month_quota = context.month.quota_messages.unwrap_or(settings.quota.messages_per_month);
    if context.month.messages + 2 > month_quota {
        return Err(over_quota());
    }
    let visitor = context.visitor_id.unwrap_or_else(|| conversation.to_string());
    let hits = visitor_hits(domain.id, &visitor, &http::client_ip(req), &limits);
    let charge = Charge::of(&settings, &llm, context.price);
    let reserve = charge.reserve((&settings, &llm), month, &context.month, (&system, &turns), searching);
    let admitting = async {
        match &client_id {
            Some(c) => meter.admit_reply(hits, reserve, reply_name(conversation, c)).await,
            None => meter.admit(hits, Some(reserve)).await,
        }
    };
    let searching_knowledge = async {
        if !searching {
            return None;
        }
        // The early search stands if it compared the question with the knowledge as it is now.
        let current = |f: &EdgeResult<knowledge::Search>| {
            f.as_ref().is_ok_and(|f| f.version.as_deref().is_none_or(|v| v == context.knowledge_version))
        };
        let early = match early {
            Some(rx) => rx.await.ok(),
            None => None,
        };
        let found = match early.filter(current) {
            Some(found) => found,
            None => {
                let asked = question(domain.id, text.as_str(), Freshness::Version(&context.knowledge_version));
                knowledge::search(&store, env, &settings, asked).await
            }
        };
        match found {
            Ok(found) => Some(found),
            Err(e) => {
                // The visitor is answered without the knowledge rather than not at all.
                log_error(&format!("searching the knowledge failed: {}", e.message));
                None
            }
        }
    };
    let (admission, found) = join(admitting, searching_knowledge).await;
    let admission = admission?;
    timing.mark("meter", now_ms());
    if let Some(ms) = found.as_ref().and_then(|f| f.embed_ms) {
        timing.beside("embed", ms);
    }
    let Informed { system, sources, retrieval } = informed(system, found, searching, &settings);
    let prompt = prompt::build(&system, &turns, settings.history_token_budget);
    let reservation = match admission {
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
        // The first message refused is stored with its refusal, so the conversation shows what
        // the visitor asked; the ones after it are refused without being stored.
        Admission::BudgetExhausted if context.last_refusal == Some(ErrorCode::BudgetExhausted) => {
            return Err(budget_exhausted())
        }
        Admission::BudgetExhausted => None,
        // Sent twice at once: the other sending is making the reply, which this one replays.
        Admission::Replying => {
            let Some(client_id) = client_id else {
                return Err(EdgeError::internal("the meter named a reply for a message without an id"));
            };
            let earlier = Earlier { reply: None, refusal: None };
            let wait = replay_wait_hit(domain.id, &http::client_ip(req));
            return replay(store, meter, conversation, client_id, earlier, wait).await;
        }
    };
    let exhausted = reservation.is_none();
    // The provider is asked while the message is being stored, which takes a D1 write off the
    // time to the first token; no token is relayed before the message is stored, and the call
    // is cancelled if it is not.
    let (tx, rx) = mpsc::unbounded::<Vec<u8>>();
    let (stored_tx, stored_rx) = oneshot::channel::<Stored>();
    if !exhausted {
        // Absent unless `[ai]` is in wrangler.toml; only Workers AI without a URL needs it.
        let ai = env.ai("AI").ok();
        // The reply is read and stored inside wait_until, so it completes and is saved even if
        // the visitor closes the tab mid-stream; sends to a closed stream are simply dropped.
        ctx.wait_until(async move {
            let cancel = AbortController::default();
            let opening = relay::open_reply(&llm, ai.as_ref(), &prompt, &cancel.signal()).await;
            let Ok(Stored { reply, reservation, store, meter }) = stored_rx.await else {
                cancel.abort();
                return;
            };
            let mut progress = Relayed { tx, store: &store, reply, written: 0, written_at: now_ms() };
            if !sources.is_empty() {
                progress.send(StreamEvent::Sources { sources: sources.clone() });
            }
            let outcome = relay::read_reply(opening, &llm, &prompt, &mut progress).await;
            let latency = now_ms() - started;
            let cost = charge.cost(outcome.usage);
            let finished = FinishedReply {
                content: &outcome.content,
                status: outcome.status,
                usage: outcome.usage,
                cost_micros: cost.owner,
                operator_cost_micros: cost.operator,
                sources: &sources,
                retrieval_score: retrieval.and_then(|(score, _)| score),
                retrieval_covered: retrieval.map(|(_, covered)| covered),
            };
            let stored = store.finish_reply(conversation, reply, &finished, llm.model.as_str(), latency).await;
            meter.settle_quietly(reservation, if stored.is_ok() { cost } else { Money::default() }).await;
            let last = match stored {
                Ok(()) => match outcome.error {
                    None => StreamEvent::Done { message_id: reply.to_string(), usage: outcome.usage },
                    Some(e) => e.into(),
                },
                Err(e) => e.into(),
            };
            progress.send(last);
        });
    }
    // From here on every way out settles the reservation, so no budget stays held for nothing.
    let added = store
        .add_user_message(
            conversation,
            text.as_str(),
            client_id.as_ref(),
            exhausted.then_some(ErrorCode::BudgetExhausted),
            limits.messages_per_conversation,
            month_quota,
        )
        .await;
    timing.mark("store", now_ms());
    let begun = match (added, client_id) {
        (Ok(Added::Stored { reply, .. }), _) => reply,
        (Ok(Added::Repeated), Some(client_id)) => {
            // The same message raced in twice; the other sending gets the reply.
            meter.settle_quietly(reservation, Money::default()).await;
            let earlier = Earlier { reply: None, refusal: None };
            return replay(
                store,
                meter,
                conversation,
                client_id,
                earlier,
                replay_wait_hit(domain.id, &http::client_ip(req)),
            )
            .await;
        }
        (stored, _) => {
            meter.settle_quietly(reservation, Money::default()).await;
            return Err(match stored {
                Err(e) => e,
                Ok(Added::OverQuota) => over_quota(),
                Ok(_) => full(),
            });
        }
    };
    let Some(reply) = begun else {
        // The visitor's message is kept; the reply is refused until the budget allows again.
        return event_stream(futures_util::stream::iter([Ok(StreamEvent::from(budget_exhausted())
            .encode()
            .into_bytes())]));
    };
    // The reply's task takes it from here; it has ended already only if the visitor's request
    // is gone with the worker.
    let _ = stored_tx.send(Stored { reply, reservation, store, meter });
    let mut resp = event_stream(rx.map(Ok::<Vec<u8>, worker::Error>))?;
    resp.headers_mut().set("server-timing", &timing.header())?;
    Ok(resp)
}

/// What a reply costs per token and who pays: on the operator's account its prices apply; the
/// owner's prices only to its own provider.
#[derive(Clone, Copy)]
pub(super) struct Charge {
    price: Price,
    operator_paid: bool,
}

impl Charge {
    pub(super) fn of(settings: &Settings, llm: &LlmSettings, own: Option<Price>) -> Self {
        let operator_paid = llm.payer == Payer::Operator;
        let price =
            if operator_paid { settings.operator_price(&llm.model) } else { own.unwrap_or(settings.default_price) };
        Self { price, operator_paid }
    }

    /// The budget a reply to `system` and `turns` holds until it settles: its worst case, the
    /// prompt (estimated generously, providers count differently, with room for the passages
    /// still to come when the knowledge is `searching`) and a full reply.
    pub(super) fn reserve(
        self,
        (settings, llm): (&Settings, &LlmSettings),
        month: String,
        spend: &MonthSpend,
        (system, turns): (&str, &[Turn]),
        searching: bool,
    ) -> Reserve {
        let passages_room = if searching { (knowledge::PASSAGES_BUDGET_CHARS / 4 + 300) as u64 } else { 0 };
        let prompt = prompt::build(system, turns, settings.history_token_budget);
        let prompt_tokens: u64 =
            prompt.iter().map(|m| u64::from(estimate_tokens(&m.content))).sum::<u64>() + passages_room;
        let cents = |c: u64| c.saturating_mul(budget::MICROS_PER_CENT);
        Reserve {
            month,
            caps: Money {
                owner: cents(spend.budget_cents),
                operator: cents(spend.plan_cents.unwrap_or(settings.plan_monthly_cents)),
            },
            spent: Money { owner: spend.spent_micros, operator: spend.operator_spent_micros },
            worst: budget::charge(prompt_tokens * 2, u64::from(llm.max_tokens), self.price, self.operator_paid),
        }
    }

    pub(super) fn cost(self, usage: Usage) -> Money {
        budget::charge(u64::from(usage.tokens_in), u64::from(usage.tokens_out), self.price, self.operator_paid)
    }
}

/// The system message as the reply is asked with: the passages the search found for the
/// question quoted under it, and what to record of them.
pub(super) struct Informed {
    pub system: String,
    pub sources: Vec<SourceRef>,
    /// How close the best passage came, and whether the knowledge covered the question; `None`
    /// where nothing was searched.
    pub retrieval: Option<(Option<f64>, bool)>,
}

/// `system` with what the search `found`; `searching` says a search was made (`found` is then
/// `None` only if it failed).
pub(super) fn informed(
    system: String,
    found: Option<knowledge::Search>,
    searching: bool,
    settings: &Settings,
) -> Informed {
    let (system, sources, retrieval) = match found {
        // The search failed: answered without the knowledge, and not counted as a gap.
        None if searching => (prompt::with_passages(&system, &[]), Vec::new(), None),
        None => (system, Vec::new(), None),
        Some(found) => {
            let covered = found.covered(settings.coverage);
            let score = found.best_similarity;
            // Passages too far from the question would only mislead the model and the visitor.
            let (passages, sources) = if covered { found.for_prompt() } else { (Vec::new(), Vec::new()) };
            let quoted: Vec<prompt::Passage<'_>> = passages
                .iter()
                .map(|f| prompt::Passage {
                    title: &f.chunk.title,
                    heading: &f.chunk.heading,
                    url: f.chunk.url.as_deref(),
                    content: &f.chunk.content,
                })
                .collect();
            (prompt::with_passages(&system, &quoted), sources, Some((score, covered)))
        }
    };
    Informed { system, sources, retrieval }
}

/// How long each step before the reply took, as `Server-Timing` (milliseconds of wall time,
/// which on Workers advances with I/O): what a message costs before its first token.
struct ServerTiming {
    last: i64,
    steps: Vec<(&'static str, i64)>,
}

impl ServerTiming {
    fn start(now: i64) -> Self {
        Self { last: now, steps: Vec::new() }
    }

    fn mark(&mut self, step: &'static str, now: i64) {
        self.steps.push((step, now - self.last));
        self.last = now;
    }

    /// A step that ran beside the others (the question's embedding, within "meter").
    fn beside(&mut self, step: &'static str, ms: i64) {
        self.steps.push((step, ms));
    }

    fn header(&self) -> String {
        self.steps.iter().map(|(step, ms)| format!("{step};dur={ms}")).collect::<Vec<_>>().join(", ")
    }
}

/// The visitor's message is stored and its reply begun: what the reply's task needs to go on.
struct Stored {
    reply: MessageId,
    reservation: Option<ReservationId>,
    store: OrgStore,
    meter: Meter,
}

/// How long a reply in progress may go without a write: its heartbeat while the provider is
/// silent, well inside [`STALE_REPLY_MS`].
const HEARTBEAT_MS: i64 = 10_000;
const _: () = assert!(HEARTBEAT_MS * 3 < STALE_REPLY_MS);

/// A reply on its way: each piece to the visitor's stream (dropped if the visitor left), and what
/// has arrived to D1 about once a second, whose answer says whether the visitor asked to stop.
struct Relayed<'a> {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    store: &'a OrgStore,
    reply: MessageId,
    /// Bytes of the reply written so far, and when.
    written: usize,
    written_at: i64,
}

impl Relayed<'_> {
    fn send(&self, event: StreamEvent) {
        let _ = self.tx.unbounded_send(event.encode().into_bytes());
    }
}

impl relay::Progress for Relayed<'_> {
    fn token(&mut self, delta: &str) {
        self.send(StreamEvent::Token { delta: delta.to_owned() });
    }

    async fn checkpoint(&mut self, text: &str) -> bool {
        let now = now_ms();
        if text.len() == self.written && now - self.written_at < HEARTBEAT_MS {
            return true;
        }
        match self.store.flush_reply(self.reply, text, now).await {
            Ok(stop) => {
                (self.written, self.written_at) = (text.len(), now);
                !stop
            }
            // The reply goes on; it is stored whole at its end.
            Err(_) => true,
        }
    }
}

/// The answer to a message sent before: its refusal or its stored reply at once, or, while its
/// first sending is still making the reply, that reply once stored. Waiting asks the meter once
/// a second whether the reply is still being made, and D1 once at the end; each address may
/// keep only a few such waits going. Nothing is asked of the provider.
async fn replay(
    store: OrgStore,
    meter: Meter,
    conversation: ConversationId,
    client_id: ClientMessageId,
    earlier: Earlier,
    wait: Hit,
) -> EdgeResult<Response> {
    let events = match earlier {
        Earlier { refusal: Some(code), .. } => vec![StreamEvent::Error { code, message: budget_exhausted().message }],
        Earlier { reply: Some(reply), .. } => replayed(reply),
        Earlier { reply: None, refusal: None } => {
            if let Admission::RateLimited { retry_after } = meter.admit(vec![wait], None).await? {
                return Err(EdgeError::rate_limited(
                    retry_after,
                    "You are sending messages too quickly. Please wait a moment.",
                ));
            }
            let frames = async move {
                let started = now_ms();
                let name = reply_name(conversation, &client_id);
                while now_ms() - started < REPLAY_WAIT_MS && meter.replying(&name).await.unwrap_or(false) {
                    Delay::from(REPLAY_POLL).await;
                }
                let events = match store.earlier(conversation, &client_id).await {
                    Ok(Some(Earlier { reply: Some(r), .. })) => replayed(r),
                    Ok(_) if now_ms() - started >= REPLAY_WAIT_MS => vec![StreamEvent::Error {
                        code: ErrorCode::UpstreamError,
                        message: "The reply is taking long. It will appear in the conversation when it is ready."
                            .to_owned(),
                    }],
                    // The first sending ended without a reply (it failed before storing one).
                    Ok(_) => vec![relay::unavailable().into()],
                    Err(e) => vec![e.into()],
                };
                Ok::<Vec<u8>, worker::Error>(encoded(&events))
            };
            return event_stream(futures_util::stream::once(frames));
        }
    };
    event_stream(futures_util::stream::iter([Ok(encoded(&events))]))
}

/// The events as the stream carries them, one after the other.
fn encoded(events: &[StreamEvent]) -> Vec<u8> {
    events.iter().flat_map(|e| e.encode().into_bytes()).collect()
}

/// How the meter knows a reply in flight: by its conversation and the message's client id.
fn reply_name(conversation: ConversationId, client_id: &ClientMessageId) -> String {
    format!("{conversation}:{}", client_id.as_str())
}

/// A repeat that waits for a reply counts against its address.
fn replay_wait_hit(domain: DomainId, ip: &str) -> Hit {
    Hit { key: format!("w:i:{domain}:{ip}"), limit: REPLAY_WAITS_PER_MINUTE_PER_IP, window_ms: MINUTE_MS }
}

fn over_quota() -> EdgeError {
    EdgeError::new(
        ErrorCode::QuotaExceeded,
        "This site has stored as many messages as it may this month. Please try again next month.",
    )
}

fn budget_exhausted() -> EdgeError {
    EdgeError::new(ErrorCode::BudgetExhausted, "The assistant is not available right now. Please try again later.")
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
pub(super) fn event_stream<S>(frames: S) -> EdgeResult<Response>
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
