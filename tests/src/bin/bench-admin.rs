//! Benchmark: latency of the admin API's conversation list with 10,000 conversations (20,000
//! messages) in one organization, through the real edge and local D1, over loopback, with an
//! API key and with a signed-in owner's session; and what signing in costs (PBKDF2 with 100,000
//! iterations through the runtime's WebCrypto). Prints figures; asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-admin [RUNS]` (default 200 requests per case).

use std::time::{Duration, Instant};

use e2e::client::Person;
use e2e::App;

fn line(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<28} median {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(times[times.len() - 1])
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let app = App::spawn(&["tenants.sql", "bench_conversations.sql"]).unwrap_or_else(|e| panic!("{e}"));
    let key = app.mint_key("acme").unwrap_or_else(|e| panic!("{e}"));
    let admin = app.admin(&key);
    let total = app
        .db
        .int("SELECT count(*) FROM conversations WHERE organization_id = '0193a000-0000-7000-8000-0000000000a1'", &[]);
    println!("organization with {total} conversations; {runs} requests per case, one at a time");
    // A cursor deep in the list: the page after 5,000 conversations.
    let deep = app.block_on(async {
        let mut cursor = String::new();
        for _ in 0..25 {
            let path = format!("/v1/admin/conversations?limit=200{cursor}");
            let page = admin.get(&path).await;
            cursor = format!("&cursor={}", page.body["next_cursor"].as_str().unwrap_or_default());
        }
        cursor
    });
    let cases = [
        ("first page (50)", "/v1/admin/conversations".to_owned()),
        ("first page, one domain", "/v1/admin/conversations?domain_id=0193a000-0000-7000-8000-0000000000a2".to_owned()),
        ("page after 5,000 (cursor)", format!("/v1/admin/conversations?limit=50{deep}")),
        ("200 per page", "/v1/admin/conversations?limit=200".to_owned()),
        ("one day (from/to)", "/v1/admin/conversations?from=2026-09-21&to=2026-09-21".to_owned()),
        ("one conversation", "/v1/admin/conversations/0193b000-0000-7000-8000-000000005000".to_owned()),
    ];
    for (name, path) in cases {
        let times = app.block_on(async {
            let mut times = Vec::with_capacity(runs);
            let _ = admin.get(&path).await;
            for _ in 0..runs {
                let start = Instant::now();
                let r = admin.get(&path).await;
                times.push(start.elapsed());
                assert_eq!(r.status, 200, "{path}: {:?}", r.body);
            }
            times
        });
        line(name, times);
    }

    // The acme owner, whose password is set through the bootstrap's one-time link.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token_file = dir.path().join("token");
    app.bootstrap(&format!(
        "--slug acme --no-key --owner-email owner@acme.test --owner-link-token-file {}",
        token_file.display()
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let token = std::fs::read_to_string(&token_file).unwrap_or_else(|e| panic!("{e}"));
    let password = "a long enough passphrase";
    let owner = Person::new(&app.edge, "10.0.0.1");
    let set =
        app.block_on(owner.post("/v1/auth/password-reset", &serde_json::json!({"token": token, "password": password})));
    assert_eq!(set.status, 200, "{:?}", set.body);
    let cpu_before = app.workerd_cpu_ms();
    let sign_ins = app.block_on(async {
        let mut times = Vec::with_capacity(runs);
        for i in 0..runs {
            // Each from its own address and each a success: nothing here is a lockout.
            let p = Person::new(&app.edge, &format!("10.1.{}.{}", i / 256, i % 256));
            let start = Instant::now();
            let r = p.login("owner@acme.test", password).await;
            times.push(start.elapsed());
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        times
    });
    let cpu_per_sign_in = (app.workerd_cpu_ms() - cpu_before) / runs as f64;
    line("sign in (PBKDF2 100,000)", sign_ins);
    println!(
        "  workerd CPU per sign-in: {cpu_per_sign_in:.1} ms (the hash, and locally D1 and the meter too; the Workers \
         free plan allows 10 ms a request)"
    );
    let signed_in = app.block_on(async {
        let mut times = Vec::with_capacity(runs);
        let _ = owner.get("/v1/admin/conversations").await;
        for _ in 0..runs {
            let start = Instant::now();
            let r = owner.get("/v1/admin/conversations").await;
            times.push(start.elapsed());
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        times
    });
    line("first page (50), session", signed_in);
}
