//! Benchmark: the console's download size and how fast it answers in headless Chromium.
//! Prints figures; asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-console [RUNS]` (default 15), after `dev/build`
//! (it measures the files in console/dist).
//!
//! - Sizes of console/dist's files raw, gzip -9 and brotli q11; the first load is all of them.
//! - First load, cold (a fresh browser profile): navigation start to the sign-in form's first
//!   paint (the page has nothing else to paint).
//! - Sign-in to inbox interactive: from the form's submit to the inbox listing the
//!   organization's conversations, in a fresh profile each run, timed inside the page.
//! - Switching pages: from a click on the navigation to the page showing its content, timed
//!   inside the page (Leads, Sites, Team, Inbox in turn).

use std::time::Duration;

use e2e::browser::{Driver, Page};
use e2e::client::Person;
use e2e::measure::{brotli, gzip, median_p95};
use e2e::App;
use serde_json::json;

const PASSWORD: &str = "a long enough passphrase";
const WAIT: Duration = Duration::from_secs(30);
const CONVERSATIONS: usize = 60;

/// Runs `action` in the page and answers how long until `done` holds, in ms, watching the
/// DOM's changes rather than polling from outside.
async fn timed(page: &Page, action: &str, done: &str) -> f64 {
    let script = format!(
        "const finish = arguments[arguments.length - 1];
         const done = () => {{ try {{ return {done}; }} catch (e) {{ return false; }} }};
         const t0 = performance.now();
         const obs = new MutationObserver(() => {{ if (done()) {{ obs.disconnect(); finish(performance.now() - t0); }} }});
         obs.observe(document.body, {{subtree: true, childList: true, characterData: true, attributes: true}});
         {action};"
    );
    let v = page.client.execute_async(&script, vec![]).await.unwrap_or_else(|e| panic!("timing {done}: {e}"));
    v.as_f64().unwrap_or(f64::NAN)
}

fn line(name: &str, v: Vec<f64>) {
    let (median, p95) = median_p95(v);
    println!("{name:<44} median {median:>7.1} ms   p95 {p95:>7.1} ms");
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    let dist = e2e::app::root().join("console/dist");
    let mut files: Vec<_> =
        std::fs::read_dir(&dist).expect("console/dist: run dev/build first").flatten().map(|e| e.path()).collect();
    files.sort();
    println!("{:<40} {:>9} {:>9} {:>9}", "file", "raw", "gzip", "brotli");
    let mut total = (0, 0, 0);
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let (raw, gz, br) = (bytes.len(), gzip(&bytes), brotli(&bytes));
        total = (total.0 + raw, total.1 + gz, total.2 + br);
        println!("{:<40} {raw:>9} {gz:>9} {br:>9}", path.file_name().unwrap_or_default().to_string_lossy());
    }
    println!("{:<40} {:>9} {:>9} {:>9}", "first load, total", total.0, total.1, total.2);

    let app = App::spawn(&[]).expect("the edge starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    let key = app
        .bootstrap(&format!(
            "--slug bench --owner-email owner@bench.test --owner-link-token-file {}",
            token_file.display()
        ))
        .expect("bootstrap");
    let token = std::fs::read_to_string(&token_file).expect("token");
    app.block_on(async {
        let r = Person::new(&app.edge, "10.8.0.1")
            .post("/v1/auth/password-reset", &json!({"token": token, "password": PASSWORD}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let site = app.admin(&key).post("/v1/admin/domains", &json!({"hostname": "bench.example"})).await;
        let site_key = site.body["site_key"].as_str().expect("site key").to_owned();
        for n in 0..CONVERSATIONS {
            let visitor = app.api("https://bench.example").from_ip(&format!("10.8.1.{n}"));
            let c = visitor.open(&site_key, &format!("v_bench_{n}")).await;
            visitor.send(&c.conversation_id, &c.token, "Where is my order?").await;
        }
    });

    let driver = Driver::start().expect("chromedriver");
    let sign_in = format!("{}/console/sign-in?next=/console/inbox", app.edge);
    let (mut first_paint, mut signed_in, mut switches) = (Vec::new(), Vec::new(), Vec::new());
    let submit = "const set = (id, v) => { const f = document.getElementById(id); f.value = v;
                  f.dispatchEvent(new Event('input', {bubbles: true})); };
                  set('email', 'owner@bench.test'); set('password', 'PASSWORD');
                  document.querySelector('form').requestSubmit()"
        .replace("PASSWORD", PASSWORD);
    let inbox_ready =
        "location.pathname === '/console/inbox' && document.querySelectorAll('.conversations li').length > 0";
    app.block_on(async {
        // One run first so wrangler and the OS caches are warm for everybody.
        let page = driver.session(false).await.expect("session");
        page.goto(&sign_in).await;
        page.wait_for("the form", "document.getElementById('email')", WAIT).await;
        timed(&page, &submit, inbox_ready).await;
        page.close().await;
        for _ in 0..runs {
            let page = driver.session(false).await.expect("session");
            page.goto(&sign_in).await;
            page.wait_for("the form", "document.getElementById('email')", WAIT).await;
            page.wait_for("the first paint", "performance.getEntriesByName('first-contentful-paint').length", WAIT).await;
            let paint = page
                .js("return (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime")
                .await;
            first_paint.push(paint.as_f64().unwrap_or(f64::NAN));
            signed_in.push(timed(&page, &submit, inbox_ready).await);
            for (path, heading) in [("leads", "Leads"), ("sites", "Sites"), ("team", "Team"), ("inbox", "Inbox")] {
                let click = format!("document.querySelector(\"nav a[href='/console/{path}']\").click()");
                let shown = format!(
                    "document.querySelector('main h1') && document.querySelector('main h1').textContent === '{heading}'
                     && !document.body.innerText.includes('Loading…') && document.querySelector('main').children.length > 1"
                );
                switches.push(timed(&page, &click, &shown).await);
            }
            page.close().await;
        }
    });
    println!();
    line("first load, cold, to the sign-in form's paint", first_paint);
    line(&format!("sign-in to inbox interactive ({CONVERSATIONS} conversations)"), signed_in);
    line("switching pages (click to content)", switches);
}
