//! The site owner's console: sign-in and the links sent by mail, onboarding (a site, its
//! script tag), the conversations inbox, leads, knowledge, analytics, the team, API keys and
//! the audit trail. A Leptos client-side app that the edge serves at `/console/` on its own
//! origin, under a strict CSP; it talks to the edge only through the public API (`api`).

mod account;
mod api;
mod pages;
mod route;
mod ui;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

use account::Account;
use pages::shell::Shell;
use route::{Page, Router};

#[component]
fn App() -> impl IntoView {
    provide_context(Account::new());
    let page = Router::provide().page();
    // The signed-in frame stays while its pages change; it is drawn again only when a page
    // outside it (sign-in, the mailed links) comes or goes.
    let framed = Memo::new(move |_| page.with(|p| p.as_ref().map(Page::signed_in)));
    move || match framed.get() {
        None => {
            view! { <main class="center"><h1>"Page not found"</h1><a href="/console/">"Back to the console"</a></main> }
                .into_any()
        }
        Some(false) => (move || page.get().map(pages::view)).into_any(),
        Some(true) => view! { <Shell page/> }.into_any(),
    }
}

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
