//! `/v1/admin/knowledge/sources`, `…/search` and `…/gaps`: the websites and documents the
//! assistant answers from, what a question would find in them, and the questions they did not
//! answer.

use serde::Deserialize;
use shared::admin::domains::VerificationStatus;
use shared::admin::knowledge::{
    check_knowledge, CreateSource, SearchMode, SearchResults, SourceKind, SourceStatus, SourceView,
    DEFAULT_CRAWL_PAGES, MAX_CRAWL_PAGES, MAX_DOCUMENT_BYTES, MAX_SEARCH_RESULTS,
};
use shared::{ErrorCode, Hostname};
use worker::{Env, Request, Response};

use super::{day_range, domain_filter, invalid, items, no_content, page, query};
use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::SourceId;
use crate::knowledge::{self, crawl, Freshness, Question};
use crate::settings::Settings;
use crate::store::{ChunkOrigin, ChunkPlace, NewSource, OrgStore};

fn not_found() -> EdgeError {
    EdgeError::new(ErrorCode::KnowledgeNotFound, "No such knowledge source.")
}

fn parse_id(id: &str) -> EdgeResult<SourceId> {
    SourceId::parse(id).ok_or_else(not_found)
}

async fn view(store: &OrgStore, id: SourceId) -> EdgeResult<SourceView> {
    store.source(id).await?.ok_or_else(not_found)
}

#[derive(Deserialize)]
struct ListQuery {
    domain_id: Option<String>,
}

pub async fn list(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let q: ListQuery = query(req)?;
    items(store.sources(domain_filter(q.domain_id.as_deref())?).await?)
}

pub async fn get(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    http::json(200, &view(store, parse_id(id)?).await?)
}

/// A title an owner gave, trimmed, by the knowledge entries' rule.
fn title(raw: &str) -> EdgeResult<String> {
    let t = raw.trim();
    check_knowledge(Some(t), None)?;
    Ok(t.to_owned())
}

pub async fn create(req: &mut Request, env: &Env, store: &OrgStore) -> EdgeResult<Response> {
    // A document's text may be larger than other owners' requests.
    let body: CreateSource = http::read_json_within(req, MAX_DOCUMENT_BYTES + 64 * 1024).await?;
    let settings = Settings::from_env(env)?;
    match body {
        CreateSource::Document { domain_id, title: raw_title, format, content } => {
            let domain = domain_filter(domain_id.as_deref())?;
            let title = title(&raw_title)?;
            if content.len() > MAX_DOCUMENT_BYTES {
                return Err(EdgeError::new(
                    ErrorCode::BodyTooLarge,
                    format!("A document may hold {MAX_DOCUMENT_BYTES} bytes of text; split it into several."),
                ));
            }
            let (_, chunks) = knowledge::document_chunks(format, &content);
            if chunks.is_empty() || content.chars().all(|c| c.is_whitespace() || c == '\u{feff}') {
                return Err(invalid("content has no text to answer from"));
            }
            within_quota(&settings, store, content.len()).await?;
            let new = NewSource {
                domain,
                kind: SourceKind::Document,
                title: &title,
                url: None,
                status: SourceStatus::Queued,
                max_pages: 0,
            };
            let id = store.create_source(&new).await?.ok_or_else(no_domain)?;
            let place = ChunkPlace { source: id, origin: ChunkOrigin::Document, title: &title, url: None };
            let indexed = knowledge::index(store, env, &settings, place, chunks).await;
            // The source stays, failed, so the owner sees why; removing it is one request.
            let error = indexed.as_ref().err().map(|e| format!("It could not be indexed: {}", e.message));
            store.finish_source(id, error.as_deref()).await?;
            http::json(201, &view(store, id).await?)
        }
        CreateSource::Website { domain_id, url, title: raw_title, max_pages } => {
            let domain = domain_filter(domain_id.as_deref())?;
            let max_pages = max_pages.unwrap_or(DEFAULT_CRAWL_PAGES);
            if !(1..=MAX_CRAWL_PAGES).contains(&max_pages) {
                return Err(invalid(format!("max_pages must be from 1 to {MAX_CRAWL_PAGES}")));
            }
            let start = url::Url::parse(url.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| invalid("url must be an http(s) address of one of your sites"))?;
            let host = Hostname::parse(start.host_str().unwrap_or_default())
                .map_err(|_| invalid("url must be an http(s) address of one of your sites"))?;
            let sites = store.domains().await?;
            if domain.is_some_and(|id| !sites.iter().any(|d| d.id == id.to_string())) {
                return Err(no_domain());
            }
            let site = sites
                .iter()
                .filter(|d| domain.is_none_or(|id| d.id == id.to_string()))
                .find(|d| d.hostname == host.as_str() || d.aliases.iter().any(|a| a == host.as_str()))
                .ok_or_else(|| {
                    let whose = if domain.is_some() { "that site" } else { "your sites" };
                    invalid(format!("{host} is not a hostname or alias of {whose}"))
                })?;
            if site.verification.status != VerificationStatus::Verified {
                return Err(EdgeError::new(
                    ErrorCode::Forbidden,
                    format!("Verify that {} is yours before it is crawled (see its verification).", site.hostname),
                ));
            }
            let title = match raw_title {
                Some(t) => title(&t)?,
                None => host.to_string(),
            };
            let new = NewSource {
                domain,
                kind: SourceKind::Website,
                title: &title,
                url: Some(start.as_str()),
                status: SourceStatus::Queued,
                max_pages,
            };
            let id = store.create_source(&new).await?.ok_or_else(no_domain)?;
            crawl::start(env, store, id, 1, start.as_str()).await?;
            http::json(201, &view(store, id).await?)
        }
    }
}

/// `POST …/sources/{id}/crawl`: crawls a website again now (unchanged pages are asked for
/// with their validators and kept).
pub async fn recrawl(env: &Env, store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let id = parse_id(id)?;
    let current = view(store, id).await?;
    let (SourceKind::Website, Some(url)) = (current.kind, current.url.as_deref()) else {
        return Err(EdgeError::new(ErrorCode::KnowledgeNotFound, "No such website source: a document is not crawled."));
    };
    let crawl = store.start_crawl(id).await?.ok_or_else(not_found)?;
    crawl::start(env, store, id, crawl, url).await?;
    http::json(202, &view(store, id).await?)
}

pub async fn delete(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    if !store.delete_source(parse_id(id)?).await? {
        return Err(not_found());
    }
    no_content()
}

fn no_domain() -> EdgeError {
    EdgeError::new(ErrorCode::DomainNotFound, "No such domain.")
}

/// Refuses `size` more bytes of text past the organization's knowledge quota (entries and
/// sources together).
async fn within_quota(settings: &Settings, store: &OrgStore, size: usize) -> EdgeResult<()> {
    let (entries, quota) = store.knowledge_bytes(None).await?;
    let used = entries + store.source_bytes().await?;
    let quota = quota.unwrap_or(settings.quota.knowledge_bytes);
    if used.saturating_add(size as u64) > quota {
        return Err(EdgeError::new(
            ErrorCode::QuotaExceeded,
            format!("Knowledge may hold {quota} bytes in all; {used} are used. Remove sources or entries first."),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    domain_id: Option<String>,
    mode: Option<String>,
    limit: Option<String>,
}

/// `GET …/knowledge/search`: what the assistant would find for a question on a site, so an
/// owner can see why it answered as it did.
pub async fn search(req: &Request, env: &Env, store: &OrgStore) -> EdgeResult<Response> {
    let q: SearchQuery = query(req)?;
    let question =
        q.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).ok_or_else(|| invalid("q must be a question"))?;
    if question.chars().count() > shared::limits::MAX_MESSAGE_CHARS {
        return Err(invalid(format!("q may be at most {} characters", shared::limits::MAX_MESSAGE_CHARS)));
    }
    let domain = domain_filter(q.domain_id.as_deref())?.ok_or_else(|| invalid("domain_id must name the site asked"))?;
    let mode = match q.mode.as_deref() {
        None => SearchMode::Hybrid,
        Some(m) => serde_json::from_value(serde_json::Value::String(m.to_owned()))
            .map_err(|_| invalid("mode must be lexical, semantic or hybrid"))?,
    };
    let limit = match q.limit.as_deref() {
        None => 10,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_SEARCH_RESULTS).contains(n))
            .ok_or_else(|| invalid(format!("limit must be a number from 1 to {MAX_SEARCH_RESULTS}")))?,
    };
    if store.domain(domain).await?.is_none() {
        return Err(no_domain());
    }
    let settings = Settings::from_env(env)?;
    let asked = Question { domain, text: question, mode, limit: limit as usize, fresh: Freshness::Read };
    let found = knowledge::search(store, env, &settings, asked).await?;
    let covered = found.covered(settings.coverage);
    http::json(200, &SearchResults { items: found.found.into_iter().map(Into::into).collect(), covered })
}

#[derive(Deserialize)]
struct GapsQuery {
    domain_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

/// `GET …/knowledge/gaps`: questions the knowledge did not answer well.
pub async fn gaps(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let q: GapsQuery = query(req)?;
    let domain = domain_filter(q.domain_id.as_deref())?;
    let (since, until) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let (since, until) = (since.unwrap_or(0), until.unwrap_or(now_ms() + 1));
    let (limit, _) = page(q.limit.as_deref(), None)?;
    items(store.gaps(domain, since, until, limit).await?)
}
