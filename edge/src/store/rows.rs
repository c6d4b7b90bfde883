//! Rows as D1 returns them, and their conversion into checked domain values.

use serde::Deserialize;
use shared::{Hostname, WidgetConfig};

use crate::error::{log_error, EdgeError, EdgeResult};
use crate::ids::{DomainId, OrgId};
use crate::tenancy::Domain;
use shared::limits::LimitsConfig;
use shared::provider::LlmConfig;

#[derive(Deserialize)]
pub struct DomainRow {
    id: String,
    organization_id: String,
    hostname: String,
    active: i64,
    config: String,
    system_prompt: String,
    llm: String,
    limits: String,
    updated_at: i64,
    aliases: Option<String>,
}

impl DomainRow {
    pub fn into_domain(self) -> EdgeResult<Domain> {
        let id =
            DomainId::parse(&self.id).ok_or_else(|| EdgeError::internal(format!("bad domain id {:?}", self.id)))?;
        let organization_id = OrgId::parse(&self.organization_id)
            .ok_or_else(|| EdgeError::internal(format!("bad organization id on domain {id}")))?;
        let aliases: Vec<String> = match self.aliases.as_deref() {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| EdgeError::internal(format!("domain {id}: aliases unreadable: {e}")))?,
            None => Vec::new(),
        };
        let hostnames = std::iter::once(self.hostname)
            .chain(aliases)
            .filter_map(|h| match Hostname::parse(&h) {
                Ok(h) => Some(h),
                Err(e) => {
                    log_error(&format!("domain {id}: stored hostname skipped: {e}"));
                    None
                }
            })
            .collect();
        // A broken config must not take the site down: fall back to defaults, and say so in the log.
        let config = serde_json::from_str::<WidgetConfig>(&self.config).unwrap_or_else(|e| {
            log_error(&format!("domain {id}: config unreadable, using defaults: {e}"));
            WidgetConfig::default()
        });
        let llm = serde_json::from_str::<LlmConfig>(&self.llm).unwrap_or_else(|e| {
            log_error(&format!("domain {id}: llm settings unreadable, using defaults: {e}"));
            LlmConfig::default()
        });
        let limits = serde_json::from_str::<LimitsConfig>(&self.limits).unwrap_or_else(|e| {
            log_error(&format!("domain {id}: limits unreadable, using defaults: {e}"));
            LimitsConfig::default()
        });
        Ok(Domain {
            id,
            organization_id,
            hostnames,
            active: self.active == 1,
            config,
            system_prompt: self.system_prompt,
            llm,
            limits,
            version: self.updated_at,
        })
    }
}
