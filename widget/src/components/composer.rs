//! The input and the send button, which becomes a stop button while a reply streams.
//! Enter sends, Shift+Enter starts a new line.

use reactive_graph::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement, KeyboardEvent};

use crate::chat::Chat;
use crate::dom::{attr, element, flag, on, react, text};

/// The composer's form, in `parent`.
pub fn composer(chat: Chat, parent: &Element) -> Element {
    let form = element(parent, "form", &[("class", "composer")]);
    let max = shared::limits::MAX_MESSAGE_CHARS.to_string();
    let input: HtmlTextAreaElement = element(&form, "textarea", &[("rows", "1"), ("maxlength", &max)]).unchecked_into();
    let send = element(&form, "button", &[("class", "send"), ("type", "submit")]);
    chat.handles.update_value(|h| h.input = Some(input.clone().into()));
    on(&form, "submit", move |ev| {
        ev.prevent_default();
        if chat.busy() {
            chat.stop()
        } else {
            chat.send(chat.draft.get_untracked())
        }
    });
    on(&input, "keydown", move |ev| {
        let Some(key) = ev.dyn_ref::<KeyboardEvent>() else { return };
        // While an input method composes (CJK), Enter confirms the composition instead.
        if key.key() == "Enter" && !key.shift_key() && !key.is_composing() {
            ev.prevent_default();
            chat.send(chat.draft.get_untracked());
        }
    });
    let typed = input.clone();
    on(&input, "input", move |_| chat.draft.set(typed.value()));
    react(move || {
        let t = chat.text();
        attr(&input, "aria-label", t.placeholder);
        attr(&input, "placeholder", t.placeholder);
        // Only a change from elsewhere (sent, or given back after a refusal): writing the
        // value while the visitor types would move their caret.
        chat.draft.with(|draft| {
            if input.value() != *draft {
                input.set_value(draft);
            }
        });
        let busy = chat.busy();
        attr(&send, "class", if busy { "send stop" } else { "send" });
        flag(&send, "disabled", !busy && chat.draft.with(|d| d.trim().is_empty()));
        text(&send, if busy { t.stop } else { t.send });
    });
    form
}
