-- Knowledge the assistant retrieves from: websites crawled and documents uploaded ("sources"),
-- each cut into chunks that are searched two ways at once, by words (FTS5, BM25) and by meaning
-- (an embedding per chunk). Every row carries its organization; a search is always filtered by
-- organization and site first.
CREATE TABLE knowledge_sources (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- The site it answers for; NULL for every site of the organization.
    domain_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('website', 'document')),
    title TEXT NOT NULL,
    -- A website's start address (a page or its sitemap.xml).
    url TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'crawling', 'ready', 'failed')),
    error TEXT,
    max_pages INTEGER NOT NULL,
    -- Each crawl counts up; work queued for an older crawl is dropped when it arrives.
    crawl INTEGER NOT NULL DEFAULT 1,
    bytes INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    indexed_at INTEGER,
    UNIQUE (id, organization_id),
    FOREIGN KEY (domain_id, organization_id) REFERENCES domains (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX knowledge_sources_by_org ON knowledge_sources (organization_id, domain_id);

-- The pages of a website source: what the crawler found, fetched or could not.
CREATE TABLE knowledge_pages (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    url TEXT NOT NULL,
    depth INTEGER NOT NULL,
    -- The crawl that last reached it.
    crawl INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'done', 'failed')),
    title TEXT,
    error TEXT,
    etag TEXT,
    last_modified TEXT,
    -- The same-site links it held when last fetched (JSON), followed again when it has not
    -- changed since (304).
    links TEXT,
    fetched_at INTEGER,
    UNIQUE (source_id, url),
    FOREIGN KEY (source_id, organization_id) REFERENCES knowledge_sources (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE knowledge_chunks (
    -- The FTS index's rowid.
    id INTEGER PRIMARY KEY,
    organization_id TEXT NOT NULL,
    domain_id TEXT,
    source_id TEXT NOT NULL,
    -- The website page it came from; NULL for a document.
    page_id TEXT,
    title TEXT NOT NULL,
    url TEXT,
    -- The headings above it, outermost first, joined by " › ".
    heading TEXT NOT NULL,
    content TEXT NOT NULL,
    -- The passage's embedding as signed bytes (unit vector × 127), or NULL without a provider.
    embedding BLOB,
    FOREIGN KEY (source_id, organization_id) REFERENCES knowledge_sources (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX knowledge_chunks_by_scope ON knowledge_chunks (organization_id, domain_id);
CREATE INDEX knowledge_chunks_by_source ON knowledge_chunks (source_id);
CREATE INDEX knowledge_chunks_by_page ON knowledge_chunks (page_id);

CREATE VIRTUAL TABLE knowledge_search USING fts5(
    title,
    heading,
    content,
    content = 'knowledge_chunks',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER knowledge_search_insert AFTER INSERT ON knowledge_chunks BEGIN
    INSERT INTO knowledge_search (rowid, title, heading, content) VALUES (NEW.id, NEW.title, NEW.heading, NEW.content);
END;

CREATE TRIGGER knowledge_search_delete AFTER DELETE ON knowledge_chunks BEGIN
    INSERT INTO knowledge_search (knowledge_search, rowid, title, heading, content)
    VALUES ('delete', OLD.id, OLD.title, OLD.heading, OLD.content);
END;

-- What retrieval found for a visitor's question (the reply's row): the sources it cited, as
-- JSON, the best passage's similarity, and whether the knowledge covered the question (0 lists
-- it among the knowledge's gaps); NULL where nothing was searched.
ALTER TABLE messages ADD COLUMN sources TEXT;
ALTER TABLE messages ADD COLUMN retrieval_score REAL;
ALTER TABLE messages ADD COLUMN retrieval_covered INTEGER;
