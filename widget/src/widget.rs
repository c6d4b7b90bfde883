//! The widget the page drives (`Widget`) and its mounting: `widget.js` makes the host element
//! and its open shadow root, draws the launcher there, loads this module when the visitor
//! reaches for it and calls [`start`], which takes the launcher over in place. Everything the
//! widget draws and styles lives inside that root.

use any_spawner::Executor;
use js_sys::{Promise, Reflect};
use reactive_graph::owner::Owner;
use reactive_graph::prelude::*;
use shared::SiteKey;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, ShadowRoot};

use crate::api::Edge;
use crate::chat::{Chat, Identity};
use crate::components;
use crate::style;

/// The widget the page's `ChatWidget` object drives (`open`, `close`, `toggle`, `identify`).
#[wasm_bindgen]
pub struct Widget {
    chat: Chat,
}

#[wasm_bindgen]
impl Widget {
    pub fn open(&self) {
        self.chat.set_open(true, true);
    }

    pub fn close(&self) {
        self.chat.set_open(false, false);
    }

    pub fn toggle(&self) {
        self.chat.set_open(!self.chat.open.get_untracked(), true);
    }

    /// The console's draft settings, posted to its preview frame as JSON text.
    pub fn preview(&self, draft: String) {
        self.chat.apply_draft(&draft);
    }

    /// `{email?, name?}` from the host page, for the lead form and the site's leads.
    pub fn identify(&self, who: JsValue) {
        self.chat.identify(Identity { email: string(&who, "email"), name: string(&who, "name") });
    }
}

/// Starts the widget in `root`. `options` carries the script tag's data attributes (`open` as a
/// boolean, the rest as strings), the edge's origin and `config`, the request for the site's
/// config that loader/start.js made (a promise of its text, or of null when refused);
/// `emit(event, detail)` tells the page about `open`, `close` and `message`. The widget adopts
/// the root element and the launcher the loader drew (`.cw`), and its stylesheets come after
/// the loader's. The look of the root (the site's colours, its side, language and direction)
/// is the loader's, except in the console's preview (components' `draw_draft_look`).
#[wasm_bindgen]
pub fn start(root: ShadowRoot, options: JsValue, emit: js_sys::Function) -> Result<Widget, JsValue> {
    let site = string(&options, "site").unwrap_or_default();
    let edge_origin = string(&options, "edge").unwrap_or_default();
    let lang = string(&options, "lang");
    let open = Reflect::get(&options, &"open".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
    let config = Reflect::get(&options, &"config".into()).ok().and_then(|v| v.dyn_into::<Promise>().ok());
    let edge = SiteKey::parse(&site).ok().map(|key| Edge::new(&edge_origin, key));
    // In the console's preview frame, `preview` names the domain being edited.
    let preview = string(&options, "preview");
    let chat = Chat::new(edge, site, lang, preview, emit);

    let base = CssStyleSheet::new()?;
    base.replace_sync(style::SHEET)?;
    let sheets = root.adopted_style_sheets();
    sheets.push(&base);
    root.set_adopted_style_sheets(&sheets);

    let frame = match root.query_selector(".cw")? {
        Some(drawn) => drawn,
        None => {
            let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
            let frame = document.create_element("div")?;
            frame.set_class_name("cw");
            root.append_child(&frame)?;
            frame
        }
    };
    // Read before the views draw, so the launcher keeps the count the loader showed.
    chat.restore_unread();
    // The executor the effects and tasks run on, and the reactive owner the views' effects run
    // under; the views draw themselves into `frame`. The widget lives as long as the page.
    let _ = Executor::init_wasm_bindgen();
    let owner = Owner::new();
    owner.with(|| components::app(chat, &frame));
    std::mem::forget(owner);

    chat.boot(open, config);
    Ok(Widget { chat })
}

fn string(obj: &JsValue, key: &str) -> Option<String> {
    Reflect::get(obj, &key.into()).ok()?.as_string().filter(|s| !s.trim().is_empty())
}
