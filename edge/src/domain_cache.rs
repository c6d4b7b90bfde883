//! Domains as visitors' requests find them, kept in the isolate, so a busy site's requests do
//! not each read their domain from D1 (a network round trip on Cloudflare). An entry carries the
//! version it was read at (the row's `updated_at`, which every change through the admin API
//! moves): a new message checks that version in the read it makes anyway and starts again with
//! a fresh domain if it moved, so a message always runs on current settings. Other requests
//! accept an entry up to [`FRESH_MS`] old; the admin API drops the entry of a domain it changes
//! in its own isolate at once.

use std::cell::RefCell;
use std::collections::HashMap;

use shared::SiteKey;

use crate::error::EdgeResult;
use crate::ids::DomainId;
use crate::store::Directory;
use crate::tenancy::Domain;

/// How old an entry a request that does not check the version accepts.
pub const FRESH_MS: i64 = 10_000;
/// How old an entry a new message accepts: it checks the version itself.
pub const CHECKED_MS: i64 = 300_000;
/// An age no entry has: read from D1.
pub const UNCACHED: i64 = -1;
/// Entries kept at most; past it the cache starts over (an isolate serves few sites at a time).
const MAX_ENTRIES: usize = 1_000;

struct Entry {
    domain: Domain,
    read_at: i64,
}

#[derive(Default)]
struct Cache {
    by_id: HashMap<DomainId, Entry>,
    id_by_site_key: HashMap<String, DomainId>,
}

thread_local! {
    // Workers run one request at a time per thread of an isolate; the cache is the isolate's.
    static CACHE: RefCell<Cache> = RefCell::default();
}

fn cached(id: DomainId, now: i64, max_age_ms: i64) -> Option<Domain> {
    CACHE.with_borrow(|c| c.by_id.get(&id).filter(|e| now - e.read_at <= max_age_ms).map(|e| e.domain.clone()))
}

fn keep(site_key: Option<&SiteKey>, domain: &Domain, now: i64) {
    CACHE.with_borrow_mut(|c| {
        if c.by_id.len() >= MAX_ENTRIES {
            *c = Cache::default();
        }
        c.by_id.insert(domain.id, Entry { domain: domain.clone(), read_at: now });
        if let Some(key) = site_key {
            c.id_by_site_key.insert(key.as_str().to_owned(), domain.id);
        }
    });
}

/// The domain of a site key, from the cache if read within `max_age_ms`.
pub async fn by_site_key(dir: &Directory, key: &SiteKey, now: i64, max_age_ms: i64) -> EdgeResult<Option<Domain>> {
    let id = CACHE.with_borrow(|c| c.id_by_site_key.get(key.as_str()).copied());
    if let Some(domain) = id.and_then(|id| cached(id, now, max_age_ms)) {
        return Ok(Some(domain));
    }
    let found = dir.domain_by_site_key(key).await?;
    if let Some(d) = &found {
        keep(Some(key), d, now);
    }
    Ok(found)
}

/// The domain of an id taken from a verified conversation token, from the cache if read
/// within `max_age_ms`.
pub async fn by_id(dir: &Directory, id: DomainId, now: i64, max_age_ms: i64) -> EdgeResult<Option<Domain>> {
    if let Some(domain) = cached(id, now, max_age_ms) {
        return Ok(Some(domain));
    }
    let found = dir.domain_by_id(id).await?;
    if let Some(d) = &found {
        keep(None, d, now);
    }
    Ok(found)
}

/// Drops the domain's entry: it changed, or was deleted.
pub fn forget(id: DomainId) {
    CACHE.with_borrow_mut(|c| {
        c.by_id.remove(&id);
    });
}
