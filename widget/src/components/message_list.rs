//! The conversation: greeting, messages, typing indicator, notes on replies that ended early,
//! feedback thumbs, and the starter prompts of an empty conversation. A polite live region,
//! so screen readers announce new text without interrupting.

use std::cell::RefCell;

use reactive_graph::prelude::*;
use shared::i18n::Strings;
use shared::message::{Rating, Role, SourceRef};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event};

use super::{icons, render_markdown};
use crate::chat::{Availability, Chat, Notice};
use crate::dom::{aria_bool, attr, element, flag, listen, on, react, text, Slot};
use crate::markdown::is_web_href;
use crate::transcript::{Entry, Status, Transcript};

pub fn message_list(chat: Chat, panel: &Element) {
    let log = element(panel, "div", &[("class", "log"), ("role", "log"), ("aria-live", "polite")]);
    let unavailable = Slot::new(element(&log, "div", &[("class", "msg assistant bad unavailable")]));
    // The site's words and the conversation's may be in another script than the widget's own:
    // each runs in its own direction (`dir="auto"`) inside a panel laid out in the widget's. Not
    // the input: empty, it would fall back to left to right and put an Arabic placeholder there.
    let greeting = Slot::new(element(&log, "div", &[("class", "msg assistant greeting"), ("dir", "auto")]));
    let starters = element(panel, "div", &[("class", "starters")]);
    let alert = Slot::new(element(panel, "div", &[("class", "alert"), ("role", "alert")]));
    {
        let log = log.clone();
        react(move || {
            let t = chat.text();
            attr(&log, "aria-label", t.conversation);
            let unavailable_now = chat.availability.get() == Availability::Unavailable;
            unavailable.show(unavailable_now);
            text(&unavailable.el, t.unavailable);
            greeting.show(!unavailable_now);
            let words = chat.config.with(|c| c.greeting.clone());
            flag(&greeting.el, "hidden", words.is_empty());
            text(&greeting.el, &words);
        });
    }
    transcript(chat, log);
    starter_buttons(chat, starters);
    react(move || {
        let notice = notice_text(chat);
        alert.show(notice.is_some());
        text(&alert.el, notice.as_deref().unwrap_or_default());
    });
}

/// The rows follow the transcript's entries by key; a row is drawn again only where its entry
/// changed, so a streaming reply redraws only itself.
fn transcript(chat: Chat, log: Element) {
    let rows = RefCell::new(Vec::<Row>::new());
    react(move || {
        let t = chat.text();
        let mut rows = rows.borrow_mut();
        chat.transcript.with(|transcript| {
            let entries = transcript.entries();
            let kept = rows.iter().zip(entries).take_while(|(row, entry)| row.key == entry.key).count();
            for row in rows.drain(kept..) {
                row.el.remove();
            }
            for (at, entry) in entries.iter().enumerate() {
                if at == rows.len() {
                    rows.push(Row::new(chat, &log, entry));
                }
                rows[at].update(entry, Look::of(transcript, entry), t);
            }
        });
        // Keep the newest text in view as it streams in.
        log.set_scroll_top(log.scroll_height());
    });
}

/// The starters are the site's; a click sends the button's text.
fn starter_buttons(chat: Chat, starters: Element) {
    on(&starters, "click", move |ev| {
        if let Some(button) = target(&ev).and_then(|t| t.closest("button").ok().flatten()) {
            chat.send(button.text_content().unwrap_or_default());
        }
    });
    let drawn = RefCell::new(Vec::<String>::new());
    react(move || {
        flag(&starters, "hidden", !chat.shows_starters());
        chat.config.with(|c| {
            let mut drawn = drawn.borrow_mut();
            if *drawn != c.starters {
                text(&starters, "");
                for starter in &c.starters {
                    text(&element(&starters, "button", &[("type", "button"), ("dir", "auto")]), starter);
                }
                drawn.clone_from(&c.starters);
            }
        });
    });
}

fn target(ev: &Event) -> Option<Element> {
    ev.target()?.dyn_into().ok()
}

fn notice_text(chat: Chat) -> Option<String> {
    let t = chat.text();
    Some(match chat.notice.get()? {
        Notice::Offline => t.offline.to_owned(),
        Notice::RateLimited => t.rate_limited.to_owned(),
        Notice::TryLater => t.try_later.to_owned(),
        Notice::TooLong => format!("{} (max. {})", t.too_long, shared::limits::MAX_MESSAGE_CHARS),
        Notice::Refused(message) => message,
    })
}

/// What an entry shows besides its text.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Look {
    status: Status,
    rating: Option<Rating>,
    /// A finished reply the edge stored: it can be rated.
    rateable: bool,
    /// A failed or interrupted reply that is the last entry: it can be retried.
    retryable: bool,
}

impl Look {
    fn of(transcript: &Transcript, entry: &Entry) -> Self {
        let last = transcript.entries().last().is_some_and(|l| l.key == entry.key);
        Look {
            status: entry.status,
            rating: entry.rating,
            rateable: entry.role == Role::Assistant && entry.status == Status::Complete && entry.id.is_some(),
            retryable: last && entry.status.broke_off(),
        }
    }

    fn note(self, t: &'static Strings) -> &'static str {
        match self.status {
            Status::Interrupted => t.interrupted,
            Status::Failed => t.failed,
            Status::Stopped => t.stopped,
            Status::Waiting | Status::Streaming | Status::Complete => "",
        }
    }
}

/// One message, the visitor's or a reply. Replies are drawn as markdown, the visitor's text
/// as plain text.
struct Row {
    key: u32,
    user: bool,
    el: Element,
    who: Element,
    typing: Slot,
    body: Element,
    note: Slot,
    retry: Slot,
    rate: Slot,
    thumbs: [Element; 2],
    sources: Slot,
    /// What the row shows now, to redraw only what changed.
    content: String,
    shown_sources: Option<(Vec<SourceRef>, &'static Strings)>,
    shown: Option<(Look, &'static Strings)>,
    /// The buttons' listeners, removed with the row.
    _listeners: [Closure<dyn FnMut(Event)>; 3],
}

impl Row {
    fn new(chat: Chat, log: &Element, entry: &Entry) -> Self {
        let key = entry.key;
        let user = entry.role == Role::User;
        let el = element(log, "div", &[]);
        let who = element(&el, "span", &[("class", "sr")]);
        let typing = element(&el, "div", &[("class", "typing"), ("role", "status")]);
        for _ in 0..3 {
            element(&typing, "i", &[]);
        }
        let body = element(&el, "div", &[("class", "md"), ("dir", "auto")]);
        let sources = element(&el, "p", &[("class", "sources"), ("dir", "auto")]);
        let note = element(&el, "p", &[("class", "note")]);
        let retry = element(&el, "button", &[("type", "button"), ("class", "note retry")]);
        let rate = element(&el, "div", &[("class", "rate")]);
        let thumb = |path| {
            let button = element(&rate, "button", &[("type", "button")]);
            icons::icon(&button, path);
            button
        };
        let thumbs = [thumb(icons::THUMB_UP), thumb(icons::THUMB_DOWN)];
        let _listeners = [
            listen(&retry, "click", move |_| chat.retry()),
            listen(&thumbs[0], "click", move |_| chat.rate(key, Rating::Up)),
            listen(&thumbs[1], "click", move |_| chat.rate(key, Rating::Down)),
        ];
        Row {
            key,
            user,
            el,
            who,
            typing: Slot::new(typing),
            body,
            note: Slot::new(note),
            retry: Slot::new(retry),
            rate: Slot::new(rate),
            thumbs,
            sources: Slot::new(sources),
            content: String::new(),
            shown_sources: None,
            shown: None,
            _listeners,
        }
    }

    fn update(&mut self, entry: &Entry, look: Look, t: &'static Strings) {
        if self.content != entry.content {
            if self.user {
                text(&self.body, &entry.content);
            } else {
                render_markdown(&self.body, &entry.content);
            }
            self.content.clone_from(&entry.content);
        }
        if self.shown_sources.as_ref().is_none_or(|(s, strings)| *s != entry.sources || !std::ptr::eq(*strings, t)) {
            self.draw_sources(&entry.sources, t);
            self.shown_sources = Some((entry.sources.clone(), t));
        }
        if self.shown.is_some_and(|(l, s)| l == look && std::ptr::eq(s, t)) {
            return;
        }
        self.shown = Some((look, t));
        let class = match (self.user, look.status.broke_off()) {
            (true, _) => "msg user",
            (false, false) => "msg assistant",
            (false, true) => "msg assistant bad",
        };
        attr(&self.el, "class", class);
        attr(&self.el, "aria-busy", aria_bool(look.status.in_progress()));
        text(&self.who, &format!("{}: ", if self.user { t.you } else { t.assistant }));
        self.typing.show(look.status == Status::Waiting);
        attr(&self.typing.el, "aria-label", t.typing);
        let note = look.note(t);
        self.note.show(!note.is_empty());
        text(&self.note.el, note);
        self.retry.show(look.retryable);
        text(&self.retry.el, t.retry);
        self.rate.show(look.rateable);
        for (thumb, (rating, label)) in self.thumbs.iter().zip([(Rating::Up, t.helpful), (Rating::Down, t.not_helpful)])
        {
            attr(thumb, "aria-label", label);
            attr(thumb, "title", label);
            attr(thumb, "aria-pressed", aria_bool(look.rating == Some(rating)));
        }
    }

    /// Where the reply's answer comes from: a link to each page (web addresses only, opened
    /// outside the host page), a document by its title.
    fn draw_sources(&self, sources: &[SourceRef], t: &'static Strings) {
        let el = &self.sources.el;
        text(el, "");
        self.sources.show(!sources.is_empty());
        element(el, "span", &[]).set_text_content(Some(&format!("{}: ", t.sources)));
        for (i, s) in sources.iter().enumerate() {
            if i > 0 {
                el.append_with_str_1(" · ").ok();
            }
            let link = s.url.as_deref().filter(|u| is_web_href(u));
            let item = match link {
                Some(url) => {
                    element(el, "a", &[("href", url), ("target", "_blank"), ("rel", "noopener noreferrer nofollow")])
                }
                None => element(el, "span", &[]),
            };
            text(&item, &s.title);
        }
    }
}
