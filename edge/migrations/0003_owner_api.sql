-- What the site owner's API needs: what each reply cost, the organization's price list,
-- per-domain visitor limits, and the indexes the admin lists page with.

-- Millionths of a US dollar, from the organization's price for the reply's model.
ALTER TABLE messages ADD COLUMN cost_micros INTEGER NOT NULL DEFAULT 0 CHECK (cost_micros >= 0);

-- Overrides of the edge's default visitor limits (JSON, see shared::admin::LimitsConfig).
ALTER TABLE domains ADD COLUMN limits TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(limits));

CREATE TABLE model_prices (
    organization_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    model                     TEXT NOT NULL,
    input_micros_per_million  INTEGER NOT NULL CHECK (input_micros_per_million >= 0),
    output_micros_per_million INTEGER NOT NULL CHECK (output_micros_per_million >= 0),
    PRIMARY KEY (organization_id, model)
);

-- Conversation lists page by (last_message_at, id); the existing indexes end in last_message_at.
CREATE INDEX conversations_page ON conversations (organization_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_page_by_domain ON conversations (organization_id, domain_id, last_message_at DESC, id DESC);
