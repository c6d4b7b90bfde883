-- Replies made in the console's preview (POST /v1/admin/domains/{id}/preview). No conversation
-- holds them and their text is not kept, but they are paid for: usage_daily counts them with
-- the visitors' replies, and these rows say which of its requests they were (so usage_daily
-- still equals the replies stored plus these). The site may be removed later; the record stays.
CREATE TABLE preview_replies (
    id                   TEXT PRIMARY KEY,
    organization_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain_id            TEXT REFERENCES domains (id) ON DELETE SET NULL,
    model                TEXT NOT NULL,
    tokens_in            INTEGER NOT NULL CHECK (tokens_in >= 0),
    tokens_out           INTEGER NOT NULL CHECK (tokens_out >= 0),
    cost_micros          INTEGER NOT NULL CHECK (cost_micros >= 0),
    operator_cost_micros INTEGER NOT NULL CHECK (operator_cost_micros >= 0),
    created_at           INTEGER NOT NULL
);
CREATE INDEX preview_replies_by_organization ON preview_replies (organization_id, created_at);
