-- The operator's plan: what an organization may spend per month on the operator's own provider
-- account (its key or AI binding), at the operator's prices. Set only by the operator
-- (`dev/plan`), never through the admin API; NULL follows the edge's PLAN_MONTHLY_CENTS.
-- The owner's budget and prices stay, as the owner's own cap below it.
ALTER TABLE organizations ADD COLUMN plan_monthly_cents INTEGER CHECK (plan_monthly_cents IS NULL OR plan_monthly_cents >= 0);
-- What a reply cost the operator: its tokens at the operator's price when it ran on the
-- operator's account, else 0.
ALTER TABLE messages ADD COLUMN operator_cost_micros INTEGER NOT NULL DEFAULT 0 CHECK (operator_cost_micros >= 0);
ALTER TABLE usage_daily ADD COLUMN operator_cost_micros INTEGER NOT NULL DEFAULT 0 CHECK (operator_cost_micros >= 0);
