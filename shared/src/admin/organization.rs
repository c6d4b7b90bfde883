//! `/v1/admin/organization`: the organization's name, monthly budget and model prices.

use serde::{Deserialize, Serialize};

use super::check_name;
use crate::field::{whole, FieldError};
use crate::ModelId;

/// What a model costs, in millionths of a dollar per million tokens (so $0.15/M is 150000).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub model: String,
    #[serde(deserialize_with = "whole::required")]
    pub input_micros_per_million: u64,
    #[serde(deserialize_with = "whole::required")]
    pub output_micros_per_million: u64,
}

/// Highest price accepted per million tokens ($1000), which keeps cost sums far from overflow.
pub const MAX_PRICE_MICROS_PER_MILLION: u64 = 1_000_000_000;
pub const MAX_BUDGET_CENTS: u64 = 100_000_000;

pub fn check_prices(prices: &[ModelPrice]) -> Result<(), FieldError> {
    for (i, p) in prices.iter().enumerate() {
        ModelId::parse(&p.model).map_err(|e| FieldError::new(format!("prices[{i}].model"), e.to_string()))?;
        if p.input_micros_per_million > MAX_PRICE_MICROS_PER_MILLION
            || p.output_micros_per_million > MAX_PRICE_MICROS_PER_MILLION
        {
            return Err(FieldError::new(format!("prices[{i}]"), "prices are capped at 1000000000 micros per million"));
        }
        if prices[..i].iter().any(|q| q.model == p.model) {
            return Err(FieldError::new(format!("prices[{i}].model"), "each model may be priced once"));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub monthly_budget_cents: u64,
    pub prices: Vec<ModelPrice>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "whole::optional")]
    pub monthly_budget_cents: Option<u64>,
    /// Replaces the whole price list.
    #[serde(default)]
    pub prices: Option<Vec<ModelPrice>>,
}

pub fn check_organization(u: &UpdateOrganization) -> Result<(), FieldError> {
    if let Some(name) = &u.name {
        check_name("name", name)?;
    }
    if u.monthly_budget_cents.is_some_and(|b| b > MAX_BUDGET_CENTS) {
        return Err(FieldError::new("monthly_budget_cents", format!("must be at most {MAX_BUDGET_CENTS}")));
    }
    u.prices.as_deref().map_or(Ok(()), check_prices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_bounded_and_unique_per_model() {
        let p = |m: &str, i| ModelPrice { model: m.into(), input_micros_per_million: i, output_micros_per_million: 1 };
        assert_eq!(check_prices(&[p("a", 150_000), p("b", 0)]), Ok(()));
        assert_eq!(check_prices(&[p("a", 1), p("a", 2)]).unwrap_err().field, "prices[1].model");
        assert_eq!(check_prices(&[p("a", MAX_PRICE_MICROS_PER_MILLION + 1)]).unwrap_err().field, "prices[0]");
        let u = UpdateOrganization { monthly_budget_cents: Some(MAX_BUDGET_CENTS + 1), ..Default::default() };
        assert_eq!(check_organization(&u).unwrap_err().field, "monthly_budget_cents");
    }

    #[test]
    fn whole_numbers_may_be_written_as_floats_but_fractions_are_refused() {
        let u: UpdateOrganization = serde_json::from_str(r#"{"monthly_budget_cents": 80940917.0}"#).unwrap();
        assert_eq!(u.monthly_budget_cents, Some(80_940_917));
        let p: ModelPrice =
            serde_json::from_str(r#"{"model":"m","input_micros_per_million":373.0,"output_micros_per_million":1}"#)
                .unwrap();
        assert_eq!(p.input_micros_per_million, 373);
        assert!(serde_json::from_str::<UpdateOrganization>(r#"{"monthly_budget_cents": 1.5}"#).is_err());
    }
}
