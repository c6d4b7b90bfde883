//! The URL space. `table` lists every route with its handler, and the router here answers from
//! it: preflights, the shield in front of visitors' routes, the owner's key in front of
//! theirs (`admin`). Each resource has its own file: the visitor's (`widget_config`,
//! `conversations`, `messages`, `leads`, `feedback`) and the site owner's (`admin/`). The
//! widget's own files are static assets, served before the worker runs (see `wrangler.toml`);
//! the console's are served through `console`, which adds its security headers.

mod access;
mod admin;
mod auth;
mod console;
mod conversations;
mod feedback;
mod health;
mod leads;
mod messages;
mod openapi;
mod preflight;
pub mod table;
mod widget_config;

use shared::ErrorCode;
use worker::{Context, Env, Method, Request, Response};

use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use table::{Call, Found, Handler};

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
    if path == "/console" || path.starts_with("/console/") {
        return console::serve(&req, env).await;
    }
    let method = req.method();
    if method == Method::Options && path.starts_with("/v1/") {
        // A preflight reads D1 too.
        shield(&req, env).await?;
        return preflight::answer(&req, env, cors).await;
    }
    // The raw method: the runtime's Method reads an unknown one (QUERY, TRACE) as GET.
    let raw_method = req.inner().method();
    let (route, param) = match table::find(&raw_method, &path) {
        Found::Route(route, param) => (route, param.unwrap_or_default().to_owned()),
        Found::WrongMethod(allowed) => {
            // RFC 9110: a 405 says which methods the resource has.
            let mut resp =
                http::error(&EdgeError::new(ErrorCode::MethodNotAllowed, "This method is not allowed here."));
            resp.headers_mut().set("allow", &allowed.join(", "))?;
            return Ok(resp);
        }
        Found::Missing => return Err(EdgeError::new(ErrorCode::NotFound, "No such endpoint.")),
    };
    let arrived_ms = now_ms();
    match route.handler {
        Handler::Open(answer) => answer(Call { req: &mut req, env, ctx, cors, param: &param, arrived_ms }).await,
        Handler::Visitor(answer) => {
            shield(&req, env).await?;
            answer(Call { req: &mut req, env, ctx, cors, param: &param, arrived_ms }).await
        }
        Handler::Auth(answer) => {
            shield(&req, env).await?;
            // Sign-in answers carry a session cookie, and must never sit in a shared cache.
            let mut resp = answer(table::AuthCall { req: &mut req, env }).await.unwrap_or_else(|e| http::error(&e));
            resp.headers_mut().set("cache-control", "no-store")?;
            Ok(resp)
        }
        Handler::Owner(permission, answer) => admin::handle(permission, answer, &param, &mut req, env, ctx).await,
    }
}

/// The per-address flood guard in front of every visitor request (`IP_SHIELD` in `wrangler.toml`). If
/// the binding is missing the request goes on: the meter's exact limits still apply.
async fn shield(req: &Request, env: &Env) -> EdgeResult<()> {
    let limiter = match env.rate_limiter("IP_SHIELD") {
        Ok(l) => l,
        Err(e) => {
            crate::error::log_error(&format!("IP_SHIELD binding unavailable: {e}"));
            return Ok(());
        }
    };
    if limiter.limit(http::client_ip(req)).await?.success {
        Ok(())
    } else {
        Err(EdgeError::rate_limited(60, "Too many requests from your network. Please wait a minute."))
    }
}
