//! A website's crawl, one page per queue message: the page is fetched (asking only for what
//! changed since the last crawl), reduced to its text, cut into passages and indexed, and the
//! links it holds to the same site are claimed and queued in turn. The crawl ends when no page
//! of it is waiting; pages it no longer reached are forgotten then.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::Hostname;
use url::Url;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

use super::robots::{Robots, AGENT};
use super::{chunks, html};
use crate::clock::now_ms;
use crate::error::{log_excerpt, EdgeError, EdgeResult};
use crate::ids::{OrgId, PageId, SourceId};
use crate::outbound::{read_within, within};
use crate::settings::Settings;
use crate::store::{ChunkOrigin, ChunkPlace, Directory, FetchedPage, KnownPage, OrgStore};
use crate::verification::is_loopback;

/// The queue's binding (`[[queues.producers]]` in `wrangler.toml`).
pub const QUEUE: &str = "CRAWL";
/// Links followed from the start page, at most.
pub const MAX_DEPTH: u32 = 6;
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
const MAX_ROBOTS_BYTES: usize = 512 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);
/// Files that are not pages, by their ending.
const NOT_PAGES: &[&str] = &[
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".css", ".js", ".mjs", ".json", ".pdf", ".zip", ".gz",
    ".tar", ".mp3", ".mp4", ".webm", ".woff", ".woff2", ".ttf", ".exe", ".dmg", ".deb", ".rpm", ".iso", ".txt.gz",
];

/// One page to fetch, as the queue carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrawlJob {
    pub org: String,
    pub source: String,
    pub crawl: i64,
    pub page: String,
    pub url: String,
    pub depth: u32,
}

thread_local! {
    /// `robots.txt` per site and crawl, read once per isolate.
    static ROBOTS: RefCell<HashMap<(String, i64), Robots>> = RefCell::new(HashMap::new());
}

/// How often every website is crawled again, and how many crawls one cron run starts.
const RECRAWL_MS: i64 = 7 * 86_400_000;
const RECRAWLS_PER_RUN: u32 = 20;

/// Starts the crawls of websites indexed longer than [`RECRAWL_MS`] ago (the cron trigger).
pub async fn recrawl_due(env: &Env, directory: &Directory) -> EdgeResult<()> {
    for (org, source, url) in directory.websites_due(now_ms() - RECRAWL_MS, RECRAWLS_PER_RUN).await? {
        let store = OrgStore::for_queued_work(env.d1("DB")?, org);
        if let Some(crawl) = store.start_crawl(source).await? {
            start(env, &store, source, crawl, &url).await?;
        }
    }
    Ok(())
}

/// Claims the start page of crawl `crawl` and queues it.
pub async fn start(env: &Env, store: &OrgStore, source: SourceId, crawl: i64, url: &str) -> EdgeResult<()> {
    let Some(page) = store.claim_page(source, crawl, url, 0).await? else {
        return Ok(());
    };
    let job = CrawlJob {
        org: store.org_id().to_string(),
        source: source.to_string(),
        crawl,
        page: page.id,
        url: url.to_owned(),
        depth: 0,
    };
    env.queue(QUEUE)?.send(job).await?;
    Ok(())
}

/// Fetches and indexes one page. Whatever happens to the page is recorded on it (a failed page
/// is shown to the owner, not retried), so only a failure to record it is an error.
pub async fn run(env: &Env, job: CrawlJob) -> EdgeResult<()> {
    let (Some(org), Some(source), Some(page)) =
        (OrgId::parse(&job.org), SourceId::parse(&job.source), PageId::parse(&job.page))
    else {
        return Err(EdgeError::internal(format!("a crawl job with unreadable ids: {job:?}")));
    };
    let store = OrgStore::for_queued_work(env.d1("DB")?, org);
    if !store.crawl_is_current(source, job.crawl).await? {
        // Removed, or crawled again since: this job belongs to an older crawl.
        return Ok(());
    }
    store.crawling(source, job.crawl).await?;
    let outcome = fetch_and_index(env, &store, source, page, &job).await;
    match &outcome {
        Ok(fetched) => {
            store
                .page_fetched(
                    page,
                    Ok(FetchedPage {
                        title: &fetched.title,
                        etag: fetched.etag.as_deref(),
                        last_modified: fetched.last_modified.as_deref(),
                        links: &fetched.links,
                    }),
                )
                .await?;
            follow(env, &store, source, &job, &fetched.links).await?;
        }
        Err(e) => store.page_fetched(page, Err(e)).await?,
    }
    store.end_crawl_if_done(source, job.crawl).await?;
    Ok(())
}

/// What a fetched page gave.
struct Fetched {
    title: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// Same-site links to follow, absolute, without fragments.
    links: Vec<String>,
}

async fn fetch_and_index(
    env: &Env,
    store: &OrgStore,
    source: SourceId,
    page: PageId,
    job: &CrawlJob,
) -> Result<Fetched, String> {
    let settings = Settings::from_env(env).map_err(|e| e.message)?;
    let start = Url::parse(&job.url).map_err(|e| format!("not an address: {e}"))?;
    let host = Hostname::parse(start.host_str().unwrap_or_default()).map_err(|e| e.to_string())?;
    let robots = robots(&start, &host, &job.source, job.crawl, settings.verification.loopback_port).await;
    let path_and_query = &start[url::Position::BeforePath..url::Position::AfterQuery];
    if !robots.allows(path_and_query) {
        return Err("robots.txt asks crawlers to leave this page alone".to_owned());
    }
    let claimed = store.claimed_page(page).await.map_err(|e| e.message)?;
    let url = start;
    let response = get(&url, &host, settings.verification.loopback_port, claimed.as_ref()).await?;
    let status = response.status_code();
    if (300..400).contains(&status) && status != 304 {
        // The page it leads to is crawled as a link of this one, so a page reached both ways
        // is indexed once.
        let location = response.headers().get("location").ok().flatten();
        let location = location.ok_or(format!("answered {status} with no Location"))?;
        let to = same_site(&url, &location).ok_or(format!("redirects to {location}, off this site"))?;
        return Ok(Fetched { title: format!("Redirects to {to}"), etag: None, last_modified: None, links: vec![to] });
    }
    let status = response.status_code();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let (etag, last_modified) = (header("etag"), header("last-modified"));
    if status == 304 {
        // Unchanged since the last crawl: its passages stay; its links are followed again.
        let known = claimed.unwrap_or_default();
        return Ok(Fetched {
            title: known.title.unwrap_or_default(),
            etag: known.etag,
            last_modified: known.last_modified,
            links: known.links.and_then(|l| serde_json::from_str(&l).ok()).unwrap_or_default(),
        });
    }
    if status != 200 {
        return Err(format!("answered {status}"));
    }
    let content_type = header("content-type").unwrap_or_default().to_ascii_lowercase();
    let body = within(FETCH_TIMEOUT, read_within(response, MAX_PAGE_BYTES))
        .await
        .ok_or(format!("did not send the page within {} s", FETCH_TIMEOUT.as_secs()))?;
    let is_sitemap = content_type.contains("xml") && body.contains("<urlset") || url.path().ends_with("sitemap.xml");
    if is_sitemap {
        let links = sitemap_locations(&body).into_iter().filter_map(|l| same_site(&url, &l)).collect();
        return Ok(Fetched { title: "sitemap.xml".to_owned(), etag, last_modified, links });
    }
    let (title, parts, links) = if content_type.starts_with("text/plain") {
        (None, chunks::plain(&body), Vec::new())
    } else if content_type.starts_with("text/html") || content_type.starts_with("application/xhtml") {
        let page = html::read(&body);
        let base = page.base.as_deref().and_then(|b| url.join(b).ok()).unwrap_or_else(|| url.clone());
        let links =
            if page.nofollow { Vec::new() } else { page.links.iter().filter_map(|l| same_site(&base, l)).collect() };
        let parts = if page.noindex { Vec::new() } else { page.parts };
        (page.title, parts, links)
    } else {
        return Err(format!("is {}, not a page", content_type.split(';').next().unwrap_or("of no type")));
    };
    let title = title.unwrap_or_else(|| url.path().to_owned());
    let place = ChunkPlace { source, origin: ChunkOrigin::Page(page), title: &title, url: Some(url.as_str()) };
    super::index(store, env, &settings, place, chunks::chunk(&parts)).await.map_err(|e| e.message)?;
    Ok(Fetched { title, etag, last_modified, links })
}

/// Claims the links a page led to (one level deeper) and queues those new to this crawl.
async fn follow(env: &Env, store: &OrgStore, source: SourceId, job: &CrawlJob, links: &[String]) -> EdgeResult<()> {
    if job.depth >= MAX_DEPTH {
        return Ok(());
    }
    let mut jobs = Vec::new();
    for link in links {
        if let Some(page) = store.claim_page(source, job.crawl, link, job.depth + 1).await? {
            jobs.push(CrawlJob { page: page.id, url: link.clone(), depth: job.depth + 1, ..job.clone() });
        }
    }
    let queue = env.queue(QUEUE)?;
    for batch in jobs.chunks(100) {
        queue.send_batch(batch.to_vec()).await?;
    }
    Ok(())
}

/// `link` made absolute against `base`, if it is a page of the same site (same scheme, host
/// and port), without its fragment.
pub fn same_site(base: &Url, link: &str) -> Option<String> {
    let mut to = base.join(link.trim()).ok()?;
    to.set_fragment(None);
    let path = to.path().to_ascii_lowercase();
    let same = to.scheme() == base.scheme() && to.host_str() == base.host_str() && to.port() == base.port();
    (same && !NOT_PAGES.iter().any(|e| path.ends_with(e))).then(|| to.into())
}

/// The `<loc>` addresses of a sitemap.
pub fn sitemap_locations(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .filter_map(|rest| rest.split("</loc>").next())
        .map(|l| l.trim().replace("&amp;", "&"))
        .filter(|l| !l.is_empty())
        .collect()
}

/// Where the edge fetches `url`: a loopback hostname (development and tests only) at
/// `http://127.0.0.1:PORT`, as its verification is checked; any other as written.
fn fetch_url(url: &Url, host: &Hostname, loopback_port: Option<u16>) -> Result<Url, String> {
    if !is_loopback(host) {
        return Ok(url.clone());
    }
    let port = loopback_port.ok_or_else(|| format!("{host} is a loopback hostname, which no crawl can reach"))?;
    let mut local = url.clone();
    local.set_scheme("http").map_err(|()| "not an http address".to_owned())?;
    local.set_host(Some("127.0.0.1")).map_err(|e| e.to_string())?;
    local.set_port(Some(port)).map_err(|()| "no port".to_owned())?;
    Ok(local)
}

async fn get(
    url: &Url,
    host: &Hostname,
    loopback_port: Option<u16>,
    known: Option<&KnownPage>,
) -> Result<worker::Response, String> {
    let target = fetch_url(url, host, loopback_port)?;
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("user-agent", &format!("Mozilla/5.0 (compatible; {AGENT}/1.0)"))?;
    set("accept", "text/html,application/xhtml+xml,text/plain;q=0.8,application/xml;q=0.5")?;
    if let Some(k) = known {
        if let Some(e) = &k.etag {
            set("if-none-match", e)?;
        }
        if let Some(m) = &k.last_modified {
            set("if-modified-since", m)?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers).with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(target.as_str(), &init).map_err(|e| e.to_string())?;
    match within(FETCH_TIMEOUT, Fetch::Request(request).send()).await {
        None => Err(format!("did not answer within {} s", FETCH_TIMEOUT.as_secs())),
        Some(Err(e)) => Err(format!("could not be reached: {}", log_excerpt(&e.to_string()))),
        Some(Ok(r)) => Ok(r),
    }
}

/// The site's `robots.txt` for this crawl; none (everything allowed) if it has none.
async fn robots(start: &Url, host: &Hostname, source: &str, crawl: i64, loopback_port: Option<u16>) -> Robots {
    let key = (source.to_owned(), crawl);
    if let Some(r) = ROBOTS.with(|c| c.borrow().get(&key).cloned()) {
        return r;
    }
    let mut url = start.clone();
    url.set_path("/robots.txt");
    url.set_query(None);
    let robots = match get(&url, host, loopback_port, None).await {
        Ok(r) if r.status_code() == 200 => Robots::parse(&read_within(r, MAX_ROBOTS_BYTES).await),
        _ => Robots::default(),
    };
    ROBOTS.with(|c| {
        let mut c = c.borrow_mut();
        // Older crawls' files are not needed again.
        c.retain(|(s, n), _| s != source || *n == crawl);
        c.insert(key, robots.clone());
    });
    robots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_of_the_same_site_are_followed() {
        let base = Url::parse("http://localhost/docs/index.html").unwrap();
        assert_eq!(same_site(&base, "a.html#top").as_deref(), Some("http://localhost/docs/a.html"));
        assert_eq!(same_site(&base, "/b?x=1").as_deref(), Some("http://localhost/b?x=1"));
        assert_eq!(same_site(&base, "https://localhost/c"), None, "another scheme");
        assert_eq!(same_site(&base, "http://localhost:81/c"), None, "another port");
        assert_eq!(same_site(&base, "//evil.example/x"), None);
        assert_eq!(same_site(&base, "logo.PNG"), None);
        assert_eq!(same_site(&base, "mailto:a@b.c"), None);
        assert_eq!(same_site(&base, "javascript:alert(1)"), None);
    }

    #[test]
    fn sitemaps_list_their_locations() {
        let xml = "<?xml version=\"1.0\"?><urlset><url><loc> http://a.example/x?a=1&amp;b=2 </loc></url>\
                   <url><loc>http://a.example/y</loc></url></urlset>";
        assert_eq!(sitemap_locations(xml), ["http://a.example/x?a=1&b=2", "http://a.example/y"]);
    }

    #[test]
    fn loopback_sites_are_fetched_on_the_development_port_only() {
        let host = Hostname::parse("localhost").unwrap();
        let url = Url::parse("https://localhost/faq/index.html?q=1").unwrap();
        assert_eq!(fetch_url(&url, &host, Some(8123)).unwrap().as_str(), "http://127.0.0.1:8123/faq/index.html?q=1");
        assert!(fetch_url(&url, &host, None).is_err());
        let public = Hostname::parse("example.com").unwrap();
        let url = Url::parse("https://example.com/a").unwrap();
        assert_eq!(fetch_url(&url, &public, Some(8123)).unwrap(), url);
    }
}
