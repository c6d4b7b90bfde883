//! The conversations inbox: newest activity first, searched (full text) and filtered by site,
//! days, rating, status and leads; new ones shown as they arrive (the first page is asked again
//! every few seconds); one transcript with what each reply cost, the visitor's verdicts and
//! their lead; and the filtered list exported as CSV or JSON.

use std::collections::HashMap;

use leptos::prelude::*;
use shared::admin::conversations::{ConversationDetail, ConversationSummary};
use shared::admin::Page;
use shared::{Rating, Role};

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::ui::{append_page, dollars, download, iso, when, DayRange, ErrorNote, SiteFilter};

/// How often the first page is asked again for new conversations.
const POLL_MS: u32 = 4000;

#[component]
pub fn Inbox() -> impl IntoView {
    let account = use_account();
    let site = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let rating = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let with_lead = RwSignal::new(false);
    // What is typed in the search box, and what was searched (on Enter or the button).
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let items = RwSignal::new(Vec::<ConversationSummary>::new());
    let next = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let sites = crate::ui::sites();
    let path = move |cursor: &str, limit: &str| {
        format!(
            "/v1/admin/conversations{}",
            api::query(&[
                ("q", search.get_untracked().trim()),
                ("domain_id", &site.get_untracked()),
                ("from", &from.get_untracked()),
                ("to", &to.get_untracked()),
                ("rating", &rating.get_untracked()),
                ("status", &status.get_untracked()),
                ("lead", if with_lead.get_untracked() { "true" } else { "" }),
                ("cursor", cursor),
                ("limit", limit),
            ])
        )
    };
    // The first page, again: whatever is new goes on top; what was loaded below stays.
    let refresh = move || {
        let first = path("", "");
        async move {
            match api::get::<Page<ConversationSummary>>(&first).await {
                Ok(page) => {
                    error.set(None);
                    items.update(|list| {
                        let fresh: Vec<String> = page.items.iter().map(|c| c.id.clone()).collect();
                        list.retain(|c| !fresh.contains(&c.id));
                        let mut merged = page.items;
                        merged.append(list);
                        *list = merged;
                    });
                    if !loaded.get_untracked() {
                        next.set(page.next_cursor);
                        loaded.set(true);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        }
    };
    Effect::new(move |_| {
        account.organization.track();
        site.track();
        from.track();
        to.track();
        rating.track();
        status.track();
        with_lead.track();
        search.track();
        items.set(Vec::new());
        loaded.set(false);
        leptos::task::spawn_local(refresh());
    });
    crate::ui::every(POLL_MS, refresh);
    let more = move |_| {
        let Some(cursor) = next.get_untracked() else { return };
        append_page(path(&cursor, ""), items, next, error);
    };
    let hostnames = move || -> HashMap<String, String> {
        sites.get().unwrap_or_default().into_iter().map(|d| (d.id, d.hostname)).collect()
    };
    // Every conversation the filters select, page after page, then one file.
    let export = move |format: &'static str| {
        leptos::task::spawn_local(async move {
            let all: Vec<ConversationSummary> = match api::all_pages(|cursor| path(cursor, "200")).await {
                Ok(all) => all,
                Err(e) => return error.set(Some(e)),
            };
            let hosts = hostnames();
            let written = if format == "csv" {
                let rows = all.iter().map(|c| {
                    vec![
                        c.id.clone(),
                        hosts.get(&c.domain_id).cloned().unwrap_or_default(),
                        c.page_url.clone().unwrap_or_default(),
                        iso(c.started_at),
                        iso(c.last_message_at),
                        c.message_count.to_string(),
                    ]
                });
                let header = ["id", "site", "page_url", "started_at", "last_message_at", "messages"];
                download("conversations.csv", "text/csv;charset=utf-8", &shared::export::csv(&header, rows))
            } else {
                download(
                    "conversations.json",
                    "application/json",
                    &serde_json::to_string_pretty(&all).unwrap_or_default(),
                )
            };
            if let Err(e) = written {
                error.set(Some(e));
            }
        });
    };
    view! {
        <h1>"Inbox"</h1>
        <form class="search" role="search" on:submit=move |ev| { ev.prevent_default(); search.set(typed.get_untracked()); }>
            <label for="search" class="visually-hidden">"Search the conversations"</label>
            <input id="search" type="search" placeholder="Search the conversations" bind:value=typed/>
            <button type="submit">"Search"</button>
        </form>
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            <SiteFilter site sites/>
            <DayRange from to/>
            <div>
                <label for="rating">"Rating"</label>
                <select id="rating" bind:value=rating>
                    <option value="">"Any"</option>
                    <option value="up">"Rated helpful"</option>
                    <option value="down">"Rated unhelpful"</option>
                </select>
            </div>
            <div>
                <label for="status">"Replies"</label>
                <select id="status" bind:value=status>
                    <option value="">"Any"</option>
                    <option value="interrupted">"Some interrupted"</option>
                    <option value="failed">"Some failed"</option>
                </select>
            </div>
            <div>
                <label class="check"><input id="with-lead" type="checkbox" bind:checked=with_lead/>" With a lead"</label>
            </div>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| export("csv")>"Export CSV"</button>
                <button type="button" class="secondary" on:click=move |_| export("json")>"Export JSON"</button>
            </div>
        </form>
        <ErrorNote error/>
        <p class="hint" role="status" aria-live="polite">
            {move || if !loaded.get() {
                "Loading…"
            } else if items.with(Vec::is_empty) {
                if search.with(|s| s.trim().is_empty()) { "No conversations yet." } else { "No conversation holds these words." }
            } else {
                ""
            }}
        </p>
        <ul class="list conversations">
            <For each=move || items.get() key=|c| (c.id.clone(), c.last_message_at, c.message_count) let:c>
                <li class="card">
                    <a href=format!("/console/inbox/{}", c.id)>
                        {move || hostnames().get(&c.domain_id).cloned().unwrap_or_else(|| "Conversation".into())}
                    </a>
                    <span class="hint">{when(c.last_message_at)}</span>
                    <span class="badge">{format!("{} messages", c.message_count)}</span>
                    <p class="hint">{c.page_url.clone().unwrap_or_default()}</p>
                </li>
            </For>
        </ul>
        <Show when=move || next.with(Option::is_some)>
            <button type="button" class="secondary" on:click=more>"Older conversations"</button>
        </Show>
    }
}

#[component]
pub fn Transcript(id: String) -> impl IntoView {
    let account = use_account();
    let detail = Answer::<ConversationDetail>::new(move || {
        account.organization.track();
        format!("/v1/admin/conversations/{id}")
    });
    view! {
        <p><a href="/console/inbox">"← Inbox"</a></p>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || detail.get().map(|r| match r {
                Err(e) => view! { <h1>"Conversation"</h1><p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(d) => {
                    let c = d.conversation;
                    let cost: u64 = d.messages.iter().map(|m| m.cost_micros).sum();
                    view! {
                        <h1>"Conversation"</h1>
                        <dl class="facts">
                            <dt>"Started"</dt><dd>{when(c.started_at)}</dd>
                            <dt>"Page"</dt><dd>{c.page_url.clone().unwrap_or_else(|| "unknown".into())}</dd>
                            <dt>"Cost"</dt><dd>{dollars(cost)}</dd>
                            {d.leads.into_iter().map(|l| view! {
                                <dt>"Lead"</dt>
                                <dd>{l.email.clone()}{l.name.clone().map(|n| format!(" ({n})"))}{l.message.clone().map(|m| format!(": {m}"))}</dd>
                            }).collect_view()}
                        </dl>
                        <ol class="transcript">
                            {d.messages.into_iter().map(|m| {
                                let who = match m.role { Role::User => "Visitor", Role::Assistant => "Assistant", Role::System => "System" };
                                let meta = if m.role == Role::Assistant {
                                    let verdict = match m.feedback {
                                        Some(Rating::Up) => " · rated helpful",
                                        Some(Rating::Down) => " · rated unhelpful",
                                        None => "",
                                    };
                                    format!("{} · {} in / {} out tokens · {}{}{verdict}", m.status.as_str(), m.tokens_in, m.tokens_out, dollars(m.cost_micros),
                                        m.model.as_deref().map(|model| format!(" · {model}")).unwrap_or_default())
                                } else { String::new() };
                                view! {
                                    <li class=format!("message {}", who.to_lowercase())>
                                        <div class="who">{who}" · "{when(m.created_at)}</div>
                                        <div class="content">{m.content}</div>
                                        <div class="hint">{meta}</div>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
