//! `/v1/admin/keys`: the organization's API keys. A new key's secret is in the creation answer
//! and nowhere else, ever.

use shared::admin::check_name;
use shared::admin::keys::{ApiKeyCreated, CreateApiKey};
use shared::{ErrorCode, MemberRole};
use worker::{Request, Response};

use super::{body, items};
use crate::api_key::MintedKey;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::ApiKeyId;
use crate::store::OrgStore;
use crate::tenancy::{forbidden, Owner};

pub async fn list(store: &OrgStore) -> EdgeResult<Response> {
    items(store.api_keys().await?)
}

pub async fn create(req: &mut Request, store: &OrgStore, owner: &Owner) -> EdgeResult<Response> {
    let body: CreateApiKey = body(req).await?;
    let name = body.name.trim();
    check_name("name", name)?;
    let role = body.role.unwrap_or(MemberRole::Admin);
    // A key can do what its role can: nobody mints one that outranks them.
    if role < owner.role() {
        return Err(forbidden(format!("Your role ({}) may not mint a key with the {role} role.", owner.role())));
    }
    let key = MintedKey::generate().map_err(EdgeError::internal)?;
    let view = store.create_api_key(name, role, &key).await?;
    http::json(201, &ApiKeyCreated { key: view, secret: key.secret })
}

/// Revokes a key; only an owner revokes an owner's key.
pub async fn revoke(store: &OrgStore, owner: &Owner, id: &str) -> EdgeResult<Response> {
    let not_found = || EdgeError::new(ErrorCode::ApiKeyNotFound, "No such API key.");
    let id = ApiKeyId::parse(id).ok_or_else(not_found)?;
    let key = store.api_key(id).await?.ok_or_else(not_found)?;
    if key.role < owner.role() {
        return Err(forbidden(format!(
            "Your role ({}) may not revoke a key with the {} role.",
            owner.role(),
            key.role
        )));
    }
    let view = store.revoke_api_key(id).await?.ok_or_else(not_found)?;
    http::json(200, &view)
}
