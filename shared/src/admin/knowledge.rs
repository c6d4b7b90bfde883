//! `/v1/admin/knowledge`: what the assistant should know, for one domain or the whole
//! organization.

use serde::{Deserialize, Serialize};

use crate::field::{text_within, FieldError};

pub const MAX_KNOWLEDGE_TITLE_CHARS: usize = 200;
pub const MAX_KNOWLEDGE_CHARS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnowledgeKind {
    /// A question and its answer.
    Faq,
    /// Replaces the domain's system prompt while active (the newest one wins).
    SystemPrompt,
    /// Any other text the assistant should know.
    Custom,
}

impl KnowledgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Faq => "faq",
            Self::SystemPrompt => "system_prompt",
            Self::Custom => "custom",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKnowledge {
    /// The website it is for; absent for the whole organization.
    #[serde(default)]
    pub domain_id: Option<String>,
    pub kind: KnowledgeKind,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A change makes a new version of the entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateKnowledge {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Checks the fields given; an absent field keeps its stored, already checked value.
pub fn check_knowledge(title: Option<&str>, content: Option<&str>) -> Result<(), FieldError> {
    if let Some(t) = title {
        text_within("title", t, MAX_KNOWLEDGE_TITLE_CHARS, true)?;
    }
    content.map_or(Ok(()), |c| text_within("content", c, MAX_KNOWLEDGE_CHARS, true))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeView {
    pub id: String,
    pub domain_id: Option<String>,
    pub kind: KnowledgeKind,
    pub title: String,
    pub content: String,
    pub active: bool,
    pub version: u32,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knowledge_needs_a_title_and_content() {
        assert_eq!(check_knowledge(Some("Returns"), Some("30 days.")), Ok(()));
        assert_eq!(check_knowledge(Some(" "), Some("x")).unwrap_err().field, "title");
        let long = "x".repeat(MAX_KNOWLEDGE_CHARS + 1);
        assert_eq!(check_knowledge(Some("t"), Some(&long)).unwrap_err().field, "content");
        assert_eq!(check_knowledge(None, Some(&long)).unwrap_err().field, "content");
        assert_eq!(check_knowledge(None, None), Ok(()));
    }
}
