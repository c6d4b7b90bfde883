//! The widget's visible parts: the launcher and the panel (header, message list, composer,
//! lead form). Each reads the shared [`Chat`] state and calls its actions.

mod composer;
mod icons;
mod launcher;
mod lead_form;
mod message_list;
mod panel;
mod rich_text;

use leptos::prelude::*;
use shared::Position;

pub use rich_text::render as render_markdown;

use crate::widget::Chat;

#[component]
pub fn App(chat: Chat) -> impl IntoView {
    let left = move || {
        let forced = chat.overrides.with_value(|o| o.position);
        forced.unwrap_or_else(|| chat.config.with(|c| c.position)) == Position::BottomLeft
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" && chat.open.get_untracked() {
            ev.stop_propagation();
            chat.set_open(false, true);
        }
    };
    view! {
        <div class="cw" class:left=left class:open=move || chat.open.get() lang=move || chat.lang().tag() on:keydown=on_keydown>
            <panel::Panel chat/>
            <launcher::Launcher chat/>
        </div>
    }
}
