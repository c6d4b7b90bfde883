//! The visitors' questions the knowledge did not answer well: nothing close enough was found, or
//! the visitor rated the reply down. What to write next, newest first.

use leptos::prelude::*;
use shared::admin::knowledge::{Gap, GapReason};
use shared::admin::Page;

use crate::account::use_account;
use crate::api::Answer;
use crate::ui::when;

/// The newest questions shown (50 at most).
const PATH: &str = "/v1/admin/knowledge/gaps?limit=50";

#[component]
pub fn Gaps() -> impl IntoView {
    let account = use_account();
    let sites = crate::ui::sites();
    let gaps = Answer::<Page<Gap>>::new(move || {
        account.organization.track();
        PATH.into()
    });
    let site_name = move |id: &str| {
        sites.get().unwrap_or_default().into_iter().find(|d| d.id == id).map(|d| d.hostname).unwrap_or_default()
    };
    view! {
        <h2 class="section">"Questions without a good answer"</h2>
        <p class="hint">"Visitors' questions the knowledge had nothing close to, or whose answer was rated down: add a page, a document or an entry that answers them."</p>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || gaps.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p>"None so far."</p> }.into_any(),
                Ok(page) => view! {
                    <ul class="list" aria-label="Questions without a good answer">
                        {page.items.into_iter().map(|g| {
                            let why = match g.reason {
                                GapReason::NoMatch => "nothing in the knowledge matched",
                                GapReason::RatedDown => "the visitor rated the answer down",
                            };
                            view! {
                                <li class="card">
                                    <p class="question">{g.question.clone()}</p>
                                    <p class="hint">
                                        {format!("{} · {} · {} · ", site_name(&g.domain_id), why, when(g.asked_at))}
                                        <a href=format!("/console/inbox/{}", g.conversation_id)>"Open the conversation"</a>
                                    </p>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
    }
}
