//! The conversation: greeting, messages, typing indicator, notes on replies that ended early,
//! feedback thumbs, and the starter prompts of an empty conversation. A polite live region,
//! so screen readers announce new text without interrupting.

use leptos::html;
use leptos::prelude::*;
use shared::message::{Rating, Role};

use super::{icons, render_markdown};
use crate::chat::Status;
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
    let rows = move || chat.transcript.with(|t| t.entries().iter().map(|e| (e.key, e.role)).collect::<Vec<_>>());
    let greeting = move || chat.config.with(|c| c.greeting.clone());
    let starters = move || chat.config.with(|c| c.starters.clone());
    let show_starters = move || {
        chat.availability.get() == Availability::Ready
            && chat.transcript.with(|t| t.is_empty())
            && !chat.waits_for_lead()
            && !starters().is_empty()
    };
    view! {
        <div class="log" role="log" aria-live="polite" aria-label=move || chat.text().conversation node_ref=log>
            <Show
                when=move || chat.availability.get() != Availability::Unavailable
                fallback=move || view! { <div class="msg assistant bad unavailable">{move || chat.text().unavailable}</div> }
            >
                <Show when=move || !greeting().is_empty()>
                    <div class="msg assistant greeting">{greeting}</div>
                </Show>
            </Show>
            <For each=rows key=|(key, _)| *key let((key, role))>
                {if role == Role::User { user_message(chat, key).into_any() } else { reply(chat, key).into_any() }}
            </For>
        </div>
        <Show when=show_starters>
            <div class="starters">
                <For each=starters key=|s| s.clone() children=move |starter: String| {
                    let text = starter.clone();
                    view! { <button type="button" on:click=move |_| chat.send(text.clone())>{starter}</button> }
                }/>
            </div>
        </Show>
        <Show when=move || chat.notice.with(Option::is_some)>
            <div class="alert" role="alert">{move || notice_text(chat)}</div>
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

fn user_message(chat: Chat, key: u32) -> impl IntoView {
    let content = move || chat.transcript.with(|t| t.entry(key).map(|e| e.content.clone()).unwrap_or_default());
    view! {
        <div class="msg user">
            <span class="sr">{move || chat.text().you}": "</span>
            {content}
        </div>
    }
}

fn reply(chat: Chat, key: u32) -> impl IntoView {
    let content =
        Memo::new(move |_| chat.transcript.with(|t| t.entry(key).map(|e| e.content.clone()).unwrap_or_default()));
    let status = Memo::new(move |_| chat.transcript.with(|t| t.entry(key).map_or(Status::Complete, |e| e.status)));
    let rating = Memo::new(move |_| chat.transcript.with(|t| t.entry(key).and_then(|e| e.rating)));
    let rateable = Memo::new(move |_| chat.transcript.with(|t| t.entry(key).is_some_and(|e| e.id.is_some())));
    let body = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        let text = content.get();
        if let Some(el) = body.get() {
            render_markdown(&el, &text);
        }
    });
    let note = move || {
        let t = chat.text();
        match status.get() {
            Status::Interrupted => Some(t.interrupted),
            Status::Failed => Some(t.failed),
            Status::Stopped => Some(t.stopped),
            Status::Waiting | Status::Streaming | Status::Complete => None,
        }
    };
    let last_failed = move || {
        matches!(status.get(), Status::Failed | Status::Interrupted)
            && chat.transcript.with(|t| t.entries().last().is_some_and(|e| e.key == key))
    };
    let thumb = move |r: Rating| {
        let label = move || {
            if r == Rating::Up {
                chat.text().helpful
            } else {
                chat.text().not_helpful
            }
        };
        view! {
            <button type="button" aria-label=label title=label aria-pressed=move || (rating.get() == Some(r)).to_string()
                on:click=move |_| chat.rate(key, r)>
                {if r == Rating::Up { icons::thumb_up().into_any() } else { icons::thumb_down().into_any() }}
            </button>
        }
    };
    view! {
        <div class="msg assistant" class:bad=move || matches!(status.get(), Status::Failed | Status::Interrupted)
            aria-busy=move || matches!(status.get(), Status::Waiting | Status::Streaming).to_string()>
            <span class="sr">{move || chat.text().assistant}": "</span>
            <Show when=move || status.get() == Status::Waiting>
                <div class="typing" role="status" aria-label=move || chat.text().typing><i></i><i></i><i></i></div>
            </Show>
            <div class="md" node_ref=body></div>
            {move || note().map(|n| view! { <p class="note">{n}</p> })}
            <Show when=last_failed>
                <button type="button" class="note retry" on:click=move |_| chat.retry()>{move || chat.text().retry}</button>
            </Show>
            <Show when=move || status.get() == Status::Complete && rateable.get()>
                <div class="rate">{thumb(Rating::Up)}{thumb(Rating::Down)}</div>
            </Show>
        </div>
    }
}
