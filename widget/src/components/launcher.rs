//! The floating button that opens and closes the panel, with the unread count.

use leptos::prelude::*;

use super::icons;
use crate::widget::Chat;

#[component]
pub fn Launcher(chat: Chat) -> impl IntoView {
    let label = move || {
        let t = chat.text();
        let base = if chat.open.get() { t.close_chat } else { t.open_chat };
        match chat.unread.get() {
            0 => base.to_owned(),
            n => format!("{base} ({n} {})", t.unread),
        }
    };
    view! {
        <button
            class="launcher"
            type="button"
            node_ref=chat.launcher
            aria-label=label
            aria-expanded=move || chat.open.get().to_string()
            on:click=move |_| chat.set_open(!chat.open.get_untracked(), true)
        >
            {move || if chat.open.get() { icons::close().into_any() } else { icons::bubble().into_any() }}
            <Show when=move || { chat.unread.get() > 0 }>
                <span class="badge" aria-hidden="true">{move || chat.unread.get()}</span>
            </Show>
        </button>
    }
}
