//! The widget's settings for a site, as the page asks for them:
//! - `GET /v1/widget/look?site=KEY[&color=…&position=…&lang=…]`: the launcher the loader draws
//!   before the widget starts, with the script tag's attributes and the visitor's languages
//!   (`Accept-Language`) applied (shared's `look`), so the loader need not carry the rules;
//! - `GET /v1/widget/config?site=KEY`: what the widget shows before the first message;
//! - `GET /v1/widget.js?site=KEY`: the loader with the site's key, and the look for the page,
//!   written in: the tag to paste, whose first visit draws the launcher without asking for the
//!   look (the static `/widget.js` with `data-site` works as before).

use std::cell::OnceCell;
use std::rc::Rc;

use serde::Deserialize;
use shared::look::{Look, TagLook};
use shared::{ErrorCode, PageUrl, SiteKey};
use worker::{Env, Request, Response};

use super::access::admit_site;
use crate::clock::now_ms;
use crate::domain_cache;
use crate::error::{log_error, EdgeError, EdgeResult};
use crate::http::{self, CorsGrant};
use crate::store::Directory;
use crate::tenancy::{self, Tenant};

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
    let tag = TagLook { color: query.color, position: query.position, lang: query.lang };
    let mut resp = cached(http::json(200, &page_look(req, &tenant, &tag))?);
    let _ = resp.headers_mut().append("vary", "Accept-Language");
    Ok(resp)
}

pub async fn script(req: &Request, env: &Env) -> EdgeResult<Response> {
    let query: Query = req.query().map_err(unreadable_query)?;
    let site = SiteKey::parse(query.site.as_deref().unwrap_or_default())
        .map_err(|e| EdgeError::new(ErrorCode::SiteKeyMissing, e.to_string()))?;
    // A script is fetched without an Origin; the page it is for names itself in the Referer,
    // which browsers send for a script on another origin (the origin, at least).
    let page = http::header(req, "referer").and_then(|r| PageUrl::parse(&r).ok().map(|p| p.origin().to_owned()));
    let dir = Directory::new(env.d1("DB")?);
    let look = match domain_cache::by_site_key(&dir, &site, now_ms(), domain_cache::FRESH_MS).await {
        Ok(domain) => match tenancy::admit(domain, page.as_deref()) {
            Ok(tenant) => Some(page_look(req, &tenant, &TagLook::default())),
            Err(e) if e.code == ErrorCode::SiteNotRegistered => return Err(e),
            // Another site's page, an unknown one, or a site switched off: the loader asks for
            // the look itself, with its Origin, and is answered as the static loader is.
            Err(_) => None,
        },
        Err(e) => {
            log_error(&format!("the widget's script went out without its look: {}", e.message));
            None
        }
    };
    let body = prelude(&site, look.as_ref()) + &loader(req, env).await?;
    let mut resp = Response::ok(body)?;
    let headers = resp.headers_mut();
    for (name, value) in [
        ("content-type", "text/javascript; charset=utf-8"),
        // As the look; and the next pages for a few minutes more take it at once while the
        // browser asks again, no longer than the static loader goes unasked (public/_headers),
        // which after a deploy names a core that is gone.
        ("cache-control", "private, max-age=60, stale-while-revalidate=240"),
        ("vary", "Accept-Language"),
        ("access-control-allow-origin", "*"),
        ("cross-origin-resource-policy", "cross-origin"),
        // As the static files (public/_headers): the site's own page-speed tools may see what
        // the script cost the page.
        ("timing-allow-origin", "*"),
        ("x-content-type-options", "nosniff"),
    ] {
        headers.set(name, value)?;
    }
    Ok(resp)
}

thread_local! {
    /// The static loader, read from the assets once per isolate: the assets are deployed with
    /// the worker's version (and `wrangler dev` restarts the worker when they change), so an
    /// isolate never sees them change.
    static LOADER: OnceCell<Rc<str>> = const { OnceCell::new() };
}

async fn loader(req: &Request, env: &Env) -> EdgeResult<Rc<str>> {
    if let Some(text) = LOADER.with(|l| l.get().cloned()) {
        return Ok(text);
    }
    let mut url = req.url()?;
    url.set_path("/widget.js");
    url.set_query(None);
    let loader = env.assets("ASSETS")?.fetch(url.to_string(), None).await?;
    if loader.status_code() != 200 {
        return Err(EdgeError::internal("the widget's loader is missing from the static assets"));
    }
    let text: Rc<str> = http::body_text(loader).await?.into();
    // Two first requests at once both read it: the cell keeps the first, each uses its own.
    LOADER.with(|l| l.set(text.clone())).ok();
    Ok(text)
}

/// The launcher for the page asking: the site's settings under the tag's attributes, in the
/// first of the visitor's languages (`Accept-Language`) the widget speaks.
fn page_look(req: &Request, tenant: &Tenant, tag: &TagLook) -> Look {
    let accepted = http::header(req, "accept-language").unwrap_or_default();
    Look::of(&tenant.domain().config, tag, http::languages_by_preference(&accepted))
}

/// What the edge writes before the loader: the site's key, and the look unless the tag sets
/// its own colour, side or language, as the tag's `data-` attributes the loader reads. Both are
/// written as JSON strings, which are JavaScript string literals.
fn prelude(site: &SiteKey, look: Option<&Look>) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let look = look
        .and_then(|l| serde_json::to_string(l).ok())
        .map(|l| format!("s.color||s.position||s.lang||(s.look={});", quoted(&l)))
        .unwrap_or_default();
    format!("(s=>{{if(s){{s=s.dataset;s.site={};{look}}}}})(document.currentScript);\n", quoted(site.as_str()))
}

#[cfg(test)]
mod tests {
    use shared::look::{Look, TagLook};
    use shared::{SiteKey, WidgetConfig};

    use super::prelude;

    #[test]
    fn the_prelude_writes_the_site_and_its_look_as_string_literals() {
        let site = SiteKey::parse("site_demo_localhost").expect("a site key");
        let arabic = TagLook { lang: Some("ar".to_owned()), ..TagLook::default() };
        let look = Look::of(&WidgetConfig::default(), &arabic, []);
        let text = prelude(&site, Some(&look));
        assert!(text.starts_with("(s=>{if(s){s=s.dataset;s.site=\"site_demo_localhost\";"), "{text}");
        assert!(text.ends_with("}})(document.currentScript);\n"), "{text}");
        // The look as the loader reads it back: JSON inside a string literal.
        let literal = text.split("s.look=").nth(1).and_then(|t| t.split(");").next()).expect("a look");
        let json: String = serde_json::from_str(literal).expect("a string literal");
        assert_eq!(serde_json::from_str::<Look>(&json).expect("a look"), look);
        assert!(json.contains("\"dir\":\"rtl\""), "{json}");
        // Without a look, the loader asks for it.
        assert!(!prelude(&site, None).contains("look"));
    }
}
