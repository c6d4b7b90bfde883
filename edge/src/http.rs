//! HTTP plumbing shared by the routes: reading JSON bodies within limits, writing JSON and
//! error responses, and CORS for the one origin a request was admitted from.

use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::error::ErrorCode;
use shared::limits::MAX_BODY_BYTES;
use worker::{Request, Response};

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

/// The request's `Origin` header, if any.
pub fn origin(req: &Request) -> Option<String> {
    req.headers().get("origin").ok().flatten()
}

/// The caller's IP address as Cloudflare reports it (`CF-Connecting-IP`, which clients cannot
/// set on Cloudflare), or `unknown`, which then shares one allowance.
pub fn client_ip(req: &Request) -> String {
    header(req, "cf-connecting-ip")
        .filter(|ip| !ip.is_empty() && ip.len() <= 64)
        .unwrap_or_else(|| "unknown".to_owned())
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
    let bytes = req.bytes().await?;
    if bytes.len() > max_bytes {
        return Err(too_large());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| EdgeError::new(ErrorCode::InvalidJson, format!("The body is not the expected JSON: {e}.")))
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
