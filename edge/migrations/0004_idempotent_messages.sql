-- A visitor's message sent twice (the widget retrying after a network blip) is stored and
-- answered once: the widget names each message, and a reply points at the message it answers,
-- so a repeat is recognised and the stored reply replayed instead of asking the provider again.
ALTER TABLE messages ADD COLUMN client_message_id TEXT;
ALTER TABLE messages ADD COLUMN reply_to TEXT;

CREATE UNIQUE INDEX messages_client_message ON messages (conversation_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
