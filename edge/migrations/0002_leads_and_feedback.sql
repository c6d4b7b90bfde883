-- Visitors' verdicts on replies, one per reply (a second vote replaces the first), and the
-- indexes the lead endpoint's rate limits count with.

CREATE TABLE message_feedback (
    message_id      TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    rating          TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    FOREIGN KEY (conversation_id, organization_id) REFERENCES conversations (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX message_feedback_by_conversation ON message_feedback (organization_id, conversation_id);

CREATE TRIGGER message_feedback_same_message BEFORE INSERT ON message_feedback
WHEN NOT EXISTS (SELECT 1 FROM messages WHERE id = NEW.message_id AND role = 'assistant'
                 AND conversation_id = NEW.conversation_id AND organization_id = NEW.organization_id)
BEGIN SELECT RAISE(ABORT, 'feedback must be on a reply of the same conversation and organization'); END;

CREATE INDEX leads_by_domain ON leads (organization_id, domain_id, created_at);
CREATE INDEX leads_by_conversation ON leads (organization_id, conversation_id, created_at);
