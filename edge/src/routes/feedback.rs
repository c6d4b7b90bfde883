//! `POST /v1/messages/{id}/feedback`: thumbs up or down on a reply, by the visitor holding
//! that conversation's token. A second vote replaces the first.

use shared::{ErrorCode, Feedback};
use worker::{Env, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::ids::MessageId;

use super::access::authorize;

pub async fn post(req: &mut Request, env: &Env, cors: &mut CorsGrant, message: &str) -> EdgeResult<Response> {
    let body: Feedback = http::read_json(req).await?;
    let (access, _) = authorize(req, env, cors, &body.conversation_id).await?;
    let not_found = || EdgeError::new(ErrorCode::MessageNotFound, "No such reply in this conversation.");
    let message = MessageId::parse(message).ok_or_else(not_found)?;
    if !access.store.rate_reply(access.conversation, message, body.rating).await? {
        return Err(not_found());
    }
    Ok(Response::empty()?.with_status(204))
}
