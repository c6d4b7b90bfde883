//! Who may touch what: a site key plus an allowed `Origin` admits a visitor of a site, and a
//! conversation token (also checked against the origin) admits them to one conversation.

use std::rc::Rc;

use shared::{ErrorCode, SiteKey};
use worker::{Env, Request};

use crate::clock::now_ms;
use crate::domain_cache;
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::ids::ConversationId;
use crate::settings::Settings;
use crate::store::{Directory, OrgStore};
use crate::tenancy::{self, Tenant};
use crate::token::{bearer, Standing};

/// Resolves a site key and the request's origin to an admitted tenant, and lets that origin
/// read the response.
pub async fn admit_site(site: &str, req: &Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Tenant> {
    let origin = http::origin(req);
    // Only browsers on a site call these routes: without an Origin nothing is looked up.
    if origin.is_none() {
        return Err(tenancy::origin_not_allowed());
    }
    let key = SiteKey::parse(site).map_err(|e| EdgeError::new(ErrorCode::SiteKeyMissing, e.to_string()))?;
    let dir = Directory::new(env.d1("DB")?);
    let domain = domain_cache::by_site_key(&dir, &key, now_ms(), domain_cache::FRESH_MS).await?;
    let tenant = tenancy::admit(domain, origin.as_deref())?;
    cors.allow(origin);
    Ok(tenant)
}

pub fn unauthorized() -> EdgeError {
    EdgeError::new(ErrorCode::Unauthorized, "A valid conversation token is required.")
}

/// The conversation, its tenant and the store, once the bearer token has proven access.
pub struct Access {
    pub conversation: ConversationId,
    pub tenant: Tenant,
    pub store: OrgStore,
    pub settings: Rc<Settings>,
    /// The token is in the last third of its life.
    pub renew: bool,
}

/// The token grants this conversation on a site the request's origin belongs to; whether the
/// conversation still exists is left to the caller's own read. The domain may come from the
/// isolate's cache if read within `domain_age_ms`.
pub async fn admit_token(
    req: &Request,
    env: &Env,
    cors: &mut CorsGrant,
    id: &str,
    domain_age_ms: i64,
) -> EdgeResult<Access> {
    let conversation = ConversationId::parse(id).ok_or_else(conversation_not_found)?;
    let settings = Settings::from_env(env)?;
    let auth = http::header(req, "authorization");
    let token = bearer(auth.as_deref()).ok_or_else(unauthorized)?;
    let grant = settings.token_key.verify(token, conversation).ok_or_else(unauthorized)?;
    let now = now_ms();
    let domain = domain_cache::by_id(&Directory::new(env.d1("DB")?), grant.domain, now, domain_age_ms).await?;
    let origin = http::origin(req);
    let tenant = tenancy::admit(domain, origin.as_deref())?;
    cors.allow(origin);
    // Checked once the site is admitted, so its widget can read why and start afresh.
    let standing = grant.check(now, settings.token_ttl_ms);
    if standing == Standing::Expired {
        return Err(EdgeError::new(
            ErrorCode::Unauthorized,
            "This conversation's token has expired. Please start a new conversation.",
        ));
    }
    let store = OrgStore::for_tenant(env.d1("DB")?, &tenant);
    Ok(Access { conversation, tenant, store, settings, renew: standing == Standing::Renew })
}

/// [`admit_token`], and the conversation exists on that site: with the visitor id the widget
/// opened it with, if it gave one.
pub async fn authorize(
    req: &Request,
    env: &Env,
    cors: &mut CorsGrant,
    id: &str,
) -> EdgeResult<(Access, Option<String>)> {
    let access = admit_token(req, env, cors, id, domain_cache::FRESH_MS).await?;
    match access.store.conversation_visitor(access.tenant.domain().id, access.conversation).await? {
        Some(visitor) => Ok((access, visitor)),
        None => Err(conversation_not_found()),
    }
}

pub fn conversation_not_found() -> EdgeError {
    EdgeError::new(ErrorCode::ConversationNotFound, "No such conversation.")
}
