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
mod knowledge;
pub mod limits;
mod mail;
pub mod meter;
mod outbound;
pub mod password;
pub mod prompt;
pub mod relay;
mod routes;
mod secret;
pub mod session;
pub mod settings;
mod store;
pub mod tenancy;
pub mod token;
mod verification;

use worker::{
    event, Context, Env, MessageBatch, MessageExt, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(routes::handle(req, env, ctx).await)
}

/// The crawl queue (`[[queues.consumers]]` in `wrangler.toml`): each message is one page of a
/// website source. Every message is acknowledged: what happened to its page is recorded on the
/// page for the owner to see, and a retry would fetch the same failure again.
#[event(queue)]
async fn queue(batch: MessageBatch<knowledge::crawl::CrawlJob>, env: Env, _ctx: Context) -> Result<()> {
    for message in batch.raw_iter() {
        match worker::d1::serde_wasm_bindgen::from_value::<knowledge::crawl::CrawlJob>(message.body()) {
            Ok(job) => {
                if let Err(e) = knowledge::crawl::run(&env, job).await {
                    error::log_error(&format!("crawling a page failed: {}", e.message));
                }
            }
            Err(e) => error::log_error(&format!("an unreadable crawl job: {e}")),
        }
        message.ack();
    }
    Ok(())
}

/// The cron trigger (`[triggers]` in `wrangler.toml`): closes replies whose worker died
/// mid-reply in conversations nobody has read since, keeping what was written of them; forgets
/// audit rows past their retention, and sessions and one-time links long over.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let directory = match env.d1("DB") {
        Ok(db) => store::Directory::new(db),
        Err(e) => return error::log_error(&format!("scheduled run without its database: {e}")),
    };
    match directory.close_stale_replies(clock::now_ms() - store::STALE_REPLY_MS).await {
        Ok(0) => {}
        Ok(n) => error::log_error(&format!("closed {n} replies left in progress by a worker that died")),
        Err(e) => error::log_error(&format!("sweeping replies left in progress failed: {e}")),
    }
    let settings = match settings::Settings::from_env(&env) {
        Ok(s) => s,
        Err(e) => return error::log_error(&format!("scheduled run without settings: {e}")),
    };
    if let Err(e) = directory.forget_old_audit_events(settings.accounts.audit_retention_days).await {
        error::log_error(&format!("forgetting old audit rows failed: {e}"));
    }
    if let Err(e) = directory.forget_ended_sessions_and_links(clock::now_ms()).await {
        error::log_error(&format!("forgetting ended sessions failed: {e}"));
    }
    if let Err(e) = knowledge::crawl::recrawl_due(&env, &directory).await {
        error::log_error(&format!("starting the websites' scheduled crawls failed: {}", e.message));
    }
    if let Err(e) = knowledge::index_queued_entries(&env, &directory, &settings).await {
        error::log_error(&format!("indexing queued knowledge entries failed: {}", e.message));
    }
    if let Err(e) = knowledge::forget_removed_vectors(&env, &directory, &settings).await {
        error::log_error(&format!("deleting removed passages' vectors failed: {}", e.message));
    }
}
