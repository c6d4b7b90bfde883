//! The URL space, one file per resource: `/healthz`, `/v1/widget/config`,
//! `/v1/conversations`, `/v1/conversations/{id}/messages`, `/v1/leads` and
//! `/v1/messages/{id}/feedback`. The widget's own files are static assets, served before
//! the worker runs (see `wrangler.toml`).

mod access;
mod conversations;
mod feedback;
mod health;
mod leads;
mod messages;
mod preflight;
mod widget_config;

use shared::ErrorCode;
use worker::{Context, Env, Method, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};

pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let mut cors = CorsGrant::default();
    let response = match dispatch(req, &env, &ctx, &mut cors).await {
        Ok(r) => r,
        Err(e) => http::error(&e),
    };
    cors.apply(response)
}

async fn dispatch(mut req: Request, env: &Env, ctx: &Context, cors: &mut CorsGrant) -> EdgeResult<Response> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    if method == Method::Options && segments.first() == Some(&"v1") {
        return preflight::answer(&req, env, cors).await;
    }
    match (segments.as_slice(), method) {
        (["healthz"], Method::Get) => health::get(),
        (["v1", "widget", "config"], Method::Get) => widget_config::get(&req, env, cors).await,
        (["v1", "conversations"], Method::Post) => conversations::post(&mut req, env, cors).await,
        (["v1", "conversations", id, "messages"], Method::Get) => messages::get(&req, env, cors, id).await,
        (["v1", "conversations", id, "messages"], Method::Post) => {
            let id = id.to_string();
            messages::post(&mut req, env, ctx, cors, &id).await
        }
        (["v1", "leads"], Method::Post) => leads::post(&mut req, env, cors).await,
        (["v1", "messages", id, "feedback"], Method::Post) => {
            let id = id.to_string();
            feedback::post(&mut req, env, cors, &id).await
        }
        (
            ["healthz"]
            | ["v1", "widget", "config"]
            | ["v1", "conversations"]
            | ["v1", "conversations", _, "messages"]
            | ["v1", "leads"]
            | ["v1", "messages", _, "feedback"],
            _,
        ) => Err(EdgeError::new(ErrorCode::MethodNotAllowed, "This method is not allowed here.")),
        _ => Err(EdgeError::new(ErrorCode::NotFound, "No such endpoint.")),
    }
}
