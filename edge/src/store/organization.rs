//! The organization: its name, budget and prices, its usage and its month's money.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::organization::{ModelPrice, OrganizationView};
use shared::admin::usage::{ActivityDay, UsageDay};

use shared::Usage;
use worker::D1PreparedStatement;

use super::{bind, count, int, opt_int, opt_text, text, OrgStore};
use crate::budget::Money;
use crate::clock::{now_ms, utc_day};
use crate::error::{EdgeError, EdgeResult};
use crate::ids::{DomainId, MessageId};

#[derive(Deserialize)]
struct OrgRow {
    id: String,
    name: String,
    slug: String,
    monthly_budget_cents: i64,
    created_at: i64,
}

#[derive(Deserialize)]
struct PriceRow {
    model: String,
    input_micros_per_million: i64,
    output_micros_per_million: i64,
}

#[derive(Deserialize)]
struct UsageRow {
    day: String,
    requests: i64,
    tokens_in: i64,
    tokens_out: i64,
    cost_micros: i64,
    operator_cost_micros: i64,
}

/// An organization's monthly budget and operator's plan (NULL: the edge's default), and what a
/// month (`?2`, `YYYY-MM`) has cost it and the operator so far.
pub(super) const MONTH_SPEND: &str = "SELECT o.monthly_budget_cents AS budget, o.plan_monthly_cents AS plan, \
     o.quota_messages_per_month AS quota_messages, \
     (SELECT coalesce(sum(u.messages), 0) FROM usage_daily u \
      WHERE u.organization_id = o.id AND substr(u.day, 1, 7) = ?2) AS messages, \
     (SELECT coalesce(sum(u.cost_micros), 0) FROM usage_daily u \
      WHERE u.organization_id = o.id AND substr(u.day, 1, 7) = ?2) AS spent, \
     (SELECT coalesce(sum(u.operator_cost_micros), 0) FROM usage_daily u \
      WHERE u.organization_id = o.id AND substr(u.day, 1, 7) = ?2) AS operator_spent \
     FROM organizations o WHERE o.id = ?1";

#[derive(Deserialize)]
pub(super) struct Spend {
    pub budget: i64,
    pub plan: Option<i64>,
    pub spent: i64,
    pub operator_spent: i64,
    pub quota_messages: Option<i64>,
    pub messages: i64,
}

/// A month's money as D1 has it: the owner's budget and spend, the operator's plan and spend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthSpend {
    pub budget_cents: u64,
    pub spent_micros: u64,
    /// `None`: the edge's default plan.
    pub plan_cents: Option<u64>,
    pub operator_spent_micros: u64,
    /// Messages stored this month, and how many the operator lets the organization store
    /// (`None`: the edge's default).
    pub messages: u64,
    pub quota_messages: Option<u64>,
}

impl From<Spend> for MonthSpend {
    fn from(s: Spend) -> Self {
        Self {
            budget_cents: count(s.budget),
            spent_micros: count(s.spent),
            plan_cents: s.plan.map(count),
            operator_spent_micros: count(s.operator_spent),
            messages: count(s.messages),
            quota_messages: s.quota_messages.map(count),
        }
    }
}

impl OrgStore {
    pub async fn organization(&self) -> EdgeResult<OrganizationView> {
        let results = self
            .db
            .batch(vec![
                bind(
                    &self.db,
                    "SELECT id, name, slug, monthly_budget_cents, created_at FROM organizations WHERE id = ?1",
                    &[self.org()],
                )?,
                bind(
                    &self.db,
                    "SELECT model, input_micros_per_million, output_micros_per_million FROM model_prices \
                     WHERE organization_id = ?1 ORDER BY model",
                    &[self.org()],
                )?,
            ])
            .await?;
        let org: OrgRow = results
            .first()
            .map(|r| r.results::<OrgRow>())
            .transpose()?
            .and_then(|rows| rows.into_iter().next())
            .ok_or_else(|| EdgeError::internal(format!("organization {} of a live key is missing", self.org)))?;
        let prices: Vec<PriceRow> = match results.get(1) {
            Some(r) => r.results()?,
            None => Vec::new(),
        };
        Ok(OrganizationView {
            id: org.id,
            name: org.name,
            slug: org.slug,
            monthly_budget_cents: count(org.monthly_budget_cents),
            prices: prices
                .into_iter()
                .map(|p| ModelPrice {
                    model: p.model,
                    input_micros_per_million: count(p.input_micros_per_million),
                    output_micros_per_million: count(p.output_micros_per_million),
                })
                .collect(),
            created_at: org.created_at,
        })
    }

    /// Changes the name and budget; a given price list replaces the old one. One transaction.
    pub async fn update_organization(
        &self,
        name: Option<&str>,
        monthly_budget_cents: Option<u64>,
        prices: Option<&[ModelPrice]>,
    ) -> EdgeResult<()> {
        let mut statements = vec![bind(
            &self.db,
            "UPDATE organizations SET name = coalesce(?2, name), \
             monthly_budget_cents = coalesce(?3, monthly_budget_cents) WHERE id = ?1",
            &[self.org(), opt_text(name), opt_int(monthly_budget_cents.map(|b| i64::try_from(b).unwrap_or(i64::MAX)))],
        )?];
        statements.push(self.audit(AuditAction::OrganizationUpdate, None)?);
        if let Some(prices) = prices {
            statements.push(bind(&self.db, "DELETE FROM model_prices WHERE organization_id = ?1", &[self.org()])?);
            for p in prices {
                statements.push(bind(
                    &self.db,
                    "INSERT INTO model_prices (organization_id, model, input_micros_per_million, \
                     output_micros_per_million) VALUES (?1, ?2, ?3, ?4)",
                    &[
                        self.org(),
                        text(&p.model),
                        int(p.input_micros_per_million as i64),
                        int(p.output_micros_per_million as i64),
                    ],
                )?);
            }
        }
        self.db.batch(statements).await?;
        Ok(())
    }

    /// Usage per day from `from` to `to` (inclusive, `YYYY-MM-DD`), oldest first.
    pub async fn usage(&self, from: &str, to: &str) -> EdgeResult<Vec<UsageDay>> {
        let rows: Vec<UsageRow> = bind(
            &self.db,
            "SELECT day, requests, tokens_in, tokens_out, cost_micros, operator_cost_micros FROM usage_daily \
             WHERE organization_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day",
            &[self.org(), text(from), text(to)],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows
            .into_iter()
            .map(|r| UsageDay {
                day: r.day,
                requests: count(r.requests),
                tokens_in: count(r.tokens_in),
                tokens_out: count(r.tokens_out),
                cost_micros: count(r.cost_micros),
                operator_cost_micros: count(r.operator_cost_micros),
            })
            .collect())
    }

    /// Conversations started, messages written and replies rated per UTC day within
    /// `[since_ms, until_ms)`, days with none left out.
    pub async fn activity(&self, since_ms: i64, until_ms: i64) -> EdgeResult<Vec<ActivityDay>> {
        #[derive(Deserialize)]
        struct Row {
            day: String,
            conversations: i64,
            messages: i64,
            rated_up: i64,
            rated_down: i64,
        }
        let day = |col: &str| format!("strftime('%Y-%m-%d', {col} / 1000, 'unixepoch')");
        let sql = format!(
            "SELECT day, sum(c) AS conversations, sum(m) AS messages, sum(up) AS rated_up, sum(down) AS rated_down FROM ( \
               SELECT {} AS day, 1 AS c, 0 AS m, 0 AS up, 0 AS down FROM conversations \
                 WHERE organization_id = ?1 AND started_at >= ?2 AND started_at < ?3 \
               UNION ALL SELECT {}, 0, 1, 0, 0 FROM messages \
                 WHERE organization_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND role IN ('user', 'assistant') \
               UNION ALL SELECT {}, 0, 0, rating = 'up', rating = 'down' FROM message_feedback \
                 WHERE organization_id = ?1 AND created_at >= ?2 AND created_at < ?3 \
             ) GROUP BY day ORDER BY day",
            day("started_at"),
            day("created_at"),
            day("created_at"),
        );
        let rows: Vec<Row> =
            bind(&self.db, &sql, &[self.org(), int(since_ms), int(until_ms)])?.all().await?.results()?;
        Ok(rows
            .into_iter()
            .map(|r| ActivityDay {
                day: r.day,
                conversations: count(r.conversations),
                messages: count(r.messages),
                rated_up: count(r.rated_up),
                rated_down: count(r.rated_down),
            })
            .collect())
    }

    /// Adds a reply's usage and cost to the day's total: a visitor's reply in the same
    /// transaction that stores it ([`OrgStore::finish_reply`]), the console's preview alone.
    pub(super) fn add_usage(&self, usage: Usage, cost: Money, now: i64) -> EdgeResult<D1PreparedStatement> {
        bind(
            &self.db,
            "INSERT INTO usage_daily (organization_id, day, requests, tokens_in, tokens_out, cost_micros, \
               operator_cost_micros) \
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6) \
             ON CONFLICT (organization_id, day) DO UPDATE SET \
               requests = requests + 1, \
               tokens_in = tokens_in + excluded.tokens_in, \
               tokens_out = tokens_out + excluded.tokens_out, \
               cost_micros = cost_micros + excluded.cost_micros, \
               operator_cost_micros = operator_cost_micros + excluded.operator_cost_micros",
            &[
                self.org(),
                text(&utc_day(now)),
                int(i64::from(usage.tokens_in)),
                int(i64::from(usage.tokens_out)),
                money(cost.owner),
                money(cost.operator),
            ],
        )
    }

    /// Counts a reply of the console's preview of `domain` in the usage, and records it as a
    /// preview's (its text is not kept); the record's id.
    pub async fn add_preview_usage(
        &self,
        domain: DomainId,
        model: &str,
        usage: Usage,
        cost: Money,
    ) -> EdgeResult<MessageId> {
        let (id, now) = (MessageId::generate(), now_ms());
        let record = bind(
            &self.db,
            "INSERT INTO preview_replies (id, organization_id, domain_id, model, tokens_in, tokens_out, cost_micros, \
               operator_cost_micros, created_at) \
             VALUES (?3, ?1, (SELECT id FROM domains WHERE organization_id = ?1 AND id = ?2), ?4, ?5, ?6, ?7, ?8, ?9)",
            &[
                self.org(),
                text(&domain.to_string()),
                text(&id.to_string()),
                text(model),
                int(i64::from(usage.tokens_in)),
                int(i64::from(usage.tokens_out)),
                money(cost.owner),
                money(cost.operator),
                int(now),
            ],
        )?;
        self.db.batch(vec![record, self.add_usage(usage, cost, now)?]).await?;
        Ok(id)
    }

    /// The organization's money for the month (`YYYY-MM`) so far.
    pub async fn month_spend(&self, month: &str) -> EdgeResult<MonthSpend> {
        let s: Option<Spend> = bind(&self.db, MONTH_SPEND, &[self.org(), text(month)])?.first(None).await?;
        Ok(s.map(MonthSpend::from).unwrap_or_default())
    }
}

/// Micro-dollars as D1 stores them.
fn money(m: u64) -> worker::wasm_bindgen::JsValue {
    int(i64::try_from(m).unwrap_or(i64::MAX))
}
