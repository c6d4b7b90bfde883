//! The first thing an owner sees: what is left to set up, each step a link to where it is done.
//! A step is done by what the edge holds: a site, its first visitor's conversation (the tag is
//! on the site), a reply there, and a knowledge entry.

use leptos::prelude::*;
use shared::access::Permission;
use shared::admin::conversations::ConversationSummary;
use shared::admin::domains::DomainView;
use shared::admin::Page;

use crate::account::use_account;
use crate::api::Answer;

#[derive(Clone)]
struct Progress {
    site: bool,
    tag: bool,
    reply: bool,
    knowledge: bool,
}

#[component]
pub fn Home() -> impl IntoView {
    let account = use_account();
    let at = move |path: &'static str| {
        move || {
            account.organization.track();
            path.to_owned()
        }
    };
    let domains = Answer::<Page<DomainView>>::new(at("/v1/admin/domains"));
    let conversations = Answer::<Page<ConversationSummary>>::new(at("/v1/admin/conversations?limit=50"));
    let knowledge = Answer::<Page<serde_json::Value>>::new(at("/v1/admin/knowledge"));
    // The sites decide; the other two, unread, count as not done yet.
    let state = move || {
        let (domains, conversations, knowledge) = (domains.get()?, conversations.get()?, knowledge.get()?);
        let conversations = conversations.map(|p| p.items).unwrap_or_default();
        Some(domains.map(|d| Progress {
            site: !d.items.is_empty(),
            tag: !conversations.is_empty(),
            reply: conversations.iter().any(|c| c.message_count >= 2),
            knowledge: knowledge.is_ok_and(|p| !p.items.is_empty()),
        }))
    };
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
            {move || state().map(|r| match r {
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
