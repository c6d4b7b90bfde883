//! API keys for the organization's own scripts: minted with a role, the secret shown once
//! (with a copy button), revoked. Only those who manage keys see this page.

use leptos::prelude::*;
use shared::access::MemberRole;
use shared::admin::keys::{ApiKeyCreated, ApiKeyView, CreateApiKey};
use shared::admin::Page;

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::pages::team::role_name;
use crate::ui::{when, CopyButton, ErrorNote};

#[component]
pub fn Keys() -> impl IntoView {
    let account = use_account();
    let reload = RwSignal::new(0u32);
    let keys = Answer::<Page<ApiKeyView>>::new(move || {
        account.organization.track();
        reload.track();
        "/v1/admin/keys".into()
    });
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(MemberRole::Admin);
    let secret = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateApiKey { name: name.get_untracked(), role: Some(role.get_untracked()) };
        leptos::task::spawn_local(async move {
            match api::post::<_, ApiKeyCreated>("/v1/admin/keys", &body).await {
                Ok(created) => {
                    error.set(None);
                    name.set(String::new());
                    secret.set(Some(created.secret));
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            if let Err(e) = api::delete(&format!("/v1/admin/keys/{id}")).await {
                error.set(Some(e));
            }
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <h1>"API keys"</h1>
        <form class="card inline-form" on:submit=create>
            <h2>"New key"</h2>
            <div class="row">
                <div>
                    <label for="key-name">"Name"</label>
                    <input id="key-name" required placeholder="CRM sync" bind:value=name/>
                </div>
                <div>
                    <label for="key-role">"Role"</label>
                    <select id="key-role" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Ok(r) = MemberRole::parse(&v) { role.set(r) }
                    }>
                        {MemberRole::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == MemberRole::Admin>{role_name(r)}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <ErrorNote error/>
            <button type="submit">"Create key"</button>
            {move || secret.get().map(|s| view! {
                <div class="notice" role="status">
                    <p>"The secret is shown this once: store it now. The edge keeps only its hash."</p>
                    <pre id="key-secret">{s.clone()}</pre>
                    <CopyButton text=Signal::stored(s) label="Copy the secret"/>
                </div>
            })}
        </form>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || keys.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Role"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {page.items.into_iter().map(|k| {
                                let id = k.id.clone();
                                view! {
                                    <tr class:revoked=k.revoked_at.is_some()>
                                        <td data-label="Name">{k.name.clone()}</td>
                                        <td data-label="Key"><code>{format!("{}…", k.prefix)}</code></td>
                                        <td data-label="Role">{role_name(k.role)}</td>
                                        <td data-label="Created">{when(k.created_at)}</td>
                                        <td data-label="Last used">{k.last_used_at.map(when).unwrap_or_else(|| "never".into())}</td>
                                        <td>
                                            {match k.revoked_at {
                                                Some(at) => view! { <span class="hint">"revoked " {when(at)}</span> }.into_any(),
                                                None => view! {
                                                    <button type="button" class="danger" aria-label=format!("Revoke the key {}", k.name)
                                                        on:click=move |_| revoke(id.clone())>"Revoke"</button>
                                                }.into_any(),
                                            }}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}
