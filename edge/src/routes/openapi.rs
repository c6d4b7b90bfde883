//! `GET /v1/openapi.json`: the API's OpenAPI 3.1 description, kept equal to the route table by
//! a test in `table`. It is a static file of the assets directory (`dev/build` puts it there),
//! served before the worker runs, so the worker's module does not carry its 117 KB; a request
//! for it reaches the worker only if the assets lack it.

use shared::ErrorCode;
use worker::Response;

use crate::error::{EdgeError, EdgeResult};

#[cfg(test)]
pub const DOCUMENT: &str = include_str!("../../openapi.json");

pub fn get() -> EdgeResult<Response> {
    Err(EdgeError::new(
        ErrorCode::NotFound,
        "The OpenAPI document is served from the assets directory, which lacks it: run dev/build.",
    ))
}
