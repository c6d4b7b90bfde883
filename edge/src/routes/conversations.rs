//! `POST /v1/conversations`: a visitor of an admitted site opens a conversation and gets the
//! token that grants access to it.

use shared::{ConversationCreated, CreateConversation, ErrorCode, PageUrl, VisitorId};
use worker::{Env, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::limits::HOUR_MS;
use crate::meter::{Admission, Hit, Meter};
use crate::settings::Settings;
use crate::store::OrgStore;

use super::access::admit_site;

pub async fn post(req: &mut Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let body: CreateConversation = http::read_json(req).await?;
    let tenant = admit_site(&body.site, req, env, cors).await?;
    let visitor = match body.visitor_id.as_deref() {
        None => None,
        Some(v) => Some(VisitorId::parse(v).ok_or_else(|| {
            EdgeError::new(
                ErrorCode::InvalidField,
                "visitor_id must be 1 to 128 characters of letters, digits and . _ : -",
            )
        })?),
    };
    let page = match body.page_url.as_deref() {
        None => None,
        Some(p) => Some(
            PageUrl::parse(p)
                .ok_or_else(|| EdgeError::new(ErrorCode::InvalidField, "page_url must be an absolute http(s) URL"))?,
        ),
    };
    let settings = Settings::from_env(env)?;
    let domain = tenant.domain().id;
    let limits = settings.limits.with_overrides(&tenant.domain().limits);
    let ip = http::client_ip(req);
    let mut hits = vec![Hit {
        key: format!("c:i:{domain}:{ip}"),
        limit: limits.conversations_per_hour_per_ip,
        window_ms: HOUR_MS,
    }];
    if let Some(v) = &visitor {
        let key = format!("c:v:{domain}:{}", v.as_str());
        hits.push(Hit { key, limit: limits.conversations_per_hour_per_visitor, window_ms: HOUR_MS });
    }
    let admission = Meter::for_org(env, tenant.org())?.admit(hits, None).await?;
    if let Admission::RateLimited { retry_after } | Admission::BudgetHeld { retry_after } = admission {
        return Err(EdgeError::rate_limited(retry_after, "Too many new conversations. Please try again later."));
    }
    let store = OrgStore::for_tenant(env.d1("DB")?, &tenant);
    let id = store
        .create_conversation(domain, visitor.as_ref().map(VisitorId::as_str), page.as_ref().map(PageUrl::as_str))
        .await?;
    let token = settings.token_key.sign(id, domain);
    http::json(201, &ConversationCreated { conversation_id: id.to_string(), token })
}
