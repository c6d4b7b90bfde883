//! Benchmark: time to first token through the edge versus straight from the stand-in LLM,
//! over loopback, plus the edge's wasm size. Prints figures; asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-ttft [RUNS]` (default 60 runs each).

use std::time::{Duration, Instant};

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

async fn direct_ttft(http: &reqwest::Client, base_url: &str) -> Duration {
    let body = json!({"model": "stand-in", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "system", "content": "You are a benchmark."}, {"role": "user", "content": "How fast are you?"}]});
    let start = Instant::now();
    let resp = http.post(format!("{base_url}/chat/completions")).json(&body).send().await.expect("stand-in answers");
    let mut stream = resp.bytes_stream();
    let mut decoder = SseDecoder::new();
    while let Some(chunk) = stream.next().await {
        for frame in decoder.push(&chunk.expect("bytes")) {
            let v: serde_json::Value = serde_json::from_str(&frame.data).unwrap_or_default();
            if v["choices"][0]["delta"]["content"].as_str().is_some_and(|c| !c.is_empty()) {
                let t = start.elapsed();
                // Drain the rest so the server finishes normally.
                while stream.next().await.is_some() {}
                return t;
            }
        }
    }
    panic!("no token from the stand-in");
}

async fn edge_ttft(app: &App) -> Duration {
    let api = app.api("http://localhost:8788");
    let c = api.open("site_demo_localhost", "bench").await;
    let start = Instant::now();
    let reply = api.send(&c.conversation_id, &c.token, "How fast are you?").await;
    let first = reply.events.iter().find(|(_, e)| matches!(e, StreamEvent::Token { .. }));
    first.expect("a token through the edge").0 - start
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

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(60);
    let app = App::spawn(&[]).unwrap_or_else(|e| panic!("could not start the edge: {e}"));
    let http = reqwest::Client::new();
    let (direct, edge) = app.block_on(async {
        // Warm up both paths (worker instantiation, connection pools).
        for _ in 0..5 {
            direct_ttft(&http, &app.llm.base_url).await;
            edge_ttft(&app).await;
        }
        let mut direct = Vec::with_capacity(runs);
        let mut edge = Vec::with_capacity(runs);
        // Interleaved, so drift on the machine affects both alike.
        for _ in 0..runs {
            direct.push(direct_ttft(&http, &app.llm.base_url).await);
            edge.push(edge_ttft(&app).await);
        }
        (direct, edge)
    });
    println!("time to first token, stand-in LLM with a 15 ms first-token delay, loopback, {runs} runs each:");
    let d = summary("direct from the stand-in", direct);
    let e = summary("through the edge", edge);
    println!("ratio edge / direct (medians): {:.2}x   (edge adds {:.2} ms)", ms(e) / ms(d), ms(e) - ms(d));

    let wasm = e2e::app::root().join("edge/build/index_bg.wasm");
    match std::fs::metadata(&wasm) {
        Ok(m) => println!(
            "edge wasm: {} bytes raw, {} bytes gzip -9",
            m.len(),
            gzip_size(&wasm).map_or("?".to_owned(), |n| n.to_string())
        ),
        Err(e) => println!("edge wasm: not found at {}: {e}", wasm.display()),
    }
}
