-- Knowledge entries (FAQ and custom text) become sources like websites and documents: each
-- active one is cut into passages and searched, cited and removed like any other, instead of
-- being pasted whole into every prompt. The entry's source shares its id and names it in
-- `entry_id`; it is stored with kind 'document' because SQLite cannot widen 0012's CHECK without
-- rebuilding the table, and dropping the old one would cascade to every passage. The API shows
-- such a source as kind "entry". System prompt entries stay instructions and have no source.
ALTER TABLE knowledge_sources ADD COLUMN entry_id TEXT REFERENCES knowledge (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX knowledge_sources_by_entry ON knowledge_sources (entry_id) WHERE entry_id IS NOT NULL;

-- Entries written before this migration are indexed by the scheduled run (it indexes queued
-- entry sources), since passages need the embeddings provider that SQL cannot call.
INSERT INTO knowledge_sources (id, organization_id, domain_id, kind, title, url, status, max_pages, created_at,
                               updated_at, entry_id)
SELECT id, organization_id, domain_id, 'document', title, NULL, 'queued', 0, created_at, updated_at, id
FROM knowledge WHERE active = 1 AND kind IN ('faq', 'custom');
