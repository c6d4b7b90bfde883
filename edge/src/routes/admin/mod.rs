//! `/v1/admin/...`: a site owner's team manages their organization, signed in (the session
//! cookie, with the organization named in `X-Organization-Id` when they belong to several) or
//! with an API key. The credential is checked once, here, and so is the permission the route
//! names against the caller's role (403 `forbidden`). Handlers get an [`OrgStore`] bound to the
//! caller's organization and nothing else, so an id of another organization finds nothing and
//! answers 404, like an id that never existed; the store writes the audit trail as the caller.

pub(super) mod audit;
pub(super) mod conversations;
pub(super) mod domains;
pub(super) mod keys;
pub(super) mod knowledge;
pub(super) mod leads;
pub(super) mod members;
pub(super) mod organization;
pub(super) mod preview;
pub(super) mod sources;

use serde::de::DeserializeOwned;
use shared::admin::{DEFAULT_PAGE, MAX_ADMIN_BODY_BYTES, MAX_PAGE};
use shared::{ErrorCode, Permission};
use worker::{Context, Env, Request, Response};

use super::auth;
use super::table::{Answer, OwnerCall};
use crate::api_key::PresentedKey;
use crate::clock::day_start_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::DomainId;
use crate::settings::Settings;
use crate::store::{Cursor, Directory, OrgStore, Requester};
use crate::tenancy::{self, invalid_api_key, Owner};

/// Answers an owner's route (`answer`, from the route table) once the credential has named
/// the organization and the role there allows `permission`.
pub async fn handle(
    permission: Permission,
    answer: for<'a> fn(OwnerCall<'a>) -> Answer<'a>,
    id: &str,
    req: &mut Request,
    env: &Env,
    ctx: &Context,
) -> EdgeResult<Response> {
    let answered = async {
        let owner = authenticate(req, env).await?;
        owner.may(permission)?;
        let store = OrgStore::for_owner(env.d1("DB")?, &owner, requester(req));
        answer(OwnerCall { req, env, ctx, store: &store, owner: &owner, id }).await
    }
    .await;
    // Owners' data, and errors about it, must not sit in shared caches.
    let mut resp = answered.unwrap_or_else(|e| http::error(&e));
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// The caller: an API key if the request carries an `Authorization` header (servers), else
/// the signed-in user behind the session cookie, acting for the organization they chose.
async fn authenticate(req: &Request, env: &Env) -> EdgeResult<Owner> {
    let Some(header) = http::header(req, "authorization") else {
        let settings = Settings::from_env(env)?;
        let s = auth::signed_in(req, env, settings.accounts.sessions).await?;
        let memberships: Vec<_> = s.session.memberships.iter().map(|(org, _, role)| (*org, *role)).collect();
        let chosen = http::header(req, "x-organization-id");
        return tenancy::act_as_member(s.session.user_id, &memberships, chosen.as_deref());
    };
    let key = PresentedKey::from_header(Some(&header)).ok_or_else(invalid_api_key)?;
    let found = Directory::new(env.d1("DB")?).api_key_by_hash(&key.hash()).await?;
    let key_id = found.as_ref().map(|k| k.id);
    let owner = tenancy::authenticate(found)?;
    if let Some(id) = key_id {
        Directory::new(env.d1("DB")?).touch_api_key(owner.org(), id).await?;
    }
    Ok(owner)
}

/// Where the request came from, for the audit trail: the address Cloudflare saw and the user
/// agent the caller named.
pub(in crate::routes) fn requester(req: &Request) -> Requester {
    Requester { ip: http::header(req, "cf-connecting-ip"), user_agent: http::header(req, "user-agent") }
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

/// The first millisecond after a `to` date of a query: `to` is included.
fn day_end(day: &str) -> EdgeResult<i64> {
    Ok(day_start(day)? + 86_400_000)
}

/// A list's `from` and `to` days, both included, either end open when not given.
fn day_range(from: Option<&str>, to: Option<&str>) -> EdgeResult<(Option<i64>, Option<i64>)> {
    Ok((from.map(day_start).transpose()?, to.map(day_end).transpose()?))
}

/// What a dated list of an organization's records is asked for by: the site (`domain_id`), the
/// days (`from`, `to`) and the page (`cursor`, `limit`). A list's own filters come beside it.
struct Window {
    domain: Option<DomainId>,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    limit: u32,
    after: Option<Cursor>,
}

fn window(req: &Request) -> EdgeResult<Window> {
    #[derive(serde::Deserialize)]
    struct Raw {
        domain_id: Option<String>,
        from: Option<String>,
        to: Option<String>,
        cursor: Option<String>,
        limit: Option<String>,
    }
    let q: Raw = query(req)?;
    let (limit, after) = page(q.limit.as_deref(), q.cursor.as_deref())?;
    let (since_ms, until_ms) = day_range(q.from.as_deref(), q.to.as_deref())?;
    Ok(Window { domain: domain_filter(q.domain_id.as_deref())?, since_ms, until_ms, limit, after })
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
