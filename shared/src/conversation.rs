//! Opening a conversation, posting to it and reading it back.

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_PAGE_URL_LEN, MAX_VISITOR_ID_LEN};
use crate::message::MessageView;

/// The widget's anonymous id for a browser: 1 to 128 characters of `[A-Za-z0-9._:-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorId(String);

impl VisitorId {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=MAX_VISITOR_ID_LEN).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The page a conversation was started on: an absolute http(s) URL of printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUrl(String);

impl PageUrl {
    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
        let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
            && raw.len() <= MAX_PAGE_URL_LEN
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `POST /v1/conversations`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    pub site: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCreated {
    pub conversation_id: String,
    /// Proof of access to this conversation; sent back as `Authorization: Bearer <token>`.
    pub token: String,
}

/// `POST /v1/conversations/{id}/messages`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    pub content: String,
    /// The widget's id for this message (see `ClientMessageId`): sent again, the message is
    /// stored once and its reply replayed, not asked of the provider twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
}

/// `GET /v1/conversations/{id}/messages`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub conversation_id: String,
    pub messages: Vec<MessageView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_ids_are_short_and_plain() {
        assert!(VisitorId::parse("v_0123-abc:1.2").is_some());
        for bad in ["", "with space", "<script>", &"a".repeat(129)] {
            assert!(VisitorId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn page_urls_are_absolute_http() {
        assert!(PageUrl::parse("https://shop.example.com/p?q=1#x").is_some());
        assert!(PageUrl::parse("HTTP://localhost:8788/").is_some());
        for bad in [
            "/relative",
            "javascript:alert(1)",
            "https://a b",
            "data:text/html,x",
            &format!("https://x/{}", "a".repeat(2048)),
        ] {
            assert!(PageUrl::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let req: CreateConversation = serde_json::from_str(r#"{"site":"site_demo_local"}"#).unwrap();
        assert_eq!(req.visitor_id, None);
        assert_eq!(serde_json::to_string(&req).unwrap(), r#"{"site":"site_demo_local"}"#);
    }

    #[test]
    fn unknown_fields_are_rejected_not_ignored() {
        assert!(serde_json::from_str::<PostMessage>(r#"{"content":"hi","role":"system"}"#).is_err());
        assert!(serde_json::from_str::<PostMessage>(r#"{}"#).is_err());
    }
}
