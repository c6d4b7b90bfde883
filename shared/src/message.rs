//! Messages: the text a visitor may send, who said it, how it ended, and what it cost.

use serde::{Deserialize, Serialize};

use crate::error::{wire_string, ErrorCode, Refusal};
use crate::limits::MAX_MESSAGE_CHARS;

/// A visitor's message: trimmed, non-empty, at most [`MAX_MESSAGE_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageTextError {
    #[error("the message is empty")]
    Empty,
    #[error("the message has {chars} characters; at most {max} are allowed", max = MAX_MESSAGE_CHARS)]
    TooLong { chars: usize },
}

impl Refusal for MessageTextError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MessageEmpty,
            Self::TooLong { .. } => ErrorCode::MessageTooLong,
        }
    }
}

wire_string!(MessageText, MessageText::parse);

impl MessageText {
    pub fn parse(raw: &str) -> Result<Self, MessageTextError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(MessageTextError::Empty);
        }
        let chars = text.chars().count();
        if chars > MAX_MESSAGE_CHARS {
            return Err(MessageTextError::TooLong { chars });
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for MessageText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The widget's name for one message it sends, so sending it again (a retry after a network
/// blip) stores and answers it once: 8 to 64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientMessageId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client_message_id must be 8 to 64 letters, digits, _ or -")]
pub struct ClientMessageIdError;

impl Refusal for ClientMessageIdError {}

wire_string!(ClientMessageId, ClientMessageId::parse);

impl ClientMessageId {
    pub fn parse(raw: &str) -> Result<Self, ClientMessageIdError> {
        let ok =
            (8..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ClientMessageIdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::System => "system",
        }
    }
}

/// How a stored message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Written in full.
    Complete,
    /// The reply broke off; the content is what arrived before it did.
    Interrupted,
    /// The reply never started.
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Interrupted => "interrupted",
            Self::Failed => "failed",
        }
    }
}

/// `POST /v1/conversations/{id}/stop`: stop the reply to the visitor's message of this client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopReply {
    pub client_message_id: String,
}

/// One message as the widget sees it in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: String,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// A reply's sources: the passages of the site's knowledge it was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceRef>,
}

/// Where a passage the assistant answered from comes from: a page of the site or a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// The knowledge source's id.
    pub id: String,
    pub title: String,
    /// The page's address; absent for a document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Tokens the provider counted for one reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub tokens_in: u32,
    pub tokens_out: u32,
}

/// A visitor's verdict on one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Up,
    Down,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// `POST /v1/messages/{id}/feedback` with the conversation's token; sending again replaces
/// the earlier verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    pub conversation_id: String,
    pub rating: Rating,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_keeps_inner_whitespace() {
        assert_eq!(MessageText::parse("  hi\nthere \t").unwrap().as_str(), "hi\nthere");
    }

    #[test]
    fn empty_or_blank_is_rejected() {
        assert_eq!(MessageText::parse(""), Err(MessageTextError::Empty));
        assert_eq!(MessageText::parse(" \n\t "), Err(MessageTextError::Empty));
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_MESSAGE_CHARS);
        assert!(MessageText::parse(&at_limit).is_ok());
        let over = "é".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(MessageText::parse(&over), Err(MessageTextError::TooLong { chars: MAX_MESSAGE_CHARS + 1 }));
    }

    #[test]
    fn client_message_ids_are_short_and_plain() {
        assert!(ClientMessageId::parse("0123456789abcdef0123456789abcdef").is_ok());
        assert!(ClientMessageId::parse("m_1-abcd").is_ok());
        for bad in ["", "short", "with space 123", "<script>alert(1)", &"a".repeat(65), "ünïcödé-1234"] {
            assert_eq!(ClientMessageId::parse(bad), Err(ClientMessageIdError), "{bad:?}");
        }
    }

    #[test]
    fn roles_and_statuses_use_the_stored_spelling() {
        assert_eq!(serde_json::to_string(&Role::Assistant).unwrap(), "\"assistant\"");
        assert_eq!(serde_json::to_string(&MessageStatus::Interrupted).unwrap(), "\"interrupted\"");
        assert_eq!(serde_json::from_str::<MessageStatus>("\"failed\"").unwrap().as_str(), "failed");
    }
}
