//! `/v1/admin/...`: a site owner manages their organization with an API key. The key is
//! checked once, here; handlers get an [`OrgStore`] bound to the key's organization and nothing
//! else, so an id of another organization finds nothing and answers 404, like an id that never
//! existed.

mod conversations;
mod domains;
mod keys;
mod knowledge;
mod leads;
mod organization;

use serde::de::DeserializeOwned;
use shared::admin::{DEFAULT_PAGE, MAX_ADMIN_BODY_BYTES, MAX_PAGE};
use shared::ErrorCode;
use worker::{Env, Request, Response};

use super::table::Admin;
use crate::api_key::PresentedKey;
use crate::clock::day_start_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::DomainId;
use crate::store::{Cursor, Directory, OrgStore};
use crate::tenancy::{self, invalid_api_key};

pub async fn handle(endpoint: Admin, id: &str, req: &mut Request, env: &Env) -> EdgeResult<Response> {
    // Owners' data, and errors about it, must not sit in shared caches.
    let mut resp = route(endpoint, id, req, env).await.unwrap_or_else(|e| http::error(&e));
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

async fn route(endpoint: Admin, id: &str, req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let store = authenticate(req, env).await?;
    match endpoint {
        Admin::Organization => organization::get(&store).await,
        Admin::UpdateOrganization => organization::patch(req, &store).await,
        Admin::Usage => organization::usage(req, env, &store).await,
        Admin::ApiKeys => keys::list(&store).await,
        Admin::CreateApiKey => keys::create(req, &store).await,
        Admin::RevokeApiKey => keys::revoke(&store, id).await,
        Admin::Domains => domains::list(&store).await,
        Admin::CreateDomain => domains::create(req, env, &store).await,
        Admin::Domain => domains::get(&store, id).await,
        Admin::UpdateDomain => domains::patch(req, env, &store, id).await,
        Admin::DeleteDomain => domains::delete(&store, id).await,
        Admin::VerifyDomain => domains::verify(env, &store, id).await,
        Admin::KnowledgeList => knowledge::list(req, &store).await,
        Admin::CreateKnowledge => knowledge::create(req, env, &store).await,
        Admin::Knowledge => knowledge::get(&store, id).await,
        Admin::UpdateKnowledge => knowledge::patch(req, env, &store, id).await,
        Admin::DeleteKnowledge => knowledge::delete(&store, id).await,
        Admin::Conversations => conversations::list(req, &store).await,
        Admin::Conversation => conversations::get(&store, id).await,
        Admin::Leads => leads::list(req, &store).await,
    }
}

async fn authenticate(req: &Request, env: &Env) -> EdgeResult<OrgStore> {
    let header = http::header(req, "authorization");
    let key = PresentedKey::from_header(header.as_deref()).ok_or_else(invalid_api_key)?;
    let found = Directory::new(env.d1("DB")?).api_key_by_hash(&key.hash()).await?;
    let owner = tenancy::authenticate(found)?;
    let store = OrgStore::for_owner(env.d1("DB")?, &owner);
    store.touch_api_key(owner.key()).await?;
    Ok(store)
}

/// The request's JSON body, up to [`MAX_ADMIN_BODY_BYTES`].
async fn body<T: DeserializeOwned>(req: &mut Request) -> EdgeResult<T> {
    http::read_json_within(req, MAX_ADMIN_BODY_BYTES).await
}

/// The query string as `T`; unknown parameters are ignored.
fn query<T: DeserializeOwned>(req: &Request) -> EdgeResult<T> {
    req.query().map_err(|e| EdgeError::new(ErrorCode::InvalidField, format!("The query string is not valid: {e}.")))
}

fn invalid(message: impl Into<String>) -> EdgeError {
    EdgeError::new(ErrorCode::InvalidField, message)
}

/// `limit` and `cursor` of a list request.
fn page(limit: Option<&str>, cursor: Option<&str>) -> EdgeResult<(u32, Option<Cursor>)> {
    let limit = match limit {
        None => DEFAULT_PAGE,
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| invalid(format!("limit must be a number from 1 to {MAX_PAGE}")))?,
    };
    let cursor = match cursor {
        None => None,
        Some(c) => Some(Cursor::parse(c).ok_or_else(|| invalid("cursor is not one this API returned"))?),
    };
    Ok((limit, cursor))
}

/// The first millisecond of a `from`/`to` date of a query (`YYYY-MM-DD`, UTC).
fn day_start(day: &str) -> EdgeResult<i64> {
    day_start_ms(day).ok_or_else(|| invalid("from and to must be dates like 2026-11-01"))
}

/// A list's `domain_id` filter. A well-formed id of another organization's domain matches
/// nothing, like any unknown id.
fn domain_filter(raw: Option<&str>) -> EdgeResult<Option<DomainId>> {
    raw.map(|d| DomainId::parse(d).ok_or_else(|| invalid("domain_id must be a domain id"))).transpose()
}

/// `{"items": [...]}`, so lists can grow fields later.
fn items<T: serde::Serialize>(items: Vec<T>) -> EdgeResult<Response> {
    http::json(200, &serde_json::json!({ "items": items }))
}

fn no_content() -> EdgeResult<Response> {
    Ok(Response::empty()?.with_status(204))
}
