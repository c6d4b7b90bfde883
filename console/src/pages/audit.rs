//! The audit trail: who changed what and who read visitors' words, newest first, filtered by
//! action and days, page after page.

use leptos::prelude::*;
use shared::admin::audit::{ActorKind, AuditAction, AuditEventView};
use shared::admin::Page;

use crate::account::use_account;
use crate::api::{self, ApiError};
use crate::ui::{when, DayRange, ErrorNote};

#[component]
pub fn Audit() -> impl IntoView {
    let account = use_account();
    let action = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let items = RwSignal::new(Vec::<AuditEventView>::new());
    let next = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let load = move |cursor: String| {
        let path = format!(
            "/v1/admin/audit{}",
            api::query(&[
                ("action", &action.get_untracked()),
                ("from", &from.get_untracked()),
                ("to", &to.get_untracked()),
                ("cursor", &cursor)
            ])
        );
        leptos::task::spawn_local(async move {
            match api::get::<Page<AuditEventView>>(&path).await {
                Ok(page) => {
                    error.set(None);
                    items.update(|list| list.extend(page.items));
                    next.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e)),
            }
            loaded.set(true);
        });
    };
    Effect::new(move |_| {
        account.organization.track();
        action.track();
        from.track();
        to.track();
        items.set(Vec::new());
        loaded.set(false);
        load(String::new());
    });
    view! {
        <h1>"Audit trail"</h1>
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            <div class="wide">
                <label for="action">"Action"</label>
                <select id="action" bind:value=action>
                    <option value="">"All actions"</option>
                    {AuditAction::ALL.into_iter().map(|a| view! { <option value=a.as_str()>{a.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <DayRange from to/>
        </form>
        <ErrorNote error/>
        <p class="hint" role="status">
            {move || if !loaded.get() { "Loading…" } else if items.with(Vec::is_empty) { "Nothing recorded." } else { "" }}
        </p>
        <table class="table">
            <thead><tr><th scope="col">"When"</th><th scope="col">"Action"</th><th scope="col">"By"</th><th scope="col">"On"</th><th scope="col">"From"</th></tr></thead>
            <tbody>
                <For each=move || items.get() key=|e| e.id.clone() let:e>
                    <tr>
                        <td data-label="When">{when(e.at)}</td>
                        <td data-label="Action"><code>{e.action.as_str()}</code></td>
                        <td data-label="By">{format!("{} {}", match e.actor_type { ActorKind::User => "person", ActorKind::Key => "key" }, e.actor_id)}</td>
                        <td data-label="On">{e.target_type.clone().map(|t| format!("{t} {}", e.target_id.clone().unwrap_or_default())).unwrap_or_default()}</td>
                        <td data-label="From">{e.ip.clone().unwrap_or_default()}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        <Show when=move || next.with(Option::is_some)>
            <button type="button" class="secondary" on:click=move |_| load(next.get_untracked().unwrap_or_default())>"Older events"</button>
        </Show>
    }
}
