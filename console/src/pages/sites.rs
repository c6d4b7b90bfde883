//! The organization's websites: adding one, its script tag to copy, proving the hostname is
//! the owner's, and the widget's settings.

use leptos::prelude::*;
use shared::access::Permission;
use shared::admin::domains::{DomainView, UpdateDomain, VerificationStatus};
use shared::admin::Page;
use shared::config::{contrast_ratio, readable_on};
use shared::{LeadCapture, Position};

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::route::use_router;
use crate::ui::{CopyButton, ErrorNote};

/// The tag a site owner pastes into their pages: the edge's own origin, which is the console's.
fn script_tag(site_key: &str) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!(r#"<script src="{origin}/v1/widget.js?site={site_key}" async></script>"#)
}

#[component]
pub fn Sites() -> impl IntoView {
    let account = use_account();
    let router = use_router();
    let list = Answer::<Page<DomainView>>::new(move || {
        account.organization.track();
        "/v1/admin/domains".into()
    });
    let hostname = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({ "hostname": hostname.get_untracked().trim() });
        leptos::task::spawn_local(async move {
            match api::post::<_, DomainView>("/v1/admin/domains", &body).await {
                Ok(site) => router.navigate(&format!("/console/sites/{}", site.id)),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h1>"Sites"</h1>
        <Show when=move || account.can(Permission::SitesWrite)>
            <form class="card inline-form" on:submit=add>
                <label for="hostname">"Add a website by its hostname"</label>
                <div class="row">
                    <input id="hostname" placeholder="www.example.com" required bind:value=hostname
                        aria-describedby="hostname-hint"/>
                    <button type="submit">"Add site"</button>
                </div>
                <p class="hint" id="hostname-hint">"Only the hostname: no https://, no path. Add other hostnames (www., staging) as aliases later."</p>
                <ErrorNote error/>
            </form>
        </Show>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p>"No sites yet."</p> }.into_any(),
                Ok(page) => view! {
                    <ul class="cards">
                        {page.items.into_iter().map(|d| view! {
                            <li class="card">
                                <a href=format!("/console/sites/{}", d.id)>{d.hostname.clone()}</a>
                                <span class="badge">{if d.active { "active" } else { "inactive" }}</span>
                                <span class="badge">{verification_label(d.verification.status)}</span>
                                <p class="hint">{d.name.clone()}</p>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
    }
}

fn verification_label(status: VerificationStatus) -> &'static str {
    match status {
        VerificationStatus::Verified => "verified",
        _ => "not verified",
    }
}

#[component]
pub fn Site(id: String) -> impl IntoView {
    let account = use_account();
    let site = Answer::<DomainView>::new(move || {
        account.organization.track();
        format!("/v1/admin/domains/{id}")
    });
    view! {
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || site.get().map(|r| match r {
                Err(e) => view! { <h1>"Site"</h1><p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(d) => view! { <SiteView site=d/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn SiteView(site: DomainView) -> impl IntoView {
    let account = use_account();
    let tag = script_tag(&site.site_key);
    let verification = RwSignal::new(site.verification.clone());
    let check_error = RwSignal::new(None::<ApiError>);
    let id = site.id.clone();
    let check = move |_| {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match api::post::<_, DomainView>(&format!("/v1/admin/domains/{id}/verify"), &serde_json::json!({})).await {
                Ok(d) => {
                    check_error.set(None);
                    verification.set(d.verification);
                }
                Err(e) => check_error.set(Some(e)),
            }
        });
    };
    let writable = move || account.can(Permission::SitesWrite);
    view! {
        <h1>{site.hostname.clone()}</h1>
        <section class="card">
            <h2>"Install the widget"</h2>
            <p>"Paste this tag into every page of the site, just before " <code>"</body>"</code> ":"</p>
            <pre class="tag" id="script-tag">{tag.clone()}</pre>
            <CopyButton text=Signal::stored(tag) label="Copy the tag"/>
        </section>
        <section class="card">
            <h2>"Prove the site is yours"</h2>
            {move || {
                let v = verification.get();
                if v.status == VerificationStatus::Verified {
                    view! { <p class="ok">"Verified."</p> }.into_any()
                } else {
                    view! {
                        <p>"Not needed for the chat. It is needed before the assistant may read the site."</p>
                        <p>"Serve this line at " <code>{v.http_url.clone()}</code> ":"</p>
                        <pre>{v.token.clone()}</pre>
                        <p>"or set a TXT record " <code>{v.dns_name.clone()}</code> " to " <code>{v.dns_value.clone()}</code> "."</p>
                        {v.last_error.clone().map(|e| view! { <p class="hint">"Last check: " {e}</p> })}
                    }.into_any()
                }
            }}
            <Show when=move || writable() && verification.with(|v| v.status != VerificationStatus::Verified)>
                <button type="button" class="secondary" on:click=check.clone()>"Check now"</button>
            </Show>
            <ErrorNote error=check_error/>
        </section>
        <Settings site=site.clone()/>
    }
}

/// The widget's look and words and the assistant's instructions; saved together.
#[component]
fn Settings(site: DomainView) -> impl IntoView {
    let account = use_account();
    let config = site.config.clone();
    let title = RwSignal::new(config.title.clone());
    let greeting = RwSignal::new(config.greeting.clone());
    let starters = RwSignal::new(config.starters.join("\n"));
    let colour = RwSignal::new(config.theme.primary.clone());
    let position = RwSignal::new(config.position.as_str().to_owned());
    let language = RwSignal::new(config.language.clone());
    let leads = RwSignal::new(config.leads.as_str().to_owned());
    let prompt = RwSignal::new(site.system_prompt.clone());
    let active = RwSignal::new(site.active);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let id = site.id.clone();
    // The config as the form has it now: what is saved, and what the preview shows.
    let edited = move || {
        let mut next = config.clone();
        next.title = title.get();
        next.greeting = greeting.get();
        next.starters = starters.get().lines().map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        next.theme.primary = colour.get();
        next.theme.on_primary = readable_on(&next.theme.primary).to_owned();
        next.position = if position.get() == "bottom-left" { Position::BottomLeft } else { Position::BottomRight };
        next.language = language.get();
        next.leads = match leads.get().as_str() {
            "before-chat" => LeadCapture::BeforeChat,
            "on-demand" => LeadCapture::OnDemand,
            _ => LeadCapture::Off,
        };
        next
    };
    let edited = Signal::derive(edited);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = UpdateDomain {
            config: Some(edited.get_untracked()),
            system_prompt: Some(prompt.get_untracked()),
            active: Some(active.get_untracked()),
            ..Default::default()
        };
        let id = id.clone();
        saved.set(false);
        leptos::task::spawn_local(async move {
            // What was typed stays in the form whatever the answer.
            match api::patch::<_, DomainView>(&format!("/v1/admin/domains/{id}"), &body).await {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let readonly = move || !account.can(Permission::SitesWrite);
    // What the preview frame is posted: the config, the instructions as they are typed, and the
    // organization the console acts for (a person may belong to several).
    let draft = Signal::derive(move || {
        let mut draft = serde_json::to_value(edited.get()).unwrap_or_default();
        draft["system_prompt"] = prompt.get().into();
        draft["organization_id"] = account.organization.get().into();
        draft.to_string()
    });
    let (site_key, domain) = (site.site_key.clone(), site.id.clone());
    view! {
        <div class="with-preview">
        <form class="card settings" on:submit=save>
            <h2>"Widget and assistant"</h2>
            <fieldset disabled=readonly>
                <label for="title">"Title"</label>
                <input id="title" bind:value=title/>
                <label for="greeting">"Greeting"</label>
                <textarea id="greeting" rows="2" bind:value=greeting></textarea>
                <label for="starters">"Suggested questions (one per line)"</label>
                <textarea id="starters" rows="3" bind:value=starters></textarea>
                <div class="row">
                    <div>
                        <label for="colour">"Colour"</label>
                        <input id="colour" type="color" bind:value=colour aria-describedby="contrast"/>
                        <p class="hint" id="contrast">{move || contrast(&colour.get())}</p>
                    </div>
                    <div>
                        <label for="position">"Position"</label>
                        <select id="position" bind:value=position>
                            <option value="bottom-right">"Bottom right"</option>
                            <option value="bottom-left">"Bottom left"</option>
                        </select>
                    </div>
                    <div>
                        <label for="language">"Language"</label>
                        <select id="language" bind:value=language>
                            <option value="en">"English"</option>
                            <option value="de">"Deutsch"</option>
                            <option value="es">"Español"</option>
                            <option value="ar">"العربية"</option>
                        </select>
                    </div>
                    <div>
                        <label for="leads">"Ask for the visitor's email"</label>
                        <select id="leads" bind:value=leads>
                            <option value="off">"Never"</option>
                            <option value="on-demand">"When the visitor wants"</option>
                            <option value="before-chat">"Before the chat"</option>
                        </select>
                    </div>
                </div>
                <label for="prompt">"Instructions for the assistant"</label>
                <textarea id="prompt" rows="6" bind:value=prompt></textarea>
                <label class="check"><input type="checkbox" bind:checked=active/>" The widget is on for this site"</label>
            </fieldset>
            <ErrorNote error/>
            <p class="ok" role="status">{move || if saved.get() { "Saved." } else { "" }}</p>
            <Show when=move || !readonly()>
                <button type="submit">"Save"</button>
            </Show>
        </form>
        <Show when=move || !readonly()>
            <Preview site_key=site_key.clone() domain=domain.clone() draft/>
        </Show>
        </div>
    }
}

/// The real widget, as the site's script tag starts it, in a frame of the console's origin:
/// it shows the settings as they are typed, before they are saved, and a message sent there
/// is answered with the instructions being edited and the site's knowledge, as the owner
/// (`POST /v1/admin/domains/{id}/preview`). Its replies are kept only in the frame.
#[component]
fn Preview(site_key: String, domain: String, draft: Signal<String>) -> impl IntoView {
    let frame = NodeRef::<leptos::html::Iframe>::new();
    let loaded = RwSignal::new(false);
    Effect::new(move |_| {
        let text = draft.get();
        let window = frame.get().filter(|_| loaded.get()).and_then(|f| f.content_window());
        let origin = web_sys::window().and_then(|w| w.location().origin().ok());
        if let (Some(window), Some(origin)) = (window, origin) {
            let _ = window.post_message(&text.into(), &origin);
        }
    });
    let src = format!("/console/preview?site={site_key}&domain={domain}");
    view! {
        <section class="card preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview"</h2>
            <p class="hint">"Your widget with the changes above, before you save them. Messages sent here are answered with these instructions and the site's knowledge; they are not kept with visitors' conversations, and they count in the usage."</p>
            <iframe node_ref=frame id="preview" title="Preview of the widget" src=src on:load=move |_| loaded.set(true)></iframe>
        </section>
    }
}

/// The text colour the widget will put on `colour` and how well it reads, by WCAG's measure.
fn contrast(colour: &str) -> String {
    let text = readable_on(colour);
    let ratio = contrast_ratio(colour, text).unwrap_or(1.0);
    let name = if text == "#ffffff" { "white" } else { "black" };
    let verdict = if ratio >= 4.5 { "meets WCAG AA" } else { "below WCAG AA" };
    format!("Text on it: {name}, contrast {ratio:.1}:1 ({verdict}).")
}
