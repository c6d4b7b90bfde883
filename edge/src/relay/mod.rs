//! Relaying a prompt to the LLM provider and its reply back, token by token. One module per
//! wire format (`openai`, `anthropic`, `workers_ai`); this one opens the stream, retries a
//! refusal before the first token, and enforces the timeouts, the same for all of them.

pub mod anthropic;
pub mod openai;
mod reply;
pub mod retry;
pub mod workers_ai;

use std::future::Future;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use serde::Deserialize;
use shared::provider::Provider;
use shared::{SseDecoder, SseFrame};
use worker::{AbortSignal, Ai, ByteStream, Delay, Fetch, Headers, Method, Request, RequestInit};

pub use reply::{interrupted, unavailable, Chunk, Outcome, ReplyBuilder};

use crate::clock::now_ms;
use crate::error::log_excerpt;
use crate::outbound::{read_within, within};
use crate::prompt::{estimate_tokens, PromptMessage};
use crate::settings::LlmSettings;

/// Most of a provider's error body that is read: enough for its message.
const MAX_ERROR_BODY: usize = 16_384;
/// Longest frame (event) of a provider's stream; a token's frame is well under 1 KB.
const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Longest reply text for `max_tokens`: a token is a few bytes, 16 is generous for any script.
pub fn max_reply_bytes(max_tokens: u32) -> usize {
    max_tokens as usize * 16
}

/// One HTTP request to a provider's streaming endpoint.
#[derive(Debug)]
pub struct Call {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// How asking the provider went, before any of the reply was read.
enum Opened {
    Stream(ByteStream),
    /// An HTTP refusal: its status, `Retry-After` in seconds, and what it said.
    Refused {
        status: u16,
        retry_after: Option<u64>,
        detail: String,
    },
    /// The provider could not be reached; worth asking again.
    Unreachable(String),
    /// Asking again cannot help (a missing binding, a request the runtime rejects).
    Broken(String),
}

/// How often a reply in progress is offered to [`Progress::checkpoint`].
pub const CHECKPOINT: Duration = Duration::from_secs(1);

/// Who a reply streams to: the visitor, token by token, and the store, which keeps what has
/// arrived and may say the visitor asked to stop.
pub trait Progress {
    /// The next piece of the reply, to pass on at once.
    fn token(&mut self, delta: &str);
    /// The reply so far, about every [`CHECKPOINT`] while its stream is open, whether or not
    /// anything arrived; `false` ends the reply there.
    fn checkpoint(&mut self, text: &str) -> impl Future<Output = bool>;
}

/// How asking the provider ended: its stream to read, or the reply's end already.
pub enum Opening {
    Stream(ByteStream),
    Over(Outcome),
}

/// Asks the provider for a reply, again after a refusal worth retrying, until its stream is
/// open or asking has failed. `ai` is the worker's Workers AI binding, if it has one; `signal`
/// cancels the HTTP call (and the stream it opened).
pub async fn open_reply(llm: &LlmSettings, ai: Option<&Ai>, prompt: &[PromptMessage], signal: &AbortSignal) -> Opening {
    let prompt_estimate = prompt.iter().map(|m| estimate_tokens(&m.content)).sum();
    let over = |cause: String| {
        let mut reply = ReplyBuilder::within(0);
        reply.broke_off(cause);
        Opening::Over(reply.finish(prompt_estimate))
    };
    let first_token = Duration::from_millis(llm.first_token_timeout_ms.into());
    let mut attempt = 1;
    loop {
        // A provider that does not answer in time has used the reply's time: no retry.
        let Some(opened) = within(first_token, open(llm, ai, prompt, signal)).await else {
            return over(format!("no answer within {first_token:?}"));
        };
        let (cause, retry_after) = match opened {
            Opened::Stream(s) => return Opening::Stream(s),
            Opened::Refused { status, retry_after, detail } => {
                let cause = format!("provider answered {status}: {detail}");
                if !retry::worth_retrying(status) {
                    return over(cause);
                }
                (cause, retry_after)
            }
            Opened::Unreachable(cause) => (cause, None),
            Opened::Broken(cause) => return over(cause),
        };
        if attempt == retry::ATTEMPTS {
            return over(format!("{cause} (after {attempt} attempts)"));
        }
        Delay::from(retry::wait(attempt, retry_after)).await;
        attempt += 1;
    }
}

/// Reads an opened reply, handing each piece to `progress` as it arrives, and returns how it
/// ended. Never fails: every fault becomes an [`Outcome`] with an error.
pub async fn read_reply(
    opening: Opening,
    llm: &LlmSettings,
    prompt: &[PromptMessage],
    progress: &mut impl Progress,
) -> Outcome {
    let mut body = match opening {
        Opening::Stream(body) => body,
        Opening::Over(outcome) => return outcome,
    };
    let prompt_estimate = prompt.iter().map(|m| estimate_tokens(&m.content)).sum();
    let mut reply = ReplyBuilder::within(max_reply_bytes(llm.max_tokens));
    let first_token = Duration::from_millis(llm.first_token_timeout_ms.into());
    let idle = Duration::from_millis(llm.idle_timeout_ms.into());
    let mut decoder = SseDecoder::new();
    // What an owner's provider may pour into the shared isolate is bounded: one frame, and all
    // of the stream (frames may carry much besides the text: padding, ids, usage).
    let max_stream_bytes = MAX_FRAME_BYTES + llm.max_tokens as usize * 1_024;
    let mut read = 0;
    let (mut heard_at, mut checked_at) = (now_ms(), now_ms());
    // A provider that goes quiet must not hold the visitor (and the stored reply) forever; the
    // reply in progress is offered every CHECKPOINT. One timer serves both, set for the nearer
    // of the two and set again only when it goes off or the limit changes: a timer per piece
    // read (made, cleared and dropped for each token) took about 6% of a lone turn's CPU time.
    let limit_now = |reply: &ReplyBuilder| if reply.has_text() { idle } else { first_token };
    let wake_in = |heard_at: i64, checked_at: i64, limit: Duration| {
        let due = (heard_at + limit.as_millis() as i64).min(checked_at + CHECKPOINT.as_millis() as i64);
        Duration::from_millis((due - now_ms()).max(1) as u64)
    };
    let mut limit = limit_now(&reply);
    let mut timer = Delay::from(wake_in(heard_at, checked_at, limit));
    while !reply.is_over() {
        let mut woke = false;
        match select(body.next(), &mut timer).await {
            Either::Right(_) if now_ms() - heard_at >= limit.as_millis() as i64 => {
                let what = if reply.has_text() { "no further token" } else { "no first token" };
                reply.broke_off(format!("{what} within {limit:?}"));
                break;
            }
            Either::Right(_) => woke = true,
            Either::Left((Some(Ok(bytes)), _)) => {
                heard_at = now_ms();
                read += bytes.len();
                for frame in decoder.push(&bytes) {
                    for chunk in parse_frame(llm.provider, &frame) {
                        if let Some(delta) = reply.apply(chunk) {
                            progress.token(&delta);
                        }
                    }
                }
            }
            Either::Left((Some(Err(e)), _)) => reply.broke_off(format!("provider connection failed: {e}")),
            Either::Left((None, _)) => break,
        }
        if !reply.is_over() && now_ms() - checked_at >= CHECKPOINT.as_millis() as i64 {
            checked_at = now_ms();
            if !progress.checkpoint(reply.text()).await {
                // Dropping the body closes the provider's connection: it stops generating.
                reply.broke_off("stopped by the visitor");
                break;
            }
        }
        if decoder.pending() > MAX_FRAME_BYTES {
            reply.broke_off(format!("a stream frame longer than {MAX_FRAME_BYTES} bytes"));
        } else if read > max_stream_bytes {
            reply.broke_off(format!("a stream longer than {max_stream_bytes} bytes"));
        }
        if woke || limit_now(&reply) != limit {
            limit = limit_now(&reply);
            timer = Delay::from(wake_in(heard_at, checked_at, limit));
        }
    }
    reply.finish(prompt_estimate)
}

/// What one frame of `provider`'s stream says.
pub fn parse_frame(provider: Provider, frame: &SseFrame) -> Vec<Chunk> {
    match provider {
        Provider::OpenaiCompatible => openai::parse_frame(frame),
        Provider::Anthropic => anthropic::parse_frame(frame),
        Provider::WorkersAi => workers_ai::parse_frame(frame),
    }
}

/// The request for `provider` at `base_url`.
fn call(llm: &LlmSettings, base_url: &str, prompt: &[PromptMessage]) -> Call {
    match llm.provider {
        Provider::OpenaiCompatible => openai::call(llm, base_url, prompt),
        Provider::Anthropic => anthropic::call(llm, base_url, prompt),
        Provider::WorkersAi => workers_ai::call(llm, base_url, prompt),
    }
}

/// Asks the provider for a streamed reply: over HTTP, or through the `AI` binding when the
/// settings have no URL (Workers AI only).
async fn open(llm: &LlmSettings, ai: Option<&Ai>, prompt: &[PromptMessage], signal: &AbortSignal) -> Opened {
    let Some(base_url) = &llm.base_url else {
        let Some(ai) = ai else {
            return Opened::Broken("Workers AI needs the AI binding ([ai] in wrangler.toml)".to_owned());
        };
        return match ai.run_bytes(llm.model.as_str(), workers_ai::input(llm, prompt)).await {
            Ok(stream) => Opened::Stream(stream),
            Err(e) => Opened::Broken(format!("Workers AI binding refused: {e}")),
        };
    };
    let Call { url, headers: pairs, body } = call(llm, base_url, prompt);
    let headers = Headers::new();
    for (k, v) in [("content-type", "application/json".to_owned()), ("accept", "text/event-stream".to_owned())]
        .into_iter()
        .chain(pairs)
    {
        if let Err(e) = headers.set(k, &v) {
            return Opened::Broken(format!("header {k}: {e}"));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let request = match Request::new_with_init(&url, &init) {
        Ok(r) => r,
        Err(e) => return Opened::Broken(format!("bad provider request to {url}: {e}")),
    };
    let mut response = match Fetch::Request(request).send_with_signal(signal).await {
        Ok(r) => r,
        Err(e) => return Opened::Unreachable(format!("provider unreachable at {url}: {e}")),
    };
    let status = response.status_code();
    if !(200..300).contains(&status) {
        let retry_after = response.headers().get("retry-after").ok().flatten().and_then(|v| v.trim().parse().ok());
        // Only a sanitised excerpt of the body reaches the log, never the headers.
        let text = read_within(response, MAX_ERROR_BODY).await;
        let detail = log_excerpt(&provider_error_message(&text).unwrap_or(text));
        return Opened::Refused { status, retry_after, detail };
    }
    match response.stream() {
        Ok(s) => Opened::Stream(s),
        Err(e) => Opened::Broken(format!("provider response has no body: {e}")),
    }
}

/// A provider's error message, in any of the shapes they use: `{"error":{"message":…}}`
/// (OpenAI, Anthropic), `{"error":"…"}` (Ollama), `{"errors":[{"message":…}]}` (Cloudflare).
pub fn provider_error_message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Message {
        Object { message: String },
        Text(String),
    }
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        error: Option<Message>,
        #[serde(default)]
        errors: Vec<Message>,
    }
    let b: Body = serde_json::from_str(body).ok()?;
    b.error.into_iter().chain(b.errors).next().map(|m| match m {
        Message::Object { message } | Message::Text(message) => message,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The chunks `parse` reads from `stream` delivered in two pieces, cut at byte `split`.
    pub fn chunks_split_at(stream: &[u8], split: usize, parse: fn(&SseFrame) -> Vec<Chunk>) -> Vec<Chunk> {
        let mut d = SseDecoder::new();
        let mut frames = d.push(&stream[..split]);
        frames.extend(d.push(&stream[split..]));
        frames.iter().flat_map(parse).collect()
    }

    /// Settings for `provider` at `base_url` with `key`; model and limits as the test gives them.
    pub fn settings(provider: Provider, base_url: &str, model: &str, key: &str) -> LlmSettings {
        LlmSettings {
            provider,
            base_url: Some(base_url.to_owned()),
            model: shared::ModelId::parse(model).unwrap(),
            max_tokens: 300,
            temperature: 1.5,
            api_key: Some(key.to_owned()),
            first_token_timeout_ms: 1_000,
            idle_timeout_ms: 1_000,
            payer: crate::settings::Payer::Owner,
        }
    }

    /// A recorded stream gives the same chunks however the network cuts it: in two pieces at
    /// every byte position, and one byte at a time.
    pub fn assert_every_split_gives(stream: &str, parse: fn(&SseFrame) -> Vec<Chunk>, expected: &[Chunk]) {
        let bytes = stream.as_bytes();
        for split in 0..=bytes.len() {
            assert_eq!(chunks_split_at(bytes, split, parse), expected, "split at byte {split}");
        }
        let mut d = SseDecoder::new();
        let bytewise: Vec<Chunk> = bytes.iter().flat_map(|b| d.push(&[*b])).flat_map(|f| parse(&f)).collect();
        assert_eq!(bytewise, expected, "one byte at a time");
    }

    #[test]
    fn provider_error_bodies_of_every_shape() {
        let m = |b: &str| provider_error_message(b);
        assert_eq!(m(r#"{"error":{"message":"Invalid API key","type":"x"}}"#).as_deref(), Some("Invalid API key"));
        assert_eq!(
            m(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#).as_deref(),
            Some("Overloaded")
        );
        assert_eq!(m(r#"{"error":"model not found"}"#).as_deref(), Some("model not found"));
        assert_eq!(
            m(r#"{"success":false,"errors":[{"code":7003,"message":"No route for that URI"}],"result":null}"#)
                .as_deref(),
            Some("No route for that URI")
        );
        assert_eq!(m("<html>502</html>"), None);
        assert_eq!(m(r#"{"ok":true}"#), None);
    }
}
