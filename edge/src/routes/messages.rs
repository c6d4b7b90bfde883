//! `GET` and `POST /v1/conversations/{id}/messages`: the history, and a new visitor message
//! answered as a stream of Server-Sent Events.

use futures_channel::mpsc;
use futures_util::StreamExt;
use shared::limits::MAX_HISTORY_MESSAGES;
use shared::message::MessageTextError;
use shared::{ErrorCode, History, MessageStatus, MessageText, PostMessage, Role, StreamEvent};
use worker::{Context, Env, Request, Response};

use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::prompt::Turn;
use crate::settings::secret;
use crate::{prompt, relay};

use super::access::{authorize, Access};

/// Turns of history read to build a prompt; the token budget then decides how many are sent.
const PROMPT_HISTORY_MESSAGES: usize = 50;

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
    let started = now_ms();
    let Access { conversation, tenant, store, settings } = access;
    // History is read before the new message is stored and the message appended here, which
    // saves a round trip to D1 before the provider is called.
    let mut turns = store.turns(conversation, PROMPT_HISTORY_MESSAGES).await?;
    store.add_user_message(conversation, text.as_str()).await?;
    turns.push(Turn { role: Role::User, content: text.as_str().to_owned(), status: MessageStatus::Complete });
    let domain = tenant.domain();
    let prompt = prompt::build(&domain.system_prompt, &turns, settings.history_token_budget);
    let llm = settings.llm.with_overrides(&domain.llm, |name| secret(env, name));

    let (tx, rx) = mpsc::unbounded::<Vec<u8>>();
    // The reply is read and stored inside wait_until, so it completes and is saved even if
    // the visitor closes the tab mid-stream; sends to a closed stream are simply dropped.
    ctx.wait_until(async move {
        let send = |event: StreamEvent| {
            let _ = tx.unbounded_send(event.encode().into_bytes());
        };
        let outcome =
            relay::stream_reply(&llm, &prompt, |delta| send(StreamEvent::Token { delta: delta.to_owned() })).await;
        let latency = now_ms() - started;
        let last = match store.finish_reply(conversation, &outcome, &llm.model, latency).await {
            Ok(message_id) => match outcome.error {
                None => StreamEvent::Done { message_id: message_id.to_string(), usage: outcome.usage },
                Some(e) => StreamEvent::Error { code: e.code, message: e.message },
            },
            Err(e) => StreamEvent::Error { code: e.code, message: e.message },
        };
        send(last);
    });

    let mut resp = Response::from_stream(rx.map(Ok::<Vec<u8>, worker::Error>))?;
    let headers = resp.headers_mut();
    headers.set("content-type", "text/event-stream; charset=utf-8")?;
    headers.set("cache-control", "no-cache, no-transform")?;
    headers.set("x-accel-buffering", "no")?;
    Ok(resp)
}
