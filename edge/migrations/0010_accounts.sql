-- People who run organizations (shared/design.md, round 2): users, their memberships with a
-- role, sessions, invitations, password-reset links, and the audit trail. Secrets (session
-- cookies, invitation and reset tokens) are stored only as their SHA-256; passwords only as a
-- versioned PBKDF2 hash. Times are milliseconds since the Unix epoch.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    -- Stored lower-cased whole (shared::auth::account_email); NOCASE as well for hand-made rows.
    email         TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- NULL until its owner sets one with a reset or invitation link.
    password_hash TEXT CHECK (password_hash IS NULL OR password_hash LIKE 'pbkdf2-sha256$%'),
    created_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_by_organization ON memberships (organization_id, role);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    -- The absolute end; the idle end is last_seen_at plus the edge's idle time.
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT NOT NULL COLLATE NOCASE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
    token_hash      TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    -- A user's or an API key's id.
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    accepted_at     INTEGER,
    revoked_at      INTEGER
);
CREATE INDEX invitations_by_organization ON invitations (organization_id, created_at DESC, id DESC);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The organization whose owner or admin issued it, and the issuer's role there; NULL when
    -- the operator did (dev/bootstrap). Used only while its user still belongs to that
    -- organization alone, in a role the issuer may manage.
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    issuer_role     TEXT CHECK (issuer_role IS NULL OR issuer_role IN ('owner', 'admin')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- What a key may do, as a member's role does. Keys minted before roles existed keep all they
-- could do then: they are owners' keys.
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('owner', 'admin', 'agent', 'viewer'));
UPDATE api_keys SET role = 'owner';

-- Append-only: nothing in the edge updates a row, and the trigger refuses it anyway. Rows
-- leave only by age (the scheduled clean-up), or with their organization.
CREATE TABLE audit_events (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_type      TEXT NOT NULL CHECK (actor_type IN ('user', 'key')),
    actor_id        TEXT NOT NULL,
    action          TEXT NOT NULL,
    target_type     TEXT,
    target_id       TEXT,
    at              INTEGER NOT NULL,
    ip              TEXT,
    user_agent      TEXT
);
CREATE INDEX audit_events_page ON audit_events (organization_id, at DESC, id DESC);
CREATE INDEX audit_events_by_age ON audit_events (at);

CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are never changed'); END;
