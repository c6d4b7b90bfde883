//! The widget's visible parts: the launcher and the panel (header, message list, composer,
//! lead form). Each builds its elements once, keeps them in step with the shared [`Chat`]
//! state through effects, and calls its actions.

mod composer;
mod icons;
mod launcher;
mod lead_form;
mod message_list;
mod panel;
mod rich_text;

use leptos::prelude::*;
use shared::Position;
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};

pub use rich_text::render as render_markdown;

use crate::dom::{attr, element, on, react};
use crate::widget::Chat;

/// Draws the whole widget into `mount`.
pub fn app(chat: Chat, mount: &Element) {
    let root = element(mount, "div", &[]);
    on(&root, "keydown", move |ev| {
        let Some(ev) = ev.dyn_ref::<KeyboardEvent>() else { return };
        if ev.key() == "Escape" && chat.open.get_untracked() {
            ev.stop_propagation();
            chat.set_open(false, true);
        }
    });
    panel::panel(chat, &root);
    launcher::launcher(chat, &root);
    react(move || {
        let class = match (left(chat), chat.open.get()) {
            (false, false) => "cw",
            (false, true) => "cw open",
            (true, false) => "cw left",
            (true, true) => "cw left open",
        };
        attr(&root, "class", class);
        attr(&root, "lang", chat.lang().tag());
    });
}

/// The panel and launcher sit bottom left: `data-position` over the site's config.
fn left(chat: Chat) -> bool {
    let forced = chat.setup.with_value(|s| s.overrides.position);
    forced.unwrap_or_else(|| chat.config.with(|c| c.position)) == Position::BottomLeft
}
