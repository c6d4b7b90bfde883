//! API keys: looked up by hash before the owner is known, managed by owners.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::keys::ApiKeyView;
use shared::MemberRole;

use super::{bind, int, text, Directory, OrgStore};
use crate::api_key::MintedKey;
use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::ids::{ApiKeyId, OrgId};
use crate::tenancy::KeyRecord;

impl Directory {
    /// The API key with this hash, revoked or not.
    pub async fn api_key_by_hash(&self, hash: &str) -> EdgeResult<Option<KeyRecord>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            organization_id: String,
            role: String,
            revoked_at: Option<i64>,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT id, organization_id, role, revoked_at FROM api_keys WHERE key_hash = ?1",
            &[text(hash)],
        )?
        .first(None)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (Some(id), Some(organization_id)) = (ApiKeyId::parse(&row.id), OrgId::parse(&row.organization_id)) else {
            return Err(EdgeError::internal(format!("api key {:?}: malformed ids", row.id)));
        };
        let role = MemberRole::parse(&row.role).map_err(EdgeError::internal)?;
        Ok(Some(KeyRecord { id, organization_id, role, revoked: row.revoked_at.is_some() }))
    }
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    role: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// The columns of a [`KeyRow`].
const KEY_COLUMNS: &str = "id, name, prefix, role, created_at, last_used_at, revoked_at";

impl TryFrom<KeyRow> for ApiKeyView {
    type Error = EdgeError;

    fn try_from(r: KeyRow) -> EdgeResult<Self> {
        Ok(Self {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            role: MemberRole::parse(&r.role).map_err(EdgeError::internal)?,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

impl OrgStore {
    pub async fn api_keys(&self) -> EdgeResult<Vec<ApiKeyView>> {
        let rows: Vec<KeyRow> = bind(
            &self.db,
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = ?1 ORDER BY created_at DESC, id DESC"),
            &[self.org()],
        )?
        .all()
        .await?
        .results()?;
        rows.into_iter().map(ApiKeyView::try_from).collect()
    }

    pub async fn create_api_key(&self, name: &str, role: MemberRole, key: &MintedKey) -> EdgeResult<ApiKeyView> {
        let id = ApiKeyId::generate();
        let now = now_ms();
        let insert = bind(
            &self.db,
            "INSERT INTO api_keys (id, organization_id, name, key_hash, prefix, role, created_at) \
             VALUES (?2, ?1, ?3, ?4, ?5, ?6, ?7)",
            &[
                self.org(),
                text(&id.to_string()),
                text(name),
                text(&key.hash),
                text(&key.prefix),
                text(role.as_str()),
                int(now),
            ],
        )?;
        self.db
            .batch(vec![insert, self.audit_if_changed(AuditAction::KeyCreate, Some(("key", &id.to_string())))?])
            .await?;
        Ok(ApiKeyView {
            id: id.to_string(),
            name: name.to_owned(),
            prefix: key.prefix.clone(),
            role,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        })
    }

    pub async fn api_key(&self, id: ApiKeyId) -> EdgeResult<Option<ApiKeyView>> {
        let row: Option<KeyRow> = bind(
            &self.db,
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = ?1 AND id = ?2"),
            &[self.org(), text(&id.to_string())],
        )?
        .first(None)
        .await?;
        row.map(ApiKeyView::try_from).transpose()
    }

    /// Revokes the key (a second revocation keeps the first time). `None` if there is no such key.
    pub async fn revoke_api_key(&self, id: ApiKeyId) -> EdgeResult<Option<ApiKeyView>> {
        let id = id.to_string();
        let results = self
            .db
            .batch(vec![
                bind(
                    &self.db,
                    "UPDATE api_keys SET revoked_at = ?3 WHERE organization_id = ?1 AND id = ?2 AND revoked_at IS NULL",
                    &[self.org(), text(&id), int(now_ms())],
                )?,
                self.audit_if_changed(AuditAction::KeyRevoke, Some(("key", &id)))?,
                bind(
                    &self.db,
                    &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = ?1 AND id = ?2"),
                    &[self.org(), text(&id)],
                )?,
            ])
            .await?;
        let row = results.last().map(|r| r.results::<KeyRow>()).transpose()?.and_then(|r| r.into_iter().next());
        row.map(ApiKeyView::try_from).transpose()
    }
}

impl Directory {
    /// Notes that the key was used; written at most once a minute per key.
    pub async fn touch_api_key(&self, org: OrgId, id: ApiKeyId) -> EdgeResult<()> {
        let now = now_ms();
        bind(
            &self.db,
            "UPDATE api_keys SET last_used_at = ?3 WHERE organization_id = ?1 AND id = ?2 \
             AND (last_used_at IS NULL OR last_used_at < ?3 - 60000)",
            &[text(&org.to_string()), text(&id.to_string()), int(now)],
        )?
        .run()
        .await?;
        Ok(())
    }
}
