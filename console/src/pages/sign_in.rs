//! Signing in with an email and password. A wrong pair and an unknown address get the same
//! answer from the edge; too many tries lock for a while, which the edge's message says.

use leptos::prelude::*;
use shared::auth::{Login, Me};

use crate::account::use_account;
use crate::api::{self, ApiError};
use crate::route::use_router;
use crate::ui::ErrorNote;

#[component]
pub fn SignIn() -> impl IntoView {
    let account = use_account();
    let router = use_router();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let login = Login { email: email.get_untracked(), password: password.get_untracked() };
        // Back where the session ended, but only to a page of the console.
        let next = router.query("next").filter(|n| n.starts_with("/console/"));
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::post::<_, Me>("/v1/auth/login", &login).await {
                Ok(me) => {
                    account.signed_in(me);
                    router.navigate(next.as_deref().unwrap_or("/console/"));
                }
                // The password is kept: a locked account or a lost connection is not a typo.
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="center">
            <form class="card narrow" on:submit=submit>
                <h1>"Sign in"</h1>
                <label for="email">"Email"</label>
                <input id="email" type="email" autocomplete="username" required bind:value=email/>
                <label for="password">"Password"</label>
                <input id="password" type="password" autocomplete="current-password" required bind:value=password/>
                <ErrorNote error/>
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
                <p class="hint">"Forgot your password? Ask an owner or admin of your team for a reset link."</p>
            </form>
        </main>
    }
}
