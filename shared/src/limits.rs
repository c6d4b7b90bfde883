//! Limits both sides know, so the widget can refuse what the edge would refuse.

/// Longest visitor message, in characters (Unicode scalar values) after trimming.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// Largest request body the edge reads, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Longest visitor id the widget may send, in bytes.
pub const MAX_VISITOR_ID_LEN: usize = 128;

/// Longest page URL stored with a conversation, in bytes.
pub const MAX_PAGE_URL_LEN: usize = 2_048;

/// Most messages of history returned to the widget at once.
pub const MAX_HISTORY_MESSAGES: usize = 200;
