//! Anthropic's Messages API, streamed: `message_start` (with the prompt's token count),
//! `content_block_*` with `text_delta`s, `message_delta` (stop reason, reply token count),
//! `message_stop`, `ping`, and `error` at any point.

use serde::Deserialize;
use serde_json::json;
use shared::{Role, SseFrame};

use super::{Call, Chunk};
use crate::prompt::PromptMessage;
use crate::settings::LlmSettings;

/// The API version the stream format above belongs to.
const VERSION: &str = "2023-06-01";

pub fn call(llm: &LlmSettings, base_url: &str, messages: &[PromptMessage]) -> Call {
    let (system, turns) = conversation(messages);
    let mut body = json!({
        "model": llm.model.as_str(),
        "messages": turns,
        "max_tokens": llm.max_tokens,
        // Anthropic's scale ends at 1.
        "temperature": llm.temperature.min(1.0),
        "stream": true,
    });
    if !system.is_empty() {
        body["system"] = json!(system);
    }
    let mut headers = vec![("anthropic-version", VERSION.to_owned())];
    headers.extend(llm.api_key.iter().map(|k| ("x-api-key", k.clone())));
    Call { url: format!("{base_url}/messages"), headers, body: body.to_string() }
}

/// The system text, and the turns as the Messages API wants them: starting with the visitor,
/// each role in turn (neighbours of one role are joined).
fn conversation(messages: &[PromptMessage]) -> (String, Vec<serde_json::Value>) {
    let system: Vec<&str> = messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.as_str()).collect();
    let mut turns: Vec<(Role, String)> = Vec::new();
    for m in messages.iter().filter(|m| m.role != Role::System) {
        match turns.last_mut() {
            Some((role, text)) if *role == m.role => {
                text.push_str("\n\n");
                text.push_str(&m.content);
            }
            None if m.role == Role::Assistant => {}
            _ => turns.push((m.role, m.content.clone())),
        }
    }
    let turns = turns.into_iter().map(|(role, content)| json!({"role": role, "content": content})).collect();
    (system.join("\n\n"), turns)
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: Started,
    },
    ContentBlockStart {
        content_block: Block,
    },
    ContentBlockDelta {
        delta: Block,
    },
    MessageDelta {
        delta: Stop,
        #[serde(default)]
        usage: Option<Counted>,
    },
    MessageStop,
    Error {
        error: Failure,
    },
    /// `ping`, `content_block_stop`, and event types added later: nothing to do.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Started {
    #[serde(default)]
    usage: Option<Counted>,
}

#[derive(Deserialize)]
struct Counted {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u32>,
    #[serde(default)]
    cache_read_input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
}

impl Counted {
    /// Cached prompt tokens are billed too, so they count as prompt.
    fn prompt(&self) -> Option<u32> {
        let parts = [self.input_tokens, self.cache_creation_input_tokens, self.cache_read_input_tokens];
        parts.iter().any(Option::is_some).then(|| parts.iter().flatten().fold(0u32, |a, n| a.saturating_add(*n)))
    }
}

/// A content block or its delta; only text reaches the visitor (not thinking or tool input).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    TextDelta {
        text: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Stop {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct Failure {
    #[serde(default)]
    message: Option<String>,
}

/// What one event of the stream says.
pub fn parse_frame(frame: &SseFrame) -> Vec<Chunk> {
    let event: Event = match serde_json::from_str(frame.data.trim()) {
        Ok(e) => e,
        Err(e) => return vec![Chunk::Malformed(e.to_string())],
    };
    let text = |t: String| if t.is_empty() { vec![] } else { vec![Chunk::Delta(t)] };
    match event {
        Event::MessageStart { message } => {
            message.usage.and_then(|u| u.prompt()).map(Chunk::PromptTokens).into_iter().collect()
        }
        Event::ContentBlockStart { content_block: Block::Text { text: t } | Block::TextDelta { text: t } }
        | Event::ContentBlockDelta { delta: Block::Text { text: t } | Block::TextDelta { text: t } } => text(t),
        Event::MessageDelta { delta, usage } => {
            let mut out: Vec<Chunk> = usage.and_then(|u| u.output_tokens).map(Chunk::ReplyTokens).into_iter().collect();
            if delta.stop_reason.is_some() {
                out.push(Chunk::Finished);
            }
            out
        }
        Event::MessageStop => vec![Chunk::Done],
        Event::Error { error } => {
            vec![Chunk::ProviderError(error.message.unwrap_or_else(|| "unspecified provider error".to_owned()))]
        }
        Event::ContentBlockStart { .. } | Event::ContentBlockDelta { .. } | Event::Other => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::tests::{assert_every_split_gives, settings};
    use shared::provider::Provider;

    /// A stream as Anthropic sends it (from its documentation), with a ping, a thinking block,
    /// multi-byte text and the split usage.
    const ANTHROPIC: &str = concat!(
        "event: message_start\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-haiku-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"The visitor greets.\"}}\n\n",
        "event: content_block_stop\n",
        "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\n",
        "data: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Grüß\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\" dich 👋\"}}\n\n",
        "event: content_block_stop\n",
        "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: message_delta\n",
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n",
        "event: message_stop\n",
        "data: {\"type\":\"message_stop\"}\n\n",
    );

    #[test]
    fn an_anthropic_stream_split_at_every_byte_gives_the_same_chunks() {
        let expected = [
            Chunk::PromptTokens(30),
            Chunk::Delta("Grüß".into()),
            Chunk::Delta(" dich 👋".into()),
            Chunk::ReplyTokens(15),
            Chunk::Finished,
            Chunk::Done,
        ];
        assert_every_split_gives(ANTHROPIC, parse_frame, &expected);
    }

    #[test]
    fn errors_at_any_point_and_malformed_events_end_the_reply() {
        let f = |event: &str, data: &str| parse_frame(&SseFrame { event: event.into(), data: data.into() });
        assert_eq!(
            f("error", r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
            [Chunk::ProviderError("Overloaded".into())]
        );
        assert!(matches!(
            &f("content_block_delta", "{\"type\":\"content_block_delta\",\"delta\":")[..],
            [Chunk::Malformed(_)]
        ));
        assert_eq!(f("some_future_event", r#"{"type":"some_future_event","x":1}"#), []);
        assert_eq!(
            f(
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":64}}"#
            ),
            [Chunk::ReplyTokens(64), Chunk::Finished]
        );
    }

    #[test]
    fn the_request_moves_the_system_prompt_out_and_starts_with_the_visitor() {
        let m = |role, content: &str| PromptMessage { role, content: content.into() };
        let prompt = [
            m(Role::System, "Be brief."),
            m(Role::Assistant, "Hi! How can I help?"),
            m(Role::User, "Price?"),
            m(Role::User, "Of the blue one."),
            m(Role::Assistant, "12 €."),
            m(Role::User, "Thanks"),
        ];
        let base = "https://api.anthropic.com/v1";
        let c = call(&settings(Provider::Anthropic, base, "claude-haiku-4-5", "sk-ant-1"), base, &prompt);
        assert_eq!(c.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(c.headers, [("anthropic-version", "2023-06-01".to_owned()), ("x-api-key", "sk-ant-1".to_owned())]);
        let body: serde_json::Value = serde_json::from_str(&c.body).unwrap();
        assert_eq!(body["system"], "Be brief.");
        assert_eq!(
            body["messages"],
            json!([
                {"role": "user", "content": "Price?\n\nOf the blue one."},
                {"role": "assistant", "content": "12 €."},
                {"role": "user", "content": "Thanks"},
            ])
        );
        assert_eq!(
            (body["stream"].clone(), body["max_tokens"].clone(), body["temperature"].clone()),
            (json!(true), json!(300), json!(1.0))
        );
    }
}
