-- Passages removed, whose vectors Cloudflare Vectorize may still hold (KNOWLEDGE_VECTORS =
-- "vectorize"): one trigger catches every way a passage goes (its source or site removed, a page
-- indexed again or no longer reached, an entry changed), and the scheduled run deletes the
-- vectors and these rows. Searches never show such a vector meanwhile: a match is read back from
-- knowledge_chunks. Without Vectorize the scheduled run only empties the table.
-- Each row keeps its organization, as every row does; no foreign key, since the vector outlives
-- the passage (and the organization, when that is what was removed) until it is deleted.
CREATE TABLE knowledge_vectors_gone (
    id INTEGER PRIMARY KEY,
    organization_id TEXT NOT NULL
);

CREATE TRIGGER knowledge_vectors_gone_on_delete AFTER DELETE ON knowledge_chunks
WHEN OLD.embedding IS NOT NULL BEGIN
    INSERT OR IGNORE INTO knowledge_vectors_gone (id, organization_id) VALUES (OLD.id, OLD.organization_id);
END;
