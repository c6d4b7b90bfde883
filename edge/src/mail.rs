//! One-time links (invitations, password resets) on their way to a person: sent through the
//! operator's HTTP mail API when `MAIL_PROVIDER` is set, otherwise handed back to whoever asked
//! for the link, to pass on themselves (local development, small teams without mail set up).
//!
//! The mail API receives `POST {MAIL_PROVIDER}` with `Authorization: Bearer {MAIL_API_KEY}` and
//! `{"from", "to", "subject", "text"}`, the shape most transactional mail APIs accept or can be
//! put behind.

use shared::admin::members::LinkDelivery;
use shared::ErrorCode;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::error::{log_error, EdgeError, EdgeResult};
use crate::settings::AccountSettings;

/// A message carrying a link.
pub struct LinkMail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    /// The message before the link.
    pub text: &'a str,
    pub link: &'a str,
    pub expires_at: i64,
}

pub async fn deliver(settings: &AccountSettings, mail: &LinkMail<'_>) -> EdgeResult<LinkDelivery> {
    let Some(provider) = &settings.mail else {
        return Ok(LinkDelivery { sent: false, link: Some(mail.link.to_owned()), expires_at: mail.expires_at });
    };
    let body = serde_json::json!({
        "from": provider.from,
        "to": mail.to,
        "subject": mail.subject,
        "text": format!("{}\n\n{}\n", mail.text, mail.link),
    });
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    if let Some(key) = &provider.api_key {
        headers.set("authorization", &format!("Bearer {key}"))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.to_string().into()));
    let req = Request::new_with_init(&provider.url, &init)?;
    let refused =
        || EdgeError::new(ErrorCode::UpstreamError, "The mail service did not take the message; nothing was sent.");
    match Fetch::Request(req).send().await {
        Ok(resp) if (200..300).contains(&resp.status_code()) => {
            Ok(LinkDelivery { sent: true, link: None, expires_at: mail.expires_at })
        }
        Ok(resp) => {
            log_error(&format!("mail provider answered {}", resp.status_code()));
            Err(refused())
        }
        Err(e) => {
            log_error(&format!("mail provider unreachable: {e}"));
            Err(refused())
        }
    }
}
