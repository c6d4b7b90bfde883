//! The edge: a Cloudflare Worker that admits a website's visitors, stores their conversations
//! in D1 and relays them to an LLM, streaming the reply back.
//!
//! The request's path through the crate: `routes` (URL space) → `tenancy` (site key + origin →
//! domain) → `store` (D1, scoped by organization) → `prompt` → `relay` (provider) → back out as
//! `shared::sse` events.

pub mod api_key;
pub mod budget;
pub mod clock;
mod domain_cache;
pub mod error;
mod http;
pub mod ids;
pub mod limits;
pub mod meter;
mod outbound;
pub mod prompt;
pub mod relay;
mod routes;
pub mod settings;
mod store;
pub mod tenancy;
pub mod token;
mod verification;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(routes::handle(req, env, ctx).await)
}

/// The cron trigger (`[triggers]` in `wrangler.toml`): closes replies whose worker died
/// mid-reply in conversations nobody has read since, keeping what was written of them.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let swept = match env.d1("DB") {
        Ok(db) => store::Directory::new(db).close_stale_replies(clock::now_ms() - store::STALE_REPLY_MS).await,
        Err(e) => Err(e.into()),
    };
    match swept {
        Ok(0) => {}
        Ok(n) => error::log_error(&format!("closed {n} replies left in progress by a worker that died")),
        Err(e) => error::log_error(&format!("sweeping replies left in progress failed: {e}")),
    }
}
