//! `GET /v1/widget/config?site=KEY`: what the widget shows before the first message.

use serde::Deserialize;
use shared::ErrorCode;
use worker::{Env, Request, Response};

use super::access::admit_site;
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};

#[derive(Deserialize)]
struct Query {
    site: Option<String>,
}

pub async fn get(req: &Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let query: Query =
        req.query().map_err(|_| EdgeError::new(ErrorCode::InvalidField, "The query string could not be read."))?;
    let tenant = admit_site(query.site.as_deref().unwrap_or_default(), req, env, cors).await?;
    let mut resp = http::json(200, &tenant.domain().config)?;
    // Owners expect a config change to show within a minute, and the same page loads it often.
    let _ = resp.headers_mut().set("cache-control", "private, max-age=60");
    Ok(resp)
}
