//! What the assistant knows besides the site's instructions: websites and documents (see
//! `sources`), entries per site or for the whole organization (each change a new version), and
//! the questions they did not answer (see `gaps`). Editors change them; others read.

use leptos::prelude::*;
use shared::access::Permission;
use shared::admin::knowledge::{CreateKnowledge, KnowledgeKind, KnowledgeView, UpdateKnowledge};
use shared::admin::Page;

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::ui::{when, ErrorNote, SiteSelect};

#[component]
pub fn Knowledge() -> impl IntoView {
    let account = use_account();
    let reload = RwSignal::new(0u32);
    let sites = crate::ui::sites();
    let entries = Answer::<Page<KnowledgeView>>::new(move || {
        account.organization.track();
        reload.track();
        "/v1/admin/knowledge".into()
    });
    let writable = move || account.can(Permission::KnowledgeWrite);
    let site = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let content = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let site = site.get_untracked();
        let body = CreateKnowledge {
            domain_id: (!site.is_empty()).then_some(site),
            kind: KnowledgeKind::Faq,
            title: title.get_untracked(),
            content: content.get_untracked(),
            active: None,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, KnowledgeView>("/v1/admin/knowledge", &body).await {
                Ok(_) => {
                    error.set(None);
                    title.set(String::new());
                    content.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let site_name = move |id: &Option<String>| match id {
        None => "All sites".to_owned(),
        Some(id) => {
            sites.get().unwrap_or_default().into_iter().find(|d| &d.id == id).map(|d| d.hostname).unwrap_or_default()
        }
    };
    view! {
        <h1>"Knowledge"</h1>
        <p class="hint">"What the assistant answers from, searched for each visitor's question. What is for all sites applies to each of them."</p>
        <crate::pages::sources::Sources/>
        <h2 class="section">"Entries"</h2>
        <p class="hint">"Short facts and answers to common questions: opening hours, prices, policies. Each is searched like a document; a system prompt entry instead replaces a site's instructions."</p>
        <Show when=writable>
            <form class="card" on:submit=add>
                <h3>"New entry"</h3>
                <SiteSelect id="entry-site" label="For" site sites/>
                <label for="entry-title">"Title"</label>
                <input id="entry-title" required bind:value=title/>
                <label for="entry-content">"Content"</label>
                <textarea id="entry-content" rows="5" required bind:value=content></textarea>
                <ErrorNote error/>
                <button type="submit">"Add entry"</button>
            </form>
        </Show>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || entries.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p>"No entries yet."</p> }.into_any(),
                Ok(page) => view! {
                    <ul class="list">
                        {page.items.into_iter().map(|k| {
                            let for_site = site_name(&k.domain_id);
                            view! { <Entry entry=k for_site writable=writable() reload/> }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
        <crate::pages::gaps::Gaps/>
    }
}

/// One entry: read, or edited in place (what was typed stays on an error).
#[component]
fn Entry(entry: KnowledgeView, for_site: String, writable: bool, reload: RwSignal<u32>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let title = RwSignal::new(entry.title.clone());
    let content = RwSignal::new(entry.content.clone());
    let active = RwSignal::new(entry.active);
    let error = RwSignal::new(None::<ApiError>);
    let id = entry.id.clone();
    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = UpdateKnowledge {
                title: Some(title.get_untracked()),
                content: Some(content.get_untracked()),
                active: Some(active.get_untracked()),
            };
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match api::patch::<_, KnowledgeView>(&format!("/v1/admin/knowledge/{id}"), &body).await {
                    Ok(_) => reload.update(|n| *n += 1),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let remove = move |_| {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match api::delete(&format!("/v1/admin/knowledge/{id}")).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let entry_title = entry.title.clone();
    view! {
        <li class="card">
            <Show when=move || editing.get()
                fallback=move || view! {
                    <h3>{title.get_untracked()}</h3>
                    <p class="hint">{format!("{} · version {} · {} · changed {}", for_site, entry.version,
                        if entry.active { "in use" } else { "switched off" }, when(entry.updated_at))}</p>
                    <p class="content">{content.get_untracked()}</p>
                    {writable.then(|| view! {
                        <button type="button" class="secondary" aria-label=format!("Edit {}", entry_title)
                            on:click=move |_| editing.set(true)>"Edit"</button>
                    })}
                }>
                <form on:submit=save.clone()>
                    <label for=format!("t-{}", entry.id)>"Title"</label>
                    <input id=format!("t-{}", entry.id) bind:value=title/>
                    <label for=format!("c-{}", entry.id)>"Content"</label>
                    <textarea id=format!("c-{}", entry.id) rows="5" bind:value=content></textarea>
                    <label class="check"><input type="checkbox" bind:checked=active/>" In use"</label>
                    <ErrorNote error/>
                    <div class="row">
                        <button type="submit">"Save"</button>
                        <button type="button" class="secondary" on:click=move |_| editing.set(false)>"Cancel"</button>
                        <button type="button" class="danger" on:click=remove.clone()>"Delete"</button>
                    </div>
                </form>
            </Show>
        </li>
    }
}
