//! The only code that talks to the edge: plain `fetch`, JSON in and out, and the reply as a
//! byte stream parsed into events by the shared SSE decoder (so a character split across two
//! network chunks arrives whole).
//!
//! `fetch` through `web-sys`, not `gloo-net`: measured with `default-features = false,
//! features = ["http"]` for the requests (the streamed body stays `web-sys` either way),
//! `gloo-net` costs 1,286 B brotli of wasm and 87 B of glue (1.4 KB) of a first open held to
//! 80,000 B.

use js_sys::{Promise, Reflect, Uint8Array};
use shared::admin::domains::PreviewMessage;
use shared::conversation::{CreateConversation, History, PostMessage};
use shared::error::{ErrorBody, ErrorCode};
use shared::lead::CreateLead;
use shared::message::{Feedback, Rating, StopReply};
use shared::sse::{SseDecoder, StreamEvent};
use shared::{SiteKey, WidgetConfig};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, ReadableStreamDefaultReader, Request, RequestInit, RequestMode, Response};

use crate::json::{self, FromJson, ToJson};
use crate::storage::Session;
use crate::wire;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No answer the page may read: the network failed, or the edge refused this site before
    /// admitting it (unregistered, wrong origin), which a browser sees as a failed request.
    Unreachable,
    /// The edge answered with an error.
    Refused { code: ErrorCode, message: String },
}

/// Who asks the edge.
#[derive(Clone, Copy)]
enum Caller<'a> {
    /// A visitor before their conversation exists.
    Anonymous,
    /// A visitor with their conversation's token.
    Visitor(&'a str),
    /// The site's owner in the console's preview: the session cookie of this, the edge's own,
    /// origin, acting for the organization the console chose.
    Owner { organization: Option<&'a str> },
}

/// The edge at one origin, on behalf of one site.
#[derive(Debug, Clone)]
pub struct Edge {
    origin: String,
    site: SiteKey,
}

impl Edge {
    pub fn new(origin: &str, site: SiteKey) -> Self {
        Self { origin: origin.trim_end_matches('/').to_owned(), site }
    }

    pub fn site(&self) -> &SiteKey {
        &self.site
    }

    /// The site's config: the answer to the request loader/start.js made for it while the wasm
    /// loaded (`fetched`, a promise of its text, null when refused).
    pub async fn config(&self, fetched: Option<Promise>) -> Result<WidgetConfig, ApiError> {
        let fetched = fetched.ok_or(ApiError::Unreachable)?;
        let text = JsFuture::from(fetched).await.ok().and_then(|t| t.as_string()).ok_or(ApiError::Unreachable)?;
        decode(&text)
    }

    pub async fn open(&self, visitor_id: Option<String>, page_url: Option<String>) -> Result<Session, ApiError> {
        let body = CreateConversation { site: self.site.to_string(), visitor_id, page_url };
        let resp = self.fetch("POST", "/v1/conversations", Some(body.to_json()), Caller::Anonymous, None).await?;
        json_body(&resp).await
    }

    pub async fn history(&self, s: &Session) -> Result<History, ApiError> {
        let path = format!("/v1/conversations/{}/messages", s.conversation_id);
        let resp = self.fetch("GET", &path, None, Caller::Visitor(&s.token), None).await?;
        json_body(&resp).await
    }

    /// Posts the visitor's message and hands each reply event to `on_event` as it arrives.
    /// An error means nothing was accepted; a stream that breaks off (or is aborted through
    /// `signal`) simply ends, and the caller sees no `done` event.
    /// `client_id` names the message: sent again with it, the edge answers from what it stored.
    pub async fn send(
        &self,
        s: &Session,
        text: &str,
        client_id: Option<&str>,
        signal: &AbortSignal,
        on_event: impl FnMut(StreamEvent),
    ) -> Result<(), ApiError> {
        let path = format!("/v1/conversations/{}/messages", s.conversation_id);
        let body = PostMessage { content: text.to_owned(), client_message_id: client_id.map(str::to_owned) }.to_json();
        let resp = self.fetch("POST", &path, Some(body), Caller::Visitor(&s.token), Some(signal)).await?;
        read_events(resp, on_event).await;
        Ok(())
    }

    /// [`Edge::send`] for the console's preview of the site `domain`, as its owner acting for
    /// `organization`, with the conversation so far and the instructions being edited; nothing
    /// is stored.
    pub async fn preview(
        &self,
        domain: &str,
        organization: Option<&str>,
        asked: &PreviewMessage,
        signal: &AbortSignal,
        on_event: impl FnMut(StreamEvent),
    ) -> Result<(), ApiError> {
        let path = format!("/v1/admin/domains/{domain}/preview");
        let body = Some(wire::preview_message(asked));
        let resp = self.fetch("POST", &path, body, Caller::Owner { organization }, Some(signal)).await?;
        read_events(resp, on_event).await;
        Ok(())
    }

    pub async fn lead(&self, lead: &CreateLead, session: Option<&Session>) -> Result<(), ApiError> {
        let caller = session.map_or(Caller::Anonymous, |s| Caller::Visitor(&s.token));
        self.fetch("POST", "/v1/leads", Some(lead.to_json()), caller, None).await.map(drop)
    }

    /// Asks the edge to stop making the reply to the message named `client_id`.
    pub async fn stop(&self, s: &Session, client_id: &str) -> Result<(), ApiError> {
        let path = format!("/v1/conversations/{}/stop", s.conversation_id);
        let body = StopReply { client_message_id: client_id.to_owned() }.to_json();
        self.fetch("POST", &path, Some(body), Caller::Visitor(&s.token), None).await.map(drop)
    }

    pub async fn feedback(&self, s: &Session, message_id: &str, rating: Rating) -> Result<(), ApiError> {
        let path = format!("/v1/messages/{message_id}/feedback");
        let body = Feedback { conversation_id: s.conversation_id.clone(), rating }.to_json();
        self.fetch("POST", &path, Some(body), Caller::Visitor(&s.token), None).await.map(drop)
    }

    async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        caller: Caller<'_>,
        signal: Option<&AbortSignal>,
    ) -> Result<Response, ApiError> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_mode(RequestMode::Cors);
        let headers = Headers::new().map_err(|_| ApiError::Unreachable)?;
        if let Some(body) = body {
            let _ = headers.set("content-type", "application/json");
            init.set_body(&JsValue::from_str(&body));
        }
        let credential = match caller {
            Caller::Visitor(token) => Some(("authorization", format!("Bearer {token}"))),
            Caller::Owner { organization } => organization.map(|org| ("x-organization-id", org.to_owned())),
            Caller::Anonymous => None,
        };
        if let Some((name, value)) = credential {
            let _ = headers.set(name, &value);
        }
        init.set_headers(&headers);
        init.set_signal(signal);
        let url = format!("{}{path}", self.origin);
        let request = Request::new_with_str_and_init(&url, &init).map_err(|_| ApiError::Unreachable)?;
        let window = web_sys::window().ok_or(ApiError::Unreachable)?;
        let resp: Response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(|_| ApiError::Unreachable)?
            .unchecked_into();
        if resp.ok() {
            return Ok(resp);
        }
        let refused = match json_body::<ErrorBody>(&resp).await {
            Ok(body) => ApiError::Refused { code: body.error.code, message: body.error.message },
            Err(_) => ApiError::Refused { code: ErrorCode::Internal, message: format!("HTTP {}", resp.status()) },
        };
        Err(refused)
    }
}

/// Hands each event of a reply's stream to `on_event` as it arrives, until the stream ends.
async fn read_events(resp: Response, mut on_event: impl FnMut(StreamEvent)) {
    let Some(stream) = resp.body() else {
        return;
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut decoder = SseDecoder::new();
    while let Ok(chunk) = JsFuture::from(reader.read()).await {
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let Ok(value) = Reflect::get(&chunk, &"value".into()) else {
            break;
        };
        let bytes = value.unchecked_into::<Uint8Array>().to_vec();
        for frame in decoder.push(&bytes) {
            if let Some(event) = wire::event(&frame) {
                on_event(event);
            }
        }
    }
}

async fn json_body<T: FromJson>(resp: &Response) -> Result<T, ApiError> {
    let promise = resp.text().map_err(|_| ApiError::Unreachable)?;
    let text = JsFuture::from(promise).await.map_err(|_| ApiError::Unreachable)?.as_string().unwrap_or_default();
    decode(&text)
}

fn decode<T: FromJson>(text: &str) -> Result<T, ApiError> {
    json::decode(text)
        .ok_or_else(|| ApiError::Refused { code: ErrorCode::Internal, message: "unexpected answer".to_owned() })
}
