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

use reactive_graph::prelude::*;
use reactive_graph::signal::RwSignal;
use shared::Position;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};

pub use rich_text::render as render_markdown;

use crate::chat::Chat;
use crate::dom::{document, on, react};

/// Draws the whole widget into `root`, the widget's root element, taking over the launcher the
/// loader drew there.
pub fn app(chat: Chat, root: &Element) {
    let root = root.clone();
    on(&root, "keydown", move |ev| {
        let Some(ev) = ev.dyn_ref::<KeyboardEvent>() else { return };
        if ev.key() == "Escape" && chat.open.get_untracked() {
            ev.stop_propagation();
            chat.set_open(false, true);
        }
    });
    let launcher = launcher::launcher(chat, &root);
    // Before the launcher, as the tab order goes.
    let _ = root.insert_before(&panel::panel(chat, &root), Some(&launcher));
    follow_visual_viewport(root.clone().unchecked_into(), chat.open);
    if chat.previewing().is_some() {
        draw_draft_look(chat, root.clone().unchecked_into());
    }
    react(move || {
        let _ = root.class_list().toggle_with_force("open", chat.open.get());
    });
}

/// On a site the loader draws the root's look (colours, side, language and direction) as the
/// edge gives it; in the console's preview, where the settings are drafts not yet saved, the
/// widget draws it and then shows the root. A preview's tag has no `data-color` or
/// `data-position`, so the draft's colours and side stand as they are.
fn draw_draft_look(chat: Chat, root: HtmlElement) {
    react(move || {
        let (theme, position) = chat.config.with(|c| (c.theme.clone(), c.position));
        let lang = chat.lang();
        let style = root.style();
        let _ = style.set_property("--cw-primary", &theme.primary);
        let _ = style.set_property("--cw-on-primary", &theme.on_primary);
        let _ = root.class_list().toggle_with_force("left", position == Position::BottomLeft);
        root.set_lang(lang.tag());
        root.set_dir(lang.dir());
        let _ = style.remove_property("visibility");
    });
}

/// On phones the panel covers the visual viewport, the part of the page on screen: the
/// on-screen keyboard never covers the input, and a page wider than the screen does not push
/// the panel's edge out of sight. A page without `<meta name="viewport">` is laid out wider
/// than the phone (980 px) and shown shrunk: the panel and the launcher are scaled up by the
/// layout's width over the screen's, so they read at the phone's own size. The CSS reads these
/// custom properties of the root in its phone rule.
fn follow_visual_viewport(root: HtmlElement, open: RwSignal<bool>) {
    let Some(viewport) = web_sys::window().and_then(|w| w.visual_viewport()) else {
        return;
    };
    let fit = {
        let viewport = viewport.clone();
        move || {
            let style = root.style();
            // Whole pixels, and the scale as a fraction for CSS to divide: formatting an f64
            // would pull float printing into the wasm.
            let px = |v: f64| v.round() as i32;
            for (name, value) in [
                ("--cw-left", viewport.offset_left()),
                ("--cw-top", viewport.offset_top()),
                ("--cw-width", viewport.width()),
                ("--cw-height", viewport.height()),
            ] {
                let _ = style.set_property(name, &format!("{}px", px(value)));
            }
            // The screen's width in the page's pixels, the same at any pinch zoom.
            let screen = px(viewport.width() * viewport.scale());
            let layout = document().document_element().map_or(0, |html| html.client_width());
            let scale = if layout > screen && screen > 0 { format!("{layout}/{screen}") } else { "1".to_owned() };
            let _ = style.set_property("--cw-scale", &scale);
        }
    };
    for event in ["resize", "scroll"] {
        let fit = fit.clone();
        on(&viewport, event, move |_| fit());
    }
    react(move || {
        open.track();
        fit();
    });
}
