//! Benchmark: requests per second of `GET /v1/widget/config` and of a full short conversation
//! turn (post a message, read the streamed reply to its end) at concurrency 1, 10 and 50,
//! through `wrangler dev` on loopback, and the CPU time workerd spends on each (the worker, and
//! locally also D1 and the meter; the provider's time is waiting, not CPU). Beside each, the
//! same figure less that of `GET /healthz`, which does no work: what workerd spends on any
//! request locally (wrangler's proxy worker in front, HTTP, the worker's entry), which Cloudflare
//! does not bill to the worker. And the CPU time of the worker's isolate alone, from V8's
//! sampling profiler through wrangler's inspector (`e2e::inspector`): closest locally to the CPU
//! time Cloudflare counts for a request, though locally it also holds the meter's Durable Object
//! (its own bill on Cloudflare) and the profiler's own cost. Prints figures; asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-load [SECONDS]` (default 5 seconds per level).
//! The stand-in paces its tokens 15 ms apart, so a turn takes at least ~0.2 s whatever the edge.
//! Visitors ask 5 questions per conversation (`TURNS_PER_CONVERSATION`), at every level.

use std::time::{Duration, Instant};

use e2e::client::Api;
use e2e::inspector::{busy_ms, Profiler};
use e2e::App;
use futures_util::StreamExt;
use shared::StreamEvent;

const ORIGIN: &str = "http://localhost:8788";
const SITE: &str = "site_demo_localhost";
/// Questions a visitor asks in one conversation: a usual chat's length.
const TURNS_PER_CONVERSATION: usize = 5;

/// Runs `one` on `concurrency` workers until `period` is over; completed calls and failures.
async fn load<F, Fut>(concurrency: usize, period: Duration, one: F) -> (usize, usize)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + period;
    let workers = (0..concurrency).map(|w| {
        let one = &one;
        async move {
            let (mut ok, mut failed) = (0, 0);
            while Instant::now() < deadline {
                if one(w).await {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            (ok, failed)
        }
    });
    futures_util::future::join_all(workers).await.into_iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// One route under load: how many calls completed in the counted pass and failed in either, and CPU
/// milliseconds per call, of workerd's processes in that pass and of the worker's isolate in a
/// second, profiled pass (sampling costs workerd CPU of its own, so it is kept out of the first).
struct Phase {
    ok: usize,
    failed: usize,
    workerd_ms: f64,
    isolate_ms: f64,
}

/// With `BENCH_PROFILES=DIR`, each profiled pass is also saved there as
/// `NAME-cCONCURRENCY.cpuprofile`, to see in DevTools where the worker's time goes.
fn phase<F, Fut>(
    app: &App,
    profiler: &mut Profiler,
    (name, concurrency): (&str, usize),
    period: Duration,
    one: F,
) -> Phase
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let cpu = app.workerd_cpu_ms();
    let (ok, failed) = app.block_on(load(concurrency, period, &one));
    let workerd_ms = (app.workerd_cpu_ms() - cpu) / (ok + failed).max(1) as f64;
    app.block_on(profiler.start()).unwrap_or_else(|e| panic!("profiling the worker: {e}"));
    let (profiled_ok, profiled_failed) = app.block_on(load(concurrency, period, &one));
    let profile = app.block_on(profiler.stop()).unwrap_or_else(|e| panic!("profiling the worker: {e}"));
    if let Some(dir) = std::env::var_os("BENCH_PROFILES") {
        let path = std::path::Path::new(&dir).join(format!("{name}-c{concurrency}.cpuprofile"));
        std::fs::write(&path, profile.to_string()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let isolate = busy_ms(&profile).unwrap_or_else(|e| panic!("profiling the worker: {e}"));
    let isolate_ms = isolate / (profiled_ok + profiled_failed).max(1) as f64;
    Phase { ok, failed: failed + profiled_failed, workerd_ms, isolate_ms }
}

fn main() {
    let seconds: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(5);
    let period = Duration::from_secs(seconds);
    let app = App::spawn(&[]).unwrap_or_else(|e| panic!("could not start the edge: {e}"));
    let mut profiler = app
        .block_on(Profiler::attach(app.inspector))
        .unwrap_or_else(|e| panic!("could not attach to the worker's inspector: {e}"));
    println!(
        "requests per second through wrangler dev on loopback, {seconds} s per level counted, then {seconds} s \
         profiled for the worker's isolate:"
    );
    let per_second = |p: &Phase| p.ok as f64 / seconds as f64;
    for (level, concurrency) in [1, 10, 50].into_iter().enumerate() {
        // Each worker is its own visitor at its own address, as real visitors are.
        let clients: Vec<Api> =
            (0..concurrency).map(|w| app.api(ORIGIN).from_ip(&format!("10.30.{level}.{}", w + 1))).collect();
        let healthz = phase(&app, &mut profiler, ("healthz", concurrency), period, |w| {
            let api = &clients[w];
            async move { api.get("/healthz", None).await.status == 200 }
        });
        let floor = healthz.workerd_ms;
        println!(
            "GET /healthz (no work)  concurrency {concurrency:>2}: {:>7.1} req/s ({} ok, {} failed), \
             workerd CPU {floor:.2} ms per request; the worker's isolate {:.3} ms",
            per_second(&healthz),
            healthz.ok,
            healthz.failed,
            healthz.isolate_ms
        );
        // Each page load is another visitor's: one address asking hundreds of times a second
        // would meet the shield (600 requests a minute), which is not what this measures.
        let loads = std::sync::atomic::AtomicU32::new(0);
        let config = phase(&app, &mut profiler, ("config", concurrency), period, |w| {
            let n = loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let api = clients[w].clone().from_ip(&format!("10.{}.{}.{}", 100 + level, n / 250 % 250, n % 250 + 1));
            async move {
                let r = api.config(SITE).await;
                if r.status != 200 {
                    eprintln!("a config load failed: {} {}", r.status, r.body);
                }
                r.status == 200
            }
        });
        println!(
            "GET /v1/widget/config   concurrency {concurrency:>2}: {:>7.1} req/s ({} ok, {} failed), \
             workerd CPU {:.2} ms per request ({:.2} above /healthz); the worker's isolate {:.3} ms",
            per_second(&config),
            config.ok,
            config.failed,
            config.workerd_ms,
            config.workerd_ms - floor,
            config.isolate_ms
        );
        // Each worker is a crowd of visitors, one after another, each of whom asks
        // TURNS_PER_CONVERSATION questions in a conversation of their own: a turn costs more the
        // longer its conversation (its history is read and sent), so every level measures turns
        // of the same lengths. Opened beforehand, enough for both passes (a turn takes at least
        // ~0.2 s).
        let per_worker = (seconds as usize * 2 * 5).div_ceil(TURNS_PER_CONVERSATION) + 1;
        let opens = (0..concurrency).flat_map(|w| (0..per_worker).map(move |i| (w, i))).map(|(w, i)| {
            let api = &clients[w];
            async move { api.open(SITE, &format!("load-{level}-{w}-{i}")).await }
        });
        let conversations: Vec<_> =
            app.block_on(futures_util::stream::iter(opens).buffered(concurrency).collect::<Vec<_>>());
        let turns: Vec<std::sync::atomic::AtomicUsize> =
            (0..concurrency).map(|_| std::sync::atomic::AtomicUsize::new(0)).collect();
        let turn = phase(&app, &mut profiler, ("turn", concurrency), period, |w| {
            let turn = turns[w].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let nth = (turn / TURNS_PER_CONVERSATION).min(per_worker - 1);
            let (api, c) = (&clients[w], &conversations[w * per_worker + nth]);
            async move {
                let s = api.send(&c.conversation_id, &c.token, "Quick question").await;
                let done = matches!(s.last(), Some(StreamEvent::Done { .. }));
                if !done {
                    eprintln!("a turn failed: {} {:?} {}", s.status, s.last(), s.body);
                }
                done
            }
        });
        println!(
            "conversation turn       concurrency {concurrency:>2}: {:>7.1} turns/s ({} ok, {} failed), \
             workerd CPU {:.2} ms per turn ({:.2} above /healthz); the worker's isolate {:.3} ms",
            per_second(&turn),
            turn.ok,
            turn.failed,
            turn.workerd_ms,
            turn.workerd_ms - floor,
            turn.isolate_ms
        );
    }
}
