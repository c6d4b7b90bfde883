//! `/v1/admin/usage`: what the organization's replies used and cost per day, and where the
//! month stands against its budget and the operator's plan.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub requests: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Millionths of a US dollar: what the day's replies cost the organization.
    pub cost_micros: u64,
    /// What the operator paid for those of them that ran on its provider account, at its prices.
    pub operator_cost_micros: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetStatus {
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub monthly_budget_cents: u64,
    pub spent_micros: u64,
    pub remaining_micros: u64,
    /// New replies are refused until the next month or a raised budget.
    pub exhausted: bool,
    /// The operator's plan: what the organization may use of the operator's provider account
    /// this month, set by the operator.
    pub plan_monthly_cents: u64,
    pub operator_spent_micros: u64,
    pub plan_remaining_micros: u64,
    /// Replies on the operator's account are refused until the next month or a larger plan.
    pub plan_exhausted: bool,
}

/// What visitors did on one day: conversations started, messages written (theirs and the
/// replies), and their verdicts on replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub conversations: u64,
    pub messages: u64,
    pub rated_up: u64,
    pub rated_down: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    /// Days with usage only, oldest first.
    pub days: Vec<UsageDay>,
    pub budget: BudgetStatus,
    /// Days with activity only, oldest first, over the same range.
    #[serde(default)]
    pub activity: Vec<ActivityDay>,
}
