//! The websites and documents the assistant answers from (entries are listed with the
//! knowledge page's entries): a website to crawl or a document to add, each crawl's pages as
//! they are fetched, crawling again, removing. Editors change them; others read.

use leptos::prelude::*;
use shared::access::Permission;
use shared::admin::knowledge::{CreateSource, DocumentFormat, PageError, SourceKind, SourceStatus, SourceView};
use shared::admin::Page;

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::ui::{when, ErrorNote, SiteSelect};

/// How often the list is read again while a crawl is under way.
const POLL_MS: u32 = 2_000;

#[component]
pub fn Sources() -> impl IntoView {
    let account = use_account();
    let reload = RwSignal::new(0u32);
    let sites = crate::ui::sites();
    let sources = Answer::<Page<SourceView>>::new(move || {
        account.organization.track();
        reload.track();
        "/v1/admin/knowledge/sources".into()
    });
    let crawling = move || {
        sources
            .get_untracked()
            .and_then(Result::ok)
            .is_some_and(|p| p.items.iter().any(|s| matches!(s.status, SourceStatus::Queued | SourceStatus::Crawling)))
    };
    crate::ui::every(POLL_MS, move || async move {
        if crawling() {
            reload.update(|n| *n += 1);
        }
    });
    let writable = move || account.can(Permission::KnowledgeWrite);
    let site_name = move |id: &Option<String>| match id {
        None => "All sites".to_owned(),
        Some(id) => {
            sites.get().unwrap_or_default().into_iter().find(|d| &d.id == id).map(|d| d.hostname).unwrap_or_default()
        }
    };
    view! {
        <h2 class="section">"Websites and documents"</h2>
        <p class="hint">"The assistant searches these for every question and shows visitors the pages it answered from. A website is crawled page by page from its start address, again every week."</p>
        // A transition, so the list stays in place while a crawl's progress is read again.
        <Transition fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || sources.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(page) => {
                    let items: Vec<SourceView> = page.items.into_iter().filter(|s| s.kind != SourceKind::Entry).collect();
                    if items.is_empty() {
                        view! { <p>"No websites or documents yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="list" aria-label="Websites and documents">
                                {items.into_iter().map(|s| {
                                    let for_site = site_name(&s.domain_id);
                                    view! { <Source source=s for_site writable=writable() reload/> }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <Show when=writable>
            <div class="two">
                <AddWebsite sites reload/>
                <AddDocument sites reload/>
            </div>
        </Show>
    }
}

fn created(error: RwSignal<Option<ApiError>>, reload: RwSignal<u32>, body: CreateSource, clear: impl Fn() + 'static) {
    leptos::task::spawn_local(async move {
        match api::post::<_, SourceView>("/v1/admin/knowledge/sources", &body).await {
            Ok(_) => {
                error.set(None);
                clear();
                reload.update(|n| *n += 1);
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

#[component]
fn AddWebsite(sites: crate::ui::Sites, reload: RwSignal<u32>) -> impl IntoView {
    let site = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let pages = RwSignal::new("200".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let site = site.get_untracked();
        let body = CreateSource::Website {
            domain_id: (!site.is_empty()).then_some(site),
            url: url.get_untracked(),
            title: None,
            max_pages: pages.get_untracked().trim().parse().ok(),
        };
        created(error, reload, body, move || url.set(String::new()));
    };
    view! {
        <form class="card" on:submit=add>
            <h3>"Add a website"</h3>
            <SiteSelect id="website-site" label="For" site sites/>
            <label for="website-url">"Start address"</label>
            <input id="website-url" type="url" required placeholder="https://www.example.com/ or …/sitemap.xml" bind:value=url/>
            <p class="hint">"A page or sitemap of one of your verified sites; the crawl stays on that host and follows robots.txt."</p>
            <label for="website-pages">"Pages at most"</label>
            <input id="website-pages" type="number" min="1" max="1000" bind:value=pages/>
            <ErrorNote error/>
            <button type="submit">"Crawl website"</button>
        </form>
    }
}

#[component]
fn AddDocument(sites: crate::ui::Sites, reload: RwSignal<u32>) -> impl IntoView {
    let site = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let format = RwSignal::new("markdown".to_owned());
    let content = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let site = site.get_untracked();
        let format = match format.get_untracked().as_str() {
            "html" => DocumentFormat::Html,
            "text" => DocumentFormat::Text,
            _ => DocumentFormat::Markdown,
        };
        let body = CreateSource::Document {
            domain_id: (!site.is_empty()).then_some(site),
            title: title.get_untracked(),
            format,
            content: content.get_untracked(),
        };
        created(error, reload, body, move || {
            title.set(String::new());
            content.set(String::new());
        });
    };
    view! {
        <form class="card" on:submit=add>
            <h3>"Add a document"</h3>
            <SiteSelect id="document-site" label="For" site sites/>
            <label for="document-title">"Title"</label>
            <input id="document-title" required placeholder="Warranty terms" bind:value=title/>
            <label for="document-format">"Written in"</label>
            <select id="document-format" bind:value=format>
                <option value="markdown">"Markdown"</option>
                <option value="text">"Plain text"</option>
                <option value="html">"HTML"</option>
            </select>
            <label for="document-content">"Text"</label>
            <textarea id="document-content" rows="6" required bind:value=content></textarea>
            <ErrorNote error/>
            <button type="submit">"Add document"</button>
        </form>
    }
}

fn status_words(s: &SourceView) -> String {
    match (s.kind, s.status) {
        (_, SourceStatus::Failed) => "failed".to_owned(),
        (SourceKind::Website, SourceStatus::Queued) => "waiting to be crawled".to_owned(),
        (SourceKind::Website, SourceStatus::Crawling) => {
            format!("crawling: {} of {} pages done, {} failed", s.pages.done, s.pages.total, s.pages.failed)
        }
        (_, SourceStatus::Ready) => "ready".to_owned(),
        _ => "being indexed".to_owned(),
    }
}

/// One website or document: what it holds, how its crawl goes, and the pages that failed.
#[component]
fn Source(source: SourceView, for_site: String, writable: bool, reload: RwSignal<u32>) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let (id, title) = (source.id.clone(), source.title.clone());
    let act = move |method: &'static str, path: String| {
        leptos::task::spawn_local(async move {
            let done = match method {
                "DELETE" => api::delete(&path).await.map(drop),
                _ => api::post::<_, serde_json::Value>(&path, &serde_json::json!({})).await.map(drop),
            };
            match done {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let path = format!("/v1/admin/knowledge/sources/{id}");
    let website = source.kind == SourceKind::Website;
    let size = format!("{} KB", source.bytes.div_ceil(1024));
    let pages =
        website.then(|| format!("{} page{} · ", source.pages.done, if source.pages.done == 1 { "" } else { "s" }));
    let indexed = source.indexed_at.map(|t| format!(" · indexed {}", when(t))).unwrap_or_default();
    // The list leaves out which pages failed; they are read when asked for.
    let failed_pages = RwSignal::new(None::<Vec<PageError>>);
    let show_failed = {
        let path = format!("/v1/admin/knowledge/sources/{id}");
        move |_| {
            let path = path.clone();
            leptos::task::spawn_local(async move {
                match api::get::<SourceView>(&path).await {
                    Ok(s) => failed_pages.set(Some(s.page_errors)),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    view! {
        <li class="card">
            <h3>{source.title.clone()}</h3>
            <p class="hint">
                {format!("{} · {} · ", if website { "Website" } else { "Document" }, for_site)}
                <span class=format!("badge status-{}", source.status.as_str())>{status_words(&source)}</span>
                {format!(
                    " · {}{} passage{} · {}{}",
                    pages.unwrap_or_default(),
                    source.chunks,
                    if source.chunks == 1 { "" } else { "s" },
                    size,
                    indexed
                )}
            </p>
            {source.url.clone().map(|u| view! { <p class="hint"><a href=u.clone() rel="noopener noreferrer" target="_blank">{u.clone()}</a></p> })}
            {source.error.clone().map(|e| view! { <p class="error">{e}</p> })}
            {(source.pages.failed > 0).then(|| view! {
                <Show when=move || failed_pages.with(Option::is_some)
                    fallback=move || view! {
                        <button type="button" class="link" on:click=show_failed.clone()>
                            {format!("Show the {} pages that could not be indexed", source.pages.failed)}
                        </button>
                    }>
                    <ul class="failed-pages">
                        {move || failed_pages.get().unwrap_or_default().into_iter()
                            .map(|p| view! { <li><span class="url">{p.url}</span>" — "{p.error}</li> }).collect_view()}
                    </ul>
                </Show>
            })}
            <ErrorNote error/>
            {writable.then(|| {
                let recrawl = format!("{path}/crawl");
                let path = path.clone();
                view! {
                    <div class="row">
                        {website.then(|| view! {
                            <button type="button" class="secondary" aria-label=format!("Crawl {} again", title)
                                on:click=move |_| act("POST", recrawl.clone())>"Crawl again"</button>
                        })}
                        <button type="button" class="danger" aria-label=format!("Remove {}", title)
                            on:click=move |_| act("DELETE", path.clone())>"Remove"</button>
                    </div>
                }
            })}
        </li>
    }
}
