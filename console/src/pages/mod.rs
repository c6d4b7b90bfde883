//! One file per page of the console, named after what the page shows; `sources` and `gaps` are
//! the knowledge page's sections beside its entries.

use leptos::prelude::*;

use crate::route::Page;

pub mod analytics;
pub mod audit;
pub mod gaps;
pub mod home;
pub mod inbox;
pub mod keys;
pub mod knowledge;
pub mod leads;
pub mod links;
pub mod shell;
pub mod sign_in;
pub mod sites;
pub mod sources;
pub mod team;

/// What a page of the console shows (the signed-in ones inside `shell::Shell`).
pub fn view(page: Page) -> AnyView {
    match page {
        Page::SignIn => view! { <sign_in::SignIn/> }.into_any(),
        Page::AcceptInvitation => view! { <links::AcceptInvitation/> }.into_any(),
        Page::ResetPassword => view! { <links::ResetPassword/> }.into_any(),
        Page::Home => view! { <home::Home/> }.into_any(),
        Page::Inbox => view! { <inbox::Inbox/> }.into_any(),
        Page::Conversation(id) => view! { <inbox::Transcript id/> }.into_any(),
        Page::Leads => view! { <leads::Leads/> }.into_any(),
        Page::Sites => view! { <sites::Sites/> }.into_any(),
        Page::Site(id) => view! { <sites::Site id/> }.into_any(),
        Page::Knowledge => view! { <knowledge::Knowledge/> }.into_any(),
        Page::Analytics => view! { <analytics::Analytics/> }.into_any(),
        Page::Team => view! { <team::Team/> }.into_any(),
        Page::Keys => view! { <keys::Keys/> }.into_any(),
        Page::Audit => view! { <audit::Audit/> }.into_any(),
    }
}
