//! The chat panel: header with the site's title, the conversation, and the composer or the
//! lead form. Not modal: focus moves freely to the page and back.

use leptos::html;
use leptos::prelude::*;
use shared::LeadCapture;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::{composer::Composer, icons, lead_form::LeadFormView, message_list::MessageList};
use crate::widget::{Availability, Chat, LeadForm};

#[component]
pub fn Panel(chat: Chat) -> impl IntoView {
    let panel = NodeRef::<html::Div>::new();
    follow_visual_viewport(panel, chat.open);
    let title = move || chat.config.with(|c| c.title.clone());
    let on_demand = move || {
        chat.config.with(|c| c.leads == LeadCapture::OnDemand)
            && matches!(chat.lead.get(), LeadForm::Hidden | LeadForm::Thanks)
    };
    let asking = move || chat.lead.get().is_showing();
    view! {
        <div class="panel" role="dialog" aria-label=title node_ref=panel hidden=move || !chat.open.get()>
            <div class="head">
                <h2>{title}</h2>
                <Show when=on_demand>
                    <button class="icon" type="button" aria-label=move || chat.text().leave_email title=move || chat.text().leave_email
                        on:click=move |_| chat.lead.set(LeadForm::Asking)>{icons::mail()}</button>
                </Show>
                <Show when=move || chat.availability.get() == Availability::Ready>
                    <button class="icon" type="button" aria-label=move || chat.text().new_conversation title=move || chat.text().new_conversation
                        on:click=move |_| chat.restart()>{icons::restart()}</button>
                </Show>
                <button class="icon" type="button" aria-label=move || chat.text().close_chat title=move || chat.text().close_chat
                    on:click=move |_| chat.set_open(false, true)>{icons::close()}</button>
            </div>
            <MessageList chat/>
            <Show when=move || chat.lead.get() == LeadForm::Thanks>
                <div class="alert thanks" role="status">{move || chat.text().lead_thanks}</div>
            </Show>
            <Show when=move || chat.availability.get() == Availability::Ready>
                <Show when=asking fallback=move || view! { <Composer chat/> }>
                    <LeadFormView chat/>
                </Show>
            </Show>
        </div>
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
