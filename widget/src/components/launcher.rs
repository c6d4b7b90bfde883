//! The floating button that opens and closes the panel, with the unread count.

use leptos::prelude::*;

use super::{follow, icons};
use crate::widget::Chat;

#[component]
pub fn Launcher(chat: Chat) -> impl IntoView {
    view! {
        <button
            class="launcher"
            type="button"
            node_ref=chat.launcher
            aria-label=follow(chat, label)
            aria-expanded=follow(chat, |c| c.open.get().to_string())
            on:click=move |_| chat.set_open(!chat.open.get_untracked(), true)
        >
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d=follow(chat, |c| if c.open.get() { icons::CLOSE } else { icons::BUBBLE })/>
            </svg>
            <Show when=follow(chat, |c| c.unread.get() > 0)>
                <span class="badge" aria-hidden="true">{follow(chat, |c| c.unread.get())}</span>
            </Show>
        </button>
    }
}

/// "Open chat", or "Close chat", with the number of unread replies.
fn label(chat: Chat) -> String {
    let t = chat.text();
    let base = if chat.open.get() { t.close_chat } else { t.open_chat };
    match chat.unread.get() {
        0 => base.to_owned(),
        n => format!("{base} ({n} {})", t.unread),
    }
}
