//! Cloudflare Workers AI's own format: `data: {"response": …}` frames, a last one with `usage`,
//! then `[DONE]`. The same stream comes from the worker's `AI` binding and from the REST API
//! (`…/accounts/{id}/ai/run/{model}`); its OpenAI-compatible endpoint goes through `openai`.

use serde::{Deserialize, Serialize};
use shared::{ModelId, SseFrame};

use super::openai::WireUsage;
use super::{provider_error_message, Call, Chunk};
use crate::prompt::PromptMessage;
use crate::settings::LlmSettings;

/// The model input, for the binding and the REST API alike. A struct, not a JSON value: the
/// binding gets it as a JavaScript object, which a serialized map would not be.
#[derive(Serialize)]
pub struct Input<'a> {
    messages: &'a [PromptMessage],
    stream: bool,
    max_tokens: u32,
    temperature: f64,
}

pub fn input<'a>(llm: &LlmSettings, messages: &'a [PromptMessage]) -> Input<'a> {
    Input { messages, stream: true, max_tokens: llm.max_tokens, temperature: llm.temperature }
}

pub fn call(llm: &LlmSettings, base_url: &str, messages: &[PromptMessage]) -> Call {
    let body = serde_json::to_string(&input(llm, messages)).unwrap_or_default();
    let headers = llm.api_key.iter().map(|k| ("authorization", format!("Bearer {k}"))).collect();
    Call { url: run_url(base_url, &llm.model).unwrap_or_default(), headers, body }
}

/// `…/ai/run` followed by the model's segments. Built segment by segment, so nothing in a
/// model id reaches another path of the API; an unusable base URL gives `None`.
fn run_url(base_url: &str, model: &ModelId) -> Option<String> {
    let mut url = url::Url::parse(base_url).ok()?;
    url.path_segments_mut().ok()?.pop_if_empty().extend(model.segments());
    Some(url.into())
}

#[derive(Deserialize)]
struct Frame {
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// What one frame says. Workers AI sends no finish reason: `[DONE]` alone ends a reply.
pub fn parse_frame(frame: &SseFrame) -> Vec<Chunk> {
    let data = frame.data.trim();
    if data == "[DONE]" {
        return vec![Chunk::Done];
    }
    let f: Frame = match serde_json::from_str(data) {
        Ok(f) => f,
        Err(e) => return vec![Chunk::Malformed(e.to_string())],
    };
    // Read a second time only in the rare frame that carries an error.
    if f.error.is_some() || !f.errors.is_empty() {
        if let Some(message) = provider_error_message(data) {
            return vec![Chunk::ProviderError(message)];
        }
    }
    let mut out: Vec<Chunk> = f.response.filter(|t| !t.is_empty()).map(Chunk::Delta).into_iter().collect();
    if let Some(u) = f.usage {
        out.push(Chunk::Usage(u.into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::tests::{assert_every_split_gives, settings};
    use shared::provider::Provider;
    use shared::{Role, Usage};

    /// A stream as the `AI` binding returns it, with its padding field `p`.
    const WORKERS_AI: &str = concat!(
        "data: {\"response\":\"Grüß\",\"tool_calls\":[],\"p\":\"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy\"}\n\n",
        "data: {\"response\":\" dich 👋\",\"tool_calls\":[],\"p\":\"abcdefghijkl\"}\n\n",
        "data: {\"response\":\"\",\"tool_calls\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":4,\"total_tokens\":25}}\n\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn a_workers_ai_stream_split_at_every_byte_gives_the_same_chunks() {
        let expected = [
            Chunk::Delta("Grüß".into()),
            Chunk::Delta(" dich 👋".into()),
            Chunk::Usage(Usage { tokens_in: 21, tokens_out: 4 }),
            Chunk::Done,
        ];
        assert_every_split_gives(WORKERS_AI, parse_frame, &expected);
    }

    #[test]
    fn error_frames_and_malformed_json_end_the_reply() {
        let f = |data: &str| parse_frame(&SseFrame { event: "message".into(), data: data.into() });
        assert_eq!(
            f(r#"{"errors":[{"message":"AiError: Capacity temporarily exceeded","code":3040}]}"#),
            [Chunk::ProviderError("AiError: Capacity temporarily exceeded".into())]
        );
        assert!(matches!(&f("{\"response\":\"x")[..], [Chunk::Malformed(_)]));
    }

    #[test]
    fn the_rest_request_names_the_model_in_the_path() {
        let base = "https://api.cloudflare.com/client/v4/accounts/abc/ai/run";
        let llm = settings(Provider::WorkersAi, base, "@cf/meta/llama-3.1-8b-instruct", "cf-token");
        let prompt = [PromptMessage { role: Role::User, content: "hi".into() }];
        let c = call(&llm, base, &prompt);
        assert_eq!(c.url, "https://api.cloudflare.com/client/v4/accounts/abc/ai/run/@cf/meta/llama-3.1-8b-instruct");
        assert_eq!(c.headers, [("authorization", "Bearer cf-token".to_owned())]);
        let body: serde_json::Value = serde_json::from_str(&c.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"messages": [{"role": "user", "content": "hi"}], "stream": true, "max_tokens": 300, "temperature": 1.5})
        );
    }
}
