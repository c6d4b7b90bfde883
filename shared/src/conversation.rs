//! Opening a conversation, posting to it and reading it back.

use serde::{Deserialize, Serialize};

use crate::error::{wire_string, Refusal};
use crate::limits::{MAX_PAGE_URL_LEN, MAX_VISITOR_ID_LEN};
use crate::message::MessageView;

/// The widget's anonymous id for a browser: 1 to 128 characters of `[A-Za-z0-9._:-]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VisitorId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("visitor_id must be 1 to 128 characters of letters, digits and . _ : -")]
pub struct VisitorIdError;

impl Refusal for VisitorIdError {}

wire_string!(VisitorId, VisitorId::parse);

impl VisitorId {
    pub fn parse(raw: &str) -> Result<Self, VisitorIdError> {
        let ok = (1..=MAX_VISITOR_ID_LEN).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(VisitorIdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The page a conversation was started on: the origin and path of an absolute http(s) URL of
/// printable characters. Its query and fragment are dropped: they can hold a password-reset
/// link or a sign-in token, which no transcript should keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PageUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("page_url must be an absolute http(s) URL without credentials, at most 2048 characters")]
pub struct PageUrlError;

impl Refusal for PageUrlError {}

wire_string!(PageUrl, PageUrl::parse);

impl PageUrl {
    pub fn parse(raw: &str) -> Result<Self, PageUrlError> {
        let kept = &raw[..raw.find(['?', '#']).unwrap_or(raw.len())];
        let lower = kept.get(..8).unwrap_or(kept).to_ascii_lowercase();
        let (_, rest) = kept.split_once("://").ok_or(PageUrlError)?;
        let authority = rest.split('/').next().unwrap_or_default();
        let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
            && raw.len() <= MAX_PAGE_URL_LEN
            && !authority.is_empty()
            && !authority.contains('@')
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Self(kept.to_owned()))
        } else {
            Err(PageUrlError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scheme and authority: `https://shop.example:8443`.
    pub fn origin(&self) -> &str {
        let start = self.0.find("://").map_or(0, |i| i + 3);
        let end = self.0[start..].find('/').map_or(self.0.len(), |i| start + i);
        &self.0[..end]
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
    /// A fresh token for the conversation, when the one presented is near its expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_ids_are_short_and_plain() {
        assert!(VisitorId::parse("v_0123-abc:1.2").is_ok());
        for bad in ["", "with space", "<script>", &"a".repeat(129)] {
            assert_eq!(VisitorId::parse(bad), Err(VisitorIdError), "{bad:?}");
        }
    }

    #[test]
    fn page_urls_are_absolute_http() {
        let page = |raw: &str| PageUrl::parse(raw).map(|p| (p.as_str().to_owned(), p.origin().to_owned()));
        assert_eq!(
            page("https://shop.example.com/reset?token=s3cret#access_token=x"),
            Ok(("https://shop.example.com/reset".into(), "https://shop.example.com".into())),
            "query and fragment are never kept"
        );
        assert_eq!(page("HTTP://localhost:8788"), Ok(("HTTP://localhost:8788".into(), "HTTP://localhost:8788".into())));
        assert_eq!(page("https://a.example/#/route?x").map(|p| p.0), Ok("https://a.example/".into()));
        for bad in [
            "/relative",
            "javascript:alert(1)",
            "https://a b",
            "https://user:pw@shop.example/",
            "https:///path",
            "data:text/html,x",
            &format!("https://x/{}", "a".repeat(2048)),
        ] {
            assert_eq!(PageUrl::parse(bad), Err(PageUrlError), "{bad:?}");
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
