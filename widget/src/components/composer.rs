//! The input and the send button, which becomes a stop button while a reply streams.
//! Enter sends, Shift+Enter starts a new line.

use leptos::prelude::*;

use super::{follow, tr};
use crate::widget::Chat;

#[component]
pub fn Composer(chat: Chat) -> impl IntoView {
    let submit = move || chat.send(chat.draft.get_untracked());
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        // While an input method composes (CJK), Enter confirms the composition instead.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };
    view! {
        <form class="composer" on:submit=move |ev: web_sys::SubmitEvent| {
            ev.prevent_default();
            if chat.busy() { chat.stop() } else { submit() }
        }>
            <textarea
                rows="1"
                node_ref=chat.input
                aria-label=tr(chat, |t| t.placeholder)
                placeholder=tr(chat, |t| t.placeholder)
                maxlength=shared::limits::MAX_MESSAGE_CHARS.to_string()
                prop:value=follow(chat, |c| c.draft.get())
                on:input:target=move |ev| chat.draft.set(ev.target().value())
                on:keydown=on_keydown
            ></textarea>
            <button class="send" class:stop=follow(chat, Chat::busy) type="submit"
                disabled=follow(chat, |c| !c.busy() && c.draft.with(|d| d.trim().is_empty()))>
                {follow(chat, |c| if c.busy() { c.text().stop } else { c.text().send })}
            </button>
        </form>
    }
}
