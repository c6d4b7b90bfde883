//! The first thing an owner sees: what is left to set up, each step a link to where it is done.
//! A step is done by what the edge holds: a site, its first visitor's conversation (the tag is
//! on the site), a reply there, and a knowledge entry.

use leptos::prelude::*;
use shared::access::Permission;
use shared::admin::conversations::ConversationSummary;
use shared::admin::domains::DomainView;
use shared::admin::Page;

use crate::account::use_account;
use crate::api;

#[derive(Clone)]
struct Progress {
    site: bool,
    tag: bool,
    reply: bool,
    knowledge: bool,
}

async fn progress() -> Result<Progress, api::ApiError> {
    let domains: Vec<DomainView> = api::get::<Page<DomainView>>("/v1/admin/domains").await?.items;
    let conversations: Vec<ConversationSummary> =
        api::get::<Page<ConversationSummary>>("/v1/admin/conversations?limit=50")
            .await
            .map(|p| p.items)
            .unwrap_or_default();
    let knowledge = api::get::<Page<serde_json::Value>>("/v1/admin/knowledge").await.map(|p| !p.items.is_empty());
    Ok(Progress {
        site: !domains.is_empty(),
        tag: !conversations.is_empty(),
        reply: conversations.iter().any(|c| c.message_count >= 2),
        knowledge: knowledge.unwrap_or(false),
    })
}

#[component]
pub fn Home() -> impl IntoView {
    let account = use_account();
    let state = LocalResource::new(move || {
        account.organization.track();
        progress()
    });
    let steps = move |p: Progress| {
        [
            ("Add your website", "Register the site's hostname; it gets its own script tag.", "/console/sites", p.site),
            (
                "Install the script tag",
                "Paste the tag into your site's pages. This is done when the first visitor chats.",
                "/console/sites",
                p.tag,
            ),
            ("Get a first reply", "The assistant answered a visitor.", "/console/inbox", p.reply),
            (
                "Add knowledge",
                "Tell the assistant about your business, so it answers from it.",
                "/console/knowledge",
                p.knowledge,
            ),
        ]
    };
    view! {
        <h1>"Get started"</h1>
        <Show when=move || account.can(Permission::SitesRead)
            fallback=|| view! { <p>"Your role reads conversations and leads: open the inbox from the menu."</p> }>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || state.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(p) => view! {
            <ol class="checklist">
                {steps(p).into_iter().map(|(title, hint, href, done)| view! {
                    <li class:done=done>
                        <span class="mark" aria-hidden="true">{if done { "✓" } else { "" }}</span>
                        <div>
                            <a href=href>{title}</a>
                            <span class="visually-hidden">{if done { " (done)" } else { " (to do)" }}</span>
                            <p class="hint">{hint}</p>
                        </div>
                    </li>
                }).collect_view()}
            </ol>
                }.into_any(),
            })}
            </Suspense>
        </Show>
    }
}
