-- The whole data model of shared/design.md. The tenant is the organization: every table below
-- it carries organization_id. Composite foreign keys make a child's organization equal its
-- parent's by construction; the triggers say the same again in words, and also hold where
-- foreign keys are not enforced. Times are milliseconds since the Unix epoch.

CREATE TABLE organizations (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug                 TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*'),
    monthly_budget_cents INTEGER NOT NULL DEFAULT 0 CHECK (monthly_budget_cents >= 0),
    created_at           INTEGER NOT NULL
);

CREATE TABLE domains (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    hostname        TEXT NOT NULL UNIQUE CHECK (hostname = lower(hostname) AND hostname NOT LIKE '%.'),
    site_key        TEXT NOT NULL UNIQUE CHECK (length(site_key) BETWEEN 8 AND 64),
    name            TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    config          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    system_prompt   TEXT NOT NULL DEFAULT '',
    llm             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(llm)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (id, organization_id)
);
CREATE INDEX domains_by_organization ON domains (organization_id);

-- Further hostnames a domain answers for (www., a staging host, 127.0.0.1 beside localhost).
-- A hostname names one domain only, across all organizations.
CREATE TABLE domain_aliases (
    hostname        TEXT PRIMARY KEY CHECK (hostname = lower(hostname)),
    domain_id       TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    FOREIGN KEY (domain_id, organization_id) REFERENCES domains (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX domain_aliases_by_domain ON domain_aliases (domain_id);

CREATE TRIGGER domain_aliases_hostname_free BEFORE INSERT ON domain_aliases
WHEN EXISTS (SELECT 1 FROM domains WHERE hostname = NEW.hostname)
BEGIN SELECT RAISE(ABORT, 'hostname already belongs to a domain'); END;

CREATE TRIGGER domains_hostname_free BEFORE INSERT ON domains
WHEN EXISTS (SELECT 1 FROM domain_aliases WHERE hostname = NEW.hostname)
BEGIN SELECT RAISE(ABORT, 'hostname already belongs to a domain'); END;

CREATE TRIGGER domain_aliases_same_organization BEFORE INSERT ON domain_aliases
WHEN NOT EXISTS (SELECT 1 FROM domains WHERE id = NEW.domain_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'alias organization must equal its domain''s'); END;

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    domain_id       TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    visitor_id      TEXT,
    page_url        TEXT,
    started_at      INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    ended_at        INTEGER,
    metadata        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    UNIQUE (id, organization_id),
    FOREIGN KEY (domain_id, organization_id) REFERENCES domains (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX conversations_by_domain ON conversations (organization_id, domain_id, last_message_at DESC);
CREATE INDEX conversations_by_recency ON conversations (organization_id, last_message_at DESC);
CREATE INDEX conversations_by_visitor ON conversations (organization_id, domain_id, visitor_id);

CREATE TRIGGER conversations_same_organization_insert BEFORE INSERT ON conversations
WHEN NOT EXISTS (SELECT 1 FROM domains WHERE id = NEW.domain_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'conversation organization must equal its domain''s'); END;

CREATE TRIGGER conversations_same_organization_update BEFORE UPDATE OF domain_id, organization_id ON conversations
WHEN NOT EXISTS (SELECT 1 FROM domains WHERE id = NEW.domain_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'conversation organization must equal its domain''s'); END;

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'failed')),
    model           TEXT,
    tokens_in       INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    latency_ms      INTEGER CHECK (latency_ms >= 0),
    created_at      INTEGER NOT NULL,
    FOREIGN KEY (conversation_id, organization_id) REFERENCES conversations (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX messages_by_conversation ON messages (organization_id, conversation_id, created_at);
CREATE INDEX messages_by_recency ON messages (organization_id, created_at);

CREATE TRIGGER messages_same_organization_insert BEFORE INSERT ON messages
WHEN NOT EXISTS (SELECT 1 FROM conversations WHERE id = NEW.conversation_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'message organization must equal its conversation''s'); END;

CREATE TRIGGER messages_same_organization_update BEFORE UPDATE OF conversation_id, organization_id ON messages
WHEN NOT EXISTS (SELECT 1 FROM conversations WHERE id = NEW.conversation_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'message organization must equal its conversation''s'); END;

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    prefix          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    revoked_at      INTEGER
);
CREATE INDEX api_keys_by_organization ON api_keys (organization_id);

CREATE TABLE leads (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain_id       TEXT NOT NULL,
    conversation_id TEXT,
    email           TEXT NOT NULL,
    name            TEXT,
    phone           TEXT,
    message         TEXT,
    status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'closed')),
    created_at      INTEGER NOT NULL,
    FOREIGN KEY (domain_id, organization_id) REFERENCES domains (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX leads_by_organization ON leads (organization_id, created_at DESC);

CREATE TRIGGER leads_same_organization BEFORE INSERT ON leads
WHEN NEW.conversation_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM conversations WHERE id = NEW.conversation_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'lead organization must equal its conversation''s'); END;

CREATE TABLE knowledge (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain_id       TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('faq', 'system_prompt', 'custom')),
    title           TEXT NOT NULL,
    content         TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    FOREIGN KEY (domain_id, organization_id) REFERENCES domains (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX knowledge_by_scope ON knowledge (organization_id, domain_id, active);

CREATE TABLE usage_daily (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day             TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    requests        INTEGER NOT NULL DEFAULT 0 CHECK (requests >= 0),
    tokens_in       INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost_micros     INTEGER NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
    PRIMARY KEY (organization_id, day)
);
