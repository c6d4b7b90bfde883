//! `GET /v1/openapi.json`: the API's OpenAPI 3.1 description, kept equal to the route table
//! by a test in `table`.

use worker::Response;

use crate::error::EdgeResult;
use crate::http::CorsGrant;

pub const DOCUMENT: &str = include_str!("../../openapi.json");

pub fn get(cors: &mut CorsGrant) -> EdgeResult<Response> {
    // Public documentation: any page may read it.
    cors.allow(Some("*".to_owned()));
    let mut resp = Response::ok(DOCUMENT)?;
    resp.headers_mut().set("content-type", "application/json")?;
    resp.headers_mut().set("cache-control", "public, max-age=300")?;
    Ok(resp)
}
