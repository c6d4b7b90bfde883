//! The floating button that opens and closes the panel, with the unread count.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Node;

use super::icons;
use crate::dom::{aria_bool, attr, element, on, react, text, Slot};
use crate::widget::Chat;

pub fn launcher(chat: Chat, parent: &Node) {
    let button = element(parent, "button", &[("class", "launcher"), ("type", "button")]);
    let path = icons::icon(&button, icons::BUBBLE);
    let badge = Slot::new(element(&button, "span", &[("class", "badge"), ("aria-hidden", "true")]));
    chat.handles.update_value(|h| h.launcher = Some(button.clone().unchecked_into()));
    on(&button, "click", move |_| chat.set_open(!chat.open.get_untracked(), true));
    react(move || {
        let open = chat.open.get();
        let unread = chat.unread.get();
        attr(&button, "aria-label", &label(chat, open, unread));
        attr(&button, "aria-expanded", aria_bool(open));
        attr(&path, "d", if open { icons::CLOSE } else { icons::BUBBLE });
        badge.show(unread > 0);
        text(&badge.el, &unread.to_string());
    });
}

/// "Open chat", or "Close chat", with the number of unread replies.
fn label(chat: Chat, open: bool, unread: u32) -> String {
    let t = chat.text();
    let base = if open { t.close_chat } else { t.open_chat };
    match unread {
        0 => base.to_owned(),
        n => format!("{base} ({n} {})", t.unread),
    }
}
