//! Benchmark: the widget's download size and how fast it starts in headless Chromium.
//! Prints figures; asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-widget [LOADS]` (default 15 loads of each kind),
//! after `dev/build` (it measures the files in widget/dist).
//!
//! - Sizes of widget/dist's files raw, gzip -9 and brotli q11, and the first-open transfer:
//!   the three files plus the responses the loader (the launcher's look) and the widget (the
//!   site's config) fetch; and the same with the tag the console gives, whose script
//!   (`/v1/widget.js?site=`) is the loader with the site's key and look written in. The page
//!   measured below has that tag.
//! - Before intent: a visitor who does nothing. What the widget fetched (brotli) and the longest
//!   task on the page's main thread (from Chromium's trace), up to the page's `load` event or
//!   the request of the widget's core (its idle start), whichever comes later.
//! - The launcher visible: the frame that shows it, in ms since navigation start (the page's
//!   `performance.now()`, read by a probe inline in the page's head: `e2e::host_site`). "cold"
//!   is a fresh browser profile per load; "warm" reloads in the same browser, where the
//!   content-hashed core files come from cache.
//! - First open: a fresh profile clicks the launcher the moment it is drawn; the time from the
//!   click until the panel has its greeting and input.

use std::collections::HashMap;
use std::time::Duration;

use e2e::browser::{Driver, Page, Session};
use e2e::host_site::HostSite;
use e2e::measure::{brotli, gzip, median_p95};
use e2e::App;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

/// What one passive load showed: the launcher's frame, the load event, and the edge's files
/// requested (name, start, end), all in ms since navigation start.
struct Passive {
    launcher: f64,
    load: f64,
    requests: Vec<(String, f64, f64)>,
}

impl Passive {
    /// When the widget's core was first requested (its start, by intent or when idle).
    fn core(&self) -> Option<f64> {
        self.requests.iter().filter(|(name, _, _)| name.contains("widget-core")).map(|r| r.1).reduce(f64::min)
    }

    /// The end of "before intent" for a visitor who does nothing: the core's request if the
    /// widget waits for the page's load event to request it (its idle start); a widget that
    /// requests it before then has no such moment, and all it fetches counts.
    fn cutoff(&self) -> f64 {
        self.core().filter(|core| *core >= self.load).unwrap_or(f64::INFINITY)
    }

    /// When the first request whose path starts with `path` was answered.
    fn arrived(&self, path: &str) -> Option<f64> {
        self.requests.iter().find(|r| r.0.starts_with(path)).map(|r| r.2)
    }

    fn before_intent(&self) -> Vec<&str> {
        let cutoff = self.cutoff();
        self.requests.iter().filter(|r| r.1 < cutoff).map(|r| r.0.as_str()).collect()
    }
}

/// Loads `url` and waits, doing nothing, for the load event and for the widget's core to be
/// fetched (or 3 s after load, if it never is), so a reload finds it in the cache.
async fn passive_load(page: &Page, url: &str, edge: &str) -> Passive {
    page.goto(url).await;
    let v = page
        .wait_for(
            "the launcher, the load event and the widget's core",
            "(() => { const nav = performance.getEntriesByType('navigation')[0];
                      const wasm = performance.getEntriesByType('resource').some(e => e.name.endsWith('.wasm'));
                      return window.bench.launcher !== undefined && nav && nav.loadEventEnd > 0
                          && (wasm || performance.now() > nav.loadEventEnd + 3000)
                          && {launcher: bench.launcher, load: nav.loadEventEnd,
                              requests: performance.getEntriesByType('resource').map(e => [e.name, e.startTime, e.responseEnd])}; })()",
            WAIT,
        )
        .await;
    let requests = v["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r[0].as_str()?.to_owned(), r[1].as_f64()?, r[2].as_f64()?)))
        .filter(|(name, _, _)| name.starts_with(edge))
        .map(|(name, at, end)| (name[edge.len()..].to_owned(), at, end))
        .collect();
    Passive { launcher: num(&v["launcher"]), load: num(&v["load"]), requests }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// A fresh profile clicks the launcher the moment it is drawn: ms from the click until the
/// panel is interactive, and since navigation start.
async fn click_load(page: &Page, url: &str) -> (f64, f64) {
    page.goto(url).await;
    let v = page.wait_for("the open panel", "window.bench.interactive !== undefined && window.bench", WAIT).await;
    (num(&v["interactive"]) - num(&v["clicked"]), num(&v["interactive"]))
}

/// The longest task on the page's main thread before intent (see [`Passive::cutoff`], here in
/// the trace's clock), and the longest of those that ran the widget's code: each in ms, with the
/// longest events inside it.
fn longest_task(trace: &[Value], page_path: &str, edge: &str) -> Tasks {
    let named = |name: &'static str| trace.iter().filter(move |e| e["name"] == name);
    let parse =
        named("ParseHTML").find(|e| e["args"]["beginData"]["url"].as_str().is_some_and(|u| u.contains(page_path)));
    let Some(parse) = parse else {
        let none = (f64::NAN, "no ParseHTML of the page in the trace".to_owned());
        return (none.clone(), none);
    };
    let thread = (parse["pid"].clone(), parse["tid"].clone());
    let on_thread = |e: &&Value| (e["pid"].clone(), e["tid"].clone()) == thread;
    let ts = |e: &Value| e["ts"].as_f64().unwrap_or(0.0);
    let load = named("MarkLoad").filter(on_thread).map(ts).reduce(f64::min).unwrap_or(f64::INFINITY);
    let core = named("ResourceSendRequest")
        .filter(|e| e["args"]["data"]["url"].as_str().is_some_and(|u| u.contains("widget-core")))
        .map(ts)
        .reduce(f64::min);
    // As Passive::cutoff: the idle start, if the widget waits for load; else the whole trace.
    let cutoff = core.filter(|c| *c >= load).unwrap_or(f64::INFINITY);
    let dur = |e: &Value| e["dur"].as_f64().unwrap_or(0.0);
    let tasks = || named("RunTask").filter(on_thread).filter(|t| ts(t) < cutoff);
    let longest = |t: Option<&Value>| -> (f64, String) {
        let Some(task) = t else { return (0.0, String::new()) };
        let (start, end) = (ts(task), ts(task) + dur(task));
        let mut inside: Vec<&Value> = trace
            .iter()
            .filter(on_thread)
            .filter(|e| e["ph"] == "X" && e["name"] != "RunTask" && ts(e) >= start && ts(e) + dur(e) <= end)
            .collect();
        inside.sort_by(|a, b| dur(b).total_cmp(&dur(a)));
        let what: Vec<String> = inside
            .iter()
            .take(3)
            .map(|e| {
                let url = ["data", "beginData"].iter().find_map(|k| e["args"][*k]["url"].as_str()).unwrap_or_default();
                let file = url.rsplit('/').next().unwrap_or_default();
                let function = e["args"]["data"]["functionName"].as_str().filter(|f| !f.is_empty());
                let at = function.map(|f| format!(" {f}")).unwrap_or_default();
                format!("{} {file}{at} {:.1} ms", e["name"].as_str().unwrap_or_default(), dur(e) / 1000.0)
            })
            .collect();
        (dur(task) / 1000.0, what.join(", "))
    };
    // The tasks that ran the widget's code: evaluated or called one of its files.
    let runs_widget = |t: &&Value| {
        trace.iter().filter(on_thread).any(|e| {
            (e["name"] == "EvaluateScript" || e["name"] == "FunctionCall")
                && ts(e) >= ts(t)
                && ts(e) <= ts(t) + dur(t)
                && e["args"]["data"]["url"].as_str().is_some_and(|u| u.starts_with(edge))
        })
    };
    let by_length = |a: &&Value, b: &&Value| dur(a).total_cmp(&dur(b));
    (longest(tasks().max_by(by_length)), longest(tasks().filter(runs_widget).max_by(by_length)))
}

/// The longest main-thread task of a load before intent and the longest that ran the widget's
/// code, each in ms with the longest events inside it.
type Tasks = ((f64, String), (f64, String));

fn main() {
    let loads: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    let dist = e2e::app::root().join("widget/dist");
    let mut files: Vec<_> =
        std::fs::read_dir(&dist).expect("widget/dist: run dev/build first").flatten().map(|e| e.path()).collect();
    files.sort();
    println!("{:<36} {:>9} {:>9} {:>9}", "file", "raw", "gzip", "brotli");
    let mut total = (0, 0, 0);
    // Each file the browser may fetch from the edge, by path, and its brotli size.
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "js" || e == "wasm")) {
        let bytes = std::fs::read(path).expect("read");
        let (raw, gz, br) = (bytes.len(), gzip(&bytes), brotli(&bytes));
        total = (total.0 + raw, total.1 + gz, total.2 + br);
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        println!("{name:<36} {raw:>9} {gz:>9} {br:>9}");
        sizes.insert(format!("/{name}"), br);
    }

    let app = App::spawn(&[]).expect("the edge starts");
    // The launcher's look (before intent) and the config (once the widget starts), as this
    // site's page gets them.
    let api = app.api("http://localhost:8788");
    let responses = [
        ("/v1/widget/look", app.block_on(api.look("site_demo_localhost", "", "en-US,en;q=0.9"))),
        ("/v1/widget/config", app.block_on(api.config("site_demo_localhost"))),
    ];
    for (path, reply) in responses {
        let bytes = serde_json::to_vec(&reply.body).expect("json");
        let (raw, gz, br) = (bytes.len(), gzip(&bytes), brotli(&bytes));
        total = (total.0 + raw, total.1 + gz, total.2 + br);
        sizes.insert(path.to_owned(), br);
        println!("{:<36} {raw:>9} {gz:>9} {br:>9}", format!("GET {path} (body)"));
    }
    println!("{:<36} {:>9} {:>9} {:>9}", "first open, total", total.0, total.1, total.2);
    // The tag the console gives: the loader from the edge with the site's key and look written
    // in, in place of widget.js and the look.
    let script = app.block_on(api.script("site_demo_localhost", "en-US,en;q=0.9"));
    assert!(script.look().is_some(), "the edge wrote the look in: {}", script.text);
    let (raw, gz, br) = (script.text.len(), gzip(script.text.as_bytes()), brotli(script.text.as_bytes()));
    println!("{:<36} {raw:>9} {gz:>9} {br:>9}", "GET /v1/widget.js?site= (the tag's)");
    let first_open = total.2 + br - sizes["/widget.js"] - sizes["/v1/widget/look"];
    println!("{:<36} {:>9} {:>9} {first_open:>9}", "first open with the tag's script", "", "");
    sizes.insert("/v1/widget.js".to_owned(), br);

    let site = app.block_on(HostSite::start(&app.edge)).expect("host site");
    let driver = Driver::start().expect("chromedriver");
    let url = site.url("/bench.html");
    let click_url = site.url("/bench.html?click");
    let (mut cold, mut warm, mut tasks, mut clicks) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    app.block_on(async {
        // One load first so wrangler and the OS caches are warm for everybody.
        let first = driver.session(false).await.expect("session");
        click_load(&first, &click_url).await;
        first.close().await;
        for _ in 0..loads {
            let page = driver.session_with(Session { traced: true, ..Session::default() }).await.expect("session");
            let load = passive_load(&page, &url, &app.edge).await;
            tasks.push(longest_task(&page.trace().await, "/bench.html", &app.edge));
            cold.push(load);
            warm.push(passive_load(&page, &url, &app.edge).await);
            page.close().await;
            let page = driver.session(false).await.expect("session");
            clicks.push(click_load(&page, &click_url).await);
            page.close().await;
        }
    });

    println!("\n{loads} loads each: median / p95");
    let mut fetched: Vec<Vec<&str>> = cold.iter().map(Passive::before_intent).collect();
    fetched.sort();
    fetched.dedup();
    for names in fetched {
        let path = |n: &&str| n.split('?').next().unwrap_or_default().to_owned();
        let bytes: usize = names.iter().map(|n| sizes.get(&path(n)).copied().unwrap_or(0)).sum();
        let unknown: Vec<_> = names.iter().filter(|n| !sizes.contains_key(&path(n))).collect();
        let files = names.iter().map(|n| n.split('?').next().unwrap_or_default()).collect::<Vec<_>>().join(", ");
        let unknown = if unknown.is_empty() { String::new() } else { format!(" (not counted: {unknown:?})") };
        println!("before intent, fetched: {bytes} B brotli: {files}{unknown}");
    }
    for (what, pick) in [
        ("longest main-thread task", (|t| &t.0) as fn(&Tasks) -> &(f64, String)),
        ("longest task running the widget's code", |t| &t.1),
    ] {
        let (m, p) = median_p95(tasks.iter().map(|t| pick(t).0).collect());
        let worst = tasks.iter().map(pick).max_by(|a, b| a.0.total_cmp(&b.0)).map(|t| t.1.clone()).unwrap_or_default();
        println!("before intent, {what}: {m:.1} / {p:.1} ms (the longest: {worst})");
    }
    let idle: Vec<f64> = cold.iter().filter_map(|l| Some(l.core()? - l.load)).collect();
    if idle.len() == cold.len() {
        let (im, ip) = median_p95(idle);
        println!("the core requested {im:.0} / {ip:.0} ms after the load event (negative: before it)");
    }
    for (name, runs) in [("cold", &cold), ("warm", &warm)] {
        let (lm, lp) = median_p95(runs.iter().map(|r| r.launcher).collect());
        let arrived = |path| median_p95(runs.iter().filter_map(|r| r.arrived(path)).collect()).0;
        let script = arrived("/v1/widget.js");
        println!(
            "{name}: launcher visible {lm:.0} / {lp:.0} ms after navigation start \
             (median arrival of the tag's script {script:.0} ms)"
        );
    }
    let (cm, cp) = median_p95(clicks.iter().map(|c| c.0).collect());
    let (nm, np) = median_p95(clicks.iter().map(|c| c.1).collect());
    println!("cold: first open, click to interactive panel {cm:.0} / {cp:.0} ms ({nm:.0} / {np:.0} ms after navigation start)");
}
