-- What an organization may store: messages per month and bytes of knowledge. The edge's
-- defaults (QUOTA_MESSAGES_PER_MONTH, QUOTA_KNOWLEDGE_BYTES) apply unless the operator set its
-- own for the organization (`dev/plan`); NULL follows the default.
ALTER TABLE organizations ADD COLUMN quota_messages_per_month INTEGER CHECK (quota_messages_per_month IS NULL OR quota_messages_per_month >= 0);
ALTER TABLE organizations ADD COLUMN quota_knowledge_bytes INTEGER CHECK (quota_knowledge_bytes IS NULL OR quota_knowledge_bytes >= 0);
-- Messages stored per day (visitors' messages and replies), counted in the statement that stores them.
ALTER TABLE usage_daily ADD COLUMN messages INTEGER NOT NULL DEFAULT 0 CHECK (messages >= 0);
