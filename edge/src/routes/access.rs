//! Who may touch what: a site key plus an allowed `Origin` admits a visitor of a site, and a
//! conversation token (also checked against the origin) admits them to one conversation.

use shared::{ErrorCode, SiteKey};
use worker::{Env, Request};

use crate::clock::now_ms;
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
    let domain = Directory::new(env.d1("DB")?).domain_by_site_key(&key).await?;
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
    pub settings: Settings,
    /// The visitor id the widget opened the conversation with, if it gave one.
    pub visitor: Option<String>,
    /// The token is in the last third of its life.
    pub renew: bool,
}

pub async fn authorize(req: &Request, env: &Env, cors: &mut CorsGrant, id: &str) -> EdgeResult<Access> {
    let not_found = || EdgeError::new(ErrorCode::ConversationNotFound, "No such conversation.");
    let conversation = ConversationId::parse(id).ok_or_else(not_found)?;
    let settings = Settings::from_env(env)?;
    let auth = http::header(req, "authorization");
    let token = bearer(auth.as_deref()).ok_or_else(unauthorized)?;
    let grant = settings.token_key.verify(token, conversation).ok_or_else(unauthorized)?;
    let domain_id = grant.domain;
    let domain = Directory::new(env.d1("DB")?).domain_by_id(domain_id).await?;
    let origin = http::origin(req);
    let tenant = tenancy::admit(domain, origin.as_deref())?;
    cors.allow(origin);
    // Checked once the site is admitted, so its widget can read why and start afresh.
    let standing = grant.check(now_ms(), settings.token_ttl_ms);
    if standing == Standing::Expired {
        return Err(EdgeError::new(
            ErrorCode::Unauthorized,
            "This conversation's token has expired. Please start a new conversation.",
        ));
    }
    let store = OrgStore::for_tenant(env.d1("DB")?, &tenant);
    let Some(visitor) = store.conversation_visitor(domain_id, conversation).await? else {
        return Err(not_found());
    };
    Ok(Access { conversation, tenant, store, settings, visitor, renew: standing == Standing::Renew })
}
