//! Every route the edge serves, in one list: its method, its path, who may call it and the
//! handler that answers. The router dispatches from this list alone, and a test holds it equal
//! to the published OpenAPI document (`openapi.json`): a new route is a line here and its
//! operation there.

use std::future::Future;
use std::pin::Pin;

use worker::{Context, Env, Request, Response};

use super::admin::{
    audit, conversations as owner_conversations, domains, keys, knowledge, leads as owner_leads, members, organization,
    preview, sources,
};
use super::{auth, conversations, feedback, health, leads, messages, openapi, widget_config};
use crate::error::EdgeResult;
use crate::http::CorsGrant;
use crate::store::OrgStore;
use crate::tenancy;
use shared::Permission::{self, *};

/// What a visitor's or an open route's handler is given: the request, the worker's bindings,
/// the CORS grant it widens once the caller's origin is admitted, the path's one parameter
/// (empty when the path has none), and when the router had the request (before the shield).
pub struct Call<'a> {
    pub req: &'a mut Request,
    pub env: &'a Env,
    pub ctx: &'a Context,
    pub cors: &'a mut CorsGrant,
    pub param: &'a str,
    pub arrived_ms: i64,
}

/// What a site owner's handler is given: the request, the bindings, the caller, the store of
/// the organization they act for (and nothing else), and the path's one parameter.
pub struct OwnerCall<'a> {
    pub req: &'a mut Request,
    pub env: &'a Env,
    pub ctx: &'a Context,
    pub store: &'a OrgStore,
    pub owner: &'a tenancy::Owner,
    pub id: &'a str,
}

/// What a sign-in route's handler is given: the request and the bindings.
pub struct AuthCall<'a> {
    pub req: &'a mut Request,
    pub env: &'a Env,
}

/// A handler's answer, on its way.
pub type Answer<'a> = Pin<Box<dyn Future<Output = EdgeResult<Response>> + 'a>>;

/// Who may call a route, which decides what runs before its handler.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Anyone, and cheap to answer: not behind the shield.
    Open(for<'a> fn(Call<'a>) -> Answer<'a>),
    /// A site's visitors: behind the per-address shield.
    Visitor(for<'a> fn(Call<'a>) -> Answer<'a>),
    /// People signing in and out (`/v1/auth`): behind the per-address shield; the console
    /// calls them from the edge's own origin, so no CORS.
    Auth(for<'a> fn(AuthCall<'a>) -> Answer<'a>),
    /// A site owner's team: behind a session or an API key whose role grants the permission,
    /// with the organization's store.
    Owner(Permission, for<'a> fn(OwnerCall<'a>) -> Answer<'a>),
}

use Handler::{Auth, Open, Owner, Visitor};

pub struct Route {
    pub method: &'static str,
    /// Segments in braces match any one non-empty segment, which the handler receives.
    pub path: &'static str,
    pub handler: Handler,
}

const fn route(method: &'static str, path: &'static str, handler: Handler) -> Route {
    Route { method, path, handler }
}

pub const ROUTES: &[Route] = &[
    route("GET", "/healthz", Open(|_| Box::pin(async { health::get() }))),
    route("GET", "/v1/openapi.json", Open(|_| Box::pin(async { openapi::get() }))),
    route("GET", "/v1/widget.js", Visitor(|c| Box::pin(widget_config::script(c.req, c.env)))),
    route("GET", "/v1/widget/look", Visitor(|c| Box::pin(widget_config::look(c.req, c.env, c.cors)))),
    route("GET", "/v1/widget/config", Visitor(|c| Box::pin(widget_config::get(c.req, c.env, c.cors)))),
    route("POST", "/v1/conversations", Visitor(|c| Box::pin(conversations::post(c.req, c.env, c.cors)))),
    route(
        "GET",
        "/v1/conversations/{id}/messages",
        Visitor(|c| Box::pin(messages::get(c.req, c.env, c.cors, c.param))),
    ),
    route(
        "POST",
        "/v1/conversations/{id}/messages",
        Visitor(|c| Box::pin(messages::post(c.req, c.env, c.ctx, c.cors, c.param, c.arrived_ms))),
    ),
    route("POST", "/v1/conversations/{id}/stop", Visitor(|c| Box::pin(messages::stop(c.req, c.env, c.cors, c.param)))),
    route("POST", "/v1/leads", Visitor(|c| Box::pin(leads::post(c.req, c.env, c.cors)))),
    route("POST", "/v1/messages/{id}/feedback", Visitor(|c| Box::pin(feedback::post(c.req, c.env, c.cors, c.param)))),
    route("POST", "/v1/auth/login", Auth(|a| Box::pin(auth::login(a.req, a.env)))),
    route("POST", "/v1/auth/logout", Auth(|a| Box::pin(auth::logout(a.req, a.env)))),
    route("POST", "/v1/auth/logout-everywhere", Auth(|a| Box::pin(auth::logout_everywhere(a.req, a.env)))),
    route("GET", "/v1/auth/me", Auth(|a| Box::pin(auth::get_me(a.req, a.env)))),
    route("POST", "/v1/auth/password", Auth(|a| Box::pin(auth::change_password(a.req, a.env)))),
    route("POST", "/v1/auth/password-reset", Auth(|a| Box::pin(auth::reset_password(a.req, a.env)))),
    route("POST", "/v1/auth/invitations/accept", Auth(|a| Box::pin(auth::accept_invitation(a.req, a.env)))),
    route("GET", "/v1/admin/organization", Owner(OrganizationRead, |o| Box::pin(organization::get(o.store)))),
    route("PATCH", "/v1/admin/organization", Owner(BillingWrite, |o| Box::pin(organization::patch(o.req, o.store)))),
    route("GET", "/v1/admin/usage", Owner(BillingRead, |o| Box::pin(organization::usage(o.req, o.env, o.store)))),
    route("GET", "/v1/admin/keys", Owner(KeysManage, |o| Box::pin(keys::list(o.store)))),
    route("POST", "/v1/admin/keys", Owner(KeysManage, |o| Box::pin(keys::create(o.req, o.store, o.owner)))),
    route("DELETE", "/v1/admin/keys/{id}", Owner(KeysManage, |o| Box::pin(keys::revoke(o.store, o.owner, o.id)))),
    route("GET", "/v1/admin/domains", Owner(SitesRead, |o| Box::pin(domains::list(o.store)))),
    route("POST", "/v1/admin/domains", Owner(SitesWrite, |o| Box::pin(domains::create(o.req, o.env, o.store)))),
    route("GET", "/v1/admin/domains/{id}", Owner(SitesRead, |o| Box::pin(domains::get(o.store, o.id)))),
    route(
        "PATCH",
        "/v1/admin/domains/{id}",
        Owner(SitesWrite, |o| Box::pin(domains::patch(o.req, o.env, o.store, o.id))),
    ),
    route("DELETE", "/v1/admin/domains/{id}", Owner(SitesWrite, |o| Box::pin(domains::delete(o.store, o.id)))),
    route(
        "POST",
        "/v1/admin/domains/{id}/verify",
        Owner(SitesWrite, |o| Box::pin(domains::verify(o.env, o.store, o.id))),
    ),
    route(
        "POST",
        "/v1/admin/domains/{id}/preview",
        Owner(SitesWrite, |o| Box::pin(preview::post(o.req, o.env, o.ctx, o.store, o.owner, o.id))),
    ),
    route("GET", "/v1/admin/knowledge/sources", Owner(KnowledgeRead, |o| Box::pin(sources::list(o.req, o.store)))),
    route(
        "POST",
        "/v1/admin/knowledge/sources",
        Owner(KnowledgeWrite, |o| Box::pin(sources::create(o.req, o.env, o.store))),
    ),
    route("GET", "/v1/admin/knowledge/sources/{id}", Owner(KnowledgeRead, |o| Box::pin(sources::get(o.store, o.id)))),
    route(
        "DELETE",
        "/v1/admin/knowledge/sources/{id}",
        Owner(KnowledgeWrite, |o| Box::pin(sources::delete(o.store, o.id))),
    ),
    route(
        "POST",
        "/v1/admin/knowledge/sources/{id}/crawl",
        Owner(KnowledgeWrite, |o| Box::pin(sources::recrawl(o.env, o.store, o.id))),
    ),
    route(
        "GET",
        "/v1/admin/knowledge/search",
        Owner(KnowledgeRead, |o| Box::pin(sources::search(o.req, o.env, o.store))),
    ),
    route("GET", "/v1/admin/knowledge/gaps", Owner(KnowledgeRead, |o| Box::pin(sources::gaps(o.req, o.store)))),
    route("GET", "/v1/admin/knowledge", Owner(KnowledgeRead, |o| Box::pin(knowledge::list(o.req, o.store)))),
    route("POST", "/v1/admin/knowledge", Owner(KnowledgeWrite, |o| Box::pin(knowledge::create(o.req, o.env, o.store)))),
    route("GET", "/v1/admin/knowledge/{id}", Owner(KnowledgeRead, |o| Box::pin(knowledge::get(o.store, o.id)))),
    route(
        "PATCH",
        "/v1/admin/knowledge/{id}",
        Owner(KnowledgeWrite, |o| Box::pin(knowledge::patch(o.req, o.env, o.store, o.id))),
    ),
    route("DELETE", "/v1/admin/knowledge/{id}", Owner(KnowledgeWrite, |o| Box::pin(knowledge::delete(o.store, o.id)))),
    route(
        "GET",
        "/v1/admin/conversations",
        Owner(ConversationsRead, |o| Box::pin(owner_conversations::list(o.req, o.store))),
    ),
    route(
        "GET",
        "/v1/admin/conversations/{id}",
        Owner(ConversationsRead, |o| Box::pin(owner_conversations::get(o.store, o.id))),
    ),
    route("GET", "/v1/admin/leads", Owner(LeadsRead, |o| Box::pin(owner_leads::list(o.req, o.store)))),
    route("GET", "/v1/admin/members", Owner(MembersRead, |o| Box::pin(members::list(o.store)))),
    route(
        "PATCH",
        "/v1/admin/members/{id}",
        Owner(MembersManage, |o| Box::pin(members::patch(o.req, o.store, o.owner, o.id))),
    ),
    route(
        "DELETE",
        "/v1/admin/members/{id}",
        Owner(MembersManage, |o| Box::pin(members::remove(o.store, o.owner, o.id))),
    ),
    route(
        "POST",
        "/v1/admin/members/{id}/password-reset",
        Owner(MembersManage, |o| Box::pin(members::password_reset(o.req, o.env, o.store, o.owner, o.id))),
    ),
    route("GET", "/v1/admin/invitations", Owner(MembersManage, |o| Box::pin(members::invitations(o.store)))),
    route(
        "POST",
        "/v1/admin/invitations",
        Owner(MembersManage, |o| Box::pin(members::invite(o.req, o.env, o.store, o.owner))),
    ),
    route(
        "DELETE",
        "/v1/admin/invitations/{id}",
        Owner(MembersManage, |o| Box::pin(members::revoke_invitation(o.store, o.owner, o.id))),
    ),
    route("GET", "/v1/admin/audit", Owner(AuditRead, |o| Box::pin(audit::list(o.req, o.store)))),
];

pub enum Found<'a> {
    /// The route and the path's one parameter, if it has one.
    Route(&'static Route, Option<&'a str>),
    /// The path exists, but not for this method; these are its methods.
    WrongMethod(Vec<&'static str>),
    Missing,
}

/// The path's parameter if `path` fits `pattern`, `Some(None)` if it fits without one.
fn fit<'a>(pattern: &str, path: &'a str) -> Option<Option<&'a str>> {
    let mut want = pattern.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    let mut param = None;
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(param),
            (Some(w), Some(g)) if w.starts_with('{') && !g.is_empty() => param = Some(g),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// The route for `method` and `path`. A path that fits routes with a literal segment and
/// routes with a parameter there is theirs whose path has fewer parameters
/// (`/v1/admin/knowledge/gaps` is not a knowledge entry named "gaps").
pub fn find<'a>(method: &str, path: &'a str) -> Found<'a> {
    let params = |r: &Route| r.path.matches('{').count();
    let fitting: Vec<(&'static Route, Option<&'a str>)> =
        ROUTES.iter().filter_map(|r| fit(r.path, path).map(|param| (r, param))).collect();
    let Some(fewest) = fitting.iter().map(|(r, _)| params(r)).min() else {
        return Found::Missing;
    };
    let mut allowed = Vec::new();
    for (r, param) in fitting.into_iter().filter(|(r, _)| params(r) == fewest) {
        if r.method == method {
            return Found::Route(r, param);
        }
        allowed.push(r.method);
    }
    Found::WrongMethod(allowed)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The method and path of the route found, and the parameter; or the methods the path has.
    fn found(method: &str, path: &str) -> Result<(&'static str, &'static str, Option<String>), Vec<&'static str>> {
        match find(method, path) {
            Found::Route(r, param) => Ok((r.method, r.path, param.map(str::to_owned))),
            Found::WrongMethod(allowed) => Err(allowed),
            Found::Missing => Err(Vec::new()),
        }
    }

    #[test]
    fn paths_match_with_their_parameter() {
        assert_eq!(found("GET", "/healthz"), Ok(("GET", "/healthz", None)));
        assert_eq!(
            found("GET", "/v1/conversations/abc/messages"),
            Ok(("GET", "/v1/conversations/{id}/messages", Some("abc".into())))
        );
        assert_eq!(
            found("DELETE", "/v1/admin/domains/d1/"),
            Ok(("DELETE", "/v1/admin/domains/{id}", Some("d1".into())))
        );
        assert_eq!(found("PUT", "/v1/admin/domains/d1"), Err(vec!["GET", "PATCH", "DELETE"]));
        assert_eq!(found("GET", "/v1/admin/domains/d1/extra"), Err(vec![]));
        assert_eq!(found("GET", "/v1/conversations//messages"), Err(vec![]));
        assert_eq!(found("GET", "/nope"), Err(vec![]));
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        assert_eq!(found("GET", "/v1/admin/knowledge/gaps"), Ok(("GET", "/v1/admin/knowledge/gaps", None)));
        assert_eq!(found("PATCH", "/v1/admin/knowledge/gaps"), Err(vec!["GET"]), "not an entry named gaps");
        assert_eq!(found("DELETE", "/v1/admin/knowledge/sources"), Err(vec!["GET", "POST"]));
        assert_eq!(
            found("PATCH", "/v1/admin/knowledge/k1"),
            Ok(("PATCH", "/v1/admin/knowledge/{id}", Some("k1".into())))
        );
    }

    /// Only the health check and the document are open to anyone unshielded; every owner's route
    /// is under `/v1/admin/` and every route there is an owner's; sign-in's are `/v1/auth/`.
    #[test]
    fn who_may_call_follows_the_path() {
        let open: Vec<&str> = ROUTES.iter().filter(|r| matches!(r.handler, Open(_))).map(|r| r.path).collect();
        assert_eq!(open, ["/healthz", "/v1/openapi.json"]);
        for r in ROUTES {
            assert_eq!(matches!(r.handler, Owner(..)), r.path.starts_with("/v1/admin/"), "{} {}", r.method, r.path);
            assert_eq!(matches!(r.handler, Auth(_)), r.path.starts_with("/v1/auth/"), "{} {}", r.method, r.path);
        }
    }

    /// Reading never needs a permission that changes things, and what changes things always
    /// needs one that reading does not give.
    #[test]
    fn reads_need_read_permissions_and_changes_need_write_ones() {
        for r in ROUTES {
            if let Owner(p, _) = r.handler {
                let name = p.as_str();
                let writes = name.ends_with(".write") || name.ends_with(".manage");
                if r.method != "GET" {
                    assert!(writes, "{} {} changes things with {name}", r.method, r.path);
                }
            }
        }
    }

    #[test]
    fn every_route_is_distinct() {
        let set: BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        assert_eq!(set.len(), ROUTES.len());
    }

    /// The published document and the router describe the same API: every route is documented
    /// and every documented operation is served.
    #[test]
    fn the_openapi_document_lists_exactly_the_routes_served() {
        let doc: serde_json::Value = serde_json::from_str(super::super::openapi::DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if ["get", "post", "patch", "delete", "put"].contains(&method.as_str()) {
                    assert!(op["operationId"].is_string(), "{method} {path} has an operationId");
                    assert!(op["responses"].is_object(), "{method} {path} has responses");
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let served: BTreeSet<(String, String)> =
            ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
        assert_eq!(documented, served);
    }
}
