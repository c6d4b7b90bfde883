//! How many leads a site accepts: a few per conversation, and a ceiling per domain per minute
//! that bounds what a script can pour into a site owner's list (at the price of real visitors
//! waiting a minute during such a flood). Counted in D1, in the same statement that stores.

/// Leads one conversation may leave (a correction or two, not a flood).
pub const LEADS_PER_CONVERSATION: u32 = 3;
/// Leads one domain accepts per minute from all its visitors.
pub const LEADS_PER_DOMAIN_PER_MINUTE: u32 = 20;
pub const LEAD_WINDOW_MS: i64 = 60_000;

/// `None` if one more lead is allowed, else the seconds to wait before trying again.
pub fn lead_retry_after(on_domain_last_minute: u32, in_conversation: u32) -> Option<u32> {
    if in_conversation >= LEADS_PER_CONVERSATION {
        // A conversation's allowance never comes back; a day tells a client not to retry soon.
        return Some(86_400);
    }
    (on_domain_last_minute >= LEADS_PER_DOMAIN_PER_MINUTE).then_some((LEAD_WINDOW_MS / 1000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_both_limits_is_allowed() {
        assert_eq!(lead_retry_after(0, 0), None);
        assert_eq!(lead_retry_after(LEADS_PER_DOMAIN_PER_MINUTE - 1, LEADS_PER_CONVERSATION - 1), None);
    }

    #[test]
    fn a_busy_domain_waits_a_minute() {
        assert_eq!(lead_retry_after(LEADS_PER_DOMAIN_PER_MINUTE, 0), Some(60));
    }

    #[test]
    fn a_conversation_that_left_its_leads_is_refused() {
        assert_eq!(lead_retry_after(0, LEADS_PER_CONVERSATION), Some(86_400));
    }
}
