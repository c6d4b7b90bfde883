//! `/v1/admin/knowledge`: what the assistant should know, for one website or the whole
//! organization. Every change makes a new version. An active system prompt entry steers the
//! assistant; an active FAQ or custom entry is a knowledge source, indexed before the response
//! so the next question can find it.

use serde::Deserialize;
use shared::admin::knowledge::{check_knowledge, CreateKnowledge, KnowledgeView, UpdateKnowledge};
use shared::ErrorCode;
use worker::{Env, Request, Response};

use super::{body, domain_filter, items, no_content, query};
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::KnowledgeId;
use crate::knowledge;
use crate::settings::Settings;
use crate::store::OrgStore;

fn not_found() -> EdgeError {
    EdgeError::new(ErrorCode::KnowledgeNotFound, "No such knowledge entry.")
}

fn parse_id(id: &str) -> EdgeResult<KnowledgeId> {
    KnowledgeId::parse(id).ok_or_else(not_found)
}

async fn view(store: &OrgStore, id: KnowledgeId) -> EdgeResult<KnowledgeView> {
    store.knowledge(id).await?.ok_or_else(not_found)
}

#[derive(Deserialize)]
struct ListQuery {
    domain_id: Option<String>,
}

pub async fn list(req: &Request, store: &OrgStore) -> EdgeResult<Response> {
    let q: ListQuery = query(req)?;
    items(store.knowledge_list(domain_filter(q.domain_id.as_deref())?).await?)
}

pub async fn get(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    http::json(200, &view(store, parse_id(id)?).await?)
}

pub async fn create(req: &mut Request, env: &Env, store: &OrgStore) -> EdgeResult<Response> {
    let body: CreateKnowledge = body(req).await?;
    let domain = domain_filter(body.domain_id.as_deref())?;
    let (title, content) = (body.title.trim(), body.content.trim());
    check_knowledge(Some(title), Some(content))?;
    within_quota(env, store, None, title.len() + content.len()).await?;
    let id = store
        .create_knowledge(domain, body.kind, title, content, body.active.unwrap_or(true))
        .await?
        .ok_or_else(|| EdgeError::new(ErrorCode::DomainNotFound, "No such domain."))?;
    let entry = view(store, id).await?;
    knowledge::index_entry(store, env, &*Settings::from_env(env)?, &entry).await?;
    http::json(201, &entry)
}

pub async fn patch(req: &mut Request, env: &Env, store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let id = parse_id(id)?;
    let body: UpdateKnowledge = body(req).await?;
    let title = body.title.as_deref().map(str::trim);
    let content = body.content.as_deref().map(str::trim);
    check_knowledge(title, content)?;
    if title.is_some() || content.is_some() {
        let current = view(store, id).await?;
        let size = title.unwrap_or(&current.title).len() + content.unwrap_or(&current.content).len();
        within_quota(env, store, Some(id), size).await?;
    }
    if !store.update_knowledge(id, title, content, body.active).await? {
        return Err(not_found());
    }
    let entry = view(store, id).await?;
    knowledge::index_entry(store, env, &*Settings::from_env(env)?, &entry).await?;
    http::json(200, &entry)
}

/// Refuses an entry of `size` bytes (title and text) that would take the organization's
/// knowledge past its quota; `replacing` is left out of the count.
async fn within_quota(env: &Env, store: &OrgStore, replacing: Option<KnowledgeId>, size: usize) -> EdgeResult<()> {
    let (used, quota) = store.knowledge_bytes(replacing).await?;
    let quota = quota.unwrap_or(Settings::from_env(env)?.quota.knowledge_bytes);
    if used.saturating_add(size as u64) > quota {
        return Err(EdgeError::new(
            ErrorCode::QuotaExceeded,
            format!("Knowledge may hold {quota} bytes in all; {used} are used. Shorten or remove entries first."),
        ));
    }
    Ok(())
}

pub async fn delete(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    if !store.delete_knowledge(parse_id(id)?).await? {
        return Err(not_found());
    }
    no_content()
}
