//! The email form the site may ask for, before the chat or whenever the visitor offers.

use leptos::html;
use leptos::prelude::*;

use shared::LeadCapture;

use crate::widget::{Chat, LeadForm};

#[component]
pub fn LeadFormView(chat: Chat) -> impl IntoView {
    let email = NodeRef::<html::Input>::new();
    let name = NodeRef::<html::Input>::new();
    let prefill = move |field: fn(&crate::widget::Identity) -> Option<String>| {
        move || chat.identity.with(field).unwrap_or_default()
    };
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let value = |r: NodeRef<html::Input>| r.get_untracked().map(|i| i.value()).unwrap_or_default();
        chat.submit_lead(value(email), value(name));
    };
    view! {
        <form class="lead" on:submit=submit novalidate>
            <p>{move || chat.text().lead_intro}</p>
            <input type="email" node_ref=email autocomplete="email" required
                aria-label=move || chat.text().email placeholder=move || chat.text().email
                aria-invalid=move || (chat.lead.get() == LeadForm::Invalid).to_string()
                prop:value=prefill(|i| i.email.clone())/>
            <input type="text" node_ref=name autocomplete="name"
                aria-label=move || chat.text().name placeholder=move || chat.text().name
                prop:value=prefill(|i| i.name.clone())/>
            <Show when=move || chat.lead.get() == LeadForm::Invalid>
                <p class="note" role="alert">{move || chat.text().lead_invalid}</p>
            </Show>
            <Show when=move || chat.config.with(|c| c.leads == LeadCapture::OnDemand)>
                <button class="note" type="button" on:click=move |_| chat.lead.set(LeadForm::Hidden)>
                    {move || chat.text().cancel}
                </button>
            </Show>
            <button class="send" type="submit" disabled=move || chat.lead.get() == LeadForm::Sending>
                {move || chat.text().submit}
            </button>
        </form>
    }
}
