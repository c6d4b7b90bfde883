//! `OPTIONS /v1/...`: a preflight carries no site key, so it is granted to any origin some
//! active domain answers for; the real request is then checked against its own domain.

use shared::{ErrorCode, Hostname};
use worker::{Env, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::store::Directory;

pub async fn answer(req: &Request, env: &Env, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let origin = http::origin(req);
    let host = origin.as_deref().and_then(|o| Hostname::from_origin(o).ok());
    let served = match &host {
        Some(h) => Directory::new(env.d1("DB")?).serves_hostname(h).await?,
        None => false,
    };
    if !served {
        return Err(EdgeError::new(ErrorCode::OriginNotAllowed, "This origin is not a registered website."));
    }
    cors.allow(origin);
    Ok(Response::empty()?.with_status(204))
}
