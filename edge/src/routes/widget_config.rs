//! The widget's settings for a site, as the page asks for them:
//! - `GET /v1/widget/look?site=KEY[&color=…&position=…&lang=…]`: the launcher the loader draws
//!   before the widget starts, with the script tag's attributes and the visitor's languages
//!   (`Accept-Language`) applied (shared's `look`), so the loader need not carry the rules;
//! - `GET /v1/widget/config?site=KEY`: what the widget shows before the first message.

use serde::Deserialize;
use shared::look::{Look, TagLook};
use shared::ErrorCode;
use worker::{Env, Request, Response};

use super::access::admit_site;
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};

#[derive(Deserialize)]
struct Query {
    site: Option<String>,
}

#[derive(Deserialize)]
struct LookQuery {
    site: Option<String>,
    color: Option<String>,
    position: Option<String>,
    lang: Option<String>,
}

fn unreadable_query(_: worker::Error) -> EdgeError {
    EdgeError::new(ErrorCode::InvalidField, "The query string could not be read.")
}

/// Owners expect a settings change to show within a minute, and the same page loads it often.
fn cached(mut resp: Response) -> Response {
    let _ = resp.headers_mut().set("cache-control", "private, max-age=60");
    resp
}

pub async fn get(req: &Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let query: Query = req.query().map_err(unreadable_query)?;
    let tenant = admit_site(query.site.as_deref().unwrap_or_default(), req, env, cors).await?;
    Ok(cached(http::json(200, &tenant.domain().config)?))
}

pub async fn look(req: &Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let query: LookQuery = req.query().map_err(unreadable_query)?;
    let tenant = admit_site(query.site.as_deref().unwrap_or_default(), req, env, cors).await?;
    let accepted = http::header(req, "accept-language").unwrap_or_default();
    let tag = TagLook { color: query.color, position: query.position, lang: query.lang };
    let look = Look::of(&tenant.domain().config, &tag, http::languages_by_preference(&accepted));
    let mut resp = cached(http::json(200, &look)?);
    let _ = resp.headers_mut().append("vary", "Accept-Language");
    Ok(resp)
}
