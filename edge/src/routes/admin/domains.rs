//! `/v1/admin/domains`: the organization's websites. A hostname belongs to one domain across
//! all organizations; each domain gets a fresh public site key for its script tag.

use shared::admin::{check_domain_text, check_llm_config, check_widget_config, CreateDomain, DomainView, UpdateDomain};
use shared::{ErrorCode, Hostname};
use worker::{Request, Response};

use super::{invalid, items, no_content};
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::DomainId;
use crate::limits::check_limits;
use crate::store::{DomainChanges, NewDomain, OrgStore};

/// More hostnames than this on one site is a list of other people's sites.
const MAX_ALIASES: usize = 20;

fn not_found() -> EdgeError {
    EdgeError::new(ErrorCode::DomainNotFound, "No such domain.")
}

fn parse_id(id: &str) -> EdgeResult<DomainId> {
    DomainId::parse(id).ok_or_else(not_found)
}

fn hostname(field: &str, raw: &str) -> EdgeResult<Hostname> {
    Hostname::parse(raw).map_err(|e| invalid(format!("{field}: {e}")))
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

pub async fn create(req: &mut Request, store: &OrgStore) -> EdgeResult<Response> {
    let body: CreateDomain = http::read_json(req).await?;
    let primary = hostname("hostname", &body.hostname)?;
    if body.aliases.len() > MAX_ALIASES {
        return Err(invalid(format!("aliases: at most {MAX_ALIASES}")));
    }
    let mut aliases: Vec<Hostname> = Vec::new();
    for (i, raw) in body.aliases.iter().enumerate() {
        let h = hostname(&format!("aliases[{i}]"), raw)?;
        if h != primary && !aliases.contains(&h) {
            aliases.push(h);
        }
    }
    let name = body.name.as_deref().map(str::trim).unwrap_or(primary.as_str()).to_owned();
    let system_prompt = body.system_prompt.unwrap_or_default();
    check_domain_text(Some(&name), Some(&system_prompt))?;
    let config = body.config.unwrap_or_default();
    check_widget_config(&config)?;
    let llm = body.llm.unwrap_or_default();
    check_llm_config(&llm)?;
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

pub async fn patch(req: &mut Request, store: &OrgStore, id: &str) -> EdgeResult<Response> {
    let id = parse_id(id)?;
    let body: UpdateDomain = http::read_json(req).await?;
    let name = body.name.as_deref().map(str::trim).map(str::to_owned);
    check_domain_text(name.as_deref(), body.system_prompt.as_deref())?;
    if let Some(c) = &body.config {
        check_widget_config(c)?;
    }
    if let Some(l) = &body.llm {
        check_llm_config(l)?;
    }
    if let Some(l) = &body.limits {
        check_limits(l)?;
    }
    let changes = DomainChanges {
        name,
        active: body.active,
        config: body.config,
        system_prompt: body.system_prompt,
        llm: body.llm,
        limits: body.limits,
    };
    if !store.update_domain(id, &changes).await? {
        return Err(not_found());
    }
    http::json(200, &view(store, id).await?)
}

pub async fn delete(store: &OrgStore, id: &str) -> EdgeResult<Response> {
    if !store.delete_domain(parse_id(id)?).await? {
        return Err(not_found());
    }
    no_content()
}
