//! Benchmark: the widget's download size and how fast it starts in headless Chromium.
//! Prints figures; asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-widget [LOADS]` (default 15 loads of each kind),
//! after `dev/build` (it measures the files in widget/dist).
//!
//! - Sizes of widget/dist's files raw, gzip -9 and brotli q11, and the first-open transfer:
//!   the three files plus the config response the widget fetches.
//! - Per load, in ms since navigation start (performance.now()): the launcher is in the shadow
//!   root; then, after a click the moment it appears, the panel has its greeting and input.
//!   "cold" is a fresh browser profile per load; "warm" reloads in the same browser, where the
//!   content-hashed core files come from cache.

use std::io::Write;
use std::time::Duration;

use e2e::browser::{Driver, Page};
use e2e::host_site::HostSite;
use e2e::App;

fn gzip(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip").len()
}

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("brotli");
    out.len()
}

fn median_p95(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.95))
}

async fn timed_load(page: &Page, url: &str) -> (f64, f64) {
    page.goto(url).await;
    let v = page
        .wait_for(
            "the probe's figures",
            "window.bench && window.bench.interactive && window.bench",
            Duration::from_secs(30),
        )
        .await;
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    (f("launcher"), f("interactive"))
}

fn main() {
    let loads: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    let dist = e2e::app::root().join("widget/dist");
    let mut files: Vec<_> =
        std::fs::read_dir(&dist).expect("widget/dist: run dev/build first").flatten().map(|e| e.path()).collect();
    files.sort();
    println!("{:<36} {:>9} {:>9} {:>9}", "file", "raw", "gzip", "brotli");
    let mut total = (0, 0, 0);
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "js" || e == "wasm")) {
        let bytes = std::fs::read(path).expect("read");
        let (raw, gz, br) = (bytes.len(), gzip(&bytes), brotli(&bytes));
        total = (total.0 + raw, total.1 + gz, total.2 + br);
        println!("{:<36} {raw:>9} {gz:>9} {br:>9}", path.file_name().unwrap_or_default().to_string_lossy());
    }

    let app = App::spawn(&[]).expect("the edge starts");
    let config = app.block_on(app.api("http://localhost:8788").config("site_demo_localhost"));
    let config_bytes = serde_json::to_vec(&config.body).expect("json");
    let (craw, cgz, cbr) = (config_bytes.len(), gzip(&config_bytes), brotli(&config_bytes));
    println!("{:<36} {craw:>9} {cgz:>9} {cbr:>9}", "GET /v1/widget/config (body)");
    println!("{:<36} {:>9} {:>9} {:>9}", "first open, total", total.0 + craw, total.1 + cgz, total.2 + cbr);

    let site = app.block_on(HostSite::start(&app.edge)).expect("host site");
    let driver = Driver::start().expect("chromedriver");
    let url = site.url("/bench.html");
    let mut cold: Vec<(f64, f64)> = Vec::new();
    let mut warm: Vec<(f64, f64)> = Vec::new();
    app.block_on(async {
        // One load first so wrangler and the OS caches are warm for everybody.
        let first = driver.session(false).await.expect("session");
        timed_load(&first, &url).await;
        first.close().await;
        for _ in 0..loads {
            let page = driver.session(false).await.expect("session");
            cold.push(timed_load(&page, &url).await);
            warm.push(timed_load(&page, &url).await);
            page.close().await;
        }
    });
    println!("\n{loads} loads each, ms since navigation start: median / p95");
    for (name, runs) in [("cold", &cold), ("warm", &warm)] {
        let (lm, lp) = median_p95(runs.iter().map(|r| r.0).collect());
        let (im, ip) = median_p95(runs.iter().map(|r| r.1).collect());
        println!("{name}: launcher visible {lm:.0} / {lp:.0}; panel interactive {im:.0} / {ip:.0}");
    }
}
