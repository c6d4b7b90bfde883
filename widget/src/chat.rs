//! `Chat`, the running widget: its reactive state and what each of the visitor's actions does
//! to it. Components read this state and call these actions; only `api` talks to the edge.

use reactive_graph::graph::untrack;
use reactive_graph::owner::{LocalStorage, StoredValue};
use reactive_graph::prelude::*;
use reactive_graph::signal::RwSignal;
use shared::admin::domains::{PreviewMessage, MAX_PREVIEW_TURNS};
use shared::error::ErrorCode;
use shared::i18n::{self, Lang, Strings};
use shared::lead::{CreateLead, Email};
use shared::message::{MessageText, MessageTextError, Rating};
use shared::{LeadCapture, PageUrl, WidgetConfig};
use wasm_bindgen::JsValue;
use web_sys::{AbortController, HtmlElement};

use crate::api::{ApiError, Edge};
use crate::dom::{next_frame, spawn_local};
use crate::json::{FromJson, Json};
use crate::storage::{random_id, Session, Store};
use crate::transcript::{Status, Transcript};

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
    /// A lead was refused for now (rate limit).
    TryLater,
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

impl LeadForm {
    /// The form is in the panel (in place of the composer).
    pub fn is_showing(self) -> bool {
        matches!(self, Self::Asking | Self::Invalid | Self::Sending)
    }
}

/// The visitor as the host page identified them (`ChatWidget.identify`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub email: Option<String>,
    pub name: Option<String>,
}

/// What the widget was started with, fixed for its life.
pub struct Setup {
    /// The script tag's `data-lang`, over the site's language.
    lang: Option<String>,
    /// `navigator.languages`, read once: every translated string asks for the language.
    browser_languages: Vec<String>,
    /// None when the script tag's site key is malformed: the chat is unavailable.
    edge: Option<Edge>,
    site: String,
    /// In the console's preview frame: the domain whose settings are being edited.
    preview: Option<String>,
}

/// The page's objects the widget holds. They stay on the page's thread, in local storage.
#[derive(Default)]
pub struct Handles {
    /// Where focus goes on closing and on opening; the views fill these in.
    pub launcher: Option<HtmlElement>,
    pub input: Option<HtmlElement>,
    /// Aborts the reply on its way.
    reply: Option<AbortController>,
    emit: Option<js_sys::Function>,
}

/// The exchanges with the edge in flight. Nothing on screen follows these, so they are plain
/// stored values rather than signals.
#[derive(Default)]
struct Pending {
    session: Option<Session>,
    /// The text being sent and its id, kept until a reply to it ends, so the same text sent
    /// again after a refusal (a network blip) carries the same id and is stored only once.
    outgoing: Option<(String, String)>,
    lead_in_flight: bool,
    /// The instructions being edited in the console, which its preview asks with, and the
    /// organization the console acts for.
    draft_prompt: Option<String>,
    draft_organization: Option<String>,
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
    pub setup: StoredValue<Setup>,
    pub handles: StoredValue<Handles, LocalStorage>,
    pending: StoredValue<Pending>,
}

impl Chat {
    pub fn new(
        edge: Option<Edge>,
        site: String,
        lang: Option<String>,
        preview: Option<String>,
        emit: js_sys::Function,
    ) -> Self {
        let browser_languages = web_sys::window()
            .map(|w| w.navigator().languages().iter().filter_map(|l| l.as_string()).collect())
            .unwrap_or_default();
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
            setup: StoredValue::new(Setup { lang, browser_languages, edge, site, preview }),
            handles: StoredValue::new_local(Handles { emit: Some(emit), ..Handles::default() }),
            pending: StoredValue::new(Pending::default()),
        }
    }

    fn edge(&self) -> Option<Edge> {
        self.setup.with_value(|s| s.edge.clone())
    }

    /// In the console's preview frame, the domain being edited.
    pub fn previewing(&self) -> Option<String> {
        self.setup.with_value(|s| s.preview.clone())
    }

    fn session(&self) -> Option<Session> {
        self.pending.with_value(|p| p.session.clone())
    }

    fn set_session(&self, session: Option<Session>) {
        self.pending.update_value(|p| p.session = session);
    }

    fn store(&self) -> Store {
        self.setup.with_value(|s| Store::for_site(&s.site))
    }

    /// The UI language: `data-lang`, then the site's language, then the browser's.
    pub fn lang(&self) -> Lang {
        let configured = self.config.with(|c| c.language.clone());
        self.setup.with_value(|s| {
            let browser = s.browser_languages.iter().map(String::as_str);
            i18n::choose(s.lang.as_deref(), Some(&configured), browser)
        })
    }

    pub fn text(&self) -> &'static Strings {
        self.lang().strings()
    }

    /// The replies that came while the panel was closed, on this site's last page.
    pub fn restore_unread(self) {
        self.unread.set(self.store().unread());
    }

    fn set_unread(self, count: u32) {
        self.unread.set(count);
        self.store().set_unread(count);
    }

    /// Loads the site's config (from start.js's request for it) and, if this
    /// browser has a conversation here, its history.
    pub fn boot(self, open: bool, config: Option<js_sys::Promise>) {
        if open || self.store().was_open() {
            self.set_open(true, false);
        }
        let Some(edge) = self.edge() else {
            self.availability.set(Availability::Unavailable);
            return;
        };
        if self.previewing().is_some() {
            // The console's preview: its config is the newest draft the console posted, which
            // the loader hands over (`Widget::preview`), and there is no conversation to come
            // back to.
            return;
        }
        self.set_session(self.store().session());
        spawn_local(async move {
            let Ok(config) = edge.config(config).await else {
                self.availability.set(Availability::Unavailable);
                return;
            };
            let asks_first = config.leads == LeadCapture::BeforeChat && !self.store().lead_sent();
            self.config.set(config);
            if asks_first {
                self.lead.set(LeadForm::Asking);
            }
            if let Some(session) = self.session() {
                match edge.history(&session).await {
                    Ok(history) => {
                        if let Some(token) = history.token {
                            let renewed = Session { token, ..session };
                            self.store().save_session(&renewed);
                            self.set_session(Some(renewed));
                        }
                        self.transcript.set(Transcript::from_history(history.messages));
                    }
                    Err(e) if session_gone(&e) => self.forget_session(),
                    // A passing failure: the conversation is still this visitor's.
                    Err(_) => {}
                }
            }
            // Only now: a message sent while the history loaded would be wiped by it.
            self.availability.set(Availability::Ready);
            self.send_identified_lead();
        });
    }

    /// The console's draft settings (the site's config and the instructions being edited, as
    /// JSON): shown at once, and the preview asks with them from then on. The email form
    /// follows a change of when to ask for it.
    pub fn apply_draft(self, draft: &str) {
        let Some(draft) = Json::parse(draft) else { return };
        let Some(config) = WidgetConfig::from_json(&draft) else { return };
        if config.leads != self.config.with_untracked(|c| c.leads) {
            self.lead.set(if config.leads == LeadCapture::BeforeChat { LeadForm::Asking } else { LeadForm::Hidden });
        }
        self.pending.update_value(|p| {
            p.draft_prompt = draft.string("system_prompt");
            p.draft_organization = draft.string("organization_id");
        });
        self.config.set(config);
        self.availability.set(Availability::Ready);
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
            self.set_unread(0);
        }
        self.emit(if open { "open" } else { "close" }, JsValue::UNDEFINED);
        if focus {
            next_frame(move || {
                if let Some(el) = self.handles.with_value(|h| if open { h.input.clone() } else { h.launcher.clone() }) {
                    let _ = el.focus();
                }
            });
        }
    }

    pub fn send(self, raw: String) {
        let ready = self.availability.get_untracked() == Availability::Ready;
        if !ready || self.transcript.with_untracked(Transcript::busy) || untrack(|| self.waits_for_lead()) {
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
        let preview = self.previewing().map(|domain| {
            let history = self.transcript.with_untracked(|t| t.turns(MAX_PREVIEW_TURNS, PREVIEW_HISTORY_CHARS));
            let (system_prompt, organization) =
                self.pending.with_value(|p| (p.draft_prompt.clone(), p.draft_organization.clone()));
            (domain, organization, PreviewMessage { content: text.clone(), history, system_prompt })
        });
        self.transcript.update(|t| t.send(text.as_str()));
        self.emit_message("user", text.as_str());
        let client_id = match self.pending.with_value(|p| p.outgoing.clone()) {
            Some((sent, id)) if sent == text.as_str() => Some(id),
            _ => random_id(),
        };
        let outgoing = client_id.clone().map(|id| (text.as_str().to_owned(), id));
        self.pending.update_value(|p| p.outgoing = outgoing);
        let Ok(controller) = AbortController::new() else {
            return self.refused(ApiError::Unreachable);
        };
        let signal = controller.signal();
        // Stop (or a new conversation) aborts this send at whatever step it is in; after every
        // await an aborted send does nothing more, so nothing of it lands in a later exchange.
        self.handles.update_value(|h| h.reply = Some(controller));
        let Some(edge) = self.edge() else { return };
        spawn_local(async move {
            let on_event = |event| {
                if !signal.aborted() && self.transcript.try_update(|t| t.apply(event)).unwrap_or(false) {
                    self.reply_ended();
                }
            };
            let sent = match preview {
                Some((domain, organization, asked)) => {
                    edge.preview(&domain, organization.as_deref(), &asked, &signal, on_event).await
                }
                None => {
                    let session = match self.session() {
                        Some(s) => s,
                        None => {
                            let opened = edge.open(self.store().visitor_id(), page_url()).await;
                            if signal.aborted() {
                                return;
                            }
                            match opened {
                                Ok(s) => {
                                    self.store().save_session(&s);
                                    self.set_session(Some(s.clone()));
                                    s
                                }
                                Err(e) => return self.refused(e),
                            }
                        }
                    };
                    edge.send(&session, text.as_str(), client_id.as_deref(), &signal, on_event).await
                }
            };
            if signal.aborted() {
                return;
            }
            self.handles.update_value(|h| h.reply = None);
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
        if let Some(controller) = self.handles.try_update_value(|h| h.reply.take()).flatten() {
            controller.abort();
            // The edge stops the provider too and keeps what had arrived. Sent again, the text
            // is a new message, not a repeat of the stopped one.
            let outgoing = self.pending.try_update_value(|p| p.outgoing.take()).flatten();
            if let (Some(edge), Some(session), Some((_, id))) = (self.edge(), self.session(), outgoing) {
                spawn_local(async move {
                    let _ = edge.stop(&session, &id).await;
                });
            }
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
        self.forget_session();
        self.transcript.set(Transcript::default());
        self.notice.set(None);
        if let Some(input) = self.handles.with_value(|h| h.input.clone()) {
            let _ = input.focus();
        }
    }

    /// The verdict shows at once; it is sent for a visitor's conversation (a preview has none).
    pub fn rate(self, key: u32, rating: Rating) {
        let Some(message_id) = self.transcript.try_update(|t| t.rate(key, rating)).flatten() else {
            return;
        };
        let Some(session) = self.session() else {
            return;
        };
        spawn_local(async move {
            if let Some(edge) = self.edge() {
                let _ = edge.feedback(&session, &message_id, rating).await;
            }
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
        if let (true, true, false, Some(email)) =
            (ready, wants_leads, self.store().lead_sent(), email.and_then(|e| Email::parse(&e)))
        {
            self.post_lead(email, name.unwrap_or_default());
        }
    }

    /// The visitor sent the email form.
    pub fn submit_lead(self, email: String, name: String) {
        let Some(email) = Email::parse(&email) else {
            self.lead.set(LeadForm::Invalid);
            return;
        };
        self.lead.set(LeadForm::Sending);
        self.post_lead(email, name);
    }

    /// The site takes leads on demand and the form is not already showing.
    pub fn offers_lead_form(&self) -> bool {
        self.config.with(|c| c.leads == LeadCapture::OnDemand)
            && matches!(self.lead.get(), LeadForm::Hidden | LeadForm::Thanks)
    }

    /// A reply is on its way.
    pub fn busy(self) -> bool {
        self.transcript.with(Transcript::busy)
    }

    /// Starter prompts show in an empty conversation that is ready to chat.
    pub fn shows_starters(&self) -> bool {
        self.availability.get() == Availability::Ready
            && self.transcript.with(Transcript::is_empty)
            && !self.waits_for_lead()
            && self.config.with(|c| !c.starters.is_empty())
    }

    /// Until the visitor has left an email on a site that wants it first, there is no chat.
    pub fn waits_for_lead(&self) -> bool {
        self.config.with(|c| c.leads == LeadCapture::BeforeChat) && self.lead.get().is_showing()
    }

    /// Posts a lead, once at a time. The form follows the outcome only if it is showing, so a
    /// lead sent for an identified visitor does not take over the panel.
    fn post_lead(self, email: Email, name: String) {
        let Some(edge) = self.edge() else { return };
        if self.previewing().is_some() {
            // The owner trying the form out is no lead.
            self.lead.set(LeadForm::Thanks);
            return;
        }
        if self.pending.with_value(|p| p.lead_in_flight) {
            return;
        }
        self.pending.update_value(|p| p.lead_in_flight = true);
        spawn_local(async move {
            let mut result = edge.lead(&self.lead_for(&edge, &email, &name), self.session().as_ref()).await;
            if result.as_ref().is_err_and(session_gone) {
                // The stored conversation is gone; the lead still belongs to the site.
                self.forget_session();
                result = edge.lead(&self.lead_for(&edge, &email, &name), None).await;
            }
            self.pending.update_value(|p| p.lead_in_flight = false);
            let form_shown = self.lead.get_untracked() != LeadForm::Hidden;
            match result {
                Ok(()) => {
                    self.store().set_lead_sent();
                    if form_shown {
                        self.notice.set(None);
                        self.lead.set(LeadForm::Thanks);
                    }
                }
                Err(e) if form_shown => {
                    self.lead.set(LeadForm::Asking);
                    self.notice.set(Some(match notice_for(e) {
                        Notice::RateLimited => Notice::TryLater,
                        other => other,
                    }));
                }
                Err(_) => {}
            }
        });
    }

    fn lead_for(self, edge: &Edge, email: &Email, name: &str) -> CreateLead {
        CreateLead {
            site: edge.site().to_string(),
            conversation_id: self.pending.with_value(|p| p.session.as_ref().map(|s| s.conversation_id.clone())),
            email: email.as_str().to_owned(),
            name: Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
            message: None,
        }
    }

    fn reply_ended(self) {
        self.pending.update_value(|p| p.outgoing = None);
        let reply = self.transcript.with_untracked(|t| t.entries().last().cloned());
        let Some(reply) = reply else { return };
        if !self.open.get_untracked() {
            self.set_unread(self.unread.get_untracked() + 1);
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
        if session_gone(&e) {
            self.forget_session();
        }
        self.notice.set(Some(notice_for(e)));
    }

    fn forget_session(self) {
        self.store().forget_session();
        self.set_session(None);
    }

    fn emit_message(self, role: &str, text: &str) {
        let detail = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&detail, &"role".into(), &role.into());
        let _ = js_sys::Reflect::set(&detail, &"text".into(), &text.into());
        self.emit("message", detail.into());
    }

    fn emit(self, event: &str, detail: JsValue) {
        self.handles.with_value(|h| {
            if let Some(f) = &h.emit {
                let _ = f.call2(&JsValue::NULL, &event.into(), &detail);
            }
        });
    }
}

/// What the preview sends of its conversation, at most: well inside the edge's 256 KB body
/// limit however long the replies grow (the prompt keeps only the newest turns anyway).
const PREVIEW_HISTORY_CHARS: usize = 40_000;

/// The edge no longer knows this browser's conversation (or its token): start a new one.
fn session_gone(e: &ApiError) -> bool {
    matches!(e, ApiError::Refused { code: ErrorCode::Unauthorized | ErrorCode::ConversationNotFound, .. })
}

fn notice_for(e: ApiError) -> Notice {
    match e {
        ApiError::Unreachable => Notice::Offline,
        ApiError::Refused { code: ErrorCode::RateLimited, .. } => Notice::RateLimited,
        ApiError::Refused { code: ErrorCode::MessageTooLong, .. } => Notice::TooLong,
        ApiError::Refused { message, .. } => Notice::Refused(message),
    }
}

/// The page's origin and path: never its query or fragment (reset links, sign-in tokens).
fn page_url() -> Option<String> {
    let href = web_sys::window()?.location().href().ok()?;
    PageUrl::parse(&href).ok().map(|u| u.as_str().to_owned())
}
