//! What the widget remembers in the host origin's `localStorage`: the visitor's id and their
//! conversation per site. Where storage is blocked (privacy modes, sandboxed frames) it lives
//! in memory for the page's lifetime instead.

use std::cell::RefCell;

use shared::conversation::ConversationCreated;

use crate::json::{self, ToJson};

thread_local! {
    /// (key, value) pairs: a handful at most, so a list (a map would cost the wasm its hashing).
    static MEMORY: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// A conversation the visitor can come back to: its id and token, as the edge created it
/// (kept as the edge's JSON of it, see `wire`).
pub type Session = ConversationCreated;

/// The storage of one site's widget; keys are namespaced by site key, so two widgets of two
/// sites on one origin do not mix.
pub struct Store {
    prefix: String,
}

impl Store {
    pub fn for_site(site: &str) -> Self {
        Self { prefix: format!("chat-widget:{site}:") }
    }

    pub fn session(&self) -> Option<Session> {
        json::decode(&self.get("session")?)
    }

    pub fn save_session(&self, session: &Session) {
        self.set("session", Some(&session.to_json()));
    }

    pub fn forget_session(&self) {
        self.set("session", None);
    }

    /// A random id per browser, so a site's conversations can be grouped by visitor.
    pub fn visitor_id(&self) -> Option<String> {
        if let Some(id) = self.get("visitor") {
            return Some(id);
        }
        let id = random_id()?;
        self.set("visitor", Some(&id));
        Some(id)
    }

    /// Whether the panel was open, so it stays open across the site's pages.
    pub fn was_open(&self) -> bool {
        self.get("open").is_some()
    }

    pub fn set_open(&self, open: bool) {
        self.set("open", open.then_some("1"));
    }

    /// Replies that came while the panel was closed, so the next page shows them (and the
    /// loader starts the widget for them).
    pub fn unread(&self) -> u32 {
        self.get("unread").and_then(|n| n.parse().ok()).unwrap_or(0)
    }

    pub fn set_unread(&self, count: u32) {
        self.set("unread", (count > 0).then(|| count.to_string()).as_deref());
    }

    pub fn lead_sent(&self) -> bool {
        self.get("lead").is_some()
    }

    pub fn set_lead_sent(&self) {
        self.set("lead", Some("1"));
    }

    fn get(&self, name: &str) -> Option<String> {
        let key = format!("{}{name}", self.prefix);
        local_storage()
            .and_then(|s| s.get_item(&key).ok().flatten())
            .or_else(|| MEMORY.with(|m| m.borrow().iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())))
    }

    fn set(&self, name: &str, value: Option<&str>) {
        let key = format!("{}{name}", self.prefix);
        let stored = local_storage().is_some_and(|s| match value {
            Some(v) => s.set_item(&key, v).is_ok(),
            None => s.remove_item(&key).is_ok(),
        });
        MEMORY.with(|m| {
            let mut m = m.borrow_mut();
            m.retain(|(k, _)| *k != key);
            if let (Some(v), false) = (value, stored) {
                m.push((key, v.to_owned()));
            }
        });
    }
}

/// `localStorage`, if this page may use it (reading the property itself throws when blocked).
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// 32 random hex digits from `getRandomValues`, which (unlike `randomUUID`) also exists on
/// plain-http pages.
pub fn random_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    web_sys::window()?.crypto().ok()?.get_random_values_with_u8_array(&mut bytes).ok()?;
    let hex = |n: u8| char::from(b"0123456789abcdef"[usize::from(n)]);
    Some(bytes.iter().flat_map(|b| [hex(b >> 4), hex(b & 15)]).collect())
}
