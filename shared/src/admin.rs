//! The site owner's API (`/v1/admin/...`): request and response bodies, and the checks a
//! domain's settings must pass before they are stored. Times are milliseconds since the epoch.

use serde::{Deserialize, Serialize};

use crate::{MessageStatus, ModelId, Role, WidgetConfig};

/// Starter prompts a domain may show, and how long each may be.
pub const MAX_STARTERS: usize = 6;
pub const MAX_STARTER_CHARS: usize = 120;
pub const MAX_TITLE_CHARS: usize = 80;
pub const MAX_GREETING_CHARS: usize = 500;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_SYSTEM_PROMPT_CHARS: usize = 20_000;
pub const MAX_KNOWLEDGE_TITLE_CHARS: usize = 200;
pub const MAX_KNOWLEDGE_CHARS: usize = 20_000;
/// The most a reply may ask of a provider, whatever a domain configures.
pub const MAX_REPLY_TOKENS: u32 = 4_096;
/// The largest body the admin API accepts (a knowledge entry or a system prompt at full length).
pub const MAX_ADMIN_BODY_BYTES: usize = 256 * 1024;
/// Page sizes of the list endpoints.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// Whole numbers the way the OpenAPI document's `integer` means them: a JSON number with no
/// fraction, `5` or `5.0` alike (serde alone refuses `5.0` for an integer field).
mod whole {
    use serde::{de::Error, Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Whole(u64),
        Float(f64),
    }

    fn of<T: TryFrom<u64>, E: Error>(n: Number) -> Result<T, E> {
        let n = match n {
            Number::Whole(n) => n,
            // Below 2^53 every whole float is exact.
            Number::Float(f) if f.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&f) => f as u64,
            Number::Float(f) => return Err(E::custom(format!("expected a whole number, got {f}"))),
        };
        T::try_from(n).map_err(|_| E::custom(format!("{n} is out of range")))
    }

    pub fn required<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
        of(Number::deserialize(d)?)
    }

    pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<Option<T>, D::Error> {
        Option::<Number>::deserialize(d)?.map(of).transpose()
    }
}

/// Why a field was refused: its path in the body and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn text_within(field: &str, value: &str, max: usize, required: bool) -> Result<(), FieldError> {
    if required && value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(())
}

/// `#rgb` or `#rrggbb`: the only colours the widget will paint with.
pub fn is_hex_colour(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|h| matches!(h.len(), 3 | 6) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A BCP 47-shaped tag (`en`, `de-CH`, `zh-Hant-TW`): letters and digits in hyphenated parts.
fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    first_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Checks the public widget settings an owner submits.
pub fn check_widget_config(c: &WidgetConfig) -> Result<(), FieldError> {
    text_within("config.title", &c.title, MAX_TITLE_CHARS, true)?;
    text_within("config.greeting", &c.greeting, MAX_GREETING_CHARS, false)?;
    if c.starters.len() > MAX_STARTERS {
        return Err(FieldError::new("config.starters", format!("at most {MAX_STARTERS} starter prompts")));
    }
    for (i, s) in c.starters.iter().enumerate() {
        text_within(&format!("config.starters[{i}]"), s, MAX_STARTER_CHARS, true)?;
    }
    if !is_hex_colour(&c.theme.primary) {
        return Err(FieldError::new("config.theme.primary", "must be a colour like #2563eb"));
    }
    if !is_hex_colour(&c.theme.on_primary) {
        return Err(FieldError::new("config.theme.on_primary", "must be a colour like #ffffff"));
    }
    if !is_language_tag(&c.language) {
        return Err(FieldError::new("config.language", "must be a language tag like en or de-CH"));
    }
    Ok(())
}

/// Which wire format the relay speaks to a domain's provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// OpenAI's chat completions, and every server that speaks it.
    #[default]
    OpenaiCompatible,
    /// Anthropic's Messages API.
    Anthropic,
    /// Cloudflare Workers AI: through the worker's `AI` binding, or its REST API when a
    /// `base_url` (`…/ai/run`) is given.
    WorkersAi,
}

impl Provider {
    pub fn parse(raw: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(raw.trim().to_owned())).ok()
    }
}

/// A domain's provider settings (its `llm` JSON). Each field, when present, overrides the
/// edge's default. Keys never appear here, only the name of the secret that holds one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Name of the worker secret holding this domain's provider key; the edge accepts only
    /// `LLM_KEY_<organization id in hex, capitals>_…`. Without it, a domain with its own
    /// `base_url` calls that provider without a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
}

/// Checks provider settings an owner submits. URLs must be absolute http(s); the edge parses
/// them again before use.
pub fn check_llm_config(c: &LlmConfig) -> Result<(), FieldError> {
    if let Some(url) = &c.base_url {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        let host_ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
        if !host_ok || url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new("llm.base_url", "must be an http(s) URL like https://api.openai.com/v1"));
        }
    }
    if let Some(model) = &c.model {
        ModelId::parse(model).map_err(|e| FieldError::new("llm.model", e.to_string()))?;
    }
    if let Some(n) = c.max_tokens {
        if !(1..=MAX_REPLY_TOKENS).contains(&n) {
            return Err(FieldError::new("llm.max_tokens", format!("must be between 1 and {MAX_REPLY_TOKENS}")));
        }
    }
    if let Some(t) = c.temperature {
        if !(0.0..=2.0).contains(&t) {
            return Err(FieldError::new("llm.temperature", "must be between 0 and 2"));
        }
    }
    if let Some(name) = &c.api_key_secret {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(FieldError::new("llm.api_key_secret", "must be a secret name like GROQ_API_KEY"));
        }
    }
    Ok(())
}

/// Per-domain overrides of the edge's default visitor limits; each within the edge's bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_minute_per_visitor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_minute_per_ip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_minute_per_domain: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub conversations_per_hour_per_visitor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub conversations_per_hour_per_ip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub conversations_per_hour_per_domain: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "whole::optional")]
    pub messages_per_conversation: Option<u32>,
}

// ---- API keys ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, enough to tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The only time the secret is shown; the edge keeps its SHA-256 hash alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCreated {
    pub key: ApiKeyView,
    pub secret: String,
}

// ---- Domains ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDomain {
    pub hostname: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Further hostnames the site answers for (`www.`, a staging host).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub config: Option<WidgetConfig>,
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub llm: Option<LlmConfig>,
    #[serde(default)]
    pub limits: Option<LimitsConfig>,
}

/// Fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateDomain {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub config: Option<WidgetConfig>,
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub llm: Option<LlmConfig>,
    #[serde(default)]
    pub limits: Option<LimitsConfig>,
    /// Replaces the list of further hostnames.
    #[serde(default)]
    pub aliases: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainView {
    pub id: String,
    pub hostname: String,
    pub aliases: Vec<String>,
    /// The public key for the script tag's `data-site`.
    pub site_key: String,
    pub name: String,
    pub active: bool,
    pub config: WidgetConfig,
    pub system_prompt: String,
    pub llm: LlmConfig,
    pub limits: LimitsConfig,
    /// Whether the organization proved it controls the hostname, and how to prove it.
    pub verification: Verification,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where the edge looks for a site's verification token over HTTPS.
pub const VERIFICATION_PATH: &str = "/.well-known/chat-widget-verification";
/// The DNS name, under the hostname, whose TXT record may carry the token instead.
pub const VERIFICATION_DNS_LABEL: &str = "_chat-widget-verification";
/// What the TXT record says before the token.
pub const VERIFICATION_TXT_PREFIX: &str = "chat-widget-verification=";

/// Proof that an organization controls a site's hostname. Several organizations may register
/// one hostname; only one that can publish its token there verifies it. The widget works
/// without it; what acts on the site from outside (crawling it) requires it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub status: VerificationStatus,
    /// How the token was found, when verified.
    pub method: Option<VerificationMethod>,
    pub verified_at: Option<i64>,
    /// The site's own token: publish it either way below, then ask for a check.
    pub token: String,
    /// Serve the token (as a line of a plain text file) at this address.
    pub http_url: String,
    /// Or set a TXT record of this name ...
    pub dns_name: String,
    /// ... with this value.
    pub dns_value: String,
    /// The last check, and what it found if it failed.
    pub checked_at: Option<i64>,
    pub last_error: Option<String>,
}

impl Verification {
    /// The instructions for `hostname` with `token`, and the state the store keeps.
    pub fn new(
        hostname: &str,
        token: String,
        verified: Option<(VerificationMethod, i64)>,
        checked_at: Option<i64>,
        last_error: Option<String>,
    ) -> Self {
        Self {
            status: if verified.is_some() { VerificationStatus::Verified } else { VerificationStatus::Unverified },
            method: verified.map(|(m, _)| m),
            verified_at: verified.map(|(_, at)| at),
            http_url: format!("https://{hostname}{VERIFICATION_PATH}"),
            dns_name: format!("{VERIFICATION_DNS_LABEL}.{hostname}"),
            dns_value: format!("{VERIFICATION_TXT_PREFIX}{token}"),
            token,
            checked_at,
            last_error,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Verified,
    Unverified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    /// The token was served at [`VERIFICATION_PATH`].
    Http,
    /// The token was in a TXT record at [`VERIFICATION_DNS_LABEL`].
    Dns,
}

impl VerificationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Dns => "dns",
        }
    }
}

// ---- Knowledge ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnowledgeKind {
    /// A question and its answer.
    Faq,
    /// Replaces the domain's system prompt while active (the newest one wins).
    SystemPrompt,
    /// Any other text the assistant should know.
    Custom,
}

impl KnowledgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Faq => "faq",
            Self::SystemPrompt => "system_prompt",
            Self::Custom => "custom",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKnowledge {
    /// The website it is for; absent for the whole organization.
    #[serde(default)]
    pub domain_id: Option<String>,
    pub kind: KnowledgeKind,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A change makes a new version of the entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateKnowledge {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Checks the fields given; an absent field keeps its stored, already checked value.
pub fn check_knowledge(title: Option<&str>, content: Option<&str>) -> Result<(), FieldError> {
    if let Some(t) = title {
        text_within("title", t, MAX_KNOWLEDGE_TITLE_CHARS, true)?;
    }
    content.map_or(Ok(()), |c| text_within("content", c, MAX_KNOWLEDGE_CHARS, true))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeView {
    pub id: String,
    pub domain_id: Option<String>,
    pub kind: KnowledgeKind,
    pub title: String,
    pub content: String,
    pub active: bool,
    pub version: u32,
    pub created_at: i64,
    pub updated_at: i64,
}

// ---- Reading conversations, leads and usage ----

/// One page of a list, newest first; pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub domain_id: String,
    pub visitor_id: Option<String>,
    pub page_url: Option<String>,
    pub started_at: i64,
    pub last_message_at: i64,
    pub message_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: String,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub model: Option<String>,
    pub tokens_in: u32,
    pub tokens_out: u32,
    pub cost_micros: u64,
    pub latency_ms: Option<u64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: ConversationSummary,
    pub messages: Vec<StoredMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadView {
    pub id: String,
    pub domain_id: String,
    pub conversation_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
    pub message: Option<String>,
    pub status: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub requests: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Millionths of a US dollar: what the day's replies cost the organization.
    pub cost_micros: u64,
    /// What the operator paid for those of them that ran on its provider account, at its prices.
    pub operator_cost_micros: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetStatus {
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub monthly_budget_cents: u64,
    pub spent_micros: u64,
    pub remaining_micros: u64,
    /// New replies are refused until the next month or a raised budget.
    pub exhausted: bool,
    /// The operator's plan: what the organization may use of the operator's provider account
    /// this month, set by the operator.
    pub plan_monthly_cents: u64,
    pub operator_spent_micros: u64,
    pub plan_remaining_micros: u64,
    /// Replies on the operator's account are refused until the next month or a larger plan.
    pub plan_exhausted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    pub days: Vec<UsageDay>,
    pub budget: BudgetStatus,
}

// ---- The organization ----

/// What a model costs, in millionths of a dollar per million tokens (so $0.15/M is 150000).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub model: String,
    #[serde(deserialize_with = "whole::required")]
    pub input_micros_per_million: u64,
    #[serde(deserialize_with = "whole::required")]
    pub output_micros_per_million: u64,
}

/// Highest price accepted per million tokens ($1000), which keeps cost sums far from overflow.
pub const MAX_PRICE_MICROS_PER_MILLION: u64 = 1_000_000_000;
pub const MAX_BUDGET_CENTS: u64 = 100_000_000;

pub fn check_prices(prices: &[ModelPrice]) -> Result<(), FieldError> {
    for (i, p) in prices.iter().enumerate() {
        ModelId::parse(&p.model).map_err(|e| FieldError::new(format!("prices[{i}].model"), e.to_string()))?;
        if p.input_micros_per_million > MAX_PRICE_MICROS_PER_MILLION
            || p.output_micros_per_million > MAX_PRICE_MICROS_PER_MILLION
        {
            return Err(FieldError::new(format!("prices[{i}]"), "prices are capped at 1000000000 micros per million"));
        }
        if prices[..i].iter().any(|q| q.model == p.model) {
            return Err(FieldError::new(format!("prices[{i}].model"), "each model may be priced once"));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub monthly_budget_cents: u64,
    pub prices: Vec<ModelPrice>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "whole::optional")]
    pub monthly_budget_cents: Option<u64>,
    /// Replaces the whole price list.
    #[serde(default)]
    pub prices: Option<Vec<ModelPrice>>,
}

pub fn check_organization(u: &UpdateOrganization) -> Result<(), FieldError> {
    if let Some(name) = &u.name {
        check_name("name", name)?;
    }
    if u.monthly_budget_cents.is_some_and(|b| b > MAX_BUDGET_CENTS) {
        return Err(FieldError::new("monthly_budget_cents", format!("must be at most {MAX_BUDGET_CENTS}")));
    }
    u.prices.as_deref().map_or(Ok(()), check_prices)
}

/// A name an owner gives something (an organization, a key, a domain).
pub fn check_name(field: &str, name: &str) -> Result<(), FieldError> {
    text_within(field, name, MAX_NAME_CHARS, true)
}

/// Checks the owner-editable text of a domain.
pub fn check_domain_text(name: Option<&str>, system_prompt: Option<&str>) -> Result<(), FieldError> {
    if let Some(n) = name {
        check_name("name", n)?;
    }
    if let Some(p) = system_prompt {
        text_within("system_prompt", p, MAX_SYSTEM_PROMPT_CHARS, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_must_be_hex() {
        assert!(is_hex_colour("#fff") && is_hex_colour("#0F766E"));
        for bad in ["fff", "#ffff", "#ggg", "red", "#fff;background:url(x)", ""] {
            assert!(!is_hex_colour(bad), "{bad}");
        }
    }

    #[test]
    fn widget_config_checks_name_the_field() {
        let mut c = WidgetConfig::default();
        assert_eq!(check_widget_config(&c), Ok(()));
        c.theme.primary = "red".into();
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.theme.primary");
        let c = WidgetConfig { starters: vec!["ok".into(), " ".into()], ..Default::default() };
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.starters[1]");
        let mut c = WidgetConfig { language: "english please".into(), ..Default::default() };
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.language");
        c.language = "de-CH".into();
        assert_eq!(check_widget_config(&c), Ok(()));
        c.title = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.title");
    }

    #[test]
    fn llm_config_numbers_urls_and_secret_names_are_bounded() {
        let ok = LlmConfig {
            base_url: Some("https://api.groq.com/openai/v1".into()),
            model: Some("llama-3.1-8b-instant".into()),
            max_tokens: Some(MAX_REPLY_TOKENS),
            temperature: Some(0.0),
            api_key_secret: Some("LLM_KEY_0193A0000000700080000000000000A1_GROQ".into()),
            ..Default::default()
        };
        assert_eq!(check_llm_config(&ok), Ok(()));
        let field = |c: LlmConfig| check_llm_config(&c).unwrap_err().field;
        assert_eq!(field(LlmConfig { base_url: Some("javascript:alert(1)".into()), ..ok.clone() }), "llm.base_url");
        assert_eq!(field(LlmConfig { base_url: Some("http:///x".into()), ..ok.clone() }), "llm.base_url");
        assert_eq!(field(LlmConfig { max_tokens: Some(0), ..ok.clone() }), "llm.max_tokens");
        assert_eq!(field(LlmConfig { max_tokens: Some(MAX_REPLY_TOKENS + 1), ..ok.clone() }), "llm.max_tokens");
        assert_eq!(field(LlmConfig { temperature: Some(2.5), ..ok.clone() }), "llm.temperature");
        assert_eq!(field(LlmConfig { temperature: Some(f64::NAN), ..ok.clone() }), "llm.temperature");
        assert_eq!(field(LlmConfig { api_key_secret: Some("LLM_KEY; rm".into()), ..ok.clone() }), "llm.api_key_secret");
        assert!(serde_json::from_str::<LlmConfig>(r#"{"api_key":"sk-clear"}"#).is_err(), "no keys in the clear");
    }

    #[test]
    fn prices_are_bounded_and_unique_per_model() {
        let p = |m: &str, i| ModelPrice { model: m.into(), input_micros_per_million: i, output_micros_per_million: 1 };
        assert_eq!(check_prices(&[p("a", 150_000), p("b", 0)]), Ok(()));
        assert_eq!(check_prices(&[p("a", 1), p("a", 2)]).unwrap_err().field, "prices[1].model");
        assert_eq!(check_prices(&[p("a", MAX_PRICE_MICROS_PER_MILLION + 1)]).unwrap_err().field, "prices[0]");
        let u = UpdateOrganization { monthly_budget_cents: Some(MAX_BUDGET_CENTS + 1), ..Default::default() };
        assert_eq!(check_organization(&u).unwrap_err().field, "monthly_budget_cents");
    }

    #[test]
    fn knowledge_needs_a_title_and_content() {
        assert_eq!(check_knowledge(Some("Returns"), Some("30 days.")), Ok(()));
        assert_eq!(check_knowledge(Some(" "), Some("x")).unwrap_err().field, "title");
        let long = "x".repeat(MAX_KNOWLEDGE_CHARS + 1);
        assert_eq!(check_knowledge(Some("t"), Some(&long)).unwrap_err().field, "content");
        assert_eq!(check_knowledge(None, Some(&long)).unwrap_err().field, "content");
        assert_eq!(check_knowledge(None, None), Ok(()));
    }

    #[test]
    fn whole_numbers_may_be_written_as_floats_but_fractions_are_refused() {
        let u: UpdateOrganization = serde_json::from_str(r#"{"monthly_budget_cents": 80940917.0}"#).unwrap();
        assert_eq!(u.monthly_budget_cents, Some(80_940_917));
        let l: LimitsConfig =
            serde_json::from_str(r#"{"messages_per_conversation": 321.0, "messages_per_minute_per_ip": null}"#)
                .unwrap();
        assert_eq!((l.messages_per_conversation, l.messages_per_minute_per_ip), (Some(321), None));
        let p: ModelPrice =
            serde_json::from_str(r#"{"model":"m","input_micros_per_million":373.0,"output_micros_per_million":1}"#)
                .unwrap();
        assert_eq!(p.input_micros_per_million, 373);
        for bad in [
            r#"{"max_tokens": 1.5}"#,
            r#"{"max_tokens": -1}"#,
            r#"{"max_tokens": 1e30}"#,
            r#"{"max_tokens": 4294967296}"#,
        ] {
            assert!(serde_json::from_str::<LlmConfig>(bad).is_err(), "{bad}");
        }
    }
}
