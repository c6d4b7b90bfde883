//! When a provider refuses before the reply starts, asking again a moment later often works
//! (a rate limit, an overloaded server). Only before the first token: once text has reached
//! the visitor, a second attempt would be a different reply.

use std::time::Duration;

/// Attempts at the provider per reply: the first and two retries.
pub const ATTEMPTS: u32 = 3;
const FIRST_WAIT_MS: u64 = 250;
/// No wait is longer, whatever the provider's `Retry-After` asks.
const MAX_WAIT_MS: u64 = 2_000;

/// Rate limits and server errors pass; a refused key or a bad request will not change.
pub fn worth_retrying(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The wait before retry number `retry` (1, 2, …): doubling from 250 ms, or the provider's
/// `Retry-After` in seconds, capped at 2 s.
pub fn wait(retry: u32, retry_after_secs: Option<u64>) -> Duration {
    let doubled = FIRST_WAIT_MS.saturating_mul(1 << retry.saturating_sub(1).min(16));
    let ms = retry_after_secs.map_or(doubled, |s| s.saturating_mul(1_000));
    Duration::from_millis(ms.min(MAX_WAIT_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passing_refusals_are_retried() {
        for s in [429, 500, 502, 503, 504] {
            assert!(worth_retrying(s), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!worth_retrying(s), "{s}");
        }
    }

    #[test]
    fn waits_double_and_stay_under_the_cap() {
        assert_eq!(wait(1, None), Duration::from_millis(250));
        assert_eq!(wait(2, None), Duration::from_millis(500));
        assert_eq!(wait(5, None), Duration::from_millis(2_000));
        assert_eq!(wait(40, None), Duration::from_millis(2_000));
        assert_eq!(wait(1, Some(1)), Duration::from_millis(1_000), "the provider's Retry-After");
        assert_eq!(wait(1, Some(3_600)), Duration::from_millis(2_000), "but never more than the cap");
        assert_eq!(wait(1, Some(0)), Duration::ZERO);
    }
}
