//! Knowledge sources: websites crawled and documents uploaded, their pages, and the passages
//! (chunks) the assistant searches, by words through FTS5 and by meaning through embeddings.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::knowledge::{Gap, GapReason, PageCounts, PageError, SourceKind, SourceStatus, SourceView};
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::{bind, changed, count, int, opt_text, text, Directory, OrgStore};
use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::ids::{DomainId, KnowledgeId, OrgId, PageId, SourceId};
use crate::knowledge::chunks::Chunk;

/// Page errors shown with a source, at most.
const PAGE_ERRORS_SHOWN: u32 = 20;

#[derive(Deserialize)]
struct SourceRow {
    id: String,
    domain_id: Option<String>,
    kind: SourceKind,
    title: String,
    url: Option<String>,
    status: SourceStatus,
    error: Option<String>,
    max_pages: i64,
    bytes: i64,
    created_at: i64,
    updated_at: i64,
    indexed_at: Option<i64>,
    pages_total: i64,
    pages_done: i64,
    pages_failed: i64,
    chunks: i64,
}

impl From<SourceRow> for SourceView {
    fn from(r: SourceRow) -> Self {
        let n = |v: i64| u32::try_from(v).unwrap_or(0);
        Self {
            id: r.id,
            domain_id: r.domain_id,
            kind: r.kind,
            title: r.title,
            url: r.url,
            status: r.status,
            error: r.error,
            pages: PageCounts { total: n(r.pages_total), done: n(r.pages_done), failed: n(r.pages_failed) },
            page_errors: Vec::new(),
            chunks: n(r.chunks),
            bytes: count(r.bytes),
            max_pages: n(r.max_pages),
            created_at: r.created_at,
            updated_at: r.updated_at,
            indexed_at: r.indexed_at,
        }
    }
}

/// Pages are counted for the source's current crawl only.
/// An entry's source is stored as a document (see migration 0013) and shown as an entry.
const SOURCE_VIEW: &str = "SELECT s.id, s.domain_id, CASE WHEN s.entry_id IS NULL THEN s.kind ELSE 'entry' END AS kind, s.title, s.url, s.status, s.error, s.max_pages, s.bytes, \
     s.created_at, s.updated_at, s.indexed_at, \
     (SELECT count(*) FROM knowledge_pages p WHERE p.source_id = s.id AND p.crawl = s.crawl) AS pages_total, \
     (SELECT count(*) FROM knowledge_pages p WHERE p.source_id = s.id AND p.crawl = s.crawl AND p.status = 'done') AS pages_done, \
     (SELECT count(*) FROM knowledge_pages p WHERE p.source_id = s.id AND p.crawl = s.crawl AND p.status = 'failed') AS pages_failed, \
     (SELECT count(*) FROM knowledge_chunks c WHERE c.source_id = s.id) AS chunks \
     FROM knowledge_sources s";

/// A source about to be stored.
pub struct NewSource<'a> {
    pub domain: Option<DomainId>,
    pub kind: SourceKind,
    pub title: &'a str,
    pub url: Option<&'a str>,
    pub status: SourceStatus,
    pub max_pages: u32,
}

/// A passage about to be stored, with its embedding (signed bytes) if there is a provider.
pub struct NewChunk {
    pub chunk: Chunk,
    pub embedding: Option<Vec<u8>>,
}

/// Where passages come from: a document whole, or one page of a website.
#[derive(Clone, Copy)]
pub enum ChunkOrigin {
    Document,
    Page(PageId),
}

/// The passages of one document or page: its source, which it is, and its title and address.
#[derive(Clone, Copy)]
pub struct ChunkPlace<'a> {
    pub source: SourceId,
    pub origin: ChunkOrigin,
    pub title: &'a str,
    pub url: Option<&'a str>,
}

/// A page fetched: its title, its cache validators and the same-site links it holds.
pub struct FetchedPage<'a> {
    pub title: &'a str,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub links: &'a [String],
}

/// A page the crawl has claimed.
#[derive(Debug, Deserialize)]
pub struct ClaimedPage {
    pub id: String,
}

/// What a page's last fetch said: for a conditional request, and to go on from when the page
/// has not changed since.
#[derive(Debug, Default, Deserialize)]
pub struct KnownPage {
    pub title: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// JSON: the same-site links it held.
    pub links: Option<String>,
}

/// A passage just stored: its site, and its vector id if it has an embedding.
#[derive(Debug, Deserialize)]
pub struct StoredChunk {
    pub domain_id: Option<String>,
    pub vector_id: Option<String>,
}

/// A passage found by a search.
#[derive(Debug, Clone, Deserialize)]
pub struct ChunkRow {
    pub id: i64,
    pub source_id: String,
    pub title: String,
    pub url: Option<String>,
    pub heading: String,
    pub content: String,
}

/// Which sources a site's search reads: its own and the organization's for every site.
const IN_SCOPE: &str = "organization_id = ?1 AND (domain_id = ?2 OR domain_id IS NULL)";

/// The version of a site's knowledge (`?1` the organization, `?2` the site): it changes
/// whenever one of its sources is added, indexed again or removed.
pub const KNOWLEDGE_VERSION: &str = "(SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM knowledge_sources \
     WHERE organization_id = ?1 AND (domain_id = ?2 OR domain_id IS NULL))";

impl OrgStore {
    pub async fn sources(&self, domain: Option<DomainId>) -> EdgeResult<Vec<SourceView>> {
        let rows: Vec<SourceRow> = match domain {
            Some(d) => {
                let sql = format!(
                    "{SOURCE_VIEW} WHERE s.organization_id = ?1 AND s.domain_id = ?2 ORDER BY s.created_at DESC, s.id"
                );
                bind(&self.db, &sql, &[self.org(), text(&d.to_string())])?.all().await?.results()?
            }
            None => {
                let sql = format!("{SOURCE_VIEW} WHERE s.organization_id = ?1 ORDER BY s.created_at DESC, s.id");
                bind(&self.db, &sql, &[self.org()])?.all().await?.results()?
            }
        };
        Ok(rows.into_iter().map(SourceView::from).collect())
    }

    /// The source with the first pages its current crawl could not index.
    pub async fn source(&self, id: SourceId) -> EdgeResult<Option<SourceView>> {
        #[derive(Deserialize)]
        struct ErrorRow {
            url: String,
            error: Option<String>,
        }
        let sid = text(&id.to_string());
        let results = self
            .db
            .batch(vec![
                bind(
                    &self.db,
                    &format!("{SOURCE_VIEW} WHERE s.organization_id = ?1 AND s.id = ?2"),
                    &[self.org(), sid.clone()],
                )?,
                bind(
                    &self.db,
                    "SELECT p.url, p.error FROM knowledge_pages p JOIN knowledge_sources s ON s.id = p.source_id \
                     WHERE p.organization_id = ?1 AND p.source_id = ?2 AND p.crawl = s.crawl AND p.status = 'failed' \
                     ORDER BY p.fetched_at, p.url LIMIT ?3",
                    &[self.org(), sid, int(i64::from(PAGE_ERRORS_SHOWN))],
                )?,
            ])
            .await?;
        let [source, errors] = results.as_slice() else {
            return Err(EdgeError::internal("source: D1 returned fewer results than statements"));
        };
        let Some(row) = source.results::<SourceRow>()?.into_iter().next() else { return Ok(None) };
        let mut view = SourceView::from(row);
        view.page_errors = errors
            .results::<ErrorRow>()?
            .into_iter()
            .map(|e| PageError { url: e.url, error: e.error.unwrap_or_default() })
            .collect();
        Ok(Some(view))
    }

    /// `None` if `domain` is given but not one of the organization's domains.
    pub async fn create_source(&self, new: &NewSource<'_>) -> EdgeResult<Option<SourceId>> {
        let id = SourceId::generate();
        let insert = bind(
            &self.db,
            "INSERT INTO knowledge_sources (id, organization_id, domain_id, kind, title, url, status, max_pages, \
               created_at, updated_at) \
             SELECT ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9 \
             WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM domains WHERE organization_id = ?1 AND id = ?3)",
            &[
                self.org(),
                text(&id.to_string()),
                opt_text(new.domain.map(|d| d.to_string()).as_deref()),
                text(new.kind.as_str()),
                text(new.title),
                opt_text(new.url),
                text(new.status.as_str()),
                int(i64::from(new.max_pages)),
                int(now_ms()),
            ],
        )?;
        let audit = self.audit_if_changed(AuditAction::KnowledgeCreate, Some(("source", &id.to_string())))?;
        let results = self.db.batch(vec![insert, audit]).await?;
        Ok(results.first().map_or(Ok(false), changed)?.then_some(id))
    }

    /// Removes the source with its pages and passages, so it is never retrieved again; an
    /// entry's source goes with its entry (they share the id).
    pub async fn delete_source(&self, id: SourceId) -> EdgeResult<bool> {
        let sid = text(&id.to_string());
        let mut statements: Vec<D1PreparedStatement> = [
            "DELETE FROM knowledge_chunks WHERE organization_id = ?1 AND source_id = ?2",
            "DELETE FROM knowledge_pages WHERE organization_id = ?1 AND source_id = ?2",
            "DELETE FROM knowledge_sources WHERE organization_id = ?1 AND id = ?2",
        ]
        .iter()
        .map(|sql| bind(&self.db, sql, &[self.org(), sid.clone()]))
        .collect::<EdgeResult<_>>()?;
        // Audited by the source's own removal, which the statement before it must be.
        statements.push(self.audit_if_changed(AuditAction::KnowledgeDelete, Some(("source", &id.to_string())))?);
        statements.push(bind(
            &self.db,
            "DELETE FROM knowledge WHERE organization_id = ?1 AND id = ?2 AND kind != 'system_prompt'",
            &[self.org(), sid.clone()],
        )?);
        let results = self.db.batch(statements).await?;
        results.get(2).map_or(Ok(false), changed)
    }

    /// Starts a new crawl of a website source: its number, or `None` if there is no such
    /// website source. Pages the new crawl does not reach are forgotten when it ends.
    pub async fn start_crawl(&self, id: SourceId) -> EdgeResult<Option<i64>> {
        #[derive(Deserialize)]
        struct Row {
            crawl: i64,
        }
        let update = bind(
            &self.db,
            "UPDATE knowledge_sources SET crawl = crawl + 1, status = 'queued', error = NULL, updated_at = ?3 \
             WHERE organization_id = ?1 AND id = ?2 AND kind = 'website' RETURNING crawl",
            &[self.org(), text(&id.to_string()), int(now_ms())],
        )?;
        let audit = self.audit_if_changed(AuditAction::KnowledgeUpdate, Some(("source", &id.to_string())))?;
        let results = self.db.batch(vec![update, audit]).await?;
        let row: Option<Row> = match results.first() {
            Some(r) => r.results()?.into_iter().next(),
            None => None,
        };
        Ok(row.map(|r| r.crawl))
    }

    /// Stores `chunks` as passages of a document or of one page, in place of those it had if
    /// `replace`, and counts the source's bytes again. Each new passage with an embedding gets
    /// a vector id of its own (see migration 0014): returned with its site, in order.
    pub async fn put_chunks(
        &self,
        place: ChunkPlace<'_>,
        chunks: &[NewChunk],
        replace: bool,
    ) -> EdgeResult<Vec<StoredChunk>> {
        let ChunkPlace { source, origin, title, url } = place;
        let sid = text(&source.to_string());
        let page = match origin {
            ChunkOrigin::Document => JsValue::NULL,
            ChunkOrigin::Page(p) => text(&p.to_string()),
        };
        let mut statements = Vec::new();
        if replace {
            statements.push(bind(
                &self.db,
                "DELETE FROM knowledge_chunks WHERE organization_id = ?1 AND source_id = ?2 AND page_id IS ?3",
                &[self.org(), sid.clone(), page.clone()],
            )?);
        }
        for c in chunks {
            let embedding =
                c.embedding.as_ref().map_or(JsValue::NULL, |e| worker::js_sys::Uint8Array::from(e.as_slice()).into());
            statements.push(bind(
                &self.db,
                "INSERT INTO knowledge_chunks (organization_id, domain_id, source_id, page_id, title, url, heading, \
                   content, embedding, vector_id) \
                 SELECT ?1, domain_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
                   CASE WHEN ?8 IS NULL THEN NULL ELSE lower(hex(randomblob(16))) END FROM knowledge_sources \
                 WHERE organization_id = ?1 AND id = ?2 RETURNING domain_id, vector_id",
                &[
                    self.org(),
                    sid.clone(),
                    page.clone(),
                    text(title),
                    opt_text(url),
                    text(&c.chunk.heading),
                    text(&c.chunk.content),
                    embedding,
                ],
            )?);
        }
        statements.push(bind(
            &self.db,
            "UPDATE knowledge_sources SET bytes = (SELECT coalesce(sum(length(CAST(content AS BLOB))), 0) \
               FROM knowledge_chunks WHERE source_id = ?2), updated_at = ?3 WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), sid, int(now_ms())],
        )?);
        let results = self.db.batch(statements).await?;
        let inserted = results.iter().skip(usize::from(replace)).take(chunks.len());
        let mut stored = Vec::with_capacity(chunks.len());
        for result in inserted {
            stored.extend(result.results::<StoredChunk>()?);
        }
        Ok(stored)
    }

    /// The passages of these vector ids that the site may answer from (its own and the
    /// organization-wide ones), with their vector ids; others are left out.
    pub async fn chunks_by_vector(&self, domain: DomainId, ids: &[String]) -> EdgeResult<Vec<(String, ChunkRow)>> {
        #[derive(Deserialize)]
        struct Row {
            vector_id: String,
            id: i64,
            source_id: String,
            title: String,
            url: Option<String>,
            heading: String,
            content: String,
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(ids).map_err(|e| EdgeError::internal(e.to_string()))?;
        let sql = format!(
            "SELECT vector_id, id, source_id, title, url, heading, content FROM knowledge_chunks \
             WHERE {IN_SCOPE} AND vector_id IN (SELECT value FROM json_each(?3))"
        );
        let rows: Vec<Row> =
            bind(&self.db, &sql, &[self.org(), text(&domain.to_string()), text(&ids)])?.all().await?.results()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let Row { vector_id, id, source_id, title, url, heading, content } = r;
                (vector_id, ChunkRow { id, source_id, title, url, heading, content })
            })
            .collect())
    }

    /// Marks a source ready (indexed now) or failed with `error`.
    pub async fn finish_source(&self, id: SourceId, error: Option<&str>) -> EdgeResult<()> {
        let status = if error.is_some() { SourceStatus::Failed } else { SourceStatus::Ready };
        bind(
            &self.db,
            "UPDATE knowledge_sources SET status = ?3, error = ?4, indexed_at = ?5, updated_at = ?5 \
             WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), text(&id.to_string()), text(status.as_str()), opt_text(error), int(now_ms())],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Takes a queued entry's source for the scheduled run if it has waited since before
    /// `before_ms`: false if another run or the request saving it took it since.
    pub async fn claim_queued_entry(&self, id: SourceId, before_ms: i64) -> EdgeResult<bool> {
        let result = bind(
            &self.db,
            "UPDATE knowledge_sources SET updated_at = ?4 \
             WHERE organization_id = ?1 AND id = ?2 AND entry_id IS NOT NULL AND status = 'queued' AND updated_at < ?3",
            &[self.org(), text(&id.to_string()), int(before_ms), int(now_ms())],
        )?
        .run()
        .await?;
        changed(&result)
    }

    /// Puts a source back in the queue with why (an entry stored without embeddings, for the
    /// scheduled run to embed).
    pub async fn requeue_source(&self, id: SourceId, why: &str) -> EdgeResult<()> {
        bind(
            &self.db,
            "UPDATE knowledge_sources SET status = 'queued', error = ?3, updated_at = ?4 \
             WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), text(&id.to_string()), text(why), int(now_ms())],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Bytes of text the organization's websites and documents hold (entries are counted as
    /// entries).
    pub async fn source_bytes(&self) -> EdgeResult<u64> {
        #[derive(Deserialize)]
        struct Row {
            used: i64,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT coalesce(sum(bytes), 0) AS used FROM knowledge_sources WHERE organization_id = ?1 AND entry_id IS NULL",
            &[self.org()],
        )?
        .first(None)
        .await?;
        Ok(row.map_or(0, |r| count(r.used)))
    }

    /// Whether `crawl` is the website source's current crawl (false once it is removed or
    /// crawled again).
    pub async fn crawl_is_current(&self, id: SourceId, crawl: i64) -> EdgeResult<bool> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT count(*) AS n FROM knowledge_sources \
             WHERE organization_id = ?1 AND id = ?2 AND kind = 'website' AND crawl = ?3",
            &[self.org(), text(&id.to_string()), int(crawl)],
        )?
        .first(None)
        .await?;
        Ok(row.is_some_and(|r| r.n > 0))
    }

    /// Claims `url` for crawl `crawl` if it is new to it and the crawl has room: the page to
    /// fetch, or `None` if this crawl has it already or is full.
    pub async fn claim_page(
        &self,
        source: SourceId,
        crawl: i64,
        url: &str,
        depth: u32,
    ) -> EdgeResult<Option<ClaimedPage>> {
        let row: Option<ClaimedPage> = bind(
            &self.db,
            "INSERT INTO knowledge_pages (id, organization_id, source_id, url, depth, crawl, status) \
             SELECT ?4, ?1, ?2, ?3, ?5, ?6, 'queued' FROM knowledge_sources s \
             WHERE s.organization_id = ?1 AND s.id = ?2 AND s.crawl = ?6 \
               AND (SELECT count(*) FROM knowledge_pages WHERE source_id = ?2 AND crawl = ?6) < s.max_pages \
             ON CONFLICT (source_id, url) DO UPDATE SET crawl = excluded.crawl, depth = excluded.depth, \
               status = 'queued', error = NULL WHERE knowledge_pages.crawl < excluded.crawl \
             RETURNING id",
            &[
                self.org(),
                text(&source.to_string()),
                text(url),
                text(&PageId::generate().to_string()),
                int(i64::from(depth)),
                int(crawl),
            ],
        )?
        .first(None)
        .await?;
        Ok(row)
    }

    /// What the page's last fetch said.
    pub async fn claimed_page(&self, page: PageId) -> EdgeResult<Option<KnownPage>> {
        Ok(bind(
            &self.db,
            "SELECT title, etag, last_modified, links FROM knowledge_pages WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), text(&page.to_string())],
        )?
        .first(None)
        .await?)
    }

    /// The source's crawl has begun.
    pub async fn crawling(&self, id: SourceId, crawl: i64) -> EdgeResult<()> {
        bind(
            &self.db,
            "UPDATE knowledge_sources SET status = 'crawling', updated_at = ?4 \
             WHERE organization_id = ?1 AND id = ?2 AND crawl = ?3 AND status = 'queued'",
            &[self.org(), text(&id.to_string()), int(crawl), int(now_ms())],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Records a page's fetch: done (with its title, cache validators and links) or failed.
    pub async fn page_fetched(&self, page: PageId, outcome: Result<FetchedPage<'_>, &str>) -> EdgeResult<()> {
        let (status, title, etag, modified, links, error) = match outcome {
            Ok(p) => ("done", Some(p.title), p.etag, p.last_modified, serde_json::to_string(p.links).ok(), None),
            Err(e) => ("failed", None, None, None, None, Some(e)),
        };
        bind(
            &self.db,
            "UPDATE knowledge_pages SET status = ?3, title = coalesce(?4, title), etag = coalesce(?5, etag), \
               last_modified = coalesce(?6, last_modified), error = ?7, fetched_at = ?8, links = coalesce(?9, links) \
             WHERE organization_id = ?1 AND id = ?2",
            &[
                self.org(),
                text(&page.to_string()),
                text(status),
                opt_text(title),
                opt_text(etag),
                opt_text(modified),
                opt_text(error),
                int(now_ms()),
                opt_text(links.as_deref()),
            ],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Ends crawl `crawl` once no page of it is waiting: the pages it did not reach (gone from
    /// the site) are forgotten with their passages, and the source is ready, or failed if no
    /// page could be indexed. True if this call ended it.
    pub async fn end_crawl_if_done(&self, id: SourceId, crawl: i64) -> EdgeResult<bool> {
        let sid = text(&id.to_string());
        let (org, c, now) = (self.org(), int(crawl), int(now_ms()));
        let ended =
            "EXISTS (SELECT 1 FROM knowledge_sources WHERE id = ?2 AND crawl = ?3 AND status IN ('ready', 'failed'))";
        let waiting =
            "EXISTS (SELECT 1 FROM knowledge_pages WHERE source_id = ?2 AND crawl = ?3 AND status = 'queued')";
        let results = self
            .db
            .batch(vec![
                bind(
                    &self.db,
                    &format!(
                        "UPDATE knowledge_sources SET \
                           status = CASE WHEN EXISTS (SELECT 1 FROM knowledge_pages WHERE source_id = ?2 AND crawl = ?3 \
                             AND status = 'done') THEN 'ready' ELSE 'failed' END, \
                           error = CASE WHEN EXISTS (SELECT 1 FROM knowledge_pages WHERE source_id = ?2 AND crawl = ?3 \
                             AND status = 'done') THEN NULL ELSE 'No page could be indexed.' END, \
                           indexed_at = ?4, updated_at = ?4 \
                         WHERE organization_id = ?1 AND id = ?2 AND crawl = ?3 AND status IN ('queued', 'crawling') \
                           AND NOT {waiting}"
                    ),
                    &[org.clone(), sid.clone(), c.clone(), now],
                )?,
                bind(
                    &self.db,
                    &format!(
                        "DELETE FROM knowledge_chunks WHERE organization_id = ?1 AND source_id = ?2 AND page_id IN \
                           (SELECT id FROM knowledge_pages WHERE source_id = ?2 AND crawl < ?3) AND {ended}"
                    ),
                    &[org.clone(), sid.clone(), c.clone()],
                )?,
                bind(
                    &self.db,
                    &format!(
                        "DELETE FROM knowledge_pages WHERE organization_id = ?1 AND source_id = ?2 AND crawl < ?3 \
                           AND {ended}"
                    ),
                    &[org, sid, c],
                )?,
            ])
            .await?;
        results.first().map_or(Ok(false), changed)
    }

    /// Passages of the site's sources matching `query` (an FTS5 expression), best first by
    /// BM25 with titles and headings weighing more than text, and the score (higher is better).
    pub async fn search_words(&self, domain: DomainId, query: &str, limit: u32) -> EdgeResult<Vec<(ChunkRow, f64)>> {
        #[derive(Deserialize)]
        struct Row {
            #[serde(flatten)]
            chunk: ChunkRow,
            rank: f64,
        }
        let rows: Vec<Row> = bind(
            &self.db,
            "SELECT c.id, c.source_id, c.title, c.url, c.heading, c.content, \
               bm25(knowledge_search, 2.0, 3.0, 1.0) AS rank \
             FROM knowledge_search JOIN knowledge_chunks c ON c.id = knowledge_search.rowid \
             WHERE knowledge_search MATCH ?3 AND c.organization_id = ?1 AND (c.domain_id = ?2 OR c.domain_id IS NULL) \
             ORDER BY rank LIMIT ?4",
            &[self.org(), text(&domain.to_string()), text(query), int(i64::from(limit))],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows.into_iter().map(|r| (r.chunk, -r.rank)).collect())
    }

    /// Visitors' questions the knowledge did not answer well, newest first: it did not cover
    /// them, or the visitor rated the reply down.
    pub async fn gaps(
        &self,
        domain: Option<DomainId>,
        since_ms: i64,
        until_ms: i64,
        limit: u32,
    ) -> EdgeResult<Vec<Gap>> {
        #[derive(Deserialize)]
        struct Row {
            question: Option<String>,
            conversation_id: String,
            domain_id: String,
            reason: GapReason,
            score: Option<f64>,
            asked_at: i64,
        }
        let rows: Vec<Row> = bind(
            &self.db,
            "SELECT (SELECT u.content FROM messages u WHERE u.organization_id = ?1 AND u.conversation_id = r.conversation_id \
                 AND u.role = 'user' AND u.created_at <= r.created_at ORDER BY u.created_at DESC, u.rowid DESC LIMIT 1) \
               AS question, r.conversation_id, c.domain_id, \
               CASE WHEN f.rating = 'down' THEN 'rated_down' ELSE 'no_match' END AS reason, \
               r.retrieval_score AS score, r.created_at AS asked_at \
             FROM messages r \
             JOIN conversations c ON c.organization_id = r.organization_id AND c.id = r.conversation_id \
             LEFT JOIN message_feedback f ON f.organization_id = r.organization_id AND f.message_id = r.id \
             WHERE r.organization_id = ?1 AND r.role = 'assistant' AND (f.rating = 'down' OR r.retrieval_covered = 0) \
               AND r.created_at >= ?2 AND r.created_at < ?3 AND (?4 IS NULL OR c.domain_id = ?4) \
             ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?5",
            &[
                self.org(),
                int(since_ms),
                int(until_ms),
                opt_text(domain.map(|d| d.to_string()).as_deref()),
                int(i64::from(limit)),
            ],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Gap {
                    question: r.question?,
                    conversation_id: r.conversation_id,
                    domain_id: r.domain_id,
                    reason: r.reason,
                    score: r.score,
                    asked_at: r.asked_at,
                })
            })
            .collect())
    }

    /// Every embedded passage of the site's sources with its embedding, for an exact search by
    /// meaning, and the version of the site's knowledge they are (see [`KNOWLEDGE_VERSION`]).
    pub async fn embedded_passages(&self, domain: DomainId) -> EdgeResult<(String, Vec<(ChunkRow, Vec<u8>)>)> {
        #[derive(Deserialize)]
        struct Row {
            #[serde(flatten)]
            chunk: ChunkRow,
            #[serde(with = "worker::d1::serde_wasm_bindgen::preserve")]
            embedding: JsValue,
        }
        #[derive(Deserialize)]
        struct Version {
            version: String,
        }
        let d = text(&domain.to_string());
        let results = self
            .db
            .batch(vec![
                bind(&self.db, &format!("SELECT {KNOWLEDGE_VERSION} AS version"), &[self.org(), d.clone()])?,
                bind(
                    &self.db,
                    &format!(
                        "SELECT id, source_id, title, url, heading, content, embedding FROM knowledge_chunks \
                         WHERE {IN_SCOPE} AND embedding IS NOT NULL"
                    ),
                    &[self.org(), d],
                )?,
            ])
            .await?;
        let [version, rows] = results.as_slice() else {
            return Err(EdgeError::internal("passages: D1 returned fewer results than statements"));
        };
        let version = version.results::<Version>()?.into_iter().next().map(|v| v.version).unwrap_or_default();
        let rows = rows.results::<Row>()?;
        // One copy per embedding out of its JavaScript array, not a number at a time.
        let passages =
            rows.into_iter().map(|r| (r.chunk, worker::js_sys::Uint8Array::new(&r.embedding).to_vec())).collect();
        Ok((version, passages))
    }
}

impl Directory {
    /// Website sources of any organization last indexed before `before_ms` and not being
    /// crawled, oldest first: (organization, source, start address).
    pub async fn websites_due(&self, before_ms: i64, limit: u32) -> EdgeResult<Vec<(OrgId, SourceId, String)>> {
        #[derive(Deserialize)]
        struct Row {
            organization_id: String,
            id: String,
            url: String,
        }
        let rows: Vec<Row> = bind(
            &self.db,
            "SELECT organization_id, id, url FROM knowledge_sources \
             WHERE kind = 'website' AND url IS NOT NULL AND status IN ('ready', 'failed') AND indexed_at < ?1 \
             ORDER BY indexed_at LIMIT ?2",
            &[int(before_ms), int(i64::from(limit))],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((OrgId::parse(&r.organization_id)?, SourceId::parse(&r.id)?, r.url)))
            .collect())
    }

    /// Vectors of passages removed since the last run, which Vectorize may still hold, at most
    /// `limit`.
    pub async fn vectors_gone(&self, limit: u32) -> EdgeResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            vector_id: String,
        }
        let rows: Vec<Row> = bind(
            &self.db,
            "SELECT vector_id FROM knowledge_vectors_gone ORDER BY vector_id LIMIT ?1",
            &[int(i64::from(limit))],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows.into_iter().map(|r| r.vector_id).collect())
    }

    /// Marks these removed passages' vectors deleted (`None`: all of them, when vectors are
    /// not kept in Vectorize).
    pub async fn vectors_forgotten(&self, ids: Option<&[String]>) -> EdgeResult<()> {
        let ids = ids.map(serde_json::to_string).transpose().map_err(|e| EdgeError::internal(e.to_string()))?;
        bind(
            &self.db,
            "DELETE FROM knowledge_vectors_gone WHERE ?1 IS NULL OR vector_id IN (SELECT value FROM json_each(?1))",
            &[opt_text(ids.as_deref())],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Knowledge entries of any organization whose source has waited since before `before_ms`
    /// to be indexed (written before entries were sources, or left by a request that died),
    /// oldest first.
    pub async fn entries_queued(&self, before_ms: i64, limit: u32) -> EdgeResult<Vec<(OrgId, KnowledgeId)>> {
        #[derive(Deserialize)]
        struct Row {
            organization_id: String,
            entry_id: String,
        }
        let rows: Vec<Row> = bind(
            &self.db,
            "SELECT organization_id, entry_id FROM knowledge_sources \
             WHERE entry_id IS NOT NULL AND status = 'queued' AND updated_at < ?1 ORDER BY updated_at LIMIT ?2",
            &[int(before_ms), int(i64::from(limit))],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((OrgId::parse(&r.organization_id)?, KnowledgeId::parse(&r.entry_id)?)))
            .collect())
    }
}
