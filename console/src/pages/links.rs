//! The pages the one-time links open: accepting an invitation, and setting a password. The
//! token rides in the fragment (`#token=…`), which no server log or Referer ever sees.

use leptos::prelude::*;
use shared::auth::{AcceptInvitation as Accept, Me, ResetPassword as Reset, MIN_PASSWORD_CHARS};

use crate::account::use_account;
use crate::api::{self, ApiError};
use crate::route::use_router;
use crate::ui::ErrorNote;

fn token_from_fragment() -> String {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(|t| String::from(js_sys::decode_uri_component(t).unwrap_or_else(|_| t.into())))
        .unwrap_or_default()
}

#[component]
pub fn AcceptInvitation() -> impl IntoView {
    let account = use_account();
    let router = use_router();
    let token = token_from_fragment();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = name.get_untracked();
        let body = Accept {
            token: token.clone(),
            name: (!name.trim().is_empty()).then_some(name),
            password: password.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, Me>("/v1/auth/invitations/accept", &body).await {
                Ok(me) => {
                    account.signed_in(me);
                    router.navigate("/console/");
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main class="center">
            <form class="card narrow" on:submit=submit>
                <h1>"Join your team"</h1>
                <p class="hint">"New here? Give your name and choose a password. Already have an account? Leave the name empty and enter your password."</p>
                <label for="name">"Your name"</label>
                <input id="name" autocomplete="name" bind:value=name/>
                <label for="password">"Password"</label>
                <input id="password" type="password" autocomplete="new-password" required bind:value=password
                    aria-describedby="password-rule"/>
                <p class="hint" id="password-rule">{format!("At least {MIN_PASSWORD_CHARS} characters, and not a common password.")}</p>
                <ErrorNote error/>
                <button type="submit">"Accept the invitation"</button>
            </form>
        </main>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let router = use_router();
    let token = token_from_fragment();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = Reset { token: token.clone(), password: password.get_untracked() };
        leptos::task::spawn_local(async move {
            match api::post::<_, serde_json::Value>("/v1/auth/password-reset", &body).await {
                Ok(_) => done.set(true),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main class="center">
            <Show
                when=move || done.get()
                fallback=move || view! {
                    <form class="card narrow" on:submit=submit.clone()>
                        <h1>"Choose a password"</h1>
                        <label for="password">"New password"</label>
                        <input id="password" type="password" autocomplete="new-password" required bind:value=password
                            aria-describedby="password-rule"/>
                        <p class="hint" id="password-rule">{format!("At least {MIN_PASSWORD_CHARS} characters, and not a common password.")}</p>
                        <ErrorNote error/>
                        <button type="submit">"Set the password"</button>
                    </form>
                }
            >
                <div class="card narrow">
                    <h1>"Password set"</h1>
                    <p>"Sign in with your new password."</p>
                    <button type="button" on:click=move |_| router.navigate("/console/sign-in")>"Sign in"</button>
                </div>
            </Show>
        </main>
    }
}
