//! The email form the site may ask for, before the chat or whenever the visitor offers.

use reactive_graph::prelude::*;
use shared::LeadCapture;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use crate::chat::{Chat, LeadForm};
use crate::dom::{aria_bool, attr, element, flag, on, react, text, Slot};

/// The lead form, in `parent`.
pub fn lead_form(chat: Chat, parent: &Element) -> Element {
    let form = element(parent, "form", &[("class", "lead"), ("novalidate", "")]);
    let intro = element(&form, "p", &[]);
    let input = |kind, autocomplete| -> HtmlInputElement {
        element(&form, "input", &[("type", kind), ("autocomplete", autocomplete)]).unchecked_into()
    };
    let email = input("email", "email");
    flag(&email, "required", true);
    let name = input("text", "name");
    let invalid = Slot::new(element(&form, "p", &[("class", "note"), ("role", "alert")]));
    let cancel = Slot::new(element(&form, "button", &[("class", "note"), ("type", "button")]));
    let submit = element(&form, "button", &[("class", "send"), ("type", "submit")]);
    on(&cancel.el, "click", move |_| chat.lead.set(LeadForm::Hidden));
    {
        let (email, name) = (email.clone(), name.clone());
        on(&form, "submit", move |ev| {
            ev.prevent_default();
            chat.submit_lead(email.value(), name.value());
        });
    }
    {
        // What the host page knows of the visitor (`identify`) fills the fields in.
        let (email, name) = (email.clone(), name.clone());
        react(move || {
            chat.identity.with(|who| {
                email.set_value(who.email.as_deref().unwrap_or_default());
                name.set_value(who.name.as_deref().unwrap_or_default());
            })
        });
    }
    react(move || {
        let t = chat.text();
        let state = chat.lead.get();
        text(&intro, t.lead_intro);
        for (field, label) in [(&email, t.email), (&name, t.name)] {
            attr(field, "aria-label", label);
            attr(field, "placeholder", label);
        }
        attr(&email, "aria-invalid", aria_bool(state == LeadForm::Invalid));
        invalid.show(state == LeadForm::Invalid);
        text(&invalid.el, t.lead_invalid);
        cancel.show(chat.config.with(|c| c.leads == LeadCapture::OnDemand));
        text(&cancel.el, t.cancel);
        flag(&submit, "disabled", state == LeadForm::Sending);
        text(&submit, t.submit);
    });
    form
}
