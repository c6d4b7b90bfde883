-- A reply is stored when it starts, right after the message it answers, as 'interrupted' with
-- what has arrived so far; the edge writes what arrives about once a second and the outcome at
-- the end. So the transcript keeps each reply under its question whatever order replies end in,
-- and a reply cut by a crash keeps what the visitor already read.
-- finished_at: when the reply ended (NULL while it is being made; always set for other rows).
-- updated_at: the reply's last write, its heartbeat while in progress.
-- stop_requested: the visitor pressed stop; the reply in progress ends at its next write.
ALTER TABLE messages ADD COLUMN finished_at INTEGER;
ALTER TABLE messages ADD COLUMN updated_at INTEGER;
ALTER TABLE messages ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0 CHECK (stop_requested IN (0, 1));
UPDATE messages SET finished_at = created_at, updated_at = created_at;
-- The sweep that closes replies left in progress by a runtime that died.
CREATE INDEX messages_in_progress ON messages (updated_at) WHERE finished_at IS NULL;
