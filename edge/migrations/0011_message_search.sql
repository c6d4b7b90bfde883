-- Full-text search over what visitors and the assistant wrote, for the owner's inbox: an
-- external-content FTS5 index over messages (by rowid), kept in step by triggers, so the words
-- are stored once. A search is always joined back to messages and filtered by organization,
-- so one organization never finds another's words.
CREATE VIRTUAL TABLE message_search USING fts5(
    content,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (rowid, content) VALUES (NEW.rowid, NEW.content);
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', OLD.rowid, OLD.content);
END;

-- A reply is written as it arrives: each write replaces its words.
CREATE TRIGGER message_search_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', OLD.rowid, OLD.content);
    INSERT INTO message_search (rowid, content) VALUES (NEW.rowid, NEW.content);
END;

INSERT INTO message_search (message_search) VALUES ('rebuild');
