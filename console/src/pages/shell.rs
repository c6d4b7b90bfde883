//! The frame around every signed-in page: who is signed in, the organization switcher, the
//! navigation (only what the role may open), sign out. It asks the edge who is signed in
//! once, and sends anyone not signed in to the sign-in page, to come back here after.

use leptos::prelude::*;
use shared::access::Permission;
use shared::auth::Me;

use crate::account::use_account;
use crate::api::{self, ApiError};
use crate::route::{self, use_router, Page};
use crate::ui::ErrorNote;

/// The navigation: label, path, and the permission that opens it.
const SECTIONS: &[(&str, &str, Option<Permission>)] = &[
    ("Start", "/console/", None),
    ("Inbox", "/console/inbox", Some(Permission::ConversationsRead)),
    ("Leads", "/console/leads", Some(Permission::LeadsRead)),
    ("Sites", "/console/sites", Some(Permission::SitesRead)),
    ("Knowledge", "/console/knowledge", Some(Permission::KnowledgeRead)),
    ("Analytics", "/console/analytics", Some(Permission::BillingRead)),
    ("Team", "/console/team", Some(Permission::MembersRead)),
    ("Keys", "/console/keys", Some(Permission::KeysManage)),
    ("Audit", "/console/audit", Some(Permission::AuditRead)),
];

#[component]
pub fn Shell(page: Memo<Option<Page>>) -> impl IntoView {
    let account = use_account();
    let router = use_router();
    let error = RwSignal::new(None::<ApiError>);
    let menu_open = RwSignal::new(false);

    if account.me.get_untracked().is_none() {
        leptos::task::spawn_local(async move {
            match api::get::<Me>("/v1/auth/me").await {
                Ok(me) => account.signed_in(me),
                Err(e) if e.signed_out() => {
                    let here = untrack(|| router.path());
                    router.navigate(&format!("/console/sign-in{}", api::query(&[("next", &here)])));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    }
    // A page chosen closes the menu on a phone.
    Effect::new(move |_| {
        page.track();
        menu_open.set(false);
    });

    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            match api::send::<(), serde_json::Value>(gloo_net::http::Method::POST, "/v1/auth/logout", None).await {
                Ok(_) => {
                    account.signed_out();
                    router.navigate("/console/sign-in");
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let switcher = move || {
        let me = account.me.get()?;
        let options = me.memberships.clone();
        Some(if options.len() > 1 {
            view! {
                <label class="switcher">
                    <span class="visually-hidden">"Organization"</span>
                    <select on:change=move |ev| account.choose(event_target_value(&ev))
                        prop:value=move || account.organization.get().unwrap_or_default()>
                        {options.into_iter().map(|m| view! {
                            <option value=m.organization_id.clone()>{m.organization_name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            }
            .into_any()
        } else {
            view! { <span class="organization">{account.membership().map(|m| m.organization_name)}</span> }.into_any()
        })
    };

    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="top">
            <a class="brand" href="/console/">"Chat console"</a>
            {switcher}
            <button type="button" class="menu-button secondary" aria-controls="nav"
                aria-expanded=move || menu_open.get().to_string() on:click=move |_| menu_open.update(|o| *o = !*o)>
                "Menu"
            </button>
            <nav id="nav" aria-label="Console" class:open=move || menu_open.get()>
                {move || SECTIONS.iter()
                    .filter(|(_, _, need)| need.is_none_or(|p| account.can(p)))
                    .map(|(label, href, _)| view! {
                        <a href=*href aria-current=move || route::current(&router.path(), href, *href == "/console/").then_some("page")>{*label}</a>
                    })
                    .collect_view()}
                <span class="who">{move || account.me.get().map(|me| me.user.email)}</span>
                <button type="button" class="secondary" on:click=sign_out>"Sign out"</button>
            </nav>
        </header>
        <ErrorNote error/>
        <main id="main" tabindex="-1">
            <Show when=move || account.membership().is_some()
                fallback=move || view! { <p class="hint" role="status">{move || if account.me.get().is_some() { "You belong to no organization yet." } else { "Loading…" }}</p> }>
                {move || page.get().map(super::view)}
            </Show>
        </main>
    }
}
