//! `/v1/admin/organization` and `/v1/admin/usage`: the organization's name, budget and prices,
//! and what it has used.

use serde::Deserialize;
use shared::admin::organization::{check_organization, UpdateOrganization};
use shared::admin::usage::{BudgetStatus, UsageReport};
use worker::{Env, Request, Response};

use super::{body, day_end, day_start, query};
use crate::budget;
use crate::clock::{now_ms, utc_day, utc_month};
use crate::error::EdgeResult;
use crate::http;
use crate::settings::Settings;
use crate::store::OrgStore;

pub async fn get(store: &OrgStore) -> EdgeResult<Response> {
    http::json(200, &store.organization().await?)
}

pub async fn patch(req: &mut Request, store: &OrgStore) -> EdgeResult<Response> {
    let body: UpdateOrganization = body(req).await?;
    check_organization(&body)?;
    store
        .update_organization(body.name.as_deref().map(str::trim), body.monthly_budget_cents, body.prices.as_deref())
        .await?;
    http::json(200, &store.organization().await?)
}

#[derive(Deserialize)]
struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn usage(req: &Request, env: &Env, store: &OrgStore) -> EdgeResult<Response> {
    let q: UsageQuery = query(req)?;
    let now = now_ms();
    let today = utc_day(now);
    let month = utc_month(now);
    let from = q.from.unwrap_or_else(|| format!("{month}-01"));
    let to = q.to.unwrap_or(today);
    // Checked as dates; any range is fine, since only days with usage are stored (one after
    // the other is simply empty).
    let since_ms = day_start(&from)?;
    let until_ms = day_end(&to)?;
    let days = store.usage(&from, &to).await?;
    let activity = store.activity(since_ms, until_ms).await?;
    let spend = store.month_spend(&month).await?;
    let (remaining, exhausted) = budget::remaining(spend.budget_cents, spend.spent_micros);
    let plan_cents = spend.plan_cents.unwrap_or(Settings::from_env(env)?.plan_monthly_cents);
    let (plan_remaining, plan_exhausted) = budget::remaining(plan_cents, spend.operator_spent_micros);
    let budget = BudgetStatus {
        month,
        monthly_budget_cents: spend.budget_cents,
        spent_micros: spend.spent_micros,
        remaining_micros: remaining,
        exhausted,
        plan_monthly_cents: plan_cents,
        operator_spent_micros: spend.operator_spent_micros,
        plan_remaining_micros: plan_remaining,
        plan_exhausted,
    };
    http::json(200, &UsageReport { days, budget, activity })
}
