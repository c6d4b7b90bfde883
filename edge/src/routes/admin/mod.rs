//! `/v1/admin/...`: a site owner manages their organization with an API key. The key is
//! checked once, here; handlers get an [`OrgStore`] bound to the key's organization and nothing
//! else, so an id of another organization finds nothing and answers 404, like an id that never
//! existed.

pub(super) mod conversations;
pub(super) mod domains;
pub(super) mod keys;
pub(super) mod knowledge;
pub(super) mod leads;
pub(super) mod organization;

use serde::de::DeserializeOwned;
use shared::admin::{DEFAULT_PAGE, MAX_ADMIN_BODY_BYTES, MAX_PAGE};
use shared::ErrorCode;
use worker::{Env, Request, Response};

use super::table::{Answer, OwnerCall};
use crate::api_key::PresentedKey;
use crate::clock::day_start_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::DomainId;
use crate::store::{Cursor, Directory, OrgStore};
use crate::tenancy::{self, invalid_api_key};

/// Answers an owner's route (`answer`, from the route table) once the key has named the
/// organization.
pub async fn handle(
    answer: for<'a> fn(OwnerCall<'a>) -> Answer<'a>,
    id: &str,
    req: &mut Request,
    env: &Env,
) -> EdgeResult<Response> {
    let answered = match authenticate(req, env).await {
        Ok(store) => answer(OwnerCall { req, env, store: &store, id }).await,
        Err(e) => Err(e),
    };
    // Owners' data, and errors about it, must not sit in shared caches.
    let mut resp = answered.unwrap_or_else(|e| http::error(&e));
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
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
