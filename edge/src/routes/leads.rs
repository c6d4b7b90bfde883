//! `POST /v1/leads`: a visitor leaves their email for the site owner, optionally tied to
//! their conversation (which then needs that conversation's token).

use shared::lead::MAX_LEAD_NAME_CHARS;
use shared::limits::MAX_MESSAGE_CHARS;
use shared::{CreateLead, Email, ErrorCode, LeadCreated};
use worker::{Env, Request, Response};

use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::limits::{lead_retry_after, LEADS_PER_CONVERSATION, LEADS_PER_DOMAIN_PER_MINUTE, LEAD_WINDOW_MS};
use crate::store::{LeadLimits, NewLead, OrgStore};

use super::access::{admit_site, authorize, unauthorized};

pub async fn post(req: &mut Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let body: CreateLead = http::read_json(req).await?;
    let tenant = admit_site(&body.site, req, env, cors).await?;
    let invalid = |m: &str| EdgeError::new(ErrorCode::InvalidField, m);
    let email = Email::parse(&body.email).ok_or_else(|| invalid("email must be a valid email address"))?;
    let name = optional_text(body.name.as_deref(), MAX_LEAD_NAME_CHARS)
        .map_err(|()| invalid(&format!("name may be at most {MAX_LEAD_NAME_CHARS} characters")))?;
    let message = optional_text(body.message.as_deref(), MAX_MESSAGE_CHARS)
        .map_err(|()| invalid(&format!("message may be at most {MAX_MESSAGE_CHARS} characters")))?;
    let conversation = match body.conversation_id.as_deref() {
        None => None,
        Some(id) => {
            let access = authorize(req, env, cors, id).await?;
            // A token of one site cannot tie a lead to another site's conversation.
            if access.tenant.domain().id != tenant.domain().id {
                return Err(unauthorized());
            }
            Some(access.conversation)
        }
    };
    let store = OrgStore::for_tenant(env.d1("DB")?, &tenant);
    let domain = tenant.domain().id;
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

/// Trimmed text of at most `max` characters; blank is absent.
fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<&str>, ()> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(()),
        other => Ok(other),
    }
}
