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
    /// No session cookie, or one whose session expired, was revoked or signed out (and no API key).
    NotSignedIn,
    /// Signing in failed: the email and password do not match an account (which of the two is
    /// wrong is not said).
    InvalidCredentials,
    /// The new password is one of the most common passwords, or too short.
    WeakPassword,
    /// The invitation or reset link was used already, revoked, or has expired.
    LinkInvalid,
    /// The signed-in user belongs to several organizations and named none (`X-Organization-Id`).
    OrganizationRequired,
    /// The member does not exist in this organization.
    MemberNotFound,
    /// The invitation does not exist (or belongs to another organization).
    InvitationNotFound,
    /// The person invited already belongs to the organization.
    AlreadyMember,
    /// The change would leave the organization without an owner.
    LastOwner,
    /// Something failed inside the edge.
    Internal,
}

impl ErrorCode {
    /// Every code, for readers that map a wire name back to its code.
    pub const ALL: [Self; 38] = [
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
        Self::NotSignedIn,
        Self::InvalidCredentials,
        Self::WeakPassword,
        Self::LinkInvalid,
        Self::OrganizationRequired,
        Self::MemberNotFound,
        Self::InvitationNotFound,
        Self::AlreadyMember,
        Self::LastOwner,
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
            Self::NotSignedIn => "not_signed_in",
            Self::InvalidCredentials => "invalid_credentials",
            Self::WeakPassword => "weak_password",
            Self::LinkInvalid => "link_invalid",
            Self::OrganizationRequired => "organization_required",
            Self::MemberNotFound => "member_not_found",
            Self::InvitationNotFound => "invitation_not_found",
            Self::AlreadyMember => "already_member",
            Self::LastOwner => "last_owner",
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
            Self::NotSignedIn => 401,
            Self::InvalidCredentials => 401,
            Self::WeakPassword => 422,
            Self::LinkInvalid => 410,
            Self::OrganizationRequired => 400,
            Self::MemberNotFound => 404,
            Self::InvitationNotFound => 404,
            Self::AlreadyMember => 409,
            Self::LastOwner => 409,
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

/// A value its parser refused. The client is answered with [`Refusal::code`] (`invalid_field`
/// unless the value has a code of its own, like `message_empty`) and the error's message, which
/// names the field.
pub trait Refusal: std::fmt::Display {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidField
    }
}

/// A [`Refusal`] on its way out of serde, which carries nothing but text: a typed field of a
/// request (`#[serde(try_from = "String")]`) fails with this, written `code: message`, and
/// [`Refused::read`] takes the code back out of the deserializer's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: ErrorCode,
    pub message: String,
}

impl<E: Refusal> From<E> for Refused {
    fn from(e: E) -> Self {
        Self { code: e.code(), message: e.to_string() }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl Refused {
    /// The refusal in the text of a deserializer's error (without a position, as
    /// `serde_json::from_value` writes it); `None` for every other error (a missing field, a
    /// wrong type).
    pub fn read(error: &str) -> Option<Self> {
        let (code, message) = error.split_once(": ")?;
        let code = ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)?;
        Some(Self { code, message: message.to_owned() })
    }
}

/// A typed value of the wire as a JSON string: read through its parser (refusing as
/// [`Refused`]), written as its text. The type derives `Deserialize` and `Serialize` with
/// `#[serde(try_from = "String", into = "String")]`.
macro_rules! wire_string {
    ($type:ty, $parse:path) => {
        impl TryFrom<String> for $type {
            type Error = $crate::error::Refused;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                $parse(&raw).map_err($crate::error::Refused::from)
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.0
            }
        }
    };
}
pub(crate) use wire_string;

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

    #[test]
    fn a_refusal_keeps_its_code_through_serde() {
        use crate::message::{MessageText, MessageTextError};
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            #[allow(dead_code)]
            content: MessageText,
        }
        let refused = |v: serde_json::Value| {
            Refused::read(&serde_json::from_value::<Body>(v).unwrap_err().to_string()).map(|r| (r.code, r.message))
        };
        assert_eq!(
            refused(serde_json::json!({"content": " "})),
            Some((ErrorCode::MessageEmpty, MessageTextError::Empty.to_string()))
        );
        assert_eq!(refused(serde_json::json!({"content": "x".repeat(5000)})).unwrap().0, ErrorCode::MessageTooLong);
        assert!(serde_json::from_value::<Body>(serde_json::json!({"content": " hi "})).is_ok());
        // A body of the wrong shape is no refusal of a value.
        assert_eq!(refused(serde_json::json!({"content": 42})), None);
        assert_eq!(refused(serde_json::json!({})), None);
        assert_eq!(Refused::read("unknown_code: x"), None);
    }
}
