//! Domains (sites): looked up for visitors, managed by owners.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::domains::{DomainView, Verification, VerificationMethod};
use shared::limits::LimitsConfig;
use shared::provider::LlmConfig;
use shared::{ErrorCode, Hostname, SiteKey, WidgetConfig};
use worker::D1PreparedStatement;

use super::{bind, changed, int, opt_int, opt_text, text, Directory, OrgStore};
use crate::clock::now_ms;
use crate::error::{log_error, EdgeError, EdgeResult};
use crate::ids::{DomainId, OrgId};
use crate::tenancy::Domain;

/// A domain's row with its aliases, as [`DomainRow`] reads it, from `domains d`.
const DOMAIN_COLUMNS: &str = "d.id, d.organization_id, d.hostname, d.site_key, d.name, d.active, d.config, \
     d.system_prompt, d.llm, d.limits, d.verification_token, d.verified_at, d.verified_by, \
     d.verification_checked_at, d.verification_error, d.created_at, d.updated_at, \
     (SELECT json_group_array(a.hostname) FROM domain_aliases a \
      WHERE a.organization_id = d.organization_id AND a.domain_id = d.id) AS aliases";

impl Directory {
    pub async fn domain_by_site_key(&self, key: &SiteKey) -> EdgeResult<Option<Domain>> {
        let sql = format!("SELECT {DOMAIN_COLUMNS} FROM domains d WHERE d.site_key = ?1");
        let row = bind(&self.db, &sql, &[text(key.as_str())])?.first::<DomainRow>(None).await?;
        row.map(DomainRow::into_domain).transpose()
    }

    /// Only for a domain id taken from a verified conversation token.
    pub async fn domain_by_id(&self, id: DomainId) -> EdgeResult<Option<Domain>> {
        let sql = format!("SELECT {DOMAIN_COLUMNS} FROM domains d WHERE d.id = ?1");
        let row = bind(&self.db, &sql, &[text(&id.to_string())])?.first::<DomainRow>(None).await?;
        row.map(DomainRow::into_domain).transpose()
    }

    /// Whether some active domain answers for this hostname (CORS preflight, which carries no key).
    pub async fn serves_hostname(&self, host: &Hostname) -> EdgeResult<bool> {
        let sql = "SELECT 1 AS hit FROM domains WHERE hostname = ?1 AND active = 1 \
                   UNION ALL \
                   SELECT 1 FROM domain_aliases a JOIN domains d \
                     ON d.id = a.domain_id AND d.organization_id = a.organization_id \
                   WHERE a.hostname = ?1 AND d.active = 1 LIMIT 1";
        let hit = bind(&self.db, sql, &[text(host.as_str())])?.first::<i64>(Some("hit")).await?;
        Ok(hit.is_some())
    }
}

/// A domain as the owner creates it, already checked.
pub struct NewDomain<'a> {
    pub hostname: &'a Hostname,
    pub aliases: &'a [Hostname],
    pub site_key: &'a str,
    pub name: &'a str,
    pub active: bool,
    pub config: &'a WidgetConfig,
    pub system_prompt: &'a str,
    pub llm: &'a LlmConfig,
    pub limits: &'a LimitsConfig,
}

/// Changes to a domain, already checked; `None` leaves a field as it is.
#[derive(Default)]
pub struct DomainChanges {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub config: Option<WidgetConfig>,
    pub system_prompt: Option<String>,
    pub llm: Option<LlmConfig>,
    pub limits: Option<LimitsConfig>,
    /// Replaces the domain's aliases.
    pub aliases: Option<Vec<Hostname>>,
}

fn json(value: &impl serde::Serialize) -> EdgeResult<String> {
    serde_json::to_string(value).map_err(EdgeError::internal)
}

/// D1 reports a taken hostname as a unique-constraint or trigger failure.
fn taken_or(e: worker::Error) -> EdgeError {
    let m = e.to_string();
    if m.contains("UNIQUE constraint failed") || m.contains("already belongs to a domain") {
        EdgeError::new(
            ErrorCode::HostnameTaken,
            "This organization already has a site with this hostname (or one of the aliases).",
        )
    } else {
        e.into()
    }
}

/// A domain as D1 returns it, for visitors ([`DomainRow::into_domain`]) and owners
/// ([`DomainRow::into_view`]) alike.
#[derive(Deserialize)]
struct DomainRow {
    id: String,
    organization_id: String,
    hostname: String,
    aliases: Option<String>,
    site_key: String,
    name: String,
    active: i64,
    config: String,
    system_prompt: String,
    llm: String,
    limits: String,
    verification_token: String,
    verified_at: Option<i64>,
    verified_by: Option<VerificationMethod>,
    verification_checked_at: Option<i64>,
    verification_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// The domain's stored JSON, read.
struct Settings {
    aliases: Vec<String>,
    config: WidgetConfig,
    llm: LlmConfig,
    limits: LimitsConfig,
}

impl DomainRow {
    /// Stored JSON was checked on the way in, but a row edited by hand must not take a site
    /// down (nor the owner's view of it): what cannot be read is its default, and the log says so.
    fn settings(&self) -> Settings {
        let id = &self.id;
        fn read<T: DeserializeOwned + Default>(id: &str, what: &str, json: &str) -> T {
            serde_json::from_str(json).unwrap_or_else(|e| {
                log_error(&format!("domain {id}: {what} unreadable, using defaults: {e}"));
                T::default()
            })
        }
        Settings {
            aliases: self.aliases.as_deref().map_or_else(Vec::new, |a| read(id, "aliases", a)),
            config: read(id, "config", &self.config),
            llm: read(id, "llm settings", &self.llm),
            limits: read(id, "limits", &self.limits),
        }
    }

    /// The domain as tenancy uses it; stored hostnames that no longer parse are skipped.
    fn into_domain(self) -> EdgeResult<Domain> {
        let id =
            DomainId::parse(&self.id).ok_or_else(|| EdgeError::internal(format!("bad domain id {:?}", self.id)))?;
        let organization_id = OrgId::parse(&self.organization_id)
            .ok_or_else(|| EdgeError::internal(format!("bad organization id on domain {id}")))?;
        let Settings { aliases, config, llm, limits } = self.settings();
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

    /// The domain as the owner sees it.
    fn into_view(self) -> DomainView {
        let Settings { aliases, config, llm, limits } = self.settings();
        let verified = self.verified_by.zip(self.verified_at);
        let verification = Verification::new(
            &self.hostname,
            self.verification_token,
            verified,
            self.verification_checked_at,
            self.verification_error,
        );
        DomainView {
            verification,
            aliases,
            config,
            llm,
            limits,
            id: self.id,
            hostname: self.hostname,
            site_key: self.site_key,
            name: self.name,
            active: self.active == 1,
            system_prompt: self.system_prompt,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl OrgStore {
    pub async fn domains(&self) -> EdgeResult<Vec<DomainView>> {
        let sql =
            format!("SELECT {DOMAIN_COLUMNS} FROM domains d WHERE d.organization_id = ?1 ORDER BY d.created_at, d.id");
        let rows: Vec<DomainRow> = bind(&self.db, &sql, &[self.org()])?.all().await?.results()?;
        Ok(rows.into_iter().map(DomainRow::into_view).collect())
    }

    pub async fn domain(&self, id: DomainId) -> EdgeResult<Option<DomainView>> {
        let sql = format!("SELECT {DOMAIN_COLUMNS} FROM domains d WHERE d.organization_id = ?1 AND d.id = ?2");
        let row: Option<DomainRow> = bind(&self.db, &sql, &[self.org(), text(&id.to_string())])?.first(None).await?;
        Ok(row.map(DomainRow::into_view))
    }

    /// Registers the domain and its aliases in one transaction; a hostname the organization
    /// already uses is refused (other organizations may list it too).
    pub async fn create_domain(&self, d: &NewDomain<'_>) -> EdgeResult<DomainId> {
        let id = DomainId::generate();
        let now = now_ms();
        let mut statements = vec![bind(
            &self.db,
            "INSERT INTO domains (id, organization_id, hostname, site_key, name, active, config, system_prompt, llm, \
             limits, created_at, updated_at) VALUES (?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            &[
                self.org(),
                text(&id.to_string()),
                text(d.hostname.as_str()),
                text(d.site_key),
                text(d.name),
                int(i64::from(d.active)),
                text(&json(d.config)?),
                text(d.system_prompt),
                text(&json(d.llm)?),
                text(&json(d.limits)?),
                int(now),
            ],
        )?];
        statements.push(self.audit_if_changed(AuditAction::DomainCreate, Some(("domain", &id.to_string())))?);
        statements.extend(self.alias_inserts(id, d.aliases, now)?);
        self.db.batch(statements).await.map_err(taken_or)?;
        Ok(id)
    }

    /// False if the organization has no such domain.
    /// Applies the changes in one transaction; new aliases must be free like a new domain's
    /// hostname. False if the organization has no such domain.
    pub async fn update_domain(&self, id: DomainId, c: &DomainChanges) -> EdgeResult<bool> {
        let now = now_ms();
        let update = bind(
            &self.db,
            "UPDATE domains SET name = coalesce(?3, name), active = coalesce(?4, active), \
             config = coalesce(?5, config), system_prompt = coalesce(?6, system_prompt), llm = coalesce(?7, llm), \
             limits = coalesce(?8, limits), updated_at = ?9 WHERE organization_id = ?1 AND id = ?2",
            &[
                self.org(),
                text(&id.to_string()),
                opt_text(c.name.as_deref()),
                opt_int(c.active.map(i64::from)),
                opt_text(c.config.as_ref().map(json).transpose()?.as_deref()),
                opt_text(c.system_prompt.as_deref()),
                opt_text(c.llm.as_ref().map(json).transpose()?.as_deref()),
                opt_text(c.limits.as_ref().map(json).transpose()?.as_deref()),
                int(now),
            ],
        )?;
        let mut statements =
            vec![update, self.audit_if_changed(AuditAction::DomainUpdate, Some(("domain", &id.to_string())))?];
        if let Some(aliases) = &c.aliases {
            statements.push(bind(
                &self.db,
                "DELETE FROM domain_aliases WHERE organization_id = ?1 AND domain_id = ?2",
                &[self.org(), text(&id.to_string())],
            )?);
            statements.extend(self.alias_inserts(id, aliases, now)?);
        }
        match self.db.batch(statements).await {
            Ok(results) => results.first().map_or(Ok(false), changed),
            Err(e) => Err(taken_or(e)),
        }
    }

    fn alias_inserts(&self, id: DomainId, aliases: &[Hostname], now: i64) -> EdgeResult<Vec<D1PreparedStatement>> {
        aliases
            .iter()
            .map(|alias| {
                bind(
                    &self.db,
                    "INSERT INTO domain_aliases (hostname, domain_id, organization_id, created_at) \
                     VALUES (?2, ?3, ?1, ?4)",
                    &[self.org(), text(alias.as_str()), text(&id.to_string()), int(now)],
                )
            })
            .collect()
    }

    /// Keeps the outcome of a verification check made at `now`: found by `method`, or not found
    /// for the reason given. A failed check leaves an earlier verification standing. False if
    /// the organization has no such domain.
    pub async fn record_verification(
        &self,
        id: DomainId,
        now: i64,
        outcome: &Result<VerificationMethod, String>,
    ) -> EdgeResult<bool> {
        let (method, error) = match outcome {
            Ok(m) => (Some(m.as_str()), None),
            Err(e) => (None, Some(e.as_str())),
        };
        let statement = bind(
            &self.db,
            "UPDATE domains SET verified_at = CASE WHEN ?4 IS NULL THEN verified_at ELSE ?3 END, \
             verified_by = coalesce(?4, verified_by), verification_checked_at = ?3, verification_error = ?5 \
             WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), text(&id.to_string()), int(now), opt_text(method), opt_text(error)],
        )?;
        // A check that found nothing changes only what the last check says: not audited.
        let mut statements = vec![statement];
        if outcome.is_ok() {
            statements.push(self.audit_if_changed(AuditAction::DomainVerify, Some(("domain", &id.to_string())))?);
        }
        let results = self.db.batch(statements).await?;
        results.first().map_or(Ok(false), changed)
    }

    /// Deletes the domain with everything visitors left on it (conversations, messages,
    /// feedback, leads) and its knowledge, in one transaction. The organization's usage totals
    /// stay: the money was spent. False if the organization has no such domain.
    pub async fn delete_domain(&self, id: DomainId) -> EdgeResult<bool> {
        let of_domain = "SELECT id FROM conversations WHERE organization_id = ?1 AND domain_id = ?2";
        let sqls = [
            format!("DELETE FROM message_feedback WHERE organization_id = ?1 AND conversation_id IN ({of_domain})"),
            format!("DELETE FROM messages WHERE organization_id = ?1 AND conversation_id IN ({of_domain})"),
            "DELETE FROM leads WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM knowledge WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM knowledge_chunks WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM knowledge_pages WHERE organization_id = ?1 AND source_id IN \
               (SELECT id FROM knowledge_sources WHERE organization_id = ?1 AND domain_id = ?2)"
                .to_owned(),
            "DELETE FROM knowledge_sources WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM conversations WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM domain_aliases WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM domains WHERE organization_id = ?1 AND id = ?2".to_owned(),
        ];
        let mut statements: Vec<D1PreparedStatement> = sqls
            .iter()
            .map(|sql| bind(&self.db, sql, &[self.org(), text(&id.to_string())]))
            .collect::<EdgeResult<_>>()?;
        statements.push(self.audit_if_changed(AuditAction::DomainDelete, Some(("domain", &id.to_string())))?);
        let results = self.db.batch(statements).await?;
        // The domain's own row is the last statement's but one.
        match results.len().checked_sub(2).and_then(|i| results.get(i)) {
            Some(r) => changed(r),
            None => Ok(false),
        }
    }
}
