//! The running widget: its reactive state and what each of the visitor's actions does to it.
//! Components read this state and call these actions; only `api` talks to the edge.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::error::ErrorCode;
use shared::lead::{CreateLead, Email};
use shared::message::{MessageText, MessageTextError, Rating};
use shared::{LeadCapture, PageUrl, WidgetConfig};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortController;

use crate::api::{ApiError, Edge};
use crate::chat::{Status, Transcript};
use crate::i18n::{self, Lang, Strings};
use crate::storage::{Session, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Loading,
    Ready,
    /// The edge does not serve this page (unregistered or inactive site) or cannot be reached.
    Unavailable,
}

/// A message shown above the composer until the next action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Offline,
    RateLimited,
    TooLong,
    Refused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadForm {
    Hidden,
    Asking,
    Invalid,
    Sending,
    Thanks,
}

/// What the script tag's data attributes ask for, over the site's config.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub lang: Option<String>,
    pub color: Option<String>,
    pub position: Option<shared::Position>,
}

/// The visitor as the host page identified them (`ChatWidget.identify`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Copy)]
pub struct Chat {
    pub open: RwSignal<bool>,
    pub availability: RwSignal<Availability>,
    pub config: RwSignal<WidgetConfig>,
    pub transcript: RwSignal<Transcript>,
    pub notice: RwSignal<Option<Notice>>,
    pub unread: RwSignal<u32>,
    pub draft: RwSignal<String>,
    pub lead: RwSignal<LeadForm>,
    pub identity: RwSignal<Identity>,
    pub overrides: StoredValue<Overrides>,
    pub launcher: NodeRef<html::Button>,
    pub input: NodeRef<html::Textarea>,
    edge: StoredValue<Edge>,
    site: StoredValue<String>,
    session: RwSignal<Option<Session>>,
    reply: StoredValue<Option<AbortController>, LocalStorage>,
    emit: StoredValue<js_sys::Function, LocalStorage>,
}

impl Chat {
    pub fn new(edge: Edge, site: String, overrides: Overrides, emit: js_sys::Function) -> Self {
        Self {
            open: RwSignal::new(false),
            availability: RwSignal::new(Availability::Loading),
            config: RwSignal::new(WidgetConfig::default()),
            transcript: RwSignal::new(Transcript::default()),
            notice: RwSignal::new(None),
            unread: RwSignal::new(0),
            draft: RwSignal::new(String::new()),
            lead: RwSignal::new(LeadForm::Hidden),
            identity: RwSignal::new(Identity::default()),
            overrides: StoredValue::new(overrides),
            launcher: NodeRef::new(),
            input: NodeRef::new(),
            edge: StoredValue::new(edge),
            site: StoredValue::new(site),
            session: RwSignal::new(None),
            reply: StoredValue::new_local(None),
            emit: StoredValue::new_local(emit),
        }
    }

    fn store(&self) -> Store {
        Store::for_site(&self.site.get_value())
    }

    /// The UI language: `data-lang`, then the site's language, then the browser's.
    pub fn lang(&self) -> Lang {
        let attribute = self.overrides.with_value(|o| o.lang.clone());
        let configured = self.config.with(|c| c.language.clone());
        let browser: Vec<String> = web_sys::window()
            .map(|w| w.navigator().languages().iter().filter_map(|l| l.as_string()).collect())
            .unwrap_or_default();
        i18n::choose(attribute.as_deref(), Some(&configured), browser.iter().map(String::as_str))
    }

    pub fn text(&self) -> &'static Strings {
        self.lang().strings()
    }

    /// Loads the site's config and, if this browser has a conversation here, its history.
    pub fn boot(self, open: bool) {
        if open || self.store().was_open() {
            self.set_open(true, false);
        }
        spawn_local(async move {
            let edge = self.edge.get_value();
            match edge.config().await {
                Ok(config) => {
                    let asks_first = config.leads == LeadCapture::BeforeChat && !self.store().lead_sent();
                    self.config.set(config);
                    if asks_first {
                        self.lead.set(LeadForm::Asking);
                    }
                    self.availability.set(Availability::Ready);
                    self.send_identified_lead();
                }
                Err(_) => {
                    self.availability.set(Availability::Unavailable);
                    return;
                }
            }
            let Some(session) = self.store().session() else {
                return;
            };
            match edge.history(&session).await {
                Ok(history) => {
                    self.transcript.set(Transcript::from_history(history.messages));
                    self.session.set(Some(session));
                }
                Err(ApiError::Refused { .. }) => self.store().forget_session(),
                Err(ApiError::Unreachable) => self.session.set(Some(session)),
            }
        });
    }

    /// Opens or closes the panel. `focus` moves focus into the input on opening (a visitor's
    /// own action) or back to the launcher on closing; opening on page load does not steal it.
    pub fn set_open(self, open: bool, focus: bool) {
        if self.open.get_untracked() == open {
            return;
        }
        self.open.set(open);
        self.store().set_open(open);
        if open {
            self.unread.set(0);
        }
        self.emit(if open { "open" } else { "close" }, JsValue::UNDEFINED);
        if focus {
            request_animation_frame(move || {
                let target = if open {
                    self.input.get_untracked().map(|i| i.unchecked_into::<web_sys::HtmlElement>())
                } else {
                    self.launcher.get_untracked().map(|b| b.unchecked_into::<web_sys::HtmlElement>())
                };
                if let Some(el) = target {
                    let _ = el.focus();
                }
            });
        }
    }

    pub fn send(self, raw: String) {
        if self.transcript.with_untracked(Transcript::busy) || self.availability.get_untracked() != Availability::Ready
        {
            return;
        }
        let text = match MessageText::parse(&raw) {
            Ok(t) => t,
            Err(MessageTextError::Empty) => return,
            Err(MessageTextError::TooLong { .. }) => {
                self.notice.set(Some(Notice::TooLong));
                return;
            }
        };
        self.notice.set(None);
        self.draft.set(String::new());
        self.transcript.update(|t| t.send(text.as_str()));
        self.emit_message("user", text.as_str());
        spawn_local(async move {
            let edge = self.edge.get_value();
            let session = match self.session.get_untracked() {
                Some(s) => s,
                None => match edge.open(self.store().visitor_id(), page_url()).await {
                    Ok(s) => {
                        self.store().save_session(&s);
                        self.session.set(Some(s.clone()));
                        s
                    }
                    Err(e) => return self.refused(e),
                },
            };
            let Ok(controller) = AbortController::new() else {
                return self.refused(ApiError::Unreachable);
            };
            let signal = controller.signal();
            self.reply.set_value(Some(controller));
            let sent = edge
                .send(&session, text.as_str(), &signal, |event| {
                    if self.transcript.try_update(|t| t.apply(event)).unwrap_or(false) {
                        self.reply_ended();
                    }
                })
                .await;
            self.reply.set_value(None);
            match sent {
                Err(e) => self.refused(e),
                // The stream ended without `done` or `error`: the connection broke off.
                Ok(()) if self.transcript.with_untracked(Transcript::busy) => {
                    self.transcript.update(Transcript::cut);
                    self.reply_ended();
                }
                Ok(()) => {}
            }
        });
    }

    pub fn stop(self) {
        if let Some(controller) = self.reply.get_value() {
            controller.abort();
        }
        self.transcript.update(Transcript::stop);
    }

    pub fn retry(self) {
        if let Some(text) = self.transcript.try_update(Transcript::retry).flatten() {
            self.send(text);
        }
    }

    /// Starts over: the old conversation stays on the edge, this browser forgets it.
    pub fn restart(self) {
        self.stop();
        self.store().forget_session();
        self.session.set(None);
        self.transcript.set(Transcript::default());
        self.notice.set(None);
        if let Some(input) = self.input.get_untracked() {
            let _ = input.focus();
        }
    }

    pub fn rate(self, key: u32, rating: Rating) {
        let Some(message_id) = self.transcript.try_update(|t| t.rate(key, rating)).flatten() else {
            return;
        };
        let Some(session) = self.session.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let _ = self.edge.get_value().feedback(&session, &message_id, rating).await;
        });
    }

    pub fn identify(self, identity: Identity) {
        self.identity.set(identity);
        self.send_identified_lead();
    }

    /// A visitor the page identified is a lead already, if the site collects leads; called
    /// again once the config is in, since `identify` often runs before it arrives.
    fn send_identified_lead(self) {
        let ready = self.availability.get_untracked() == Availability::Ready;
        let wants_leads = self.config.with_untracked(|c| c.leads != LeadCapture::Off);
        let Identity { email, name } = self.identity.get_untracked();
        let email = email.filter(|e| Email::parse(e).is_some());
        if let (true, true, false, Some(email)) = (ready, wants_leads, self.store().lead_sent(), email) {
            self.submit_lead(email, name.unwrap_or_default());
        }
    }

    pub fn submit_lead(self, email: String, name: String) {
        let Some(email) = Email::parse(&email) else {
            self.lead.set(LeadForm::Invalid);
            return;
        };
        self.lead.set(LeadForm::Sending);
        let session = self.session.get_untracked();
        let lead = CreateLead {
            site: self.site.get_value(),
            conversation_id: session.as_ref().map(|s| s.conversation_id.clone()),
            email: email.as_str().to_owned(),
            name: Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
            message: None,
        };
        spawn_local(async move {
            match self.edge.get_value().lead(&lead, session.as_ref()).await {
                Ok(()) => {
                    self.store().set_lead_sent();
                    self.lead.set(LeadForm::Thanks);
                }
                Err(e) => {
                    self.lead.set(LeadForm::Asking);
                    self.notice.set(Some(notice_for(e)));
                }
            }
        });
    }

    fn reply_ended(self) {
        let reply = self.transcript.with_untracked(|t| t.entries().last().cloned());
        let Some(reply) = reply else { return };
        if !self.open.get_untracked() {
            self.unread.update(|n| *n += 1);
        }
        if reply.status == Status::Complete {
            self.emit_message("assistant", &reply.content);
        }
    }

    /// Nothing was accepted: the message goes back into the composer with a notice.
    fn refused(self, e: ApiError) {
        if let Some(text) = self.transcript.try_update(Transcript::withdraw).flatten() {
            self.draft.set(text);
        }
        if let ApiError::Refused { code: ErrorCode::Unauthorized | ErrorCode::ConversationNotFound, .. } = e {
            self.store().forget_session();
            self.session.set(None);
        }
        self.notice.set(Some(notice_for(e)));
    }

    fn emit_message(self, role: &str, text: &str) {
        let detail = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&detail, &"role".into(), &role.into());
        let _ = js_sys::Reflect::set(&detail, &"text".into(), &text.into());
        self.emit("message", detail.into());
    }

    fn emit(self, event: &str, detail: JsValue) {
        self.emit.with_value(|f| {
            let _ = f.call2(&JsValue::NULL, &event.into(), &detail);
        });
    }
}

fn notice_for(e: ApiError) -> Notice {
    match e {
        ApiError::Unreachable => Notice::Offline,
        ApiError::Refused { code: ErrorCode::RateLimited, .. } => Notice::RateLimited,
        ApiError::Refused { code: ErrorCode::MessageTooLong, .. } => Notice::TooLong,
        ApiError::Refused { message, .. } => Notice::Refused(message),
    }
}

fn page_url() -> Option<String> {
    let href = web_sys::window()?.location().href().ok()?;
    PageUrl::parse(&href).map(|u| u.as_str().to_owned())
}
