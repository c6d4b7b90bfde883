//! What a site owner reads and changes through the admin API. Every statement is bound to the
//! store's organization (`?1`); ids of another organization's rows simply match nothing.

use serde::Deserialize;
use shared::admin::conversations::{ConversationSummary, StoredMessage};
use shared::admin::domains::{DomainView, Verification, VerificationMethod};
use shared::admin::keys::ApiKeyView;
use shared::admin::knowledge::{KnowledgeKind, KnowledgeView};
use shared::admin::leads::LeadView;
use shared::admin::organization::{ModelPrice, OrganizationView};
use shared::admin::usage::UsageDay;
use shared::limits::LimitsConfig;
use shared::provider::LlmConfig;
use shared::{ErrorCode, Hostname, MessageStatus, Role, WidgetConfig};
use worker::D1PreparedStatement;

use super::{bind, changed, int, opt_int, opt_text, text, OrgStore};
use crate::api_key::MintedKey;
use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::ids::{ApiKeyId, ConversationId, DomainId, KnowledgeId};

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

/// Which conversations to list, and where the page starts.
pub struct ConversationFilter {
    pub domain: Option<DomainId>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// A position in a newest-first list: the sort time and id of the last row seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    /// Exactly what [`Cursor::encode`] writes (digits, a dot, a lower-case hyphenated id), as
    /// the OpenAPI document describes it; anything else cannot have come from us.
    pub fn parse(raw: &str) -> Option<Self> {
        let (at, id) = raw.split_once('.')?;
        let digits = (1..=18).contains(&at.len()) && at.bytes().all(|b| b.is_ascii_digit());
        let at = at.parse().ok().filter(|_| digits)?;
        let canonical = uuid::Uuid::try_parse(id).ok()?.hyphenated().to_string();
        (canonical == id).then_some(Self { at, id: canonical })
    }
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

#[derive(Deserialize)]
struct OrgRow {
    id: String,
    name: String,
    slug: String,
    monthly_budget_cents: i64,
    created_at: i64,
}

#[derive(Deserialize)]
struct PriceRow {
    model: String,
    input_micros_per_million: i64,
    output_micros_per_million: i64,
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<KeyRow> for ApiKeyView {
    fn from(r: KeyRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

#[derive(Deserialize)]
struct DomainRow {
    id: String,
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

impl DomainRow {
    fn into_view(self) -> DomainView {
        let verified = self.verified_by.zip(self.verified_at);
        let verification = Verification::new(
            &self.hostname,
            self.verification_token,
            verified,
            self.verification_checked_at,
            self.verification_error,
        );
        // Stored JSON was checked on the way in; a row edited by hand shows defaults rather than failing.
        DomainView {
            verification,
            aliases: self.aliases.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or_default(),
            config: serde_json::from_str(&self.config).unwrap_or_default(),
            llm: serde_json::from_str(&self.llm).unwrap_or_default(),
            limits: serde_json::from_str(&self.limits).unwrap_or_default(),
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

const DOMAIN_VIEW: &str = "SELECT d.id, d.hostname, d.site_key, d.name, d.active, d.config, d.system_prompt, d.llm, \
     d.limits, d.verification_token, d.verified_at, d.verified_by, d.verification_checked_at, \
     d.verification_error, d.created_at, d.updated_at, \
     (SELECT json_group_array(a.hostname) FROM domain_aliases a \
      WHERE a.organization_id = d.organization_id AND a.domain_id = d.id) AS aliases \
     FROM domains d";

#[derive(Deserialize)]
struct KnowledgeRow {
    id: String,
    domain_id: Option<String>,
    kind: KnowledgeKind,
    title: String,
    content: String,
    active: i64,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<KnowledgeRow> for KnowledgeView {
    fn from(r: KnowledgeRow) -> Self {
        Self {
            id: r.id,
            domain_id: r.domain_id,
            kind: r.kind,
            title: r.title,
            content: r.content,
            active: r.active == 1,
            version: r.version.max(1) as u32,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const KNOWLEDGE_VIEW: &str =
    "SELECT id, domain_id, kind, title, content, active, version, created_at, updated_at FROM knowledge";

#[derive(Deserialize)]
struct ConversationRow {
    id: String,
    domain_id: String,
    visitor_id: Option<String>,
    page_url: Option<String>,
    started_at: i64,
    last_message_at: i64,
    message_count: i64,
}

impl From<ConversationRow> for ConversationSummary {
    fn from(r: ConversationRow) -> Self {
        Self {
            id: r.id,
            domain_id: r.domain_id,
            visitor_id: r.visitor_id,
            page_url: r.page_url,
            started_at: r.started_at,
            last_message_at: r.last_message_at,
            message_count: r.message_count.max(0) as u32,
        }
    }
}

const CONVERSATION_VIEW: &str = "SELECT c.id, c.domain_id, c.visitor_id, c.page_url, c.started_at, c.last_message_at, \
     (SELECT count(*) FROM messages m WHERE m.organization_id = c.organization_id AND m.conversation_id = c.id) \
       AS message_count \
     FROM conversations c";

#[derive(Deserialize)]
struct StoredMessageRow {
    id: String,
    role: Role,
    content: String,
    status: MessageStatus,
    model: Option<String>,
    tokens_in: i64,
    tokens_out: i64,
    cost_micros: i64,
    latency_ms: Option<i64>,
    created_at: i64,
}

#[derive(Deserialize)]
struct LeadRow {
    id: String,
    domain_id: String,
    conversation_id: Option<String>,
    email: String,
    name: Option<String>,
    message: Option<String>,
    status: String,
    created_at: i64,
}

#[derive(Deserialize)]
struct UsageRow {
    day: String,
    requests: i64,
    tokens_in: i64,
    tokens_out: i64,
    cost_micros: i64,
    operator_cost_micros: i64,
}

/// Cuts `rows` (read with one row more than `limit`) to the page, and gives the row the next
/// page starts after, if there is a next page.
fn last_page_row<T>(rows: &mut Vec<T>, limit: u32) -> Option<&T> {
    let limit = limit as usize;
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last()
}

/// A count or sum read from SQLite, where integers are signed.
pub(super) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// An organization's monthly budget and operator's plan (NULL: the edge's default), and what a
/// month (`?2`, `YYYY-MM`) has cost it and the operator so far.
pub(super) const MONTH_SPEND: &str = "SELECT o.monthly_budget_cents AS budget, o.plan_monthly_cents AS plan, \
     o.quota_messages_per_month AS quota_messages, \
     (SELECT coalesce(sum(u.messages), 0) FROM usage_daily u \
      WHERE u.organization_id = o.id AND substr(u.day, 1, 7) = ?2) AS messages, \
     (SELECT coalesce(sum(u.cost_micros), 0) FROM usage_daily u \
      WHERE u.organization_id = o.id AND substr(u.day, 1, 7) = ?2) AS spent, \
     (SELECT coalesce(sum(u.operator_cost_micros), 0) FROM usage_daily u \
      WHERE u.organization_id = o.id AND substr(u.day, 1, 7) = ?2) AS operator_spent \
     FROM organizations o WHERE o.id = ?1";

#[derive(Deserialize)]
pub(super) struct Spend {
    pub budget: i64,
    pub plan: Option<i64>,
    pub spent: i64,
    pub operator_spent: i64,
    pub quota_messages: Option<i64>,
    pub messages: i64,
}

/// A month's money as D1 has it: the owner's budget and spend, the operator's plan and spend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthSpend {
    pub budget_cents: u64,
    pub spent_micros: u64,
    /// `None`: the edge's default plan.
    pub plan_cents: Option<u64>,
    pub operator_spent_micros: u64,
    /// Messages stored this month, and how many the operator lets the organization store
    /// (`None`: the edge's default).
    pub messages: u64,
    pub quota_messages: Option<u64>,
}

impl From<Spend> for MonthSpend {
    fn from(s: Spend) -> Self {
        Self {
            budget_cents: count(s.budget),
            spent_micros: count(s.spent),
            plan_cents: s.plan.map(count),
            operator_spent_micros: count(s.operator_spent),
            messages: count(s.messages),
            quota_messages: s.quota_messages.map(count),
        }
    }
}

impl OrgStore {
    // ---- The organization ----

    pub async fn organization(&self) -> EdgeResult<OrganizationView> {
        let results = self
            .db
            .batch(vec![
                bind(
                    &self.db,
                    "SELECT id, name, slug, monthly_budget_cents, created_at FROM organizations WHERE id = ?1",
                    &[self.org()],
                )?,
                bind(
                    &self.db,
                    "SELECT model, input_micros_per_million, output_micros_per_million FROM model_prices \
                     WHERE organization_id = ?1 ORDER BY model",
                    &[self.org()],
                )?,
            ])
            .await?;
        let org: OrgRow = results
            .first()
            .map(|r| r.results::<OrgRow>())
            .transpose()?
            .and_then(|rows| rows.into_iter().next())
            .ok_or_else(|| EdgeError::internal(format!("organization {} of a live key is missing", self.org)))?;
        let prices: Vec<PriceRow> = match results.get(1) {
            Some(r) => r.results()?,
            None => Vec::new(),
        };
        Ok(OrganizationView {
            id: org.id,
            name: org.name,
            slug: org.slug,
            monthly_budget_cents: count(org.monthly_budget_cents),
            prices: prices
                .into_iter()
                .map(|p| ModelPrice {
                    model: p.model,
                    input_micros_per_million: count(p.input_micros_per_million),
                    output_micros_per_million: count(p.output_micros_per_million),
                })
                .collect(),
            created_at: org.created_at,
        })
    }

    /// Changes the name and budget; a given price list replaces the old one. One transaction.
    pub async fn update_organization(
        &self,
        name: Option<&str>,
        monthly_budget_cents: Option<u64>,
        prices: Option<&[ModelPrice]>,
    ) -> EdgeResult<()> {
        let mut statements = vec![bind(
            &self.db,
            "UPDATE organizations SET name = coalesce(?2, name), \
             monthly_budget_cents = coalesce(?3, monthly_budget_cents) WHERE id = ?1",
            &[self.org(), opt_text(name), opt_int(monthly_budget_cents.map(|b| i64::try_from(b).unwrap_or(i64::MAX)))],
        )?];
        if let Some(prices) = prices {
            statements.push(bind(&self.db, "DELETE FROM model_prices WHERE organization_id = ?1", &[self.org()])?);
            for p in prices {
                statements.push(bind(
                    &self.db,
                    "INSERT INTO model_prices (organization_id, model, input_micros_per_million, \
                     output_micros_per_million) VALUES (?1, ?2, ?3, ?4)",
                    &[
                        self.org(),
                        text(&p.model),
                        int(p.input_micros_per_million as i64),
                        int(p.output_micros_per_million as i64),
                    ],
                )?);
            }
        }
        self.db.batch(statements).await?;
        Ok(())
    }

    // ---- API keys ----

    pub async fn api_keys(&self) -> EdgeResult<Vec<ApiKeyView>> {
        let rows: Vec<KeyRow> = bind(
            &self.db,
            "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys \
             WHERE organization_id = ?1 ORDER BY created_at DESC, id DESC",
            &[self.org()],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows.into_iter().map(ApiKeyView::from).collect())
    }

    pub async fn create_api_key(&self, name: &str, key: &MintedKey) -> EdgeResult<ApiKeyView> {
        let id = ApiKeyId::generate();
        let now = now_ms();
        bind(
            &self.db,
            "INSERT INTO api_keys (id, organization_id, name, key_hash, prefix, created_at) \
             VALUES (?2, ?1, ?3, ?4, ?5, ?6)",
            &[self.org(), text(&id.to_string()), text(name), text(&key.hash), text(&key.prefix), int(now)],
        )?
        .run()
        .await?;
        Ok(ApiKeyView {
            id: id.to_string(),
            name: name.to_owned(),
            prefix: key.prefix.clone(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// Revokes the key (a second revocation keeps the first time). `None` if there is no such key.
    pub async fn revoke_api_key(&self, id: ApiKeyId) -> EdgeResult<Option<ApiKeyView>> {
        let row: Option<KeyRow> = bind(
            &self.db,
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3) WHERE organization_id = ?1 AND id = ?2 \
             RETURNING id, name, prefix, created_at, last_used_at, revoked_at",
            &[self.org(), text(&id.to_string()), int(now_ms())],
        )?
        .first(None)
        .await?;
        Ok(row.map(ApiKeyView::from))
    }

    /// Notes that the key was used; written at most once a minute per key.
    pub async fn touch_api_key(&self, id: ApiKeyId) -> EdgeResult<()> {
        let now = now_ms();
        bind(
            &self.db,
            "UPDATE api_keys SET last_used_at = ?3 WHERE organization_id = ?1 AND id = ?2 \
             AND (last_used_at IS NULL OR last_used_at < ?3 - 60000)",
            &[self.org(), text(&id.to_string()), int(now)],
        )?
        .run()
        .await?;
        Ok(())
    }

    // ---- Domains ----

    pub async fn domains(&self) -> EdgeResult<Vec<DomainView>> {
        let sql = format!("{DOMAIN_VIEW} WHERE d.organization_id = ?1 ORDER BY d.created_at, d.id");
        let rows: Vec<DomainRow> = bind(&self.db, &sql, &[self.org()])?.all().await?.results()?;
        Ok(rows.into_iter().map(DomainRow::into_view).collect())
    }

    pub async fn domain(&self, id: DomainId) -> EdgeResult<Option<DomainView>> {
        let sql = format!("{DOMAIN_VIEW} WHERE d.organization_id = ?1 AND d.id = ?2");
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
        let mut statements = vec![update];
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
        changed(&statement.run().await?)
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
            "DELETE FROM conversations WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM domain_aliases WHERE organization_id = ?1 AND domain_id = ?2".to_owned(),
            "DELETE FROM domains WHERE organization_id = ?1 AND id = ?2".to_owned(),
        ];
        let statements: Vec<D1PreparedStatement> = sqls
            .iter()
            .map(|sql| bind(&self.db, sql, &[self.org(), text(&id.to_string())]))
            .collect::<EdgeResult<_>>()?;
        let results = self.db.batch(statements).await?;
        match results.last() {
            Some(r) => changed(r),
            None => Ok(false),
        }
    }

    // ---- Knowledge ----

    pub async fn knowledge_list(&self, domain: Option<DomainId>) -> EdgeResult<Vec<KnowledgeView>> {
        let rows: Vec<KnowledgeRow> = match domain {
            Some(d) => {
                let sql = format!(
                    "{KNOWLEDGE_VIEW} WHERE organization_id = ?1 AND domain_id = ?2 ORDER BY updated_at DESC, id"
                );
                bind(&self.db, &sql, &[self.org(), text(&d.to_string())])?.all().await?.results()?
            }
            None => {
                let sql = format!("{KNOWLEDGE_VIEW} WHERE organization_id = ?1 ORDER BY updated_at DESC, id");
                bind(&self.db, &sql, &[self.org()])?.all().await?.results()?
            }
        };
        Ok(rows.into_iter().map(KnowledgeView::from).collect())
    }

    pub async fn knowledge(&self, id: KnowledgeId) -> EdgeResult<Option<KnowledgeView>> {
        let sql = format!("{KNOWLEDGE_VIEW} WHERE organization_id = ?1 AND id = ?2");
        let row: Option<KnowledgeRow> = bind(&self.db, &sql, &[self.org(), text(&id.to_string())])?.first(None).await?;
        Ok(row.map(KnowledgeView::from))
    }

    /// `None` if `domain` is given but not one of the organization's domains.
    pub async fn create_knowledge(
        &self,
        domain: Option<DomainId>,
        kind: KnowledgeKind,
        title: &str,
        content: &str,
        active: bool,
    ) -> EdgeResult<Option<KnowledgeId>> {
        let id = KnowledgeId::generate();
        let result = bind(
            &self.db,
            "INSERT INTO knowledge (id, organization_id, domain_id, kind, title, content, active, version, \
             created_at, updated_at) \
             SELECT ?2, ?1, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8 \
             WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM domains WHERE organization_id = ?1 AND id = ?3)",
            &[
                self.org(),
                text(&id.to_string()),
                opt_text(domain.map(|d| d.to_string()).as_deref()),
                text(kind.as_str()),
                text(title),
                text(content),
                int(i64::from(active)),
                int(now_ms()),
            ],
        )?
        .run()
        .await?;
        Ok(changed(&result)?.then_some(id))
    }

    /// Bytes of knowledge text the organization holds, leaving out entry `except` (about to be
    /// replaced), and its quota if the operator set one.
    pub async fn knowledge_bytes(&self, except: Option<KnowledgeId>) -> EdgeResult<(u64, Option<u64>)> {
        #[derive(Deserialize)]
        struct Row {
            used: i64,
            quota: Option<i64>,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT (SELECT coalesce(sum(length(CAST(content AS BLOB)) + length(CAST(title AS BLOB))), 0) \
               FROM knowledge WHERE organization_id = ?1 AND (?2 IS NULL OR id != ?2)) AS used, \
             quota_knowledge_bytes AS quota FROM organizations WHERE id = ?1",
            &[self.org(), opt_text(except.map(|k| k.to_string()).as_deref())],
        )?
        .first(None)
        .await?;
        Ok(row.map_or((0, None), |r| (count(r.used), r.quota.map(count))))
    }

    /// Applies the changes as a new version. False if there is no such entry.
    pub async fn update_knowledge(
        &self,
        id: KnowledgeId,
        title: Option<&str>,
        content: Option<&str>,
        active: Option<bool>,
    ) -> EdgeResult<bool> {
        let result = bind(
            &self.db,
            "UPDATE knowledge SET title = coalesce(?3, title), content = coalesce(?4, content), \
             active = coalesce(?5, active), version = version + 1, updated_at = ?6 \
             WHERE organization_id = ?1 AND id = ?2",
            &[
                self.org(),
                text(&id.to_string()),
                opt_text(title),
                opt_text(content),
                opt_int(active.map(i64::from)),
                int(now_ms()),
            ],
        )?
        .run()
        .await?;
        changed(&result)
    }

    pub async fn delete_knowledge(&self, id: KnowledgeId) -> EdgeResult<bool> {
        let result = bind(
            &self.db,
            "DELETE FROM knowledge WHERE organization_id = ?1 AND id = ?2",
            &[self.org(), text(&id.to_string())],
        )?
        .run()
        .await?;
        changed(&result)
    }

    // ---- Conversations, leads, usage ----

    /// A page of conversations, most recently active first, and the cursor of the next page.
    pub async fn conversations(
        &self,
        f: &ConversationFilter,
    ) -> EdgeResult<(Vec<ConversationSummary>, Option<Cursor>)> {
        let mut sql = format!("{CONVERSATION_VIEW} WHERE c.organization_id = ?1");
        let mut values = vec![self.org()];
        let mut param = |sql: &mut String, clause: &str, v: worker::wasm_bindgen::JsValue| {
            values.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", values.len())));
        };
        if let Some(d) = f.domain {
            param(&mut sql, " AND c.domain_id = ?", text(&d.to_string()));
        }
        if let Some(t) = f.since_ms {
            param(&mut sql, " AND c.last_message_at >= ?", int(t));
        }
        if let Some(t) = f.until_ms {
            param(&mut sql, " AND c.last_message_at < ?", int(t));
        }
        if let Some(c) = &f.after {
            param(&mut sql, " AND (c.last_message_at, c.id) < (?, ", int(c.at));
            param(&mut sql, "?)", text(&c.id));
        }
        param(&mut sql, " ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?", int(i64::from(f.limit) + 1));
        let mut rows: Vec<ConversationRow> = bind(&self.db, &sql, &values)?.all().await?.results()?;
        let next = last_page_row(&mut rows, f.limit).map(|r| Cursor { at: r.last_message_at, id: r.id.clone() });
        Ok((rows.into_iter().map(ConversationSummary::from).collect(), next))
    }

    pub async fn conversation(
        &self,
        id: ConversationId,
    ) -> EdgeResult<Option<(ConversationSummary, Vec<StoredMessage>)>> {
        let sql = format!("{CONVERSATION_VIEW} WHERE c.organization_id = ?1 AND c.id = ?2");
        let results = self
            .db
            .batch(vec![
                bind(&self.db, &sql, &[self.org(), text(&id.to_string())])?,
                bind(
                    &self.db,
                    "SELECT id, role, content, status, model, tokens_in, tokens_out, cost_micros, latency_ms, \
                     created_at FROM messages WHERE organization_id = ?1 AND conversation_id = ?2 \
                     ORDER BY created_at, rowid",
                    &[self.org(), text(&id.to_string())],
                )?,
            ])
            .await?;
        let Some(summary) =
            results.first().map(|r| r.results::<ConversationRow>()).transpose()?.and_then(|r| r.into_iter().next())
        else {
            return Ok(None);
        };
        let messages: Vec<StoredMessageRow> = match results.get(1) {
            Some(r) => r.results()?,
            None => Vec::new(),
        };
        let messages = messages
            .into_iter()
            .map(|m| StoredMessage {
                id: m.id,
                role: m.role,
                content: m.content,
                status: m.status,
                model: m.model,
                tokens_in: m.tokens_in.max(0) as u32,
                tokens_out: m.tokens_out.max(0) as u32,
                cost_micros: count(m.cost_micros),
                latency_ms: m.latency_ms.map(count),
                created_at: m.created_at,
            })
            .collect();
        Ok(Some((summary.into(), messages)))
    }

    /// A page of leads, newest first, and the cursor of the next page.
    pub async fn leads(
        &self,
        domain: Option<DomainId>,
        after: Option<&Cursor>,
        limit: u32,
    ) -> EdgeResult<(Vec<LeadView>, Option<Cursor>)> {
        let rows: Vec<LeadRow> = bind(
            &self.db,
            "SELECT id, domain_id, conversation_id, email, name, message, status, created_at FROM leads \
             WHERE organization_id = ?1 AND (?2 IS NULL OR domain_id = ?2) \
             AND (?3 IS NULL OR (created_at, id) < (?3, ?4)) \
             ORDER BY created_at DESC, id DESC LIMIT ?5",
            &[
                self.org(),
                opt_text(domain.map(|d| d.to_string()).as_deref()),
                opt_int(after.map(|c| c.at)),
                opt_text(after.map(|c| c.id.as_str())),
                int(i64::from(limit) + 1),
            ],
        )?
        .all()
        .await?
        .results()?;
        let mut rows = rows;
        let next = last_page_row(&mut rows, limit).map(|r| Cursor { at: r.created_at, id: r.id.clone() });
        let leads = rows
            .into_iter()
            .map(|r| LeadView {
                id: r.id,
                domain_id: r.domain_id,
                conversation_id: r.conversation_id,
                email: r.email,
                name: r.name,
                message: r.message,
                status: r.status,
                created_at: r.created_at,
            })
            .collect();
        Ok((leads, next))
    }

    /// Usage per day from `from` to `to` (inclusive, `YYYY-MM-DD`), oldest first.
    pub async fn usage(&self, from: &str, to: &str) -> EdgeResult<Vec<UsageDay>> {
        let rows: Vec<UsageRow> = bind(
            &self.db,
            "SELECT day, requests, tokens_in, tokens_out, cost_micros, operator_cost_micros FROM usage_daily \
             WHERE organization_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day",
            &[self.org(), text(from), text(to)],
        )?
        .all()
        .await?
        .results()?;
        Ok(rows
            .into_iter()
            .map(|r| UsageDay {
                day: r.day,
                requests: count(r.requests),
                tokens_in: count(r.tokens_in),
                tokens_out: count(r.tokens_out),
                cost_micros: count(r.cost_micros),
                operator_cost_micros: count(r.operator_cost_micros),
            })
            .collect())
    }

    /// The organization's money for the month (`YYYY-MM`) so far.
    pub async fn month_spend(&self, month: &str) -> EdgeResult<MonthSpend> {
        let s: Option<Spend> = bind(&self.db, MONTH_SPEND, &[self.org(), text(month)])?.first(None).await?;
        Ok(s.map(MonthSpend::from).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_we_did_not_make() {
        let c = Cursor { at: 1_795_392_000_000, id: "0193a000-0000-7000-8000-000000000001".into() };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for bad in ["", "1.2", "x.0193a000-0000-7000-8000-000000000001", "1.0193a000-0000-7000-8000-00000000000' OR 1"]
        {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
