//! Every route the edge serves, as data: the router dispatches from this table, and a test
//! holds it equal to the published OpenAPI document (`openapi.json`).

/// What a request is for, once its method and path are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Open to anyone, or to a site's visitors.
    Public(Public),
    /// A site owner's, behind an API key.
    Admin(Admin),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Public {
    Health,
    OpenApi,
    WidgetConfig,
    CreateConversation,
    History,
    PostMessage,
    StopReply,
    CreateLead,
    RateReply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    Organization,
    UpdateOrganization,
    Usage,
    ApiKeys,
    CreateApiKey,
    RevokeApiKey,
    Domains,
    CreateDomain,
    Domain,
    UpdateDomain,
    DeleteDomain,
    VerifyDomain,
    KnowledgeList,
    CreateKnowledge,
    Knowledge,
    UpdateKnowledge,
    DeleteKnowledge,
    Conversations,
    Conversation,
    Leads,
}

pub struct Route {
    pub method: &'static str,
    /// Segments in braces match any one non-empty segment, which the handler receives.
    pub path: &'static str,
    pub endpoint: Endpoint,
}

const fn public(method: &'static str, path: &'static str, endpoint: Public) -> Route {
    Route { method, path, endpoint: Endpoint::Public(endpoint) }
}

const fn admin(method: &'static str, path: &'static str, endpoint: Admin) -> Route {
    Route { method, path, endpoint: Endpoint::Admin(endpoint) }
}

pub const ROUTES: &[Route] = &[
    public("GET", "/healthz", Public::Health),
    public("GET", "/v1/openapi.json", Public::OpenApi),
    public("GET", "/v1/widget/config", Public::WidgetConfig),
    public("POST", "/v1/conversations", Public::CreateConversation),
    public("GET", "/v1/conversations/{id}/messages", Public::History),
    public("POST", "/v1/conversations/{id}/messages", Public::PostMessage),
    public("POST", "/v1/conversations/{id}/stop", Public::StopReply),
    public("POST", "/v1/leads", Public::CreateLead),
    public("POST", "/v1/messages/{id}/feedback", Public::RateReply),
    admin("GET", "/v1/admin/organization", Admin::Organization),
    admin("PATCH", "/v1/admin/organization", Admin::UpdateOrganization),
    admin("GET", "/v1/admin/usage", Admin::Usage),
    admin("GET", "/v1/admin/keys", Admin::ApiKeys),
    admin("POST", "/v1/admin/keys", Admin::CreateApiKey),
    admin("DELETE", "/v1/admin/keys/{id}", Admin::RevokeApiKey),
    admin("GET", "/v1/admin/domains", Admin::Domains),
    admin("POST", "/v1/admin/domains", Admin::CreateDomain),
    admin("GET", "/v1/admin/domains/{id}", Admin::Domain),
    admin("PATCH", "/v1/admin/domains/{id}", Admin::UpdateDomain),
    admin("DELETE", "/v1/admin/domains/{id}", Admin::DeleteDomain),
    admin("POST", "/v1/admin/domains/{id}/verify", Admin::VerifyDomain),
    admin("GET", "/v1/admin/knowledge", Admin::KnowledgeList),
    admin("POST", "/v1/admin/knowledge", Admin::CreateKnowledge),
    admin("GET", "/v1/admin/knowledge/{id}", Admin::Knowledge),
    admin("PATCH", "/v1/admin/knowledge/{id}", Admin::UpdateKnowledge),
    admin("DELETE", "/v1/admin/knowledge/{id}", Admin::DeleteKnowledge),
    admin("GET", "/v1/admin/conversations", Admin::Conversations),
    admin("GET", "/v1/admin/conversations/{id}", Admin::Conversation),
    admin("GET", "/v1/admin/leads", Admin::Leads),
];

#[derive(Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// The endpoint and the path's one parameter, if it has one.
    Route(Endpoint, Option<&'a str>),
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

pub fn find<'a>(method: &str, path: &'a str) -> Found<'a> {
    let mut allowed = Vec::new();
    for r in ROUTES {
        if let Some(param) = fit(r.path, path) {
            if r.method == method {
                return Found::Route(r.endpoint, param);
            }
            allowed.push(r.method);
        }
    }
    if allowed.is_empty() {
        Found::Missing
    } else {
        Found::WrongMethod(allowed)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn paths_match_with_their_parameter() {
        assert_eq!(find("GET", "/healthz"), Found::Route(Endpoint::Public(Public::Health), None));
        assert_eq!(
            find("GET", "/v1/conversations/abc/messages"),
            Found::Route(Endpoint::Public(Public::History), Some("abc"))
        );
        assert_eq!(
            find("DELETE", "/v1/admin/domains/d1/"),
            Found::Route(Endpoint::Admin(Admin::DeleteDomain), Some("d1"))
        );
        assert_eq!(find("PUT", "/v1/admin/domains/d1"), Found::WrongMethod(vec!["GET", "PATCH", "DELETE"]));
        assert_eq!(find("GET", "/v1/admin/domains/d1/extra"), Found::Missing);
        assert_eq!(find("GET", "/v1/conversations//messages"), Found::Missing);
        assert_eq!(find("GET", "/nope"), Found::Missing);
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
