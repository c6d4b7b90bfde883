//! `POST /v1/conversations`: a visitor of an admitted site opens a conversation and gets the
//! token that grants access to it.

use shared::{ConversationCreated, CreateConversation, ErrorCode, Hostname, PageUrl, VisitorId};
use worker::{Env, Request, Response};

use crate::clock::now_ms;
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
    let visitor = body.visitor_id.as_deref().map(VisitorId::parse).transpose()?;
    let page = body.page_url.as_deref().map(|p| page_on_site(p, http::origin(req).as_deref())).transpose()?;
    let settings = Settings::from_env(env)?;
    let domain = tenant.domain().id;
    let limits = settings.limits.with_overrides(&tenant.domain().limits);
    let ip = http::client_ip(req);
    let mut hits = vec![
        Hit { key: format!("c:i:{domain}:{ip}"), limit: limits.conversations_per_hour_per_ip, window_ms: HOUR_MS },
        Hit { key: format!("c:d:{domain}"), limit: limits.conversations_per_hour_per_domain, window_ms: HOUR_MS },
    ];
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
    let token = settings.token_key.sign(id, domain, now_ms());
    http::json(201, &ConversationCreated { conversation_id: id.to_string(), token })
}

/// The page a conversation starts on, which must be on the site the request was admitted from
/// (its `Origin`): a page of another site in a transcript would be a lie, or a link planted there.
fn page_on_site(raw: &str, origin: Option<&str>) -> EdgeResult<PageUrl> {
    let page = PageUrl::parse(raw)?;
    let host = Hostname::from_origin(page.origin()).ok();
    if host.is_none() || host != origin.and_then(|o| Hostname::from_origin(o).ok()) {
        return Err(EdgeError::new(ErrorCode::InvalidField, "page_url must be a page of the site the widget runs on"));
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_kept_only_on_the_admitted_site_and_without_its_query() {
        let origin = Some("https://shop.example");
        let page = page_on_site("https://SHOP.example/cart?session=abc#t", origin).unwrap();
        assert_eq!(page.as_str(), "https://SHOP.example/cart");
        assert!(page_on_site("https://shop.example:8443/x", origin).is_ok(), "the site's host, another port");
        for other in
            ["https://evil.example/shop.example", "https://shop.example.evil.example/", "https://xn--80ak6aa92e.com/"]
        {
            assert_eq!(page_on_site(other, origin).unwrap_err().code, ErrorCode::InvalidField, "{other}");
        }
        assert!(page_on_site("https://shop.example/", None).is_err());
        assert!(page_on_site("not a url", origin).is_err());
    }
}
