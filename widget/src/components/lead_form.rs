//! The email form the site may ask for, before the chat or whenever the visitor offers.

use leptos::html;
use leptos::prelude::*;

use shared::LeadCapture;

use super::{follow, tr};
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
            <p>{tr(chat, |t| t.lead_intro)}</p>
            <input type="email" node_ref=email autocomplete="email" required
                aria-label=tr(chat, |t| t.email) placeholder=tr(chat, |t| t.email)
                aria-invalid=follow(chat, |c| (c.lead.get() == LeadForm::Invalid).to_string())
                prop:value=prefill(|i| i.email.clone())/>
            <input type="text" node_ref=name autocomplete="name"
                aria-label=tr(chat, |t| t.name) placeholder=tr(chat, |t| t.name)
                prop:value=prefill(|i| i.name.clone())/>
            <Show when=follow(chat, |c| c.lead.get() == LeadForm::Invalid)>
                <p class="note" role="alert">{tr(chat, |t| t.lead_invalid)}</p>
            </Show>
            <Show when=follow(chat, |c| c.config.with(|c| c.leads == LeadCapture::OnDemand))>
                <button class="note" type="button" on:click=move |_| chat.lead.set(LeadForm::Hidden)>
                    {tr(chat, |t| t.cancel)}
                </button>
            </Show>
            <button class="send" type="submit" disabled=follow(chat, |c| c.lead.get() == LeadForm::Sending)>
                {tr(chat, |t| t.submit)}
            </button>
        </form>
    }
}
