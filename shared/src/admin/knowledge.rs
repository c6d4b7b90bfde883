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

/// Bytes of one uploaded document's text.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Pages one crawl of a website may fetch, at most and unless asked.
pub const MAX_CRAWL_PAGES: u32 = 1_000;
pub const DEFAULT_CRAWL_PAGES: u32 = 200;
/// Passages a knowledge search returns, at most.
pub const MAX_SEARCH_RESULTS: u32 = 20;

/// What a knowledge source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Pages of one of the organization's sites, crawled from a start address.
    Website,
    /// Text uploaded through the API.
    Document,
    /// A FAQ or custom knowledge entry (`/v1/admin/knowledge`), which shares the source's id.
    Entry,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Website => "website",
            Self::Document => "document",
            Self::Entry => "entry",
        }
    }
}

/// How an uploaded document's text is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    Markdown,
    #[default]
    Text,
    Html,
}

/// `POST /v1/admin/knowledge/sources`: a website to crawl, or a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CreateSource {
    Website {
        /// The site it answers for; absent for every site of the organization.
        #[serde(default)]
        domain_id: Option<String>,
        /// Where the crawl starts: a page or a `sitemap.xml` on one of the organization's
        /// verified hostnames (or an alias).
        url: String,
        #[serde(default)]
        title: Option<String>,
        #[serde(default, deserialize_with = "crate::field::whole::optional")]
        max_pages: Option<u32>,
    },
    Document {
        #[serde(default)]
        domain_id: Option<String>,
        title: String,
        #[serde(default)]
        format: DocumentFormat,
        content: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Waiting for its crawl to start.
    Queued,
    Crawling,
    /// Searchable: every page was fetched or failed.
    Ready,
    /// Nothing could be indexed (the error says why).
    Failed,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Crawling => "crawling",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

/// A website's crawl so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCounts {
    pub total: u32,
    pub done: u32,
    pub failed: u32,
}

/// A page that could not be indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageError {
    pub url: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceView {
    pub id: String,
    pub domain_id: Option<String>,
    pub kind: SourceKind,
    pub title: String,
    pub url: Option<String>,
    pub status: SourceStatus,
    pub error: Option<String>,
    pub pages: PageCounts,
    /// The first pages that failed, for the owner to fix (single view only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_errors: Vec<PageError>,
    pub chunks: u32,
    /// Bytes of text indexed.
    pub bytes: u64,
    pub max_pages: u32,
    pub created_at: i64,
    pub updated_at: i64,
    /// When its last crawl or upload finished.
    pub indexed_at: Option<i64>,
}

/// How a knowledge search ranks passages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// By words (BM25).
    Lexical,
    /// By meaning (embeddings).
    Semantic,
    /// Both, fused by rank: what the assistant uses.
    #[default]
    Hybrid,
}

/// One passage a knowledge search found, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub source_id: String,
    pub title: String,
    pub url: Option<String>,
    pub heading: String,
    pub content: String,
    /// The fused rank score (hybrid), BM25 (lexical, higher is better) or cosine similarity.
    pub score: f64,
    /// The passage's cosine similarity to the question, when embeddings are on.
    pub similarity: Option<f64>,
}

/// `GET /v1/admin/knowledge/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub items: Vec<SearchHit>,
    /// Whether the best passage is close enough to answer from; the assistant says it does not
    /// know otherwise.
    pub covered: bool,
}

/// Why a visitor's question is listed as not answered well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// The knowledge had nothing close to it.
    NoMatch,
    /// The visitor rated the reply down.
    RatedDown,
}

/// `GET /v1/admin/knowledge/gaps`: a question the knowledge did not answer well.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub question: String,
    pub conversation_id: String,
    pub domain_id: String,
    pub reason: GapReason,
    /// The best passage's similarity, when it was searched by meaning.
    pub score: Option<f64>,
    pub asked_at: i64,
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
