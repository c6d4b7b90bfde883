//! Benchmark: time to first token, and tokens per second, through the edge versus straight
//! from the stand-in LLM over loopback and through a Worker that only relays (the floor of any
//! Worker under `wrangler dev`), plus the edge's wasm size and what takes it. Prints figures;
//! asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-ttft [RUNS]` (default 100 runs each; a fifth of
//! that for tokens per second, whose replies are long).

use std::time::{Duration, Instant};

use e2e::bare_relay::BareRelay;
use e2e::measure::{server_timing, step_medians};
use e2e::App;
use futures_util::StreamExt;
use serde_json::json;
use shared::{SseDecoder, StreamEvent};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A reply of about 100 tokens: the stand-in echoes the question.
const LONG_QUESTION: &str = "Please repeat after me every word of this long question so that the reply is long \
    enough to measure how many tokens per second pass through the relay compared with the stand-in itself, \
    which paces its tokens evenly and so sets the upper bound for both paths; the edge should keep up with it \
    token for token without buffering, batching or falling behind while it also writes the reply to its store.";

/// When the stand-in had the request sent at `start` (the first it received since it had
/// `before` requests): the time before the provider is asked.
fn asked(app: &App, before: usize, start: Instant) -> Duration {
    app.llm.requests().get(before).expect("the stand-in was asked").at.saturating_duration_since(start)
}

/// Time to the first token and from it to the last, from the stand-in at `base_url` (itself, or
/// through the bare relay), and how long the stand-in took to have the request.
async fn direct(
    app: &App,
    http: &reqwest::Client,
    base_url: &str,
    question: &str,
) -> (Duration, Duration, usize, Duration) {
    let body = json!({"model": "stand-in", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "system", "content": "You are a benchmark."}, {"role": "user", "content": question}]});
    let before = app.llm.requests().len();
    let start = Instant::now();
    let resp = http.post(format!("{base_url}/chat/completions")).json(&body).send().await.expect("stand-in answers");
    let mut stream = resp.bytes_stream();
    let mut decoder = SseDecoder::new();
    let mut first = None;
    let mut last = start;
    let mut tokens = 0;
    while let Some(chunk) = stream.next().await {
        for frame in decoder.push(&chunk.expect("bytes")) {
            let v: serde_json::Value = serde_json::from_str(&frame.data).unwrap_or_default();
            if v["choices"][0]["delta"]["content"].as_str().is_some_and(|c| !c.is_empty()) {
                first.get_or_insert_with(Instant::now);
                last = Instant::now();
                tokens += 1;
            }
        }
    }
    let first = first.expect("a token from the stand-in");
    (first - start, last - first, tokens, asked(app, before, start))
}

/// The same through the edge, in a new conversation of the demo site, by a new visitor at a new
/// address (so the visitor limits never stop the run).
async fn edge(app: &App, question: &str) -> (Duration, Duration, usize, Duration, Vec<(String, f64)>) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static RUN: AtomicU32 = AtomicU32::new(0);
    let n = RUN.fetch_add(1, Ordering::Relaxed);
    let api = app.api("http://localhost:8788").from_ip(&format!("10.40.{}.{}", n / 250, n % 250 + 1));
    let c = api.open("site_demo_localhost", &format!("bench-{n}")).await;
    let before = app.llm.requests().len();
    let start = Instant::now();
    let reply = api.send(&c.conversation_id, &c.token, question).await;
    let times: Vec<Instant> =
        reply.events.iter().filter(|(_, e)| matches!(e, StreamEvent::Token { .. })).map(|(t, _)| *t).collect();
    let (first, last) = (times.first().expect("a token through the edge"), times[times.len() - 1]);
    let steps = reply.headers.get("server-timing").and_then(|v| v.to_str().ok()).map(server_timing).unwrap_or_default();
    (*first - start, last - *first, times.len(), asked(app, before, start), steps)
}

fn tokens_per_second(runs: &[(Duration, Duration, usize)]) -> f64 {
    let mut rates: Vec<f64> = runs.iter().map(|(_, d, n)| (*n as f64 - 1.0) / d.as_secs_f64()).collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn summary(name: &str, mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    let median = percentile(&xs, 0.5);
    println!(
        "{name:<28} median {:>7.2} ms   p95 {:>7.2} ms   min {:>7.2} ms   (n={})",
        ms(median),
        ms(percentile(&xs, 0.95)),
        ms(xs[0]),
        xs.len()
    );
    median
}

fn gzip_size(path: &std::path::Path) -> Option<usize> {
    let out = std::process::Command::new("gzip").args(["-9", "-c"]).arg(path).output().ok()?;
    Some(out.stdout.len())
}

/// What takes the space of the module `path` (with its names, as `dev/build` keeps it): bytes of
/// code per crate (the edge's by module), and of the data segments.
fn composition(path: &std::path::Path) -> Result<(Vec<(String, usize)>, usize), String> {
    use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut imported, mut bodies, mut names, mut data) = (0, Vec::new(), std::collections::HashMap::new(), 0);
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import.map_err(|e| e.to_string())?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body.range().len()),
            Payload::DataSection(segments) => data = segments.range().len(),
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(subsections) = custom.as_known() {
                    for subsection in subsections {
                        if let Ok(Name::Function(map)) = subsection {
                            for naming in map.into_iter().flatten() {
                                names.insert(naming.index, naming.name);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut by_crate = std::collections::HashMap::<String, usize>::new();
    for (i, size) in bodies.iter().enumerate() {
        let name = names.get(&(imported + i as u32)).copied().unwrap_or("");
        *by_crate.entry(owner_of(name)).or_default() += size;
    }
    let mut by_crate: Vec<(String, usize)> = by_crate.into_iter().collect();
    by_crate.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    Ok((by_crate, data))
}

/// The crate a function's demangled name belongs to, the edge's by its top module: `<T as
/// Trait>` by `T`'s, or by the trait's where `T` is a primitive or a generic parameter (its
/// code comes from there); names that are not paths (wasm-bindgen's glue, `memcpy`) apart.
fn owner_of(name: &str) -> String {
    const PRIMITIVES: &[&str] = &[
        "bool", "char", "str", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
        "u128", "usize",
    ];
    fn bare(mut s: &str) -> &str {
        loop {
            let trimmed = s
                .trim_start_matches(['<', '&', '[', '(', '*'])
                .trim_start_matches("mut ")
                .trim_start_matches("const ")
                .trim_start_matches("dyn ");
            if trimmed == s {
                return s;
            }
            s = trimmed;
        }
    }
    let first = |path: &str| path.split(['[', '<', ' ', '>', ';', ']', ',', ')', ':']).next().unwrap_or("").to_owned();
    let mut path = bare(name);
    if let Some((ty, tr)) = name.strip_prefix('<').and_then(|n| n.split_once(" as ")) {
        let ty = first(bare(ty));
        if PRIMITIVES.contains(&ty.as_str()) || ty.len() == 1 {
            path = bare(tr);
        }
    }
    let mut segments = path.split("::");
    match (segments.next().map(first), segments.next().map(first)) {
        (Some(krate), Some(module)) if krate == "edge" => format!("edge::{module}"),
        // `<str>::to_lowercase` and the like: the standard library's (core's or alloc's).
        (Some(primitive), Some(_)) if PRIMITIVES.contains(&primitive.as_str()) => "std".to_owned(),
        (Some(krate), Some(_)) if !krate.is_empty() && krate.chars().all(|c| c.is_alphanumeric() || c == '_') => krate,
        _ => "(glue and unnamed)".to_owned(),
    }
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100);
    let app = App::spawn(&[]).unwrap_or_else(|e| panic!("could not start the edge: {e}"));
    let upstream = app.llm.base_url.trim_end_matches("/v1");
    let bare =
        app.block_on(BareRelay::spawn(upstream)).unwrap_or_else(|e| panic!("could not start the bare relay: {e}"));
    let http = reqwest::Client::new();
    let (stand_in, relayed) = (app.llm.base_url.as_str(), format!("{}/v1", bare.url));
    let short = "How fast are you?";
    let long_runs = (runs / 5).max(3);
    let (d_short, b_short, e_short, d_long, e_long, e_steps) = app.block_on(async {
        // Warm up every path (worker instantiation, connection pools).
        for _ in 0..5 {
            direct(&app, &http, stand_in, short).await;
            direct(&app, &http, &relayed, short).await;
            edge(&app, short).await;
        }
        let (mut d_short, mut b_short, mut e_short, mut d_long, mut e_long) = (vec![], vec![], vec![], vec![], vec![]);
        let mut e_steps = Vec::new();
        // Interleaved, so drift on the machine affects all alike.
        for i in 0..runs {
            d_short.push(direct(&app, &http, stand_in, short).await);
            b_short.push(direct(&app, &http, &relayed, short).await);
            let (first, rest, n, asked, steps) = edge(&app, short).await;
            e_short.push((first, rest, n, asked));
            e_steps.push(steps);
            if i < long_runs {
                let (first, rest, n, _) = direct(&app, &http, stand_in, LONG_QUESTION).await;
                d_long.push((first, rest, n));
                let (first, rest, n, _, _) = edge(&app, LONG_QUESTION).await;
                e_long.push((first, rest, n));
            }
        }
        (d_short, b_short, e_short, d_long, e_long, e_steps)
    });
    drop(bare);
    // What any request pays to pass wrangler dev's local proxy and workerd, with no work behind it.
    let floor = app.block_on(async {
        let api = app.api_without_origin();
        let mut xs = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            assert_eq!(api.get("/healthz", None).await.status, 200);
            xs.push(start.elapsed());
        }
        xs
    });
    println!("time to first token, stand-in LLM with a 15 ms first-token delay, loopback, {runs} runs each:");
    let d = summary("direct from the stand-in", d_short.iter().map(|r| r.0).collect());
    let b = summary("through a bare relay Worker", b_short.iter().map(|r| r.0).collect());
    let e = summary("through the edge", e_short.iter().map(|r| r.0).collect());
    println!("ratio edge / direct (medians): {:.2}x   (edge adds {:.2} ms)", ms(e) / ms(d), ms(e) - ms(d));
    println!(
        "any Worker adds {:.2} ms here (wrangler's proxy, workerd's way in and out); the edge's own share: {:.2} ms",
        ms(b) - ms(d),
        ms(e) - ms(b)
    );
    // Where the edge's time goes, from the stand-in's side: until it has the request, and from
    // then until the first token reaches the visitor (the stand-in waits 15 ms of it).
    let da = summary("direct: until asked", d_short.iter().map(|r| r.3).collect());
    summary("bare relay: until asked", b_short.iter().map(|r| r.3).collect());
    let ea = summary("edge: until asked", e_short.iter().map(|r| r.3).collect());
    let dr = summary("direct: asked to token", d_short.iter().map(|r| r.0.saturating_sub(r.3)).collect());
    let er = summary("edge: asked to token", e_short.iter().map(|r| r.0.saturating_sub(r.3)).collect());
    println!(
        "the edge adds {:.2} ms before the provider has the request and {:.2} ms between it and the first token",
        ms(ea) - ms(da),
        ms(er) - ms(dr)
    );
    let floor = summary("GET /healthz (no work)", floor);
    let (after_start, cold) = app.first_answer;
    println!(
        "cold start: the first request after wrangler dev started took {:.1} ms (it answered {:.1} s after the start)",
        ms(cold),
        after_start.as_secs_f64()
    );
    println!(
        "edge overhead beyond a request that does nothing: {:.2} ms (on Cloudflare there is no local proxy)",
        ms(e) - ms(d) - ms(floor)
    );
    let medians = step_medians(&e_steps);
    let inside: f64 = medians.iter().map(|(_, d)| d).sum();
    println!(
        "inside the worker before the reply's stream (Server-Timing, medians, ms): {}",
        medians.iter().map(|(n, d)| format!("{n} {d:.0}")).collect::<Vec<_>>().join(", ")
    );
    println!(
        "  of which before the provider is asked: {:.0} ms (the message is stored while it is asked)",
        inside - medians.iter().find(|(n, _)| n == "store").map_or(0.0, |(_, d)| *d)
    );
    let (dt, et) = (tokens_per_second(&d_long), tokens_per_second(&e_long));
    println!(
        "tokens per second over a {}-token reply (the stand-in paces them 15 ms apart), median of {long_runs}: \
         direct {dt:.1}, through the edge {et:.1}, ratio {:.2}",
        e_long[0].2,
        et / dt
    );

    let wasm = e2e::app::root().join("edge/build/index_bg.wasm");
    match std::fs::metadata(&wasm) {
        Ok(m) => println!(
            "edge wasm: {} bytes raw, {} bytes gzip -9",
            m.len(),
            gzip_size(&wasm).map_or("?".to_owned(), |n| n.to_string())
        ),
        Err(e) => println!("edge wasm: not found at {}: {e}", wasm.display()),
    }
    let named = std::path::Path::new(&std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned()))
        .join("edge-named.wasm");
    match composition(&e2e::app::root().join(&named)) {
        Ok((by_crate, data)) => {
            let code: usize = by_crate.iter().map(|(_, n)| n).sum();
            let top: Vec<String> = by_crate.iter().take(24).map(|(k, n)| format!("{k} {}", n / 1000)).collect();
            println!(
                "what takes its space: code {} KB, data {} KB; KB of code by crate, the edge's by module:",
                code / 1000,
                data / 1000
            );
            // js_sys's share is mostly the edge's own async code, inlined where it runs as a promise.
            println!("  {}", top.join(", "));
        }
        Err(e) => println!("what takes its space: {e} (dev/build keeps the module with names there)"),
    }
}
