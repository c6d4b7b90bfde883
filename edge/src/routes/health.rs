//! `GET /healthz`

use worker::Response;

use crate::error::EdgeResult;
use crate::http;

pub fn get() -> EdgeResult<Response> {
    http::json(200, &serde_json::json!({"status": "ok"}))
}
