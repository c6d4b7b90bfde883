//! What replies cost and how much of the month's budget is left: plain arithmetic on integer
//! millionths of a dollar ("micros"), so sums are exact.

/// The budget is set in cents.
pub const MICROS_PER_CENT: u64 = 10_000;

/// A model's price, in micros per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Price {
    pub input: u64,
    pub output: u64,
}

/// A reply's cost, rounded up to the next micro so many small replies never round to nothing.
pub fn cost_micros(tokens_in: u64, tokens_out: u64, price: Price) -> u64 {
    let scaled = (u128::from(tokens_in) * u128::from(price.input))
        .saturating_add(u128::from(tokens_out) * u128::from(price.output));
    u64::try_from(scaled.div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// Micros in the two accounts a reply is counted in: the organization's own (against its
/// budget) and the operator's (against the organization's plan, for replies on the operator's
/// provider account, at the operator's prices, which the organization is charged too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Money {
    pub owner: u64,
    pub operator: u64,
}

/// What tokens at `price` cost in both accounts.
pub fn charge(tokens_in: u64, tokens_out: u64, price: Price, on_operator_account: bool) -> Money {
    let cost = cost_micros(tokens_in, tokens_out, price);
    Money { owner: cost, operator: if on_operator_account { cost } else { 0 } }
}

/// What is left of the month's budget, and whether it is spent.
pub fn remaining(monthly_budget_cents: u64, spent_micros: u64) -> (u64, bool) {
    let budget = monthly_budget_cents.saturating_mul(MICROS_PER_CENT);
    (budget.saturating_sub(spent_micros), spent_micros >= budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_exact_and_rounds_up() {
        let p = Price { input: 150_000, output: 600_000 };
        assert_eq!(cost_micros(1_000_000, 0, p), 150_000);
        assert_eq!(cost_micros(1_000, 1_000, p), 750);
        assert_eq!(cost_micros(1, 0, p), 1, "a fraction of a micro is a micro");
        assert_eq!(cost_micros(123, 456, Price::default()), 0, "unpriced models are free");
        assert_eq!(cost_micros(u64::MAX, u64::MAX, Price { input: u64::MAX, output: u64::MAX }), u64::MAX);
    }

    #[test]
    fn the_operator_is_charged_only_for_its_own_account() {
        let p = Price { input: 1_000_000, output: 2_000_000 };
        assert_eq!(charge(10, 5, p, true), Money { owner: 20, operator: 20 });
        assert_eq!(charge(10, 5, p, false), Money { owner: 20, operator: 0 });
    }

    #[test]
    fn budget_is_spent_when_the_spend_reaches_it() {
        assert_eq!(remaining(1_000, 0), (10_000_000, false));
        assert_eq!(remaining(1_000, 9_999_999), (1, false));
        assert_eq!(remaining(1_000, 10_000_000), (0, true));
        assert_eq!(remaining(1_000, 12_000_000), (0, true));
    }
}
