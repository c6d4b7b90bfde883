//! `/console/…`: the site owner's console (the `console` crate), a client-side app. Every
//! console path reaches the worker first (`run_worker_first` in `wrangler.toml`), so its
//! security headers are set here, in one place: a file of the app (a name with a dot) comes
//! from the static assets, and any other path is one of the app's pages, answered with its
//! `index.html` for the app to route.

use shared::ErrorCode;
use worker::{Env, Method, Request, Response};

use crate::error::{EdgeError, EdgeResult};

/// Scripts and wasm only from this origin (`wasm-unsafe-eval` compiles the app, and nothing
/// may run from a string); no inline styles; calls only to this origin's API; no page may
/// frame the console.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

pub async fn serve(req: &Request, env: &Env) -> EdgeResult<Response> {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return Err(EdgeError::new(ErrorCode::MethodNotAllowed, "The console's pages are only read."));
    }
    let url = req.url()?;
    let mut index = url.clone();
    index.set_path("/console/");
    index.set_query(None);
    if url.path() == "/console" {
        return Ok(Response::redirect_with_status(index, 308)?);
    }
    let file = url.path().rsplit('/').next().is_some_and(|last| last.contains('.'));
    let asset_url = if file { url.to_string() } else { index.to_string() };
    let mut asset = env.assets("ASSETS")?.fetch(asset_url, None).await?;
    let status = asset.status_code();
    if status == 404 {
        return Err(EdgeError::new(ErrorCode::NotFound, "No such file in the console."));
    }
    let content_type = asset.headers().get("content-type")?.unwrap_or_else(|| "application/octet-stream".into());
    // The runtime's fetched headers cannot be changed: the file goes out in a response of ours.
    let mut resp = Response::from_bytes(asset.bytes().await?)?.with_status(status);
    let headers = resp.headers_mut();
    headers.set("content-type", &content_type)?;
    headers.set("content-security-policy", CONTENT_SECURITY_POLICY)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("cross-origin-opener-policy", "same-origin")?;
    // Files are named by their content; the page names the current ones, so it is asked again.
    headers.set("cache-control", if file { "public, max-age=31536000, immutable" } else { "no-cache" })?;
    Ok(resp)
}
