//! `/v1/admin/conversations`: what visitors talked about, as the owner reads it.

use serde::{Deserialize, Serialize};

use super::leads::LeadView;
use crate::field::{text_within, FieldError};
use crate::{MessageStatus, Rating, Role};

/// Longest search the inbox takes, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub domain_id: String,
    pub visitor_id: Option<String>,
    pub page_url: Option<String>,
    pub started_at: i64,
    pub last_message_at: i64,
    pub message_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: String,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub model: Option<String>,
    pub tokens_in: u32,
    pub tokens_out: u32,
    pub cost_micros: u64,
    pub latency_ms: Option<u64>,
    pub created_at: i64,
    /// The visitor's verdict on a reply, if they gave one.
    #[serde(default)]
    pub feedback: Option<Rating>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: ConversationSummary,
    pub messages: Vec<StoredMessage>,
    /// The contact details the visitor left in this conversation.
    #[serde(default)]
    pub leads: Vec<LeadView>,
}

/// Words to find in conversations (`q`): every word must occur in one message of the
/// conversation, in any case and with or without accents. Each word is searched as itself, so
/// nothing a person types is read as the search engine's own syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(Vec<String>);

impl SearchText {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        text_within("q", raw, MAX_SEARCH_CHARS, true)?;
        Ok(Self(raw.split_whitespace().map(str::to_owned).collect()))
    }

    /// The words as an SQLite FTS5 query: each a quoted string (quotes doubled), all required.
    pub fn fts_query(&self) -> String {
        self.0.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_become_quoted_terms() {
        assert_eq!(SearchText::parse("  ship  Norway ").unwrap().fts_query(), r#""ship" "Norway""#);
        assert_eq!(SearchText::parse(r#"say "hi" OR NEAR(x"#).unwrap().fts_query(), r#""say" """hi""" "OR" "NEAR(x""#);
        assert!(SearchText::parse("   ").is_err());
        assert!(SearchText::parse(&"x".repeat(201)).is_err());
    }

    /// Reads an FTS5 query made of quoted strings back into its strings; `None` if any part of
    /// it is not a quoted string (an operator, a column filter, a bare word).
    fn strings(q: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut chars = q.chars().peekable();
        while chars.peek().is_some() {
            if chars.next()? != '"' {
                return None;
            }
            let mut term = String::new();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        term.push('"');
                    }
                    '"' => break,
                    c => term.push(c),
                }
            }
            out.push(term);
            match chars.next() {
                None => break,
                Some(' ') => {}
                Some(_) => return None,
            }
        }
        Some(out)
    }

    proptest! {
        /// Whatever is typed, the query is nothing but the typed words, each one quoted string:
        /// no operator, column filter or syntax of FTS5's own comes through.
        #[test]
        fn the_query_is_the_words_quoted(raw in "\\PC{1,60}") {
            if let Ok(search) = SearchText::parse(&raw) {
                let words: Vec<String> = raw.split_whitespace().map(str::to_owned).collect();
                prop_assert_eq!(strings(&search.fts_query()), Some(words));
            }
        }
    }
}
