//! The floating button that opens and closes the panel, with the unread count.

use reactive_graph::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::icons;
use crate::chat::Chat;
use crate::dom::{aria_bool, attr, element, on, react, text, Slot};

/// The launcher in `parent`: the one the loader drew there, taken over in place (so focus and
/// the pointer stay on it, and nothing moves), else a new one.
pub fn launcher(chat: Chat, parent: &Element) -> Element {
    let button = match parent.query_selector(".launcher").ok().flatten() {
        Some(drawn) => {
            text(&drawn, "");
            drawn
        }
        None => element(parent, "button", &[("class", "launcher"), ("type", "button")]),
    };
    let path = icons::icon(&button, icons::BUBBLE);
    let badge = Slot::new(element(&button, "span", &[("class", "badge"), ("aria-hidden", "true")]));
    chat.handles.update_value(|h| h.launcher = Some(button.clone().unchecked_into()));
    on(&button, "click", move |_| chat.set_open(!chat.open.get_untracked(), true));
    {
        let button = button.clone();
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
    button
}

/// "Open chat", or "Close chat", with the number of unread replies.
fn label(chat: Chat, open: bool, unread: u32) -> String {
    let (open_chat, unread_word) = chat.lang().launcher_words();
    let base = if open { chat.text().close_chat } else { open_chat };
    match unread {
        0 => base.to_owned(),
        n => format!("{base} ({n} {unread_word})"),
    }
}

#[cfg(test)]
mod tests {
    use super::icons;

    const LOADER: &str = include_str!("../../loader/widget.js");

    /// The loader draws the launcher before the widget starts, with the same icon (and the name
    /// the edge gives it in the page's language: shared's `look`).
    #[test]
    fn the_loader_draws_the_launcher_as_the_widget_does() {
        assert!(LOADER.contains(icons::BUBBLE));
    }
}
