//! How much a visitor may ask of a site (OWASP LLM10, unbounded consumption): messages per
//! minute and new conversations per hour, per visitor, per IP address and per domain, and
//! messages per conversation. Defaults come from `wrangler.toml`, a domain may override them
//! within [`BOUNDS`]. The counting itself happens in the `meter` Durable Object; this is the
//! arithmetic.
//!
//! Leads have their own limits: per visitor and per address (counted by the meter, so one
//! script cannot use up a site's allowance), a few per conversation, and a ceiling per domain
//! per minute that bounds what many addresses can pour into a site owner's list (counted in
//! D1, in the same statement that stores).

use shared::field::FieldError;
use shared::limits::LimitsConfig;

/// The limits in force for one domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitorLimits {
    pub messages_per_minute_per_visitor: u32,
    pub messages_per_minute_per_ip: u32,
    pub messages_per_minute_per_domain: u32,
    pub conversations_per_hour_per_visitor: u32,
    pub conversations_per_hour_per_ip: u32,
    /// New conversations the whole site may get per hour: what rotating addresses can open.
    pub conversations_per_hour_per_domain: u32,
    pub messages_per_conversation: u32,
}

/// Defaults when `wrangler.toml` says nothing.
pub const DEFAULTS: VisitorLimits = VisitorLimits {
    messages_per_minute_per_visitor: 10,
    messages_per_minute_per_ip: 30,
    messages_per_minute_per_domain: 600,
    conversations_per_hour_per_visitor: 10,
    conversations_per_hour_per_ip: 30,
    conversations_per_hour_per_domain: 1_000,
    messages_per_conversation: 100,
};

/// The most any setting may allow; the least is 1.
pub const BOUNDS: VisitorLimits = VisitorLimits {
    messages_per_minute_per_visitor: 60,
    messages_per_minute_per_ip: 600,
    messages_per_minute_per_domain: 20_000,
    conversations_per_hour_per_visitor: 100,
    conversations_per_hour_per_ip: 2_000,
    conversations_per_hour_per_domain: 50_000,
    messages_per_conversation: 1_000,
};

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;

/// The fields of [`VisitorLimits`] by name, for reading settings and overrides uniformly.
fn fields(l: &mut VisitorLimits) -> [(&'static str, &mut u32); 7] {
    [
        ("messages_per_minute_per_visitor", &mut l.messages_per_minute_per_visitor),
        ("messages_per_minute_per_ip", &mut l.messages_per_minute_per_ip),
        ("messages_per_minute_per_domain", &mut l.messages_per_minute_per_domain),
        ("conversations_per_hour_per_visitor", &mut l.conversations_per_hour_per_visitor),
        ("conversations_per_hour_per_ip", &mut l.conversations_per_hour_per_ip),
        ("conversations_per_hour_per_domain", &mut l.conversations_per_hour_per_domain),
        ("messages_per_conversation", &mut l.messages_per_conversation),
    ]
}

fn overrides(o: &LimitsConfig) -> [Option<u32>; 7] {
    [
        o.messages_per_minute_per_visitor,
        o.messages_per_minute_per_ip,
        o.messages_per_minute_per_domain,
        o.conversations_per_hour_per_visitor,
        o.conversations_per_hour_per_ip,
        o.conversations_per_hour_per_domain,
        o.messages_per_conversation,
    ]
}

impl VisitorLimits {
    /// The defaults, each read from `get("LIMIT_<FIELD IN CAPITALS>")` when set, clamped to the bounds.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut limits = DEFAULTS;
        let mut bounds = BOUNDS;
        for ((name, value), (_, max)) in fields(&mut limits).into_iter().zip(fields(&mut bounds)) {
            if let Some(n) = get(&format!("LIMIT_{}", name.to_uppercase())).and_then(|v| v.trim().parse::<u32>().ok()) {
                *value = n.clamp(1, *max);
            }
        }
        limits
    }

    /// These limits with a domain's overrides applied (checked on the way in, clamped again here).
    pub fn with_overrides(mut self, o: &LimitsConfig) -> Self {
        let mut bounds = BOUNDS;
        for (((_, value), (_, max)), over) in fields(&mut self).into_iter().zip(fields(&mut bounds)).zip(overrides(o)) {
            if let Some(n) = over {
                *value = n.clamp(1, *max);
            }
        }
        self
    }
}

/// Checks a domain's overrides against [`BOUNDS`].
pub fn check_limits(o: &LimitsConfig) -> Result<(), FieldError> {
    let mut bounds = BOUNDS;
    for ((name, max), over) in fields(&mut bounds).into_iter().zip(overrides(o)) {
        if let Some(n) = over {
            if n < 1 || n > *max {
                return Err(FieldError::new(format!("limits.{name}"), format!("must be between 1 and {max}")));
            }
        }
    }
    Ok(())
}

/// What an organization may store: the edge's defaults (`QUOTA_MESSAGES_PER_MONTH`,
/// `QUOTA_KNOWLEDGE_BYTES`), which the operator may set otherwise per organization (`dev/plan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageQuota {
    /// Visitors' messages and replies stored per month.
    pub messages_per_month: u64,
    /// Bytes of knowledge entries' text.
    pub knowledge_bytes: u64,
}

impl StorageQuota {
    pub const DEFAULT: Self = Self { messages_per_month: 100_000, knowledge_bytes: 5_000_000 };
    pub const MAX: Self = Self { messages_per_month: 100_000_000, knowledge_bytes: 1_000_000_000 };

    /// The defaults, each read from `get` when set, within [`StorageQuota::MAX`].
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str, default: u64, max: u64| {
            get(name).and_then(|v| v.trim().parse::<u64>().ok()).map_or(default, |n| n.min(max))
        };
        Self {
            messages_per_month: read(
                "QUOTA_MESSAGES_PER_MONTH",
                Self::DEFAULT.messages_per_month,
                Self::MAX.messages_per_month,
            ),
            knowledge_bytes: read("QUOTA_KNOWLEDGE_BYTES", Self::DEFAULT.knowledge_bytes, Self::MAX.knowledge_bytes),
        }
    }
}

/// Leads one visitor (the visitor of the conversation a lead names) may leave per hour.
pub const LEADS_PER_VISITOR_PER_HOUR: u32 = 5;
/// Leads one address (an IPv6 /64) may leave per hour on one site: what a script would pour in
/// stops here, long before the site's own ceiling holds back real visitors.
pub const LEADS_PER_ADDRESS_PER_HOUR: u32 = 10;

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
    fn settings_and_overrides_stay_within_bounds() {
        let get = |name: &str| match name {
            "LIMIT_MESSAGES_PER_MINUTE_PER_VISITOR" => Some("5".to_owned()),
            "LIMIT_MESSAGES_PER_CONVERSATION" => Some("1000000".to_owned()),
            "LIMIT_CONVERSATIONS_PER_HOUR_PER_IP" => Some("many".to_owned()),
            _ => None,
        };
        let l = VisitorLimits::from_lookup(get);
        assert_eq!(l.messages_per_minute_per_visitor, 5);
        assert_eq!(l.messages_per_conversation, BOUNDS.messages_per_conversation);
        assert_eq!(l.conversations_per_hour_per_ip, DEFAULTS.conversations_per_hour_per_ip);
        let o = LimitsConfig { messages_per_minute_per_ip: Some(7), ..Default::default() };
        let merged = l.with_overrides(&o);
        assert_eq!((merged.messages_per_minute_per_ip, merged.messages_per_minute_per_visitor), (7, 5));
    }

    #[test]
    fn overrides_outside_the_bounds_are_refused_by_name() {
        assert_eq!(check_limits(&LimitsConfig::default()), Ok(()));
        let zero = LimitsConfig { conversations_per_hour_per_visitor: Some(0), ..Default::default() };
        assert_eq!(check_limits(&zero).unwrap_err().field, "limits.conversations_per_hour_per_visitor");
        let huge = LimitsConfig {
            messages_per_minute_per_domain: Some(BOUNDS.messages_per_minute_per_domain + 1),
            ..Default::default()
        };
        assert_eq!(check_limits(&huge).unwrap_err().field, "limits.messages_per_minute_per_domain");
    }

    #[test]
    fn storage_quotas_default_and_stay_within_their_ceiling() {
        assert_eq!(StorageQuota::from_lookup(|_| None), StorageQuota::DEFAULT);
        let q = StorageQuota::from_lookup(|n| match n {
            "QUOTA_MESSAGES_PER_MONTH" => Some("5000".into()),
            "QUOTA_KNOWLEDGE_BYTES" => Some("99999999999999".into()),
            _ => None,
        });
        assert_eq!(q, StorageQuota { messages_per_month: 5_000, knowledge_bytes: StorageQuota::MAX.knowledge_bytes });
    }

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
