//! Relaying a prompt to the LLM provider and its reply back, token by token.
//! One file per wire format; today the OpenAI-compatible one.

pub mod openai;
mod reply;
pub mod retry;

use std::future::Future;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

pub use reply::{Chunk, Outcome, ReplyBuilder};

use crate::prompt::{estimate_tokens, PromptMessage};
use crate::settings::LlmSettings;
use shared::SseDecoder;

/// Longest provider error body read for the log.
const MAX_ERROR_BODY: usize = 2_048;

/// Streams a reply from the provider, calling `on_token` with each piece as it arrives, and
/// returns how it ended. Never fails: every fault becomes an [`Outcome`] with an error.
pub async fn stream_reply(llm: &LlmSettings, prompt: &[PromptMessage], mut on_token: impl FnMut(&str)) -> Outcome {
    let prompt_estimate = prompt.iter().map(|m| estimate_tokens(&m.content)).sum();
    let mut reply = ReplyBuilder::default();
    let first_token = Duration::from_millis(llm.first_token_timeout_ms.into());
    let idle = Duration::from_millis(llm.idle_timeout_ms.into());
    let mut attempt = 1;
    let mut response = loop {
        // A provider that does not answer in time has used the reply's time: no retry.
        let Some(sent) = within(first_token, send(llm, prompt)).await else {
            reply.broke_off(format!("no answer within {first_token:?}"));
            return reply.finish(prompt_estimate);
        };
        let (cause, retry_after) = match sent {
            Ok(r) if (200..300).contains(&r.status_code()) => break r,
            Ok(mut r) => {
                let status = r.status_code();
                let retry_after = r.headers().get("retry-after").ok().flatten().and_then(|v| v.trim().parse().ok());
                let body = r.text().await.unwrap_or_default();
                let detail = openai::provider_error_message(&body)
                    .unwrap_or_else(|| body.chars().take(MAX_ERROR_BODY).collect());
                let cause = format!("provider answered {status}: {detail}");
                if !retry::worth_retrying(status) {
                    reply.broke_off(cause);
                    return reply.finish(prompt_estimate);
                }
                (cause, retry_after)
            }
            Err(cause) => (cause, None),
        };
        if attempt == retry::ATTEMPTS {
            reply.broke_off(format!("{cause} (after {attempt} attempts)"));
            return reply.finish(prompt_estimate);
        }
        Delay::from(retry::wait(attempt, retry_after)).await;
        attempt += 1;
    };
    let mut body = match response.stream() {
        Ok(s) => s,
        Err(e) => {
            reply.broke_off(format!("provider response has no body: {e}"));
            return reply.finish(prompt_estimate);
        }
    };
    let mut decoder = SseDecoder::new();
    while !reply.is_over() {
        // A provider that goes quiet must not hold the visitor (and the stored reply) forever.
        let limit = if reply.has_text() { idle } else { first_token };
        let Some(next) = within(limit, body.next()).await else {
            let what = if reply.has_text() { "no further token" } else { "no first token" };
            reply.broke_off(format!("{what} within {limit:?}"));
            break;
        };
        match next {
            Some(Ok(bytes)) => {
                for frame in decoder.push(&bytes) {
                    for chunk in openai::parse_frame(&frame) {
                        if let Some(delta) = reply.apply(chunk) {
                            on_token(&delta);
                        }
                    }
                }
            }
            Some(Err(e)) => reply.broke_off(format!("provider connection failed: {e}")),
            None => break,
        }
    }
    reply.finish(prompt_estimate)
}

/// `fut`'s output, or `None` if it takes longer than `limit`.
async fn within<T>(limit: Duration, fut: impl Future<Output = T>) -> Option<T> {
    let fut = std::pin::pin!(fut);
    match select(fut, Delay::from(limit)).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

async fn send(llm: &LlmSettings, prompt: &[PromptMessage]) -> Result<worker::Response, String> {
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| format!("header {k}: {e}"));
    set("content-type", "application/json")?;
    set("accept", "text/event-stream")?;
    if let Some(key) = &llm.api_key {
        set("authorization", &format!("Bearer {key}"))?;
    }
    let body = openai::request_body(llm, prompt).to_string();
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let url = llm.chat_completions_url();
    let request = Request::new_with_init(&url, &init).map_err(|e| format!("bad provider request to {url}: {e}"))?;
    Fetch::Request(request).send().await.map_err(|e| format!("provider unreachable at {url}: {e}"))
}
