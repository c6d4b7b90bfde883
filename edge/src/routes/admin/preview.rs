//! `POST /v1/admin/domains/{id}/preview`: the console's preview of a site's widget asks its
//! assistant. The reply is made as a visitor's is (the site's provider and model, its knowledge
//! searched for the question, the month's budget held and settled) but with the instructions
//! being edited, and the conversation the console keeps. Nothing is stored but the usage, so
//! a preview is never among the visitors' conversations, and it is paid for like one.

use futures_channel::mpsc;
use futures_util::future::join;
use futures_util::StreamExt;
use shared::admin::domains::PreviewMessage;
use shared::{ErrorCode, MessageStatus, Role, StreamEvent};
use worker::{AbortController, Context, Env, Request, Response};

use super::{body, requester};
use crate::clock::{now_ms, utc_month};
use crate::error::{log_error, EdgeError, EdgeResult};
use crate::ids::DomainId;
use crate::knowledge::{self, Freshness};
use crate::limits::MINUTE_MS;
use crate::meter::{Admission, Hit, Meter, Money};
use crate::prompt::{self, Turn};
use crate::relay;
use crate::routes::messages::{event_stream, informed, question, Charge, Informed};
use crate::settings::{secret, Settings};
use crate::store::OrgStore;
use crate::tenancy::Owner;

const BUDGET_HELD: &str =
    "Replies in progress hold the rest of this month's budget. Please try again in a few seconds.";
const BUDGET_SPENT: &str =
    "This month's budget is spent: the assistant answers no one, the preview included, until it is raised.";

/// Preview messages an organization may send per minute: a person trying their settings out,
/// not a way around the visitors' limits.
const PREVIEW_MESSAGES_PER_MINUTE: u32 = 30;

pub async fn post(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    store: &OrgStore,
    owner: &Owner,
    id: &str,
) -> EdgeResult<Response> {
    let not_found = || EdgeError::new(ErrorCode::DomainNotFound, "No such domain.");
    let domain_id = DomainId::parse(id).ok_or_else(not_found)?;
    let domain = store.domain(domain_id).await?.ok_or_else(not_found)?;
    let asked: PreviewMessage = body(req).await?;
    asked.check()?;
    let text = asked.content;
    let settings = Settings::from_env(env)?;
    let llm = settings.llm_for(&domain.llm, owner.org(), |name| secret(env, name))?;
    let month = utc_month(now_ms());
    let context = store.prompt_context(domain_id, None, llm.model.as_str(), &month, 0, None).await?;
    let system_prompt = asked.system_prompt.as_deref().unwrap_or(&domain.system_prompt);
    let system = prompt::system_message(system_prompt, &context.prompt_entries);
    let turns: Vec<Turn> = asked
        .history
        .into_iter()
        .map(|t| (t.role, t.content))
        .chain([(Role::User, text.as_str().to_owned())])
        .map(|(role, content)| Turn { role, content, status: MessageStatus::Complete })
        .collect();
    let searching = context.has_passages && !knowledge::ranking::is_small_talk(text.as_str());
    let charge = Charge::of(&settings, &llm, context.price);
    let reserve = charge.reserve((&settings, &llm), month, &context.month, (&system, &turns), searching);
    let meter = Meter::for_org(env, owner.org())?;
    // The reply's task outlives this call, so it has a store of its own, made before the budget
    // is held: every way out after that settles it.
    let task_store = OrgStore::for_owner(env.d1("DB")?, owner, requester(req));
    let hit = Hit { key: format!("p:o:{}", owner.org()), limit: PREVIEW_MESSAGES_PER_MINUTE, window_ms: MINUTE_MS };
    let searching_knowledge = async {
        if !searching {
            return None;
        }
        let asked = question(domain_id, text.as_str(), Freshness::Version(&context.knowledge_version));
        knowledge::search(store, env, &settings, asked)
            .await
            .map_err(|e| log_error(&format!("searching the knowledge for a preview failed: {}", e.message)))
            .ok()
    };
    let (admission, found) = join(meter.admit(vec![hit], Some(reserve)), searching_knowledge).await;
    let reservation = match admission? {
        Admission::Admitted { reservation } => reservation,
        Admission::RateLimited { retry_after } => {
            return Err(EdgeError::rate_limited(retry_after, "Too many preview messages this minute. Please wait."));
        }
        Admission::BudgetHeld { retry_after } => {
            return Err(EdgeError::rate_limited(retry_after, BUDGET_HELD));
        }
        Admission::BudgetExhausted => return Err(EdgeError::new(ErrorCode::BudgetExhausted, BUDGET_SPENT)),
        Admission::Replying => return Err(EdgeError::internal("the meter named a reply for a preview")),
    };
    let Informed { system, sources, .. } = informed(system, found, searching, &settings);
    let prompt = prompt::build(&system, &turns, settings.history_token_budget);
    let (tx, rx) = mpsc::unbounded::<Vec<u8>>();
    let ai = env.ai("AI").ok();
    // Read to its end inside wait_until, so the usage is counted and the budget settled even if
    // the console goes away mid-reply (the provider is then closed at the next checkpoint).
    ctx.wait_until(async move {
        let cancel = AbortController::default();
        let opening = relay::open_reply(&llm, ai.as_ref(), &prompt, &cancel.signal()).await;
        let mut progress = Streamed { tx };
        if !sources.is_empty() {
            progress.send(StreamEvent::Sources { sources });
        }
        let outcome = relay::read_reply(opening, &llm, &prompt, &mut progress).await;
        let cost = charge.cost(outcome.usage);
        let counted = task_store.add_preview_usage(domain_id, llm.model.as_str(), outcome.usage, cost).await;
        meter.settle_quietly(reservation, if counted.is_ok() { cost } else { Money::default() }).await;
        progress.send(match (counted, outcome.error) {
            (Err(e), _) | (Ok(_), Some(e)) => e.into(),
            // The id of the preview's record, which has no text: no message is stored.
            (Ok(id), None) => StreamEvent::Done { message_id: id.to_string(), usage: outcome.usage },
        });
    });
    event_stream(rx.map(Ok::<Vec<u8>, worker::Error>))
}

/// The preview's reply on its way to the console, which is the only place it is kept.
struct Streamed {
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

impl Streamed {
    fn send(&self, event: StreamEvent) {
        let _ = self.tx.unbounded_send(event.encode().into_bytes());
    }
}

impl relay::Progress for Streamed {
    fn token(&mut self, delta: &str) {
        self.send(StreamEvent::Token { delta: delta.to_owned() });
    }

    /// Nothing to write; the reply goes on while someone reads it.
    async fn checkpoint(&mut self, _text: &str) -> bool {
        !self.tx.is_closed()
    }
}
