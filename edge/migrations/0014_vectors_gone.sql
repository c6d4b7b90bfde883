-- Passages' vectors in Cloudflare Vectorize (KNOWLEDGE_VECTORS = "vectorize"). Each passage with
-- an embedding gets a random vector id of its own: passage ids may be reused by SQLite (an
-- INTEGER PRIMARY KEY takes the highest free one), and a vector must never be taken for a later
-- passage's. A match is read back from knowledge_chunks by that id, within the organization and
-- the site, so a vector whose passage is gone is never shown.
ALTER TABLE knowledge_chunks ADD COLUMN vector_id TEXT;
CREATE INDEX knowledge_chunks_by_vector ON knowledge_chunks (vector_id) WHERE vector_id IS NOT NULL;

-- Vectors of removed passages, to delete: one trigger catches every way a passage goes (its
-- source or site removed, a page indexed again or no longer reached, an entry changed), and the
-- scheduled run deletes the vectors and these rows (without Vectorize it only empties the
-- table). Each row keeps its organization, as every row does; no foreign key, since the vector
-- outlives the passage (and the organization, when that is what was removed).
CREATE TABLE knowledge_vectors_gone (
    vector_id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL
);

CREATE TRIGGER knowledge_vectors_gone_on_delete AFTER DELETE ON knowledge_chunks
WHEN OLD.vector_id IS NOT NULL BEGIN
    INSERT OR IGNORE INTO knowledge_vectors_gone (vector_id, organization_id) VALUES (OLD.vector_id, OLD.organization_id);
END;
