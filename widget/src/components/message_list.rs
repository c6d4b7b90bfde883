//! The conversation: greeting, messages, typing indicator, notes on replies that ended early,
//! feedback thumbs, and the starter prompts of an empty conversation. A polite live region,
//! so screen readers announce new text without interrupting.

use leptos::html;
use leptos::prelude::*;
use shared::message::{Rating, Role};

use super::{follow, icons, render_markdown, tr};
use crate::chat::Status;
use crate::i18n::Strings;
use crate::widget::{Availability, Chat, Notice};

#[component]
pub fn MessageList(chat: Chat) -> impl IntoView {
    let log = NodeRef::<html::Div>::new();
    // Keep the newest text in view as it streams in.
    Effect::new(move |_| {
        chat.transcript.track();
        if let Some(el) = log.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let keys = move || chat.transcript.with(|t| t.entries().iter().map(|e| e.key).collect::<Vec<_>>());
    let starters = move || {
        chat.config
            .with(|c| c.starters.clone())
            .into_iter()
            .map(move |starter| {
                let text = starter.clone();
                view! { <button type="button" on:click=move |_| chat.send(text.clone())>{starter}</button> }
            })
            .collect_view()
    };
    view! {
        <div class="log" role="log" aria-live="polite" aria-label=tr(chat, |t| t.conversation) node_ref=log>
            <Show
                when=follow(chat, |c| c.availability.get() != Availability::Unavailable)
                fallback=move || view! { <div class="msg assistant bad unavailable">{tr(chat, |t| t.unavailable)}</div> }
            >
                <div class="msg assistant greeting" hidden=follow(chat, |c| c.config.with(|c| c.greeting.is_empty()))>
                    {follow(chat, |c| c.config.with(|c| c.greeting.clone()))}
                </div>
            </Show>
            <For each=keys key=|key| *key let(key)>{entry(chat, key)}</For>
        </div>
        <div class="starters" hidden=follow(chat, |c| !c.shows_starters())>{starters}</div>
        <Show when=follow(chat, |c| c.notice.with(Option::is_some))>
            <div class="alert" role="alert">{follow(chat, notice_text)}</div>
        </Show>
    }
}

fn notice_text(chat: Chat) -> String {
    let t = chat.text();
    match chat.notice.get() {
        Some(Notice::Offline) => t.offline.to_owned(),
        Some(Notice::RateLimited) => t.rate_limited.to_owned(),
        Some(Notice::TryLater) => t.try_later.to_owned(),
        Some(Notice::TooLong) => format!("{} (max. {})", t.too_long, shared::limits::MAX_MESSAGE_CHARS),
        Some(Notice::Refused(message)) => message,
        None => String::new(),
    }
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
    fn note(self, t: &'static Strings) -> &'static str {
        match self.status {
            Status::Interrupted => t.interrupted,
            Status::Failed => t.failed,
            Status::Stopped => t.stopped,
            Status::Waiting | Status::Streaming | Status::Complete => "",
        }
    }
}

/// One message, the visitor's or a reply: a single view for both, so the list renders one
/// kind of row. Replies are drawn as markdown, the visitor's text as plain text.
fn entry(chat: Chat, key: u32) -> impl IntoView {
    let user = chat.transcript.with_untracked(|t| t.entry(key).is_some_and(|e| e.role == Role::User));
    let content =
        Memo::new(move |_| chat.transcript.with(|t| t.entry(key).map(|e| e.content.clone()).unwrap_or_default()));
    let look = Memo::new(move |_| {
        chat.transcript
            .with(|t| {
                let e = t.entry(key)?;
                let last = t.entries().last().is_some_and(|l| l.key == key);
                Some(Look {
                    status: e.status,
                    rating: e.rating,
                    rateable: e.role == Role::Assistant && e.status == Status::Complete && e.id.is_some(),
                    retryable: last && e.status.broke_off(),
                })
            })
            .unwrap_or(Look { status: Status::Complete, rating: None, rateable: false, retryable: false })
    });
    let body = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        let text = content.get();
        if let Some(el) = body.get() {
            if user {
                el.set_text_content(Some(&text));
            } else {
                render_markdown(&el, &text);
            }
        }
    });
    let who: fn(&'static Strings) -> &'static str = if user { |t| t.you } else { |t| t.assistant };
    let note = move || look.get().note(chat.text());
    let thumb = move |r: Rating| {
        let label = tr(chat, if r == Rating::Up { |t| t.helpful } else { |t| t.not_helpful });
        view! {
            <button type="button" aria-label=label title=label
                aria-pressed=move || (look.get().rating == Some(r)).to_string()
                on:click=move |_| chat.rate(key, r)>
                {icons::icon(if r == Rating::Up { icons::THUMB_UP } else { icons::THUMB_DOWN })}
            </button>
        }
    };
    view! {
        <div class=if user { "msg user" } else { "msg assistant" } class:bad=follow(look, |l| l.get().status.broke_off())
            aria-busy=follow(look, |l| l.get().status.in_progress().to_string())>
            <span class="sr">{tr(chat, who)}": "</span>
            <Show when=follow(look, |l| l.get().status == Status::Waiting)>
                <div class="typing" role="status" aria-label=tr(chat, |t| t.typing)><i></i><i></i><i></i></div>
            </Show>
            <div class="md" node_ref=body></div>
            <Show when=move || !note().is_empty()>
                <p class="note">{note}</p>
            </Show>
            <Show when=follow(look, |l| l.get().retryable)>
                <button type="button" class="note retry" on:click=move |_| chat.retry()>{tr(chat, |t| t.retry)}</button>
            </Show>
            <Show when=follow(look, |l| l.get().rateable)>
                <div class="rate">{thumb(Rating::Up)}{thumb(Rating::Down)}</div>
            </Show>
        </div>
    }
}
