//! Limits both sides know, so the widget can refuse what the edge would refuse, and a
//! domain's overrides of the edge's visitor limits.

use crate::field::whole;

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

/// Per-domain overrides of the edge's default visitor limits; each within the edge's bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_minute_per_visitor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_minute_per_ip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_minute_per_domain: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub conversations_per_hour_per_visitor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub conversations_per_hour_per_ip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub conversations_per_hour_per_domain: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_conversation: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_are_whole_numbers_and_null_means_unset() {
        let l: LimitsConfig =
            serde_json::from_str(r#"{"messages_per_conversation": 321.0, "messages_per_minute_per_ip": null}"#)
                .unwrap();
        assert_eq!((l.messages_per_conversation, l.messages_per_minute_per_ip), (Some(321), None));
        assert!(serde_json::from_str::<LimitsConfig>(r#"{"messages_per_conversation": 1.5}"#).is_err());
        assert!(serde_json::from_str::<LimitsConfig>(r#"{"messages_per_hour": 1}"#).is_err());
    }
}
