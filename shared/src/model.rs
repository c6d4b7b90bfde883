//! The name of an LLM model as a domain gives it. Some providers put it into a URL path
//! (Workers AI's REST API: `…/ai/run/@cf/meta/llama-3.1-8b-instruct`), so it must never be able
//! to leave that path: no `..`, no query, no fragment, no escapes.

use std::fmt;

/// A model id: 1 to 128 characters of `[A-Za-z0-9._:@+-]` in segments joined by single `/`,
/// no segment `.` or `..`. Covers every provider's ids (`gpt-4o-mini`,
/// `ft:gpt-4o-mini:acme::abc123`, `@cf/meta/llama-3.1-8b-instruct`,
/// `accounts/fireworks/models/llama-v3p1-8b-instruct`, `meta-llama/Llama-3-8b-chat-hf`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelId(String);

pub const MAX_MODEL_ID_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a model id is 1 to 128 characters of letters, digits and . _ : @ + -, in parts joined by single /, \
     none of them . or .."
)]
pub struct ModelIdError;

impl ModelId {
    pub fn parse(raw: &str) -> Result<Self, ModelIdError> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b"._:@+-".contains(&b);
        let ok = (1..=MAX_MODEL_ID_CHARS).contains(&raw.len())
            && raw.split('/').all(|segment| {
                !segment.is_empty() && segment != "." && segment != ".." && segment.bytes().all(allowed)
            });
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ModelIdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's path segments, for building a URL segment by segment.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_providers_ids_are_accepted() {
        for id in [
            "gpt-4o-mini",
            "ft:gpt-4o-mini:acme::abc123",
            "@cf/meta/llama-3.1-8b-instruct",
            "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "meta-llama/Llama-3-8b-chat-hf",
            "claude-haiku-4-5",
            "llama3.1:8b",
            "stand-in",
        ] {
            assert_eq!(ModelId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn nothing_that_could_leave_its_path_is_accepted() {
        for bad in [
            "",
            "../../accounts/other/ai/run/x",
            "@cf/../x",
            "./x",
            "a//b",
            "/abs",
            "trailing/",
            "m?key=1",
            "m#frag",
            "m%2e%2e",
            "has space",
            "tab\t",
            "new\nline",
            "back\\slash",
            "ümlaut",
            &"m".repeat(MAX_MODEL_ID_CHARS + 1),
        ] {
            assert_eq!(ModelId::parse(bad), Err(ModelIdError), "{bad:?}");
        }
    }
}
