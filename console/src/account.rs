//! Who is signed in, and for which of their organizations the console acts. The choice is
//! kept in this browser, so a reload or a new tab comes back to the same organization.

use leptos::prelude::*;
use shared::access::Permission;
use shared::auth::{Me, MembershipView};

use crate::api;

const CHOSEN_KEY: &str = "console:organization";

#[derive(Clone, Copy)]
pub struct Account {
    pub me: RwSignal<Option<Me>>,
    pub organization: RwSignal<Option<String>>,
}

impl Account {
    pub fn new() -> Self {
        Self { me: RwSignal::new(None), organization: RwSignal::new(None) }
    }

    /// After `/v1/auth/me` or a sign-in: the organization chosen before, if still theirs,
    /// else their first.
    pub fn signed_in(&self, me: Me) {
        let kept = storage().and_then(|s| s.get_item(CHOSEN_KEY).ok().flatten());
        let chosen = kept
            .filter(|id| me.memberships.iter().any(|m| &m.organization_id == id))
            .or_else(|| me.memberships.first().map(|m| m.organization_id.clone()));
        api::set_organization(chosen.clone());
        self.me.set(Some(me));
        self.organization.set(chosen);
    }

    pub fn signed_out(&self) {
        api::set_organization(None);
        self.me.set(None);
        self.organization.set(None);
    }

    pub fn choose(&self, organization_id: String) {
        if let Some(s) = storage() {
            let _ = s.set_item(CHOSEN_KEY, &organization_id);
        }
        api::set_organization(Some(organization_id.clone()));
        self.organization.set(Some(organization_id));
    }

    pub fn membership(&self) -> Option<MembershipView> {
        let chosen = self.organization.get()?;
        self.me.with(|me| me.as_ref()?.memberships.iter().find(|m| m.organization_id == chosen).cloned())
    }

    /// Whether the chosen organization lets them do this: what they may not do is not offered
    /// (the edge refuses it anyway).
    pub fn can(&self, permission: Permission) -> bool {
        self.membership().is_some_and(|m| m.permissions.contains(&permission))
    }
}

pub fn use_account() -> Account {
    expect_context::<Account>()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
