//! The input and the send button, which becomes a stop button while a reply streams.
//! Enter sends, Shift+Enter starts a new line.

use leptos::prelude::*;

use crate::chat::Transcript;
use crate::widget::Chat;

#[component]
pub fn Composer(chat: Chat) -> impl IntoView {
    let busy = move || chat.transcript.with(Transcript::busy);
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
            if busy() { chat.stop() } else { submit() }
        }>
            <textarea
                rows="1"
                node_ref=chat.input
                aria-label=move || chat.text().placeholder
                placeholder=move || chat.text().placeholder
                maxlength=shared::limits::MAX_MESSAGE_CHARS.to_string()
                prop:value=move || chat.draft.get()
                on:input:target=move |ev| chat.draft.set(ev.target().value())
                on:keydown=on_keydown
            ></textarea>
            <button class="send" class:stop=busy type="submit"
                disabled=move || !busy() && chat.draft.with(|d| d.trim().is_empty())>
                {move || if busy() { chat.text().stop } else { chat.text().send }}
            </button>
        </form>
    }
}
