//! Which provider answers a domain's visitors and how: the wire format the relay speaks to it,
//! and a domain's provider settings (its `llm` JSON) with the checks they must pass.

use serde::{Deserialize, Serialize};

use crate::field::{whole, FieldError};
use crate::ModelId;

/// The most a reply may ask of a provider, whatever a domain configures.
pub const MAX_REPLY_TOKENS: u32 = 4_096;

/// Which wire format the relay speaks to a domain's provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// OpenAI's chat completions, and every server that speaks it.
    #[default]
    OpenaiCompatible,
    /// Anthropic's Messages API.
    Anthropic,
    /// Cloudflare Workers AI: through the worker's `AI` binding, or its REST API when a
    /// `base_url` (`…/ai/run`) is given.
    WorkersAi,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the provider must be openai-compatible, anthropic or workers-ai")]
pub struct ProviderError;

impl Provider {
    pub fn parse(raw: &str) -> Result<Self, ProviderError> {
        serde_json::from_value(serde_json::Value::String(raw.trim().to_owned())).map_err(|_| ProviderError)
    }
}

/// A domain's provider settings (its `llm` JSON). Each field, when present, overrides the
/// edge's default. Keys never appear here, only the name of the secret that holds one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Name of the worker secret holding this domain's provider key; the edge accepts only
    /// `LLM_KEY_<organization id in hex, capitals>_…`. Without it, a domain with its own
    /// `base_url` calls that provider without a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
}

/// Checks provider settings an owner submits. URLs must be absolute http(s); the edge parses
/// them again before use.
pub fn check_llm_config(c: &LlmConfig) -> Result<(), FieldError> {
    if let Some(url) = &c.base_url {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        let host_ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
        if !host_ok || url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new("llm.base_url", "must be an http(s) URL like https://api.openai.com/v1"));
        }
    }
    if let Some(model) = &c.model {
        ModelId::parse(model).map_err(|e| FieldError::new("llm.model", e.to_string()))?;
    }
    if let Some(n) = c.max_tokens {
        if !(1..=MAX_REPLY_TOKENS).contains(&n) {
            return Err(FieldError::new("llm.max_tokens", format!("must be between 1 and {MAX_REPLY_TOKENS}")));
        }
    }
    if let Some(t) = c.temperature {
        if !(0.0..=2.0).contains(&t) {
            return Err(FieldError::new("llm.temperature", "must be between 0 and 2"));
        }
    }
    if let Some(name) = &c.api_key_secret {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(FieldError::new("llm.api_key_secret", "must be a secret name like GROQ_API_KEY"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llm_config_numbers_urls_and_secret_names_are_bounded() {
        let ok = LlmConfig {
            base_url: Some("https://api.groq.com/openai/v1".into()),
            model: Some("llama-3.1-8b-instant".into()),
            max_tokens: Some(MAX_REPLY_TOKENS),
            temperature: Some(0.0),
            api_key_secret: Some("LLM_KEY_0193A0000000700080000000000000A1_GROQ".into()),
            ..Default::default()
        };
        assert_eq!(check_llm_config(&ok), Ok(()));
        let field = |c: LlmConfig| check_llm_config(&c).unwrap_err().field;
        assert_eq!(field(LlmConfig { base_url: Some("javascript:alert(1)".into()), ..ok.clone() }), "llm.base_url");
        assert_eq!(field(LlmConfig { base_url: Some("http:///x".into()), ..ok.clone() }), "llm.base_url");
        assert_eq!(field(LlmConfig { max_tokens: Some(0), ..ok.clone() }), "llm.max_tokens");
        assert_eq!(field(LlmConfig { max_tokens: Some(MAX_REPLY_TOKENS + 1), ..ok.clone() }), "llm.max_tokens");
        assert_eq!(field(LlmConfig { temperature: Some(2.5), ..ok.clone() }), "llm.temperature");
        assert_eq!(field(LlmConfig { temperature: Some(f64::NAN), ..ok.clone() }), "llm.temperature");
        assert_eq!(field(LlmConfig { api_key_secret: Some("LLM_KEY; rm".into()), ..ok.clone() }), "llm.api_key_secret");
        assert!(serde_json::from_str::<LlmConfig>(r#"{"api_key":"sk-clear"}"#).is_err(), "no keys in the clear");
    }

    #[test]
    fn max_tokens_is_a_whole_number_in_range() {
        let c: LlmConfig = serde_json::from_str(r#"{"max_tokens": 512.0}"#).unwrap();
        assert_eq!(c.max_tokens, Some(512));
        for bad in [
            r#"{"max_tokens": 1.5}"#,
            r#"{"max_tokens": -1}"#,
            r#"{"max_tokens": 1e30}"#,
            r#"{"max_tokens": 4294967296}"#,
        ] {
            assert!(serde_json::from_str::<LlmConfig>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn providers_by_their_wire_names() {
        assert_eq!(Provider::parse(" workers-ai "), Ok(Provider::WorkersAi));
        assert_eq!(Provider::parse("openai-compatible"), Ok(Provider::OpenaiCompatible));
        assert_eq!(Provider::parse("openai"), Err(ProviderError));
    }
}
