//! `/v1/admin/knowledge`: what the assistant should know, for one website or the whole
//! organization. Every change makes a new version; the prompt uses active entries only.

use serde::Deserialize;
use shared::admin::{check_knowledge, CreateKnowledge, KnowledgeView, UpdateKnowledge};
use shared::ErrorCode;
use worker::{Request, Response};

use super::{body, domain_filter, items, no_content, query};
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::KnowledgeId;
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

pub async fn create(req: &mut Request, store: &OrgStore) -> EdgeResult<Response> {
    let body: CreateKnowledge = body(req).await?;
    let domain = domain_filter(body.domain_id.as_deref())?;
    let (title, content) = (body.title.trim(), body.content.trim());
    check_knowledge(Some(title), Some(content))?;
    let id = store
        .create_knowledge(domain, body.kind, title, content, body.active.unwrap_or(true))
        .await?
        .ok_or_else(|| EdgeError::new(ErrorCode::DomainNotFound, "No such domain."))?;
    http::json(201, &view(store, id).await?)
}

pub async fn patch(req: &mut Request, store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let id = parse_id(id)?;
    let body: UpdateKnowledge = body(req).await?;
    let title = body.title.as_deref().map(str::trim);
    let content = body.content.as_deref().map(str::trim);
    check_knowledge(title, content)?;
    if !store.update_knowledge(id, title, content, body.active).await? {
        return Err(not_found());
    }
    http::json(200, &view(store, id).await?)
}

pub async fn delete(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    if !store.delete_knowledge(parse_id(id)?).await? {
        return Err(not_found());
    }
    no_content()
}
