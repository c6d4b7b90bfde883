//! The console's one way to the edge: the public `/v1/auth` and `/v1/admin` API on the
//! console's own origin, signed in by the session cookie the browser sends by itself. Anything
//! the console does, a script with an API key can do through the same routes.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use shared::{ErrorBody, ErrorCode};

thread_local! {
    /// The organization the switcher chose; sent as `X-Organization-Id` to every admin route.
    static ORGANIZATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn set_organization(id: Option<String>) {
    ORGANIZATION.with(|o| *o.borrow_mut() = id);
}

/// What went wrong, in words a person can act on: the edge's own message when it sent one.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: Option<ErrorCode>,
    pub message: String,
}

impl ApiError {
    fn unreachable(detail: impl std::fmt::Display) -> Self {
        Self { status: 0, code: None, message: format!("The server could not be reached ({detail}). Try again.") }
    }

    /// The session ended (expired, signed out elsewhere): the console asks to sign in again.
    pub fn signed_out(&self) -> bool {
        self.code == Some(ErrorCode::NotSignedIn)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

fn request(method: Method, path: &str) -> RequestBuilder {
    let mut builder = RequestBuilder::new(path).method(method);
    if let Some(org) = ORGANIZATION.with(|o| o.borrow().clone()) {
        builder = builder.header("x-organization-id", &org);
    }
    builder
}

async fn answer(sent: Result<gloo_net::http::Response, gloo_net::Error>) -> ApiResult<String> {
    let response = sent.map_err(ApiError::unreachable)?;
    let status = response.status();
    let text = response.text().await.map_err(ApiError::unreachable)?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    Err(match parse::<ErrorBody>(&text) {
        Ok(body) => ApiError { status, code: Some(body.error.code), message: body.error.message },
        Err(_) => ApiError { status, code: None, message: format!("The server answered {status}.") },
    })
}

/// JSON text as `T`, through a parsed `Value`: each answer type then gets a deserialiser over the
/// parsed tree rather than one with the text's parser inlined, which measured 9 KB less console
/// wasm (3 KB brotli). An empty answer (204) reads as null, so `()` and `Option` callers get theirs.
fn parse<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    T::deserialize(&tree(text)?)
}

fn tree(text: &str) -> serde_json::Result<Value> {
    if text.is_empty() {
        Ok(Value::Null)
    } else {
        serde_json::from_str(text)
    }
}

fn not_understood(e: serde_json::Error) -> ApiError {
    ApiError { status: 200, code: None, message: format!("The server's answer was not understood: {e}") }
}

fn read<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    parse(text).map_err(not_understood)
}

/// The edge's answer at a path, fetched again whenever what the path was made from changes (the
/// organization, a reload counter, a filter), and read as `T` where it is shown. Every page's
/// answers share one kind of resource, of parsed JSON: a `LocalResource` per answer type
/// repeated Leptos's async machinery for each: about 15 KB brotli of the first load in all.
pub struct Answer<T> {
    tree: LocalResource<ApiResult<Rc<Value>>>,
    as_type: PhantomData<fn() -> T>,
}

impl<T> Clone for Answer<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Answer<T> {}

impl<T: DeserializeOwned> Answer<T> {
    pub fn new(path: impl Fn() -> String + 'static) -> Self {
        Answer { tree: tree_at(Box::new(path)), as_type: PhantomData }
    }

    /// The answer (tracked), or `None` while it is on its way.
    pub fn get(&self) -> Option<ApiResult<T>> {
        self.tree.get().map(|r| r.and_then(|tree| T::deserialize(&*tree).map_err(not_understood)))
    }

    pub fn get_untracked(&self) -> Option<ApiResult<T>> {
        untrack(|| self.get())
    }
}

fn tree_at(path: Box<dyn Fn() -> String>) -> LocalResource<ApiResult<Rc<Value>>> {
    LocalResource::new(move || {
        let path = path();
        async move {
            let text = answer(request(Method::GET, &path).send().await).await?;
            tree(&text).map(Rc::new).map_err(not_understood)
        }
    })
}

pub async fn get<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    read(&answer(request(Method::GET, path).send().await).await?)
}

/// A change: `body` as JSON, or none.
pub async fn send<B: Serialize, T: DeserializeOwned>(method: Method, path: &str, body: Option<&B>) -> ApiResult<T> {
    let builder = request(method, path);
    let sent = match body {
        Some(body) => builder.json(body).map_err(ApiError::unreachable)?.send().await,
        None => builder.send().await,
    };
    read(&answer(sent).await?)
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    send(Method::POST, path, Some(body)).await
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    send(Method::PATCH, path, Some(body)).await
}

pub async fn delete(path: &str) -> ApiResult<serde_json::Value> {
    send::<(), _>(Method::DELETE, path, None).await
}

/// Every item a list's filters select, page after page: `page(cursor)` is one page's path.
pub async fn all_pages<T: DeserializeOwned>(page: impl Fn(&str) -> String) -> ApiResult<Vec<T>> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let p: shared::admin::Page<T> = get(&page(&cursor)).await?;
        all.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = c,
            None => return Ok(all),
        }
    }
}

/// A query string from its pairs, leaving out empty values.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect();
    if encoded.is_empty() {
        String::new()
    } else {
        format!("?{}", encoded.join("&"))
    }
}
