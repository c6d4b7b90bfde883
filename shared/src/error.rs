//! The error body every endpoint returns and the stable codes inside it.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code. The wire form (`as_str`) never changes once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON or does not have the expected shape.
    InvalidJson,
    /// A field is present but its value is not acceptable.
    InvalidField,
    /// The message is empty after trimming.
    MessageEmpty,
    /// The message is longer than [`crate::limits::MAX_MESSAGE_CHARS`].
    MessageTooLong,
    /// The body is larger than [`crate::limits::MAX_BODY_BYTES`].
    BodyTooLarge,
    /// The request's `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// No site key was given, or it is not a well-formed key.
    SiteKeyMissing,
    /// The site key belongs to no registered domain.
    SiteNotRegistered,
    /// The request's `Origin` is not one of the domain's hostnames.
    OriginNotAllowed,
    /// The domain exists but has been deactivated by its owner.
    DomainInactive,
    /// No conversation token, or a token that does not grant this conversation.
    Unauthorized,
    /// The conversation does not exist (or is not visible to the caller).
    ConversationNotFound,
    /// The message does not exist in this conversation, or is not a reply.
    MessageNotFound,
    /// Too many requests of this kind; `Retry-After` says when to try again.
    RateLimited,
    /// The conversation holds as many messages as a conversation may; start a new one.
    ConversationFull,
    /// The organization's monthly AI budget is spent; replies resume next month or with a raised budget.
    BudgetExhausted,
    /// No API key, a malformed `Authorization` header, or a revoked or unknown key.
    InvalidApiKey,
    /// The domain does not exist (or belongs to another organization).
    DomainNotFound,
    /// The knowledge entry does not exist (or belongs to another organization).
    KnowledgeNotFound,
    /// The API key does not exist (or belongs to another organization).
    ApiKeyNotFound,
    /// The hostname is already one of this organization's sites (as a hostname or an alias).
    HostnameTaken,
    /// The verification token was found neither at the site's `/.well-known/` address nor in
    /// its DNS TXT record; the message says what each check found.
    VerificationFailed,
    /// No route for this method and path.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The organization has stored as much as it may: messages this month, or knowledge.
    QuotaExceeded,
    /// The caller may not do this: name another organization's provider secret, or run a model
    /// the operator does not offer on its account.
    Forbidden,
    /// The LLM provider refused or failed before answering.
    UpstreamError,
    /// The LLM provider's stream broke off or turned invalid mid-reply.
    UpstreamInterrupted,
    /// Something failed inside the edge.
    Internal,
}

impl ErrorCode {
    /// Every code, for readers that map a wire name back to its code.
    pub const ALL: [Self; 29] = [
        Self::InvalidJson,
        Self::InvalidField,
        Self::MessageEmpty,
        Self::MessageTooLong,
        Self::BodyTooLarge,
        Self::UnsupportedMediaType,
        Self::SiteKeyMissing,
        Self::SiteNotRegistered,
        Self::OriginNotAllowed,
        Self::DomainInactive,
        Self::Unauthorized,
        Self::ConversationNotFound,
        Self::MessageNotFound,
        Self::RateLimited,
        Self::ConversationFull,
        Self::BudgetExhausted,
        Self::InvalidApiKey,
        Self::DomainNotFound,
        Self::KnowledgeNotFound,
        Self::ApiKeyNotFound,
        Self::HostnameTaken,
        Self::VerificationFailed,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::QuotaExceeded,
        Self::Forbidden,
        Self::UpstreamError,
        Self::UpstreamInterrupted,
        Self::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidField => "invalid_field",
            Self::MessageEmpty => "message_empty",
            Self::MessageTooLong => "message_too_long",
            Self::BodyTooLarge => "body_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::SiteKeyMissing => "site_key_missing",
            Self::SiteNotRegistered => "site_not_registered",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::DomainInactive => "domain_inactive",
            Self::Unauthorized => "unauthorized",
            Self::ConversationNotFound => "conversation_not_found",
            Self::MessageNotFound => "message_not_found",
            Self::RateLimited => "rate_limited",
            Self::ConversationFull => "conversation_full",
            Self::BudgetExhausted => "budget_exhausted",
            Self::InvalidApiKey => "invalid_api_key",
            Self::DomainNotFound => "domain_not_found",
            Self::KnowledgeNotFound => "knowledge_not_found",
            Self::ApiKeyNotFound => "api_key_not_found",
            Self::HostnameTaken => "hostname_taken",
            Self::VerificationFailed => "verification_failed",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::QuotaExceeded => "quota_exceeded",
            Self::Forbidden => "forbidden",
            Self::UpstreamError => "upstream_error",
            Self::UpstreamInterrupted => "upstream_interrupted",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status that goes with the code: the one place that decides it.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidJson | Self::InvalidField | Self::MessageEmpty | Self::SiteKeyMissing => 400,
            Self::MessageTooLong => 422,
            Self::BodyTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Unauthorized | Self::InvalidApiKey => 401,
            Self::OriginNotAllowed | Self::DomainInactive => 403,
            Self::SiteNotRegistered
            | Self::ConversationNotFound
            | Self::MessageNotFound
            | Self::NotFound
            | Self::DomainNotFound
            | Self::KnowledgeNotFound
            | Self::ApiKeyNotFound => 404,
            Self::HostnameTaken | Self::ConversationFull => 409,
            Self::BudgetExhausted => 402,
            Self::VerificationFailed => 422,
            Self::QuotaExceeded | Self::Forbidden => 403,
            Self::RateLimited => 429,
            Self::MethodNotAllowed => 405,
            Self::UpstreamError | Self::UpstreamInterrupted => 502,
            Self::Internal => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"error": {"code": "…", "message": "…"}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { error: ErrorDetail { code, message: message.into() } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_name_and_as_str_agree_for_every_code() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!((400..600).contains(&code.http_status()));
        }
    }

    #[test]
    fn body_has_the_documented_shape() {
        let body = ErrorBody::new(ErrorCode::OriginNotAllowed, "nope");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": {"code": "origin_not_allowed", "message": "nope"}})
        );
    }
}
