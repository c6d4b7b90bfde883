//! The chat panel: header with the site's title, the conversation, and the composer or the
//! lead form. Not modal: focus moves freely to the page and back.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::{composer::Composer, follow, icons, lead_form::LeadFormView, message_list::MessageList, tr};
use crate::i18n::Strings;
use crate::widget::{Availability, Chat, LeadForm};

#[component]
pub fn Panel(chat: Chat) -> impl IntoView {
    let panel = NodeRef::<html::Div>::new();
    follow_visual_viewport(panel, chat.open);
    let title = move || chat.config.with(|c| c.title.clone());
    view! {
        <div class="panel" role="dialog" aria-label=title node_ref=panel hidden=follow(chat, |c| !c.open.get())>
            <div class="head">
                <h2>{title}</h2>
                {header_button(chat, |t| t.leave_email, icons::MAIL, |c| !c.offers_lead_form(), |c| c.lead.set(LeadForm::Asking))}
                {header_button(chat, |t| t.new_conversation, icons::RESTART, |c| c.availability.get() != Availability::Ready, Chat::restart)}
                {header_button(chat, |t| t.close_chat, icons::CLOSE, |_| false, |c| c.set_open(false, true))}
            </div>
            <MessageList chat/>
            <Show when=follow(chat, |c| c.lead.get() == LeadForm::Thanks)>
                <div class="alert thanks" role="status">{tr(chat, |t| t.lead_thanks)}</div>
            </Show>
            <Show when=follow(chat, |c| c.availability.get() == Availability::Ready)>
                <Show when=follow(chat, |c| c.lead.get().is_showing()) fallback=move || view! { <Composer chat/> }>
                    <LeadFormView chat/>
                </Show>
            </Show>
        </div>
    }
}

/// A labelled icon button of the header, hidden while `hide` says so. One function for all of
/// them, so they are one view type.
fn header_button(
    chat: Chat,
    label: fn(&'static Strings) -> &'static str,
    path: &'static str,
    hide: fn(Chat) -> bool,
    act: fn(Chat),
) -> impl IntoView {
    let label = tr(chat, label);
    view! {
        <button class="icon" type="button" aria-label=label title=label hidden=follow(chat, hide) on:click=move |_| act(chat)>
            {icons::icon(path)}
        </button>
    }
}

/// On phones the panel is full screen; it follows the visual viewport so the on-screen
/// keyboard never covers the input. The CSS reads the two custom properties in its mobile rule.
fn follow_visual_viewport(panel: NodeRef<html::Div>, open: RwSignal<bool>) {
    let Some(viewport) = web_sys::window().and_then(|w| w.visual_viewport()) else {
        return;
    };
    let fit = move |vv: &web_sys::VisualViewport| {
        if let Some(el) = panel.get_untracked() {
            let style = web_sys::HtmlElement::style(&el);
            // Whole pixels: formatting an f64 would pull float printing into the wasm.
            let _ = style.set_property("--cw-top", &format!("{}px", vv.offset_top().round() as i32));
            let _ = style.set_property("--cw-height", &format!("{}px", vv.height().round() as i32));
        }
    };
    let vv = viewport.clone();
    Effect::new(move |_| {
        panel.track();
        open.track();
        fit(&vv);
    });
    let vv = viewport.clone();
    let update = Closure::<dyn Fn()>::new(move || fit(&vv));
    for event in ["resize", "scroll"] {
        let _ = viewport.add_event_listener_with_callback(event, update.as_ref().unchecked_ref());
    }
    // The widget lives as long as the page, and so does this listener.
    update.forget();
}
