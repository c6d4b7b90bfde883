//! `/console/…`: the site owner's console (the `console` crate), a client-side app. Every
//! console path reaches the worker first (`run_worker_first` in `wrangler.toml`), so its
//! security headers are set here, in one place: a file of the app (a name with a dot) comes
//! from the static assets, and any other path is one of the app's pages, answered with its
//! `index.html` for the app to route.

use shared::{ErrorCode, SiteKey};
use worker::{Env, Method, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::ids::DomainId;

/// Scripts and wasm only from this origin (`wasm-unsafe-eval` compiles the app, and nothing
/// may run from a string); no inline styles; calls only to this origin's API; frames only of
/// this origin (the widget's preview); no page may frame the console.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/// The preview frame: the widget as a site runs it, under the console's own rules, and framed
/// by the console alone.
const PREVIEW_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'";
/// The page of the preview frame (`/console/preview?site=…&domain=…`): the real widget, open,
/// taking its look from the settings being edited, which the console posts to it, and asking
/// the preview route of `domain` instead of opening a visitor's conversation.
const PREVIEW_PATH: &str = "/console/preview";

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
    if url.path() == PREVIEW_PATH {
        return preview_page(&url);
    }
    let file = url.path().rsplit('/').next().is_some_and(|last| last.contains('.'));
    let asset_url = if file { url.to_string() } else { index.to_string() };
    let asset = env.assets("ASSETS")?.fetch(asset_url, None).await?;
    let status = asset.status_code();
    if status == 404 {
        return Err(EdgeError::new(ErrorCode::NotFound, "No such file in the console."));
    }
    let content_type = asset.headers().get("content-type")?.unwrap_or_else(|| "application/octet-stream".into());
    // The runtime's fetched headers cannot be changed: the file goes out in a response of ours,
    // around the same body, streamed through rather than read into the worker and written out.
    let resp = Response::from_body(asset.body().clone())?.with_status(status);
    // Files are named by their content; the page names the current ones, so it is asked again.
    let cache = if file { "public, max-age=31536000, immutable" } else { "no-cache" };
    secured(resp, &content_type, CONTENT_SECURITY_POLICY, cache)
}

fn preview_page(url: &worker::Url) -> EdgeResult<Response> {
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let site = param("site").and_then(|s| SiteKey::parse(&s).ok());
    let domain = param("domain").and_then(|d| DomainId::parse(&d));
    let (Some(site), Some(domain)) = (site, domain) else {
        return Err(EdgeError::new(ErrorCode::NotFound, "A preview needs a site key and a domain id."));
    };
    // Both are plain letters, digits, `_` and `-` once parsed, so they go into the page as they are.
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Preview of the widget</title>\n</head>\n<body>\n\
         <script src=\"/widget.js\" data-site=\"{site}\" data-preview=\"{domain}\" data-open async></script>\n\
         </body>\n</html>\n"
    );
    secured(Response::from_html(html)?, "text/html; charset=utf-8", PREVIEW_POLICY, "no-cache")
}

/// A console response with its security headers.
fn secured(mut resp: Response, content_type: &str, policy: &str, cache: &str) -> EdgeResult<Response> {
    let headers = resp.headers_mut();
    headers.set("content-type", content_type)?;
    headers.set("content-security-policy", policy)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("cross-origin-opener-policy", "same-origin")?;
    headers.set("cache-control", cache)?;
    Ok(resp)
}
