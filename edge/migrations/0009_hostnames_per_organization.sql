-- A hostname was unique across all organizations, first come first served, so anyone could
-- claim a competitor's hostname and lock its owner out. The site key already names the
-- organization and the Origin must be one of that domain's hostnames, so a hostname is now
-- unique within an organization only; the proof that an organization controls a site is its
-- verification (a token served at /.well-known/chat-widget-verification or set as a DNS TXT
-- record), which what acts on the site from outside requires.
--
-- SQLite cannot drop an inline UNIQUE, so `domains` and `domain_aliases` are rebuilt. D1 keeps
-- foreign keys on, and dropping `domains` deletes every row below it by cascade even with the
-- checks deferred: those rows are set aside first and put back after.
PRAGMA defer_foreign_keys = on;

CREATE TABLE kept_domain_aliases AS SELECT * FROM domain_aliases;
CREATE TABLE kept_conversations AS SELECT * FROM conversations;
CREATE TABLE kept_messages AS SELECT * FROM messages;
CREATE TABLE kept_message_feedback AS SELECT * FROM message_feedback;
CREATE TABLE kept_leads AS SELECT * FROM leads;
CREATE TABLE kept_knowledge AS SELECT * FROM knowledge WHERE domain_id IS NOT NULL;

-- Triggers that name `domains` are recreated once the new table has the name.
DROP TRIGGER conversations_same_organization_insert;
DROP TRIGGER conversations_same_organization_update;
DROP TRIGGER domain_aliases_hostname_free;
DROP TRIGGER domains_hostname_free;
DROP TRIGGER domain_aliases_same_organization;

CREATE TABLE domains_rebuilt (
    id                      TEXT PRIMARY KEY,
    organization_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    hostname                TEXT NOT NULL CHECK (hostname = lower(hostname) AND hostname NOT LIKE '%.'),
    site_key                TEXT NOT NULL UNIQUE CHECK (length(site_key) BETWEEN 8 AND 64),
    name                    TEXT NOT NULL,
    active                  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    config                  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    system_prompt           TEXT NOT NULL DEFAULT '',
    llm                     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(llm)),
    limits                  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(limits)),
    -- What the owner publishes to prove control of the primary hostname; never changes. It
    -- need not be secret (it ends up public on the site), only the domain's own.
    verification_token      TEXT NOT NULL DEFAULT (lower(hex(randomblob(16))))
                                CHECK (length(verification_token) = 32),
    -- Set by the last check that found the token, with how it was found; a later failed check
    -- does not take it back (a site briefly down is still the owner's).
    verified_at             INTEGER,
    verified_by             TEXT CHECK (verified_by IN ('http', 'dns')),
    -- The last check, and what it found when it failed (NULL after a success).
    verification_checked_at INTEGER,
    verification_error      TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    UNIQUE (id, organization_id),
    UNIQUE (organization_id, hostname),
    CHECK ((verified_at IS NULL) = (verified_by IS NULL))
);
INSERT INTO domains_rebuilt (id, organization_id, hostname, site_key, name, active, config, system_prompt, llm,
                             limits, created_at, updated_at)
SELECT id, organization_id, hostname, site_key, name, active, config, system_prompt, llm, limits, created_at, updated_at
FROM domains;

DROP TABLE domain_aliases;
DROP TABLE domains;
ALTER TABLE domains_rebuilt RENAME TO domains;
-- Preflight asks which active domain, of any organization, lists a host.
CREATE INDEX domains_by_hostname ON domains (hostname);

CREATE TABLE domain_aliases (
    organization_id TEXT NOT NULL,
    hostname        TEXT NOT NULL CHECK (hostname = lower(hostname)),
    domain_id       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, hostname),
    FOREIGN KEY (domain_id, organization_id) REFERENCES domains (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX domain_aliases_by_domain ON domain_aliases (domain_id);
CREATE INDEX domain_aliases_by_hostname ON domain_aliases (hostname);

-- Within an organization a hostname names one domain, as a primary hostname or an alias.
CREATE TRIGGER domain_aliases_hostname_free BEFORE INSERT ON domain_aliases
WHEN EXISTS (SELECT 1 FROM domains WHERE organization_id = NEW.organization_id AND hostname = NEW.hostname)
BEGIN SELECT RAISE(ABORT, 'hostname already belongs to a domain'); END;

CREATE TRIGGER domains_hostname_free BEFORE INSERT ON domains
WHEN EXISTS (SELECT 1 FROM domain_aliases WHERE organization_id = NEW.organization_id AND hostname = NEW.hostname)
BEGIN SELECT RAISE(ABORT, 'hostname already belongs to a domain'); END;

CREATE TRIGGER domain_aliases_same_organization BEFORE INSERT ON domain_aliases
WHEN NOT EXISTS (SELECT 1 FROM domains WHERE id = NEW.domain_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'alias organization must equal its domain''s'); END;

CREATE TRIGGER conversations_same_organization_insert BEFORE INSERT ON conversations
WHEN NOT EXISTS (SELECT 1 FROM domains WHERE id = NEW.domain_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'conversation organization must equal its domain''s'); END;

CREATE TRIGGER conversations_same_organization_update BEFORE UPDATE OF domain_id, organization_id ON conversations
WHEN NOT EXISTS (SELECT 1 FROM domains WHERE id = NEW.domain_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'conversation organization must equal its domain''s'); END;

-- Back in the order their references need.
INSERT INTO domain_aliases (organization_id, hostname, domain_id, created_at)
SELECT organization_id, hostname, domain_id, created_at FROM kept_domain_aliases;
INSERT INTO conversations SELECT * FROM kept_conversations WHERE id NOT IN (SELECT id FROM conversations);
INSERT INTO messages SELECT * FROM kept_messages WHERE id NOT IN (SELECT id FROM messages);
INSERT INTO message_feedback SELECT * FROM kept_message_feedback
WHERE message_id NOT IN (SELECT message_id FROM message_feedback);
INSERT INTO leads SELECT * FROM kept_leads WHERE id NOT IN (SELECT id FROM leads);
INSERT INTO knowledge SELECT * FROM kept_knowledge WHERE id NOT IN (SELECT id FROM knowledge);

DROP TABLE kept_domain_aliases;
DROP TABLE kept_conversations;
DROP TABLE kept_messages;
DROP TABLE kept_message_feedback;
DROP TABLE kept_leads;
DROP TABLE kept_knowledge;
