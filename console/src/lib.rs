//! The site owner's console: sign-in and the links sent by mail, onboarding (a site, its
//! script tag), the conversations inbox, leads, knowledge, analytics, the team, API keys and
//! the audit trail. A Leptos client-side app that the edge serves at `/console/` on its own
//! origin, under a strict CSP; it talks to the edge only through the public API (`api`).

mod account;
mod api;
mod pages;
mod ui;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::prelude::wasm_bindgen;

use account::Account;
use pages::{analytics, audit, home, inbox, keys, knowledge, leads, links, shell, sign_in, sites, team};

#[component]
fn App() -> impl IntoView {
    provide_context(Account::new());
    view! {
        <Router>
            <Routes fallback=|| view! { <main class="center"><h1>"Page not found"</h1><a href="/console/">"Back to the console"</a></main> }>
                <Route path=path!("/console/sign-in") view=sign_in::SignIn/>
                <Route path=path!("/console/accept-invitation") view=links::AcceptInvitation/>
                <Route path=path!("/console/reset-password") view=links::ResetPassword/>
                <ParentRoute path=path!("/console") view=shell::Shell>
                    <Route path=path!("") view=home::Home/>
                    <Route path=path!("inbox") view=inbox::Inbox/>
                    <Route path=path!("inbox/:id") view=inbox::Transcript/>
                    <Route path=path!("leads") view=leads::Leads/>
                    <Route path=path!("sites") view=sites::Sites/>
                    <Route path=path!("sites/:id") view=sites::Site/>
                    <Route path=path!("knowledge") view=knowledge::Knowledge/>
                    <Route path=path!("analytics") view=analytics::Analytics/>
                    <Route path=path!("team") view=team::Team/>
                    <Route path=path!("keys") view=keys::Keys/>
                    <Route path=path!("audit") view=audit::Audit/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
