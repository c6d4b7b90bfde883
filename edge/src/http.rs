//! HTTP plumbing shared by the routes: reading JSON bodies within limits, writing JSON and
//! error responses, and CORS for the one origin a request was admitted from.

use std::net::IpAddr;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::error::{ErrorCode, Refused};
use shared::limits::MAX_BODY_BYTES;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Request, Response};

use crate::error::{EdgeError, EdgeResult};

pub fn json<T: Serialize>(status: u16, body: &T) -> EdgeResult<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

pub fn error(e: &EdgeError) -> Response {
    let mut resp = json(e.status(), &e.body())
        .unwrap_or_else(|_| Response::empty().map(|r| r.with_status(500)).expect("an empty response"));
    if let Some(seconds) = e.retry_after {
        let _ = resp.headers_mut().set("retry-after", &seconds.to_string());
    }
    resp
}

/// A subrequest's whole body as text, read by the runtime in one call (`text()` of the JS
/// Response worker makes around the same body). worker's `Response::text` reads it through a
/// stream reader instead: a call into JS and a wake-up per chunk, and a lock released at the
/// end, which every visitor message paid on both of the meter's replies.
pub async fn body_text(resp: Response) -> EdgeResult<String> {
    let resp: web_sys::Response = resp.into();
    let reading = resp.text().map_err(worker::Error::from)?;
    let text = JsFuture::from(reading).await.map_err(worker::Error::from)?;
    text.as_string().ok_or_else(|| EdgeError::internal("a response body that was not text"))
}

/// The languages of an `Accept-Language` header (`de-CH, de;q=0.9, en;q=0.5`) in its order,
/// which browsers write most wanted first, without those it refuses (`q=0`). Reading the weights
/// as numbers would bring float parsing into the worker for no browser's sake.
pub fn languages_by_preference(header: &str) -> Vec<&str> {
    header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';').map(str::trim);
            let tag = pieces.next().filter(|t| !t.is_empty() && *t != "*")?;
            let refused = pieces
                .filter_map(|p| p.strip_prefix("q="))
                .any(|q| q.trim_start_matches('0').trim_start_matches('.').trim_start_matches('0').is_empty());
            (!refused).then_some(tag)
        })
        .collect()
}

/// The request's `Origin` header, if any.
pub fn origin(req: &Request) -> Option<String> {
    req.headers().get("origin").ok().flatten()
}

/// The allowance the caller's address counts against, from the address Cloudflare reports
/// (`CF-Connecting-IP`, which clients cannot set on Cloudflare): see [`address_key`]. Without a
/// usable address, `unknown`, which then shares one allowance.
pub fn client_ip(req: &Request) -> String {
    header(req, "cf-connecting-ip").and_then(|ip| address_key(&ip)).unwrap_or_else(|| "unknown".to_owned())
}

/// An IPv4 address counts alone; an IPv6 address by its /64, the block one subscriber or one
/// server usually holds, whose 2^64 addresses would otherwise each get their own allowance.
pub fn address_key(raw: &str) -> Option<String> {
    match raw.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(v4.to_string()),
        IpAddr::V6(v6) => Some(match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }),
    }
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads a JSON body of type `T`: `application/json`, at most [`MAX_BODY_BYTES`], well-formed.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> EdgeResult<T> {
    read_json_within(req, MAX_BODY_BYTES).await
}

/// [`read_json`] with another size limit.
pub async fn read_json_within<T: DeserializeOwned>(req: &mut Request, max_bytes: usize) -> EdgeResult<T> {
    let content_type = header(req, "content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(EdgeError::new(ErrorCode::UnsupportedMediaType, "Send the body as application/json."));
    }
    let too_large = || EdgeError::new(ErrorCode::BodyTooLarge, format!("The body may be at most {max_bytes} bytes."));
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(too_large());
    }
    // Counted while read: a chunked body declares no length, and must not be buffered whole.
    let mut body = req.stream()?;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    // Every body is an object; serde would also read a struct from an array of its fields.
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(invalid_json)?;
    if !value.is_object() {
        return Err(invalid_json("it must be a JSON object"));
    }
    from_json_value(value)
}

/// A body already read as JSON, as `T`. A typed field that refuses its value answers with the
/// value's own code and message (`message_empty`, `invalid_field`: …); any other misfit is
/// `invalid_json`.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> EdgeResult<T> {
    serde_json::from_value(value).map_err(|e| match Refused::read(&e.to_string()) {
        Some(refused) => EdgeError::new(refused.code, refused.message),
        None => invalid_json(e),
    })
}

fn invalid_json(e: impl std::fmt::Display) -> EdgeError {
    EdgeError::new(ErrorCode::InvalidJson, format!("The body is not the expected JSON: {e}."))
}

/// Which origin, if any, may read this response. Set once the request's origin is admitted,
/// so errors after that point are readable by the widget and errors before it are not.
#[derive(Default)]
pub struct CorsGrant(Option<String>);

impl CorsGrant {
    pub fn allow(&mut self, origin: Option<String>) {
        self.0 = origin;
    }

    pub fn apply(&self, mut resp: Response) -> Response {
        let headers = resp.headers_mut();
        let _ = headers.append("vary", "Origin");
        if let Some(origin) = &self.0 {
            let _ = headers.set("access-control-allow-origin", origin);
            let _ = headers.set("access-control-max-age", "600");
            let _ = headers.set("access-control-allow-methods", "GET, POST, OPTIONS");
            let _ = headers.set("access-control-allow-headers", "Content-Type, Authorization");
            let _ = headers.set("access-control-expose-headers", "Retry-After");
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any header gives tags that stand in it, trimmed and in its order.
        #[test]
        fn any_accept_language_gives_its_own_tags_in_order(header in ".{0,60}") {
            let tags = languages_by_preference(&header);
            let mut rest = header.as_str();
            for tag in tags {
                proptest::prop_assert!(!tag.is_empty() && tag == tag.trim() && !tag.contains([',', ';']));
                let at = rest.find(tag);
                proptest::prop_assert!(at.is_some(), "{tag:?} in {header:?}");
                rest = &rest[at.unwrap_or(0) + tag.len()..];
            }
        }
    }

    #[test]
    fn accepted_languages_come_most_wanted_first() {
        assert_eq!(languages_by_preference("de-CH,de;q=0.9,en;q=0.8"), ["de-CH", "de", "en"]);
        assert_eq!(languages_by_preference("es, en;q=0.5, fr;q=0, pt;q=0.000, *;q=0.1"), ["es", "en"]);
        assert_eq!(languages_by_preference("ar;q=0.7,de;q=0.07,,"), ["ar", "de"]);
        assert!(languages_by_preference("").is_empty());
    }

    #[test]
    fn a_typed_field_answers_with_its_own_code_and_a_misfit_body_with_invalid_json() {
        use serde_json::json;
        use shared::admin::domains::CreateDomain;
        use shared::MessageText;
        let code = |r: EdgeResult<CreateDomain>| r.map(|_| ()).map_err(|e| (e.code, e.message));
        let (c, message) = code(from_json_value(json!({"hostname": "not a host"}))).unwrap_err();
        assert_eq!(c, ErrorCode::InvalidField);
        assert!(message.starts_with("hostname \"not a host\""), "{message}");
        let (c, _) = code(from_json_value(json!({"hostname": "ok.test", "aliases": ["bücher.test"]}))).unwrap_err();
        assert_eq!(c, ErrorCode::InvalidField);
        assert_eq!(code(from_json_value(json!({"hostname": 42}))).unwrap_err().0, ErrorCode::InvalidJson);
        assert_eq!(
            code(from_json_value(json!({"hostname": "ok.test", "x": 1}))).unwrap_err().0,
            ErrorCode::InvalidJson
        );
        let d: CreateDomain = from_json_value(json!({"hostname": "Ok.Test.", "aliases": ["www.ok.test"]})).unwrap();
        assert_eq!((d.hostname.as_str(), d.aliases[0].as_str()), ("ok.test", "www.ok.test"));
        let empty = from_json_value::<MessageText>(json!(" ")).unwrap_err();
        assert_eq!((empty.code, empty.status()), (ErrorCode::MessageEmpty, 400));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_ipv4_ones_alone() {
        assert_eq!(address_key("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(address_key("2001:db8:aa:bb::1").as_deref(), Some("2001:db8:aa:bb::/64"));
        assert_eq!(address_key("2001:DB8:AA:BB:ffff:1:2:3").as_deref(), Some("2001:db8:aa:bb::/64"));
        assert_ne!(address_key("2001:db8:aa:bc::1"), address_key("2001:db8:aa:bb::1"));
        assert_eq!(address_key("::ffff:203.0.113.7").as_deref(), Some("203.0.113.7"), "IPv4 written as IPv6");
        for bad in ["", "unknown", "1.2.3", "2001:db8::zz", "203.0.113.7, 10.0.0.1"] {
            assert_eq!(address_key(bad), None, "{bad:?}");
        }
    }
}
