//! `POST /v1/leads`: a visitor leaves their email for the site owner, optionally tied to
//! their conversation (which then needs that conversation's token).

use shared::lead::MAX_LEAD_NAME_CHARS;
use shared::limits::MAX_MESSAGE_CHARS;
use shared::text::is_plain_line;
use shared::{CreateLead, Email, ErrorCode, LeadCreated};
use worker::{Env, Request, Response};

use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::limits::{
    lead_retry_after, HOUR_MS, LEADS_PER_ADDRESS_PER_HOUR, LEADS_PER_CONVERSATION, LEADS_PER_DOMAIN_PER_MINUTE,
    LEADS_PER_VISITOR_PER_HOUR, LEAD_WINDOW_MS,
};
use crate::meter::{Admission, Hit, Meter};
use crate::store::{LeadLimits, NewLead, OrgStore};

use super::access::{admit_site, authorize, unauthorized};

pub async fn post(req: &mut Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let body: CreateLead = http::read_json(req).await?;
    let tenant = admit_site(&body.site, req, env, cors).await?;
    let invalid = |m: &str| EdgeError::new(ErrorCode::InvalidField, m);
    let email = Email::parse(&body.email).ok_or_else(|| invalid("email must be a valid email address"))?;
    let name = optional_text("name", body.name.as_deref(), MAX_LEAD_NAME_CHARS)?;
    let message = optional_text("message", body.message.as_deref(), MAX_MESSAGE_CHARS)?;
    let (conversation, visitor) = match body.conversation_id.as_deref() {
        None => (None, None),
        Some(id) => {
            let (access, visitor) = authorize(req, env, cors, id).await?;
            // A token of one site cannot tie a lead to another site's conversation.
            if access.tenant.domain().id != tenant.domain().id {
                return Err(unauthorized());
            }
            (Some(access.conversation), visitor)
        }
    };
    let domain = tenant.domain().id;
    let mut hits = vec![Hit {
        key: format!("l:i:{domain}:{}", http::client_ip(req)),
        limit: LEADS_PER_ADDRESS_PER_HOUR,
        window_ms: HOUR_MS,
    }];
    if let Some(v) = visitor {
        hits.push(Hit { key: format!("l:v:{domain}:{v}"), limit: LEADS_PER_VISITOR_PER_HOUR, window_ms: HOUR_MS });
    }
    if let Admission::RateLimited { retry_after } = Meter::for_org(env, tenant.org())?.admit(hits, None).await? {
        return Err(EdgeError::rate_limited(retry_after, "Too many contact requests. Please try again later."));
    }
    let store = OrgStore::for_tenant(env.d1("DB")?, &tenant);
    let since_ms = now_ms() - LEAD_WINDOW_MS;
    let limits =
        LeadLimits { since_ms, per_domain: LEADS_PER_DOMAIN_PER_MINUTE, per_conversation: LEADS_PER_CONVERSATION };
    let Some(id) = store.add_lead(domain, conversation, &NewLead { email: &email, name, message }, limits).await?
    else {
        let (on_domain, in_conversation) = store.recent_leads(domain, conversation, since_ms).await?;
        // A slot may have freed since the refusal; a minute is then still a fair wait.
        let seconds = lead_retry_after(on_domain, in_conversation).unwrap_or((LEAD_WINDOW_MS / 1000) as u32);
        return Err(EdgeError::rate_limited(seconds, "Too many contact requests. Please try again later."));
    };
    http::json(201, &LeadCreated { lead_id: id.to_string() })
}

/// Trimmed text of at most `max` characters on one plain line (no CR/LF, control or
/// reordering characters, which would forge lines in an export or a notification); blank is absent.
fn optional_text<'a>(field: &str, raw: Option<&'a str>, max: usize) -> EdgeResult<Option<&'a str>> {
    let invalid = |m: String| EdgeError::new(ErrorCode::InvalidField, m);
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(invalid(format!("{field} may be at most {max} characters"))),
        Some(s) if !is_plain_line(s) => {
            Err(invalid(format!("{field} may not contain line breaks, control or text-direction characters")))
        }
        other => Ok(other),
    }
}
