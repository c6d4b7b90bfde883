//! The handful of DOM operations the views are made of. A view creates its elements once and
//! keeps them in step with the state through effects. Each operation here is compiled once;
//! leptos's `view!` compiles its rendering code again for every distinct element tree, which
//! made up half of the widget's wasm.

use std::future::Future;

use any_spawner::Executor;
use reactive_graph::effect::Effect;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, EventTarget, Node};

/// The page's document.
pub fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("a page has a document")
}

/// Runs `task` on the page's thread, alongside the effects.
pub fn spawn_local(task: impl Future<Output = ()> + 'static) {
    Executor::spawn_local(task);
}

/// Runs `then` before the browser paints next.
pub fn next_frame(then: impl FnOnce() + 'static) {
    if let Some(window) = web_sys::window() {
        let _ = window.request_animation_frame(Closure::once_into_js(then).unchecked_ref());
    }
}

/// Appends a new `<tag>` with these attributes to `parent`.
pub fn element(parent: &Node, tag: &str, attrs: &[(&str, &str)]) -> Element {
    add(parent, document().create_element(tag), attrs)
}

/// [`element`] for an SVG element.
pub fn svg(parent: &Node, tag: &str, attrs: &[(&str, &str)]) -> Element {
    add(parent, document().create_element_ns(Some("http://www.w3.org/2000/svg"), tag), attrs)
}

fn add(parent: &Node, created: Result<Element, JsValue>, attrs: &[(&str, &str)]) -> Element {
    let el = created.expect("the views use valid tag names");
    for (name, value) in attrs {
        attr(&el, name, value);
    }
    let _ = parent.append_child(&el);
    el
}

pub fn attr(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

/// Sets or removes a boolean attribute such as `hidden` or `disabled`.
pub fn flag(el: &Element, name: &str, on: bool) {
    let _ = el.toggle_attribute_with_force(name, on);
}

/// `"true"` or `"false"`, for `aria-*` states.
pub fn aria_bool(on: bool) -> &'static str {
    if on {
        "true"
    } else {
        "false"
    }
}

pub fn text(node: &Node, text: &str) {
    node.set_text_content(Some(text));
}

/// Runs `update` now and again whenever a signal it read changes.
pub fn react(update: impl Fn() + 'static) {
    effect(Box::new(update));
}

/// The one effect type of the views: leptos's effect code is compiled once, not per closure.
#[inline(never)]
fn effect(update: Box<dyn Fn()>) {
    Effect::new(move |_| update());
}

/// Calls `act` on each `event` at `target` for as long as the returned closure is kept.
pub fn listen(target: &EventTarget, event: &str, act: impl FnMut(Event) + 'static) -> Closure<dyn FnMut(Event)> {
    let act = Closure::<dyn FnMut(Event)>::new(act);
    let _ = target.add_event_listener_with_callback(event, act.as_ref().unchecked_ref());
    act
}

/// [`listen`] for an element that lives as long as the page.
pub fn on(target: &EventTarget, event: &str, act: impl FnMut(Event) + 'static) {
    listen(target, event, act).forget();
}

/// An element that is in the document only while it applies: a screen reader, a query or a
/// test finds nothing of it otherwise, which the `hidden` attribute would not give.
pub struct Slot {
    pub el: Element,
    /// Marks the element's place among its siblings while it is out.
    spot: Node,
}

impl Slot {
    /// Takes `el` (already in its parent) out until [`Slot::show`] puts it back in its place.
    pub fn new(el: Element) -> Self {
        let spot: Node = document().create_comment("").into();
        if let Some(parent) = el.parent_node() {
            let _ = parent.insert_before(&spot, el.next_sibling().as_ref());
        }
        el.remove();
        Self { el, spot }
    }

    pub fn show(&self, shown: bool) {
        if !shown {
            self.el.remove();
        } else if self.el.parent_node().is_none() {
            if let Some(parent) = self.spot.parent_node() {
                let _ = parent.insert_before(&self.el, Some(&self.spot));
            }
        }
    }
}
