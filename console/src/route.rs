//! Which page a path of the console shows, and moving between pages without reloading. The
//! console's own rather than `leptos_router`: it needs a path's page, links that do not reload,
//! the back button and one query parameter, and `leptos_router`'s matching, nested routes and
//! parameter maps for that were 43 KB brotli of every owner's first load (`bench-console`).

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// A page of the console, as its path names it (`/console/...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    SignIn,
    AcceptInvitation,
    ResetPassword,
    Home,
    Inbox,
    Conversation(String),
    Leads,
    Sites,
    Site(String),
    Knowledge,
    Analytics,
    Team,
    Keys,
    Audit,
}

impl Page {
    /// The page at `path`, or `None` for a path the console has no page for.
    pub fn parse(path: &str) -> Option<Page> {
        let rest = path.strip_prefix("/console")?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        Some(match segments.as_slice() {
            [] => Page::Home,
            ["sign-in"] => Page::SignIn,
            ["accept-invitation"] => Page::AcceptInvitation,
            ["reset-password"] => Page::ResetPassword,
            ["inbox"] => Page::Inbox,
            ["inbox", id] => Page::Conversation((*id).to_owned()),
            ["leads"] => Page::Leads,
            ["sites"] => Page::Sites,
            ["sites", id] => Page::Site((*id).to_owned()),
            ["knowledge"] => Page::Knowledge,
            ["analytics"] => Page::Analytics,
            ["team"] => Page::Team,
            ["keys"] => Page::Keys,
            ["audit"] => Page::Audit,
            _ => return None,
        })
    }

    /// The page's name, as its heading says it: the window's title shows it, so a tab, the
    /// history and a screen reader tell the pages apart.
    pub fn title(&self) -> &'static str {
        match self {
            Page::SignIn => "Sign in",
            Page::AcceptInvitation => "Join your team",
            Page::ResetPassword => "Choose a password",
            Page::Home => "Get started",
            Page::Inbox => "Inbox",
            Page::Conversation(_) => "Conversation",
            Page::Leads => "Leads",
            Page::Sites => "Sites",
            Page::Site(_) => "Site",
            Page::Knowledge => "Knowledge",
            Page::Analytics => "Analytics",
            Page::Team => "Team",
            Page::Keys => "API keys",
            Page::Audit => "Audit trail",
        }
    }

    /// Whether the page is drawn in the signed-in frame (`pages::shell`).
    pub fn signed_in(&self) -> bool {
        !matches!(self, Page::SignIn | Page::AcceptInvitation | Page::ResetPassword)
    }
}

/// Whether a navigation link to `href` stands for the page at `path`: the same page, or for a
/// section (`exact` false) any page under it, as the inbox's link does for a conversation.
pub fn current(path: &str, href: &str, exact: bool) -> bool {
    let (path, href) = (path.trim_end_matches('/'), href.trim_end_matches('/'));
    path == href || (!exact && path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/')))
}

/// The browser's location as the console follows it: its path, in a signal.
#[derive(Clone, Copy)]
pub struct Router {
    path: RwSignal<String>,
}

/// The browser's path, with the window's title set to name its page.
fn arrived() -> String {
    let path = window().location().pathname().unwrap_or_default();
    let title = Page::parse(&path).map_or("Page not found", |p| p.title());
    document().set_title(&format!("{title} · Chat console"));
    path
}

impl Router {
    /// Follows the browser's location from now on: the back and forward buttons, and clicks on
    /// links to console pages, which change the page without a reload.
    pub fn provide() -> Router {
        let router = Router { path: RwSignal::new(arrived()) };
        provide_context(router);
        window_event_listener(leptos::ev::popstate, move |_| router.path.set(arrived()));
        window_event_listener(leptos::ev::click, move |ev| router.follow(&ev));
        router
    }

    /// The path (tracked).
    pub fn path(&self) -> String {
        self.path.get()
    }

    /// The page at the path, changing only when the page does.
    pub fn page(&self) -> Memo<Option<Page>> {
        let path = self.path;
        Memo::new(move |_| path.with(|p| Page::parse(p)))
    }

    /// Goes to `to` (a path, with a query if any), as a link to it would; to where it is already,
    /// it stays, adding no step to the history.
    pub fn navigate(&self, to: &str) {
        let w = window();
        let location = w.location();
        let here = [location.pathname(), location.search(), location.hash()].map(Result::unwrap_or_default).concat();
        if to == here {
            return;
        }
        if let Ok(history) = w.history() {
            let _ = history.push_state_with_url(&JsValue::NULL, "", Some(to));
        }
        self.path.set(arrived());
        w.scroll_to_with_x_and_y(0.0, 0.0);
    }

    /// The query parameter `name` of the location (not tracked: read when it is needed).
    pub fn query(&self, name: &str) -> Option<String> {
        let search = window().location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
    }

    /// A click on a link to a page of the console, made as a plain click (not asking for a new
    /// tab or a download), goes there without a reload. A link within the page (`#main`) is
    /// left to the browser.
    fn follow(&self, ev: &web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        else {
            return;
        };
        let here = window().location();
        let path = link.pathname();
        if !link.target().is_empty()
            || link.has_attribute("download")
            || Some(link.origin()) != here.origin().ok()
            || !(path == "/console" || path.starts_with("/console/"))
            || (!link.hash().is_empty() && here.pathname().ok().as_ref() == Some(&path))
        {
            return;
        }
        ev.prevent_default();
        self.navigate(&format!("{path}{}{}", link.search(), link.hash()));
    }
}

pub fn use_router() -> Router {
    expect_context::<Router>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_pages() {
        assert_eq!(Page::parse("/console"), Some(Page::Home));
        assert_eq!(Page::parse("/console/"), Some(Page::Home));
        assert_eq!(Page::parse("/console/inbox/"), Some(Page::Inbox));
        assert_eq!(Page::parse("/console/inbox/conv_1"), Some(Page::Conversation("conv_1".into())));
        assert_eq!(Page::parse("/console/sites/dom_1"), Some(Page::Site("dom_1".into())));
        assert_eq!(Page::parse("/console/sign-in"), Some(Page::SignIn));
        assert!(!Page::SignIn.signed_in() && Page::Audit.signed_in());
    }

    #[test]
    fn other_paths_name_no_page() {
        for path in ["/", "/consoles", "/console-x/inbox", "/console/inbox/a/b", "/console/nope", "/v1/admin/domains"] {
            assert_eq!(Page::parse(path), None, "{path}");
        }
    }

    #[test]
    fn a_section_link_stands_for_the_pages_under_it() {
        assert!(current("/console/inbox/conv_1", "/console/inbox", false));
        assert!(current("/console/inbox/", "/console/inbox", false));
        assert!(!current("/console/inboxes", "/console/inbox", false));
        assert!(current("/console", "/console/", true));
        assert!(!current("/console/inbox", "/console/", true));
    }
}
