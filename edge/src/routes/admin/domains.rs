//! `/v1/admin/domains`: the organization's websites. A hostname names one domain within an
//! organization (other organizations may list it too: the site key says whose a request is);
//! each domain gets a fresh public site key for its script tag, and a token to prove the
//! organization controls the site (`verify`).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use shared::admin::domains::{check_domain_text, CreateDomain, DomainView, UpdateDomain};
use shared::config::check_widget_config;
use shared::limits::LimitsConfig;
use shared::provider::{check_llm_config, LlmConfig};
use shared::{ErrorCode, Hostname, WidgetConfig};
use worker::{Env, Request, Response};

use super::{body, invalid, items, no_content};
use crate::clock::now_ms;
use crate::domain_cache;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::DomainId;
use crate::limits::check_limits;
use crate::settings::{may_use_secret, secret_prefix, Payer, Settings};
use crate::store::{DomainChanges, NewDomain, OrgStore};
use crate::verification;

/// More hostnames than this on one site is a list of other people's sites.
const MAX_ALIASES: usize = 20;

fn not_found() -> EdgeError {
    EdgeError::new(ErrorCode::DomainNotFound, "No such domain.")
}

fn parse_id(id: &str) -> EdgeResult<DomainId> {
    DomainId::parse(id).ok_or_else(not_found)
}

/// The body as JSON whose `config`, `llm` and `limits`, when given, are objects (or null): serde
/// alone would read a struct from an array of its fields.
fn with_object_settings(raw: &Value) -> EdgeResult<()> {
    for field in ["config", "llm", "limits"] {
        if raw.get(field).is_some_and(|v| !v.is_object() && !v.is_null()) {
            return Err(invalid(format!("{field}: must be an object")));
        }
    }
    Ok(())
}

/// The further hostnames of a site, without repeats or the primary hostname.
fn distinct_aliases(given: &[Hostname], primary: &Hostname) -> EdgeResult<Vec<Hostname>> {
    if given.len() > MAX_ALIASES {
        return Err(invalid(format!("aliases: at most {MAX_ALIASES}")));
    }
    let mut aliases: Vec<Hostname> = Vec::new();
    for h in given {
        if h != primary && !aliases.contains(h) {
            aliases.push(h.clone());
        }
    }
    Ok(aliases)
}

/// `site_` and 24 hex digits: public, but not guessable from the hostname.
fn new_site_key() -> EdgeResult<String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(EdgeError::internal)?;
    Ok(format!("site_{}", hex::encode(bytes)))
}

async fn view(store: &OrgStore, id: DomainId) -> EdgeResult<DomainView> {
    store.domain(id).await?.ok_or_else(not_found)
}

pub async fn list(store: &OrgStore) -> EdgeResult<Response> {
    items(store.domains().await?)
}

pub async fn get(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    http::json(200, &view(store, parse_id(id)?).await?)
}

pub async fn create(req: &mut Request, env: &Env, store: &OrgStore) -> EdgeResult<Response> {
    let raw: Value = body(req).await?;
    with_object_settings(&raw)?;
    let body: CreateDomain = http::from_json_value(raw)?;
    let primary = body.hostname;
    let aliases = distinct_aliases(&body.aliases, &primary)?;
    let name = body.name.as_deref().map(str::trim).unwrap_or(primary.as_str()).to_owned();
    let system_prompt = body.system_prompt.unwrap_or_default();
    check_domain_text(Some(&name), Some(&system_prompt))?;
    let config = body.config.unwrap_or_default();
    check_widget_config(&config)?;
    let llm = body.llm.unwrap_or_default();
    check_llm(env, store, &llm)?;
    let limits = body.limits.unwrap_or_default();
    check_limits(&limits)?;
    let site_key = new_site_key()?;
    let id = store
        .create_domain(&NewDomain {
            hostname: &primary,
            aliases: &aliases,
            site_key: &site_key,
            name: &name,
            active: body.active.unwrap_or(true),
            config: &config,
            system_prompt: &system_prompt,
            llm: &llm,
            limits: &limits,
        })
        .await?;
    http::json(201, &view(store, id).await?)
}

/// Plain fields are replaced; `config`, `llm` and `limits` are merged (JSON merge patch,
/// RFC 7396): fields left out keep their value, a field set to null goes back to its default.
pub async fn patch(req: &mut Request, env: &Env, store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let id = parse_id(id)?;
    let raw: Value = body(req).await?;
    with_object_settings(&raw)?;
    // The plain fields are read as they are; the objects only once merged (null is allowed in them).
    let mut plain = raw.clone();
    if let Some(fields) = plain.as_object_mut() {
        for merged in ["config", "llm", "limits"] {
            fields.remove(merged);
        }
    }
    let shape: UpdateDomain = http::from_json_value(plain)?;
    let current = view(store, id).await?;
    let name = shape.name.as_deref().map(str::trim).map(str::to_owned);
    check_domain_text(name.as_deref(), shape.system_prompt.as_deref())?;
    let config: Option<WidgetConfig> = merged("config", &current.config, raw.get("config"))?;
    if let Some(c) = &config {
        check_widget_config(c)?;
    }
    let llm: Option<LlmConfig> = merged("llm", &current.llm, raw.get("llm"))?;
    if let Some(l) = &llm {
        check_llm(env, store, l)?;
    }
    let limits: Option<LimitsConfig> = merged("limits", &current.limits, raw.get("limits"))?;
    if let Some(l) = &limits {
        check_limits(l)?;
    }
    let aliases = match &shape.aliases {
        Some(given) => Some(distinct_aliases(given, &Hostname::parse(&current.hostname)?)?),
        None => None,
    };
    let changes =
        DomainChanges { name, active: shape.active, config, system_prompt: shape.system_prompt, llm, limits, aliases };
    if !store.update_domain(id, &changes).await? {
        return Err(not_found());
    }
    // Other isolates see the change by the domain's version, or within seconds.
    domain_cache::forget(id);
    http::json(200, &view(store, id).await?)
}

/// `current` with `patch` merged in, or `None` when the body leaves the field out.
fn merged<T: Serialize + DeserializeOwned + Default>(
    field: &str,
    current: &T,
    patch: Option<&Value>,
) -> EdgeResult<Option<T>> {
    let Some(patch) = patch else { return Ok(None) };
    if patch.is_null() {
        return Ok(Some(T::default()));
    }
    let mut value = serde_json::to_value(current).map_err(EdgeError::internal)?;
    merge_patch(&mut value, patch);
    serde_json::from_value(value).map(Some).map_err(|e| invalid(format!("{field}: {e}")))
}

/// RFC 7396: objects merge key by key, null removes a key, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (key, change) in changes {
            if change.is_null() {
                fields.remove(key);
            } else {
                merge_patch(fields.entry(key.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

fn forbidden(message: String) -> EdgeError {
    EdgeError::new(ErrorCode::Forbidden, message)
}

/// Provider settings must be in range, may name only the organization's own secrets, and may
/// run on the operator's account only a model the operator offers.
fn check_llm(env: &Env, store: &OrgStore, llm: &LlmConfig) -> EdgeResult<()> {
    check_llm_config(llm)?;
    if let Some(name) = llm.api_key_secret.as_deref().filter(|name| !may_use_secret(store.org_id(), name)) {
        return Err(forbidden(format!(
            "llm.api_key_secret: {name} is not one of this organization's secrets, {}…",
            secret_prefix(store.org_id())
        )));
    }
    let settings = Settings::from_env(env)?;
    let merged = settings.llm.with_overrides(llm, store.org_id(), |_| None)?;
    if merged.payer == Payer::Operator && !settings.operator_serves(&merged.model) {
        return Err(forbidden(format!(
            "llm.model: {} is not offered on this service's own provider account; name your own provider key \
             in llm.api_key_secret to use it",
            merged.model
        )));
    }
    Ok(())
}

/// Checks now whether the site publishes the domain's token, and keeps what the check found.
pub async fn verify(env: &Env, store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let id = parse_id(id)?;
    let current = view(store, id).await?;
    let host = Hostname::parse(&current.hostname).map_err(EdgeError::internal)?;
    let settings = Settings::from_env(env)?;
    let outcome = verification::check(&settings.verification, &host, &current.verification.token).await;
    if !store.record_verification(id, now_ms(), &outcome).await? {
        return Err(not_found());
    }
    match outcome {
        Ok(_) => http::json(200, &view(store, id).await?),
        Err(found) => Err(EdgeError::new(ErrorCode::VerificationFailed, format!("The token was not found: {found}."))),
    }
}

pub async fn delete(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let id = parse_id(id)?;
    if !store.delete_domain(id).await? {
        return Err(not_found());
    }
    domain_cache::forget(id);
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_keeps_what_is_left_out_and_resets_what_is_null() {
        let mut v =
            json!({"title": "Shop", "theme": {"primary": "#123456", "on_primary": "#ffffff"}, "starters": ["a"]});
        merge_patch(&mut v, &json!({"theme": {"primary": "#000000"}, "starters": null, "greeting": "Hi"}));
        assert_eq!(
            v,
            json!({"title": "Shop", "theme": {"primary": "#000000", "on_primary": "#ffffff"}, "greeting": "Hi"})
        );
        merge_patch(&mut v, &json!({"theme": "flat"}));
        assert_eq!(v["theme"], "flat");
    }
}
