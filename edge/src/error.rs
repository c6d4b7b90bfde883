//! The edge's one error type: a stable code (whose HTTP status is fixed in `shared`) and a
//! message safe to show a visitor. Internal details are logged, never sent.

use shared::error::{ErrorBody, ErrorCode, Refusal};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait before trying again, sent as `Retry-After`.
    pub retry_after: Option<u32>,
}

pub type EdgeResult<T> = Result<T, EdgeError>;

impl EdgeError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), retry_after: None }
    }

    pub fn rate_limited(retry_after: u32, message: impl Into<String>) -> Self {
        Self { retry_after: Some(retry_after), ..Self::new(ErrorCode::RateLimited, message) }
    }

    /// An internal failure: `detail` goes to the log, the caller gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        log_error(&format!("internal error: {detail}"));
        Self::new(ErrorCode::Internal, "Something went wrong on our side. Please try again.")
    }

    /// A value a parser in `shared` refused: its own code, and its message naming the field.
    pub fn refused(e: &impl Refusal) -> Self {
        Self::new(e.code(), e.to_string())
    }

    pub fn status(&self) -> u16 {
        self.code.http_status()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone())
    }
}

impl std::fmt::Display for EdgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for EdgeError {}

/// An error after streaming began travels as the stream's last event.
impl From<EdgeError> for shared::StreamEvent {
    fn from(e: EdgeError) -> Self {
        Self::Error { code: e.code, message: e.message }
    }
}

/// `?` on a parser's result answers the client with what the parser refused.
macro_rules! refusals {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for EdgeError {
            fn from(e: $error) -> Self {
                Self::refused(&e)
            }
        })*
    };
}

refusals!(
    shared::field::FieldError,
    shared::hostname::HostnameError,
    shared::site_key::SiteKeyError,
    shared::message::MessageTextError,
    shared::message::ClientMessageIdError,
    shared::conversation::VisitorIdError,
    shared::conversation::PageUrlError,
);

impl From<worker::Error> for EdgeError {
    fn from(e: worker::Error) -> Self {
        Self::internal(e)
    }
}

/// Longest excerpt of outside text (a provider's error body) that goes into a log line.
pub const LOG_EXCERPT_CHARS: usize = 200;

/// At most [`LOG_EXCERPT_CHARS`] of `text` on one line: control characters (CR/LF among them,
/// which could forge log lines) and bidirectional overrides become spaces, runs of blanks one.
pub fn log_excerpt(text: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for c in text.chars() {
        let c = if c.is_control() || shared::text::is_bidi_control(c) { ' ' } else { c };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if chars == LOG_EXCERPT_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
        chars += 1;
    }
    out.trim_end().to_owned()
}

/// Writes to the worker's log (`wrangler dev` prints it; `wrangler tail` in production).
pub fn log_error(line: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_excerpts_are_one_short_line_of_plain_text() {
        assert_eq!(log_excerpt("bad key\r\nX-Forged: yes\u{202E}txt\t\x1b[31m"), "bad key X-Forged: yes txt [31m");
        let long = log_excerpt(&"é".repeat(10_000));
        assert_eq!(long.chars().count(), LOG_EXCERPT_CHARS + 1);
        assert!(long.ends_with('…'));
        assert_eq!(log_excerpt("  \n "), "");
    }
}
