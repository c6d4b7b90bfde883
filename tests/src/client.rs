//! A client of the edge's public API, as the widget calls it, that timestamps each
//! Server-Sent Event as it arrives.

use std::time::Instant;

use futures_util::StreamExt;
use reqwest::header::HeaderMap;
use serde_json::Value;
use shared::{ConversationCreated, ErrorCode, SseDecoder, StreamEvent};

#[derive(Clone)]
pub struct Api {
    base: String,
    origin: Option<String>,
    /// Sent as `CF-Connecting-IP`, as Cloudflare would for a visitor at this address.
    ip: Option<String>,
    http: reqwest::Client,
}

/// A plain JSON answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The stable error code of an error body.
    pub fn code(&self) -> Option<ErrorCode> {
        serde_json::from_value(self.body["error"]["code"].clone()).ok()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

/// A streamed answer: each event with the moment it arrived.
/// The tag's script as the edge served it.
#[derive(Debug)]
pub struct Script {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Script {
    /// The launcher's look the edge wrote in for the loader, if it did (a JSON string literal).
    pub fn look(&self) -> Option<Value> {
        let literal = self.text.split_once("s.look=")?.1;
        let json = serde_json::Deserializer::from_str(literal).into_iter::<String>().next()?.ok()?;
        serde_json::from_str(&json).ok()
    }

    /// The error code, when the edge answered with an error instead.
    pub fn code(&self) -> Option<ErrorCode> {
        Reply { status: self.status, headers: self.headers.clone(), body: serde_json::from_str(&self.text).ok()? }
            .code()
    }
}

#[derive(Debug)]
pub struct Stream {
    pub status: u16,
    pub headers: HeaderMap,
    pub events: Vec<(Instant, StreamEvent)>,
    /// The body when the answer was not a stream (an error before streaming began).
    pub body: Value,
}

impl Stream {
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                StreamEvent::Token { delta } => Some(delta.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn tokens(&self) -> usize {
        self.events.iter().filter(|(_, e)| matches!(e, StreamEvent::Token { .. })).count()
    }

    pub fn last(&self) -> Option<&StreamEvent> {
        self.events.last().map(|(_, e)| e)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

impl Api {
    pub fn new(base: &str, origin: Option<&str>) -> Self {
        Self { base: base.to_owned(), origin: origin.map(str::to_owned), ip: None, http: reqwest::Client::new() }
    }

    /// The same client, calling from this IP address.
    pub fn from_ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.to_owned());
        self
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(o) = &self.origin {
            r = r.header("origin", o);
        }
        if let Some(ip) = &self.ip {
            r = r.header("cf-connecting-ip", ip);
        }
        r
    }

    pub(crate) async fn reply(r: reqwest::RequestBuilder) -> Reply {
        let resp = r.send().await.expect("the edge answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut r = self.request(reqwest::Method::GET, path);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        Self::reply(r).await
    }

    pub async fn options(&self, path: &str) -> Reply {
        Self::reply(
            self.request(reqwest::Method::OPTIONS, path)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type,authorization"),
        )
        .await
    }

    /// POSTs raw bytes with a content type, for the bad-input cases.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>, token: Option<&str>) -> Reply {
        let mut r = self.request(reqwest::Method::POST, path).header("content-type", content_type).body(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        Self::reply(r).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        self.post_raw(path, "application/json", body.to_string().into_bytes(), token).await
    }

    pub async fn config(&self, site: &str) -> Reply {
        self.get(&format!("/v1/widget/config?site={site}"), None).await
    }

    /// The launcher's look for a page whose tag has the attributes in `tag` (`&color=…`), for
    /// a browser that accepts `languages`.
    pub async fn look(&self, site: &str, tag: &str, languages: &str) -> Reply {
        let r = self.request(reqwest::Method::GET, &format!("/v1/widget/look?site={site}{tag}"));
        Self::reply(r.header("accept-language", languages)).await
    }

    /// The tag's script for `site` (`/v1/widget.js`) as a browser on a page of this client's
    /// origin asks for it: without an Origin, naming the page in its Referer.
    pub async fn script(&self, site: &str, languages: &str) -> Script {
        let mut r =
            self.http.get(format!("{}/v1/widget.js?site={site}", self.base)).header("accept-language", languages);
        if let Some(o) = &self.origin {
            r = r.header("referer", format!("{o}/pricing"));
        }
        let resp = r.send().await.expect("the edge answers");
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        Script { status, headers, text: resp.text().await.expect("a body") }
    }

    /// Opens a conversation and insists that it worked.
    pub async fn open(&self, site: &str, visitor: &str) -> ConversationCreated {
        let mut body = serde_json::json!({"site": site, "visitor_id": visitor});
        if let Some(origin) = &self.origin {
            body["page_url"] = format!("{origin}/pricing").into();
        }
        let r = self.post_json("/v1/conversations", &body, None).await;
        assert_eq!(r.status, 201, "open conversation: {:?}", r.body);
        serde_json::from_value(r.body).expect("conversation_id and token")
    }

    pub async fn history(&self, c: &ConversationCreated) -> Reply {
        self.get(&format!("/v1/conversations/{}/messages", c.conversation_id), Some(&c.token)).await
    }

    /// Sends a message, reads until the first token, then goes away as a closed tab would.
    pub async fn send_and_leave(&self, conversation_id: &str, token: &str, content: &str) -> String {
        self.read_and_leave(conversation_id, token, content, None, 1).await
    }

    /// Sends a message, reads `tokens` tokens of the reply, then goes away; the text it read.
    pub async fn read_and_leave(
        &self,
        conversation_id: &str,
        token: &str,
        content: &str,
        client_id: Option<&str>,
        tokens: usize,
    ) -> String {
        let resp = self.start_message(conversation_id, token, content, client_id).await;
        let mut decoder = SseDecoder::new();
        let mut body = resp.bytes_stream();
        let (mut text, mut read) = (String::new(), 0);
        while let Some(chunk) = body.next().await {
            for frame in decoder.push(&chunk.expect("the stream reads without error")) {
                if let Some(StreamEvent::Token { delta }) = StreamEvent::from_frame(&frame) {
                    text.push_str(&delta);
                    read += 1;
                    if read == tokens {
                        return text;
                    }
                }
            }
        }
        panic!("the stream ended after {read} of {tokens} tokens");
    }

    /// Asks the edge to stop the reply to the message named `client_id`.
    pub async fn stop(&self, conversation_id: &str, token: &str, client_id: &str) -> Reply {
        let body = serde_json::json!({"client_message_id": client_id});
        self.post_json(&format!("/v1/conversations/{conversation_id}/stop"), &body, Some(token)).await
    }

    async fn start_message(
        &self,
        conversation_id: &str,
        token: &str,
        content: &str,
        client_id: Option<&str>,
    ) -> reqwest::Response {
        let mut body = serde_json::json!({"content": content});
        if let Some(id) = client_id {
            body["client_message_id"] = id.into();
        }
        self.request(reqwest::Method::POST, &format!("/v1/conversations/{conversation_id}/messages"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the edge answers")
    }

    /// Sends a message and reads the streamed answer to its end.
    pub async fn send(&self, conversation_id: &str, token: &str, content: &str) -> Stream {
        self.send_as(conversation_id, token, content, None).await
    }

    /// Sends a message the widget named `client_id` and reads the answer to its end.
    pub async fn send_as(&self, conversation_id: &str, token: &str, content: &str, client_id: Option<&str>) -> Stream {
        let resp = self.start_message(conversation_id, token, content, client_id).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let is_stream = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            let body = resp.json().await.unwrap_or(Value::Null);
            return Stream { status, headers, events: Vec::new(), body };
        }
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.expect("the stream reads without error");
            let now = Instant::now();
            for frame in decoder.push(&chunk) {
                let event = StreamEvent::from_frame(&frame).unwrap_or_else(|| panic!("unexpected frame {frame:?}"));
                events.push((now, event));
            }
        }
        Stream { status, headers, events, body: Value::Null }
    }
}

/// A site owner's client of the admin API, with one API key.
pub struct Admin {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Admin {
    pub fn new(base: &str, key: &str) -> Self {
        Self { base: base.to_owned(), key: key.to_owned(), http: reqwest::Client::new() }
    }

    /// Any method, with the key, and a JSON body if given.
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.call_with_auth(method, path, body, Some(&format!("Bearer {}", self.key))).await
    }

    /// Any method with exactly this `Authorization` header (or none).
    pub async fn call_with_auth(&self, method: &str, path: &str, body: Option<&Value>, auth: Option<&str>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        Api::reply(r).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call("POST", path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.call("PATCH", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None).await
    }
}

/// A person using the API as the console does: signed in with the session cookie the edge set,
/// calling from the edge's own origin (or another, to play a foreign page), acting for one
/// organization when they belong to several.
pub struct Person {
    base: String,
    origin: Option<String>,
    organization: Option<String>,
    ip: String,
    cookie: std::sync::Mutex<Option<String>>,
    http: reqwest::Client,
}

impl Person {
    /// Not signed in yet; from the edge's own origin and the address `ip`.
    pub fn new(base: &str, ip: &str) -> Self {
        Self {
            base: base.to_owned(),
            origin: Some(base.to_owned()),
            organization: None,
            ip: ip.to_owned(),
            cookie: std::sync::Mutex::new(None),
            http: reqwest::Client::new(),
        }
    }

    /// The same session, calling with this `Origin` (or none).
    pub fn from_origin(&self, origin: Option<&str>) -> Self {
        Self { origin: origin.map(str::to_owned), ..self.same_session() }
    }

    /// The same session, acting for this organization (`X-Organization-Id`).
    pub fn acting_for(&self, organization: &str) -> Self {
        Self { organization: Some(organization.to_owned()), ..self.same_session() }
    }

    fn same_session(&self) -> Self {
        Self {
            base: self.base.clone(),
            origin: self.origin.clone(),
            organization: self.organization.clone(),
            ip: self.ip.clone(),
            cookie: std::sync::Mutex::new(self.cookie()),
            http: self.http.clone(),
        }
    }

    /// The session cookie (`name=value`) the edge set last, if any.
    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().ok().and_then(|c| c.clone())
    }

    pub fn set_cookie(&self, cookie: Option<String>) {
        if let Ok(mut c) = self.cookie.lock() {
            *c = cookie;
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut r = self.http.request(method, format!("{}{path}", self.base)).header("cf-connecting-ip", &self.ip);
        if let Some(o) = &self.origin {
            r = r.header("origin", o);
        }
        if let Some(org) = &self.organization {
            r = r.header("x-organization-id", org);
        }
        if let Some(c) = self.cookie() {
            r = r.header("cookie", c);
        }
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        let reply = Api::reply(r).await;
        if let Some(set) = reply.header("set-cookie") {
            // `name=value; attributes`: an empty value clears it.
            let pair = set.split(';').next().unwrap_or_default().trim().to_owned();
            self.set_cookie(pair.split_once('=').filter(|(_, v)| !v.is_empty()).map(|_| pair.clone()));
        }
        reply
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call("POST", path, Some(body)).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/v1/auth/login", &serde_json::json!({"email": email, "password": password})).await
    }
}
