//! The chat panel: header with the site's title, the conversation, and the composer or the
//! lead form. Not modal: focus moves freely to the page and back.

use reactive_graph::prelude::*;
use shared::i18n::Strings;
use web_sys::{Element, Node};

use super::{composer::composer, icons, lead_form::lead_form, message_list::message_list};
use crate::chat::{Availability, Chat, LeadForm};
use crate::dom::{attr, element, flag, on, react, text, Slot};

/// The panel, appended to `parent`.
pub fn panel(chat: Chat, parent: &Node) -> Element {
    let panel = element(parent, "div", &[("class", "panel"), ("role", "dialog")]);
    let head = element(&panel, "div", &[("class", "head")]);
    let title = element(&head, "h2", &[]);
    header_button(
        chat,
        &head,
        |t| t.leave_email,
        icons::MAIL,
        |c| !c.offers_lead_form(),
        |c| c.lead.set(LeadForm::Asking),
    );
    header_button(
        chat,
        &head,
        |t| t.new_conversation,
        icons::RESTART,
        |c| c.availability.get() != Availability::Ready,
        Chat::restart,
    );
    header_button(chat, &head, |t| t.close_chat, icons::CLOSE, |_| false, |c| c.set_open(false, true));
    message_list(chat, &panel);
    let thanks = Slot::new(element(&panel, "div", &[("class", "alert thanks"), ("role", "status")]));
    let composer = Slot::new(composer(chat, &panel));
    let lead = Slot::new(lead_form(chat, &panel));
    {
        let panel = panel.clone();
        react(move || {
            let name = chat.config.with(|c| c.title.clone());
            attr(&panel, "aria-label", &name);
            text(&title, &name);
            flag(&panel, "hidden", !chat.open.get());
        });
    }
    react(move || {
        let lead_form = chat.lead.get();
        thanks.show(lead_form == LeadForm::Thanks);
        text(&thanks.el, chat.text().lead_thanks);
        let ready = chat.availability.get() == Availability::Ready;
        composer.show(ready && !lead_form.is_showing());
        lead.show(ready && lead_form.is_showing());
    });
    panel
}

/// A labelled icon button of the header, hidden while `hide` says so.
fn header_button(
    chat: Chat,
    head: &Element,
    label: fn(&'static Strings) -> &'static str,
    path: &'static str,
    hide: fn(Chat) -> bool,
    act: fn(Chat),
) {
    let button = element(head, "button", &[("class", "icon"), ("type", "button")]);
    icons::icon(&button, path);
    on(&button, "click", move |_| act(chat));
    react(move || {
        let label = label(chat.text());
        attr(&button, "aria-label", label);
        attr(&button, "title", label);
        flag(&button, "hidden", hide(chat));
    });
}
