//! The contact details visitors left: a table (a list on a phone), filtered by site and days,
//! and exported whole as CSV (formula-safe) or JSON.

use leptos::prelude::*;
use shared::admin::leads::LeadView;
use shared::admin::Page;

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::ui::{append_page, download, iso, when, DayRange, ErrorNote, SiteFilter};

#[component]
pub fn Leads() -> impl IntoView {
    let account = use_account();
    let site = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let sites = crate::ui::sites();
    let path = move |cursor: &str, limit: &str| {
        format!(
            "/v1/admin/leads{}",
            api::query(&[
                ("domain_id", &site.get_untracked()),
                ("from", &from.get_untracked()),
                ("to", &to.get_untracked()),
                ("cursor", cursor),
                ("limit", limit)
            ])
        )
    };
    let page = Answer::<Page<LeadView>>::new(move || {
        account.organization.track();
        site.track();
        from.track();
        to.track();
        path("", "")
    });
    let more = RwSignal::new(Vec::<LeadView>::new());
    let next = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(p)) = page.get() {
            more.set(Vec::new());
            next.set(p.next_cursor);
        }
    });
    let older = move |_| {
        let Some(cursor) = next.get_untracked() else { return };
        append_page(path(&cursor, ""), more, next, error);
    };
    // Every lead the filters select, page after page, then one file.
    let export = move |format: &'static str| {
        leptos::task::spawn_local(async move {
            let all: Vec<LeadView> = match api::all_pages(|cursor| path(cursor, "200")).await {
                Ok(all) => all,
                Err(e) => return error.set(Some(e)),
            };
            let hosts: std::collections::HashMap<String, String> =
                sites.get_untracked().unwrap_or_default().into_iter().map(|d| (d.id, d.hostname)).collect();
            let written = if format == "csv" {
                let rows = all.iter().map(|l| {
                    vec![
                        l.email.clone(),
                        l.name.clone().unwrap_or_default(),
                        l.message.clone().unwrap_or_default(),
                        hosts.get(&l.domain_id).cloned().unwrap_or_default(),
                        l.conversation_id.clone().unwrap_or_default(),
                        iso(l.created_at),
                    ]
                });
                let csv =
                    shared::export::csv(&["email", "name", "message", "site", "conversation_id", "created_at"], rows);
                download("leads.csv", "text/csv;charset=utf-8", &csv)
            } else {
                download("leads.json", "application/json", &serde_json::to_string_pretty(&all).unwrap_or_default())
            };
            if let Err(e) = written {
                error.set(Some(e));
            }
        });
    };
    view! {
        <h1>"Leads"</h1>
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            <SiteFilter site sites/>
            <DayRange from to/>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| export("csv")>"Export CSV"</button>
                <button type="button" class="secondary" on:click=move |_| export("json")>"Export JSON"</button>
            </div>
        </form>
        <ErrorNote error/>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || page.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <p>"No leads yet."</p> }.into_any(),
                Ok(p) => view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Email"</th><th scope="col">"Name"</th><th scope="col">"Message"</th><th scope="col">"Received"</th><th scope="col">"Conversation"</th></tr></thead>
                        <tbody>
                            {move || p.items.iter().cloned().chain(more.get()).map(|l| view! {
                                <tr>
                                    <td data-label="Email">{l.email.clone()}</td>
                                    <td data-label="Name">{l.name.clone().unwrap_or_default()}</td>
                                    <td data-label="Message">{l.message.clone().unwrap_or_default()}</td>
                                    <td data-label="Received">{when(l.created_at)}</td>
                                    <td data-label="Conversation">{l.conversation_id.clone().map(|c| view! { <a href=format!("/console/inbox/{c}")>"Open"</a> })}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
        <Show when=move || next.with(Option::is_some)>
            <button type="button" class="secondary" on:click=older>"Older leads"</button>
        </Show>
    }
}
