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

use crate::i18n::Strings;
use crate::widget::Chat;

/// One UI string, following the UI language.
fn tr(chat: Chat, pick: fn(&'static Strings) -> &'static str) -> impl Fn() -> &'static str + Copy + Send + Sync {
    move || pick(chat.text())
}

/// A reactive value the view shows, read from `from` by a plain function. Views use this (and
/// [`tr`]) rather than a closure of their own because each closure is its own type, and
/// leptos's rendering code is compiled again for every type: this way it is compiled once per
/// kind of value, which keeps the widget's wasm small.
fn follow<S: Copy + Send + Sync + 'static, T>(from: S, read: fn(S) -> T) -> impl Fn() -> T + Copy + Send + Sync {
    move || read(from)
}

#[component]
pub fn App(chat: Chat) -> impl IntoView {
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" && chat.open.get_untracked() {
            ev.stop_propagation();
            chat.set_open(false, true);
        }
    };
    view! {
        <div class="cw" class:left=follow(chat, left) class:open=follow(chat, |c| c.open.get()) lang=follow(chat, |c| c.lang().tag()) on:keydown=on_keydown>
            <panel::Panel chat/>
            <launcher::Launcher chat/>
        </div>
    }
}

/// The panel and launcher sit bottom left: `data-position` over the site's config.
fn left(chat: Chat) -> bool {
    let forced = chat.overrides.with_value(|o| o.position);
    forced.unwrap_or_else(|| chat.config.with(|c| c.position)) == Position::BottomLeft
}
