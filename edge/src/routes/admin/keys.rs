//! `/v1/admin/keys`: the organization's API keys. A new key's secret is in the creation answer
//! and nowhere else, ever.

use shared::admin::{ApiKeyCreated, CreateApiKey, MAX_NAME_CHARS};
use shared::ErrorCode;
use worker::{Request, Response};

use super::{invalid, items};
use crate::api_key::MintedKey;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::ApiKeyId;
use crate::store::OrgStore;

pub async fn list(store: &OrgStore) -> EdgeResult<Response> {
    items(store.api_keys().await?)
}

pub async fn create(req: &mut Request, store: &OrgStore) -> EdgeResult<Response> {
    let body: CreateApiKey = http::read_json(req).await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!("name must be 1 to {MAX_NAME_CHARS} characters")));
    }
    let key = MintedKey::generate().map_err(EdgeError::internal)?;
    let view = store.create_api_key(name, &key).await?;
    http::json(201, &ApiKeyCreated { key: view, secret: key.secret })
}

pub async fn revoke(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let not_found = || EdgeError::new(ErrorCode::ApiKeyNotFound, "No such API key.");
    let id = ApiKeyId::parse(id).ok_or_else(not_found)?;
    let view = store.revoke_api_key(id).await?.ok_or_else(not_found)?;
    http::json(200, &view)
}
