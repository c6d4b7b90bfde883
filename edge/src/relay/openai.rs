//! The OpenAI-compatible chat completions wire format, spoken by OpenAI, Groq, Together,
//! Mistral, Ollama (`/v1`), llama.cpp's `llama-server`, vLLM and Workers AI's OpenAI-compatible
//! endpoint.

use serde::Deserialize;
use serde_json::json;
use shared::{SseFrame, Usage};

use super::{provider_error_message, Call, Chunk};
use crate::prompt::PromptMessage;
use crate::settings::LlmSettings;

pub fn call(llm: &LlmSettings, base_url: &str, messages: &[PromptMessage]) -> Call {
    let body = json!({
        "model": llm.model.as_str(),
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": llm.max_tokens,
        "temperature": llm.temperature,
    });
    let headers = llm.api_key.iter().map(|k| ("authorization", format!("Bearer {k}"))).collect();
    Call { url: format!("{base_url}/chat/completions"), headers, body: body.to_string() }
}

#[derive(Deserialize)]
struct StreamChunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

/// Token counts as OpenAI reports them (Workers AI too).
#[derive(Deserialize)]
pub struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        Usage { tokens_in: u.prompt_tokens, tokens_out: u.completion_tokens }
    }
}

/// What one frame of the provider's stream says. A frame that is not JSON is malformed, and
/// an `{"error": …}` frame is a provider error: both end the reply.
pub fn parse_frame(frame: &SseFrame) -> Vec<Chunk> {
    let data = frame.data.trim();
    if data == "[DONE]" {
        return vec![Chunk::Done];
    }
    let unspecified = || "unspecified provider error".to_owned();
    if frame.event == "error" {
        return vec![Chunk::ProviderError(provider_error_message(data).unwrap_or_else(|| data.to_owned()))];
    }
    let chunk: StreamChunk = match serde_json::from_str(data) {
        Ok(c) => c,
        Err(e) => return vec![Chunk::Malformed(e.to_string())],
    };
    if chunk.error.is_some() {
        return vec![Chunk::ProviderError(provider_error_message(data).unwrap_or_else(unspecified))];
    }
    let mut out = Vec::new();
    for choice in chunk.choices.unwrap_or_default() {
        if let Some(text) = choice.delta.and_then(|d| d.content).filter(|t| !t.is_empty()) {
            out.push(Chunk::Delta(text));
        }
        if choice.finish_reason.is_some() {
            out.push(Chunk::Finished);
        }
    }
    if let Some(u) = chunk.usage {
        out.push(Chunk::Usage(u.into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::tests::{assert_every_split_gives, chunks_split_at, settings};

    /// A stream as OpenAI sends it, with a multi-byte character and the usage chunk.
    const OPENAI: &str = concat!(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüß\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" dich 👋\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":4,\"total_tokens\":25}}\n\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn an_openai_stream_split_at_every_byte_gives_the_same_chunks() {
        let expected = vec![
            Chunk::Delta("Grüß".into()),
            Chunk::Delta(" dich 👋".into()),
            Chunk::Finished,
            Chunk::Usage(Usage { tokens_in: 21, tokens_out: 4 }),
            Chunk::Done,
        ];
        assert_every_split_gives(OPENAI, parse_frame, &expected);
    }

    #[test]
    fn usage_chunk_with_null_choices_and_ollama_style_crlf() {
        let s = "data: {\"choices\":null,\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\r\n\r\ndata: [DONE]\r\n\r\n";
        assert_eq!(
            chunks_split_at(s.as_bytes(), 10, parse_frame),
            vec![Chunk::Usage(Usage { tokens_in: 3, tokens_out: 1 }), Chunk::Done]
        );
    }

    #[test]
    fn error_chunks_and_malformed_json_are_reported() {
        let f = |data: &str| parse_frame(&SseFrame { event: "message".into(), data: data.into() });
        assert_eq!(
            f(r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#),
            vec![Chunk::ProviderError("Rate limit reached".into())]
        );
        assert_eq!(f(r#"{"error":"model overloaded"}"#), vec![Chunk::ProviderError("model overloaded".into())]);
        assert!(matches!(f("{\"choices\":[{\"delta\":{\"content\":\"x\"}"), v if matches!(v[0], Chunk::Malformed(_))));
        let ev = parse_frame(&SseFrame { event: "error".into(), data: r#"{"error":{"message":"boom"}}"#.into() });
        assert_eq!(ev, vec![Chunk::ProviderError("boom".into())]);
    }

    #[test]
    fn request_asks_for_a_stream_with_usage() {
        let llm = settings(shared::provider::Provider::OpenaiCompatible, "http://x/v1", "m", "sk-1");
        let c = call(&llm, "http://x/v1", &[PromptMessage { role: shared::Role::User, content: "hi".into() }]);
        assert_eq!(c.url, "http://x/v1/chat/completions");
        assert_eq!(c.headers, [("authorization", "Bearer sk-1".to_owned())]);
        let body: serde_json::Value = serde_json::from_str(&c.body).unwrap();
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0], json!({"role": "user", "content": "hi"}));
        assert_eq!(body["max_tokens"], 300);
    }
}
