//! The relay, end to end: every wire format streams through the real `wrangler dev` from the
//! stand-in speaking it, faults in each end as the visitor and the database should see them, a
//! message sent twice is stored and answered once, and 200 conversations stream at once without
//! crossing.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use e2e::app::{RELAY_KEY, RELAY_KEY_SECRET};
use e2e::client::{Api, Stream};
use e2e::journeys::{self, unique, Journey};
use e2e::stand_in::{default_reply, tokens, Recorded};
use e2e::App;
use serde_json::{json, Value};
use shared::{ConversationCreated, ErrorCode, StreamEvent};

/// The suite's sites by name: (origin, site key).
static SITES: OnceLock<HashMap<&'static str, (String, String)>> = OnceLock::new();
const SYSTEM_MARK: &str = "RELAY-SYSTEM-PROMPT";

fn main() {
    let tests: Vec<(&str, Journey)> = vec![
        ("every_wire_format_streams_the_reply_and_its_usage", every_wire_format_streams_the_reply_and_its_usage),
        ("faults_in_every_wire_format_keep_what_arrived", faults_in_every_wire_format_keep_what_arrived),
        (
            "workers_ai_through_an_unconnected_binding_fails_cleanly",
            workers_ai_through_an_unconnected_binding_fails_cleanly,
        ),
        (
            "a_message_sent_twice_is_stored_once_and_answered_once",
            a_message_sent_twice_is_stored_once_and_answered_once,
        ),
        (
            "two_hundred_conversations_stream_at_once_without_cross_talk",
            two_hundred_conversations_stream_at_once_without_cross_talk,
        ),
        (
            "a_reservation_past_its_time_counts_as_spent_until_its_reply_settles",
            a_reservation_past_its_time_counts_as_spent_until_its_reply_settles,
        ),
    ];
    // No journey here waits for a provider to time out, and 200 streams at once on two cores
    // take longer than the other suites' short timeouts allow.
    // A reservation counts as spent after a second here, rather than fifteen minutes.
    let patient = [
        ("LLM_FIRST_TOKEN_TIMEOUT_MS", "30000"),
        ("LLM_IDLE_TIMEOUT_MS", "20000"),
        ("METER_RESERVATION_TTL_MS", "1000"),
    ];
    journeys::run(tests, &["relay.sql"], &patient, create_sites)
}

/// One site per provider setting, created through the admin API: they point at the stand-in.
fn create_sites(app: &App) -> Result<(), String> {
    let admin = app.admin(&app.mint_key("relay")?);
    let root = app.llm.base_url.trim_end_matches("/v1").to_owned();
    let sites: [(&'static str, Value); 4] = [
        (
            "anthropic",
            json!({"provider": "anthropic", "base_url": app.llm.base_url, "model": "claude-stand-in", "api_key_secret": RELAY_KEY_SECRET}),
        ),
        (
            "workers-ai",
            json!({"provider": "workers-ai", "base_url": format!("{root}/client/v4/accounts/test/ai/run"), "model": "@cf/stand-in/model", "api_key_secret": RELAY_KEY_SECRET}),
        ),
        ("binding", json!({"provider": "workers-ai"})),
        ("openai", json!({})),
    ];
    let mut map = HashMap::new();
    for (name, llm) in sites {
        let host = format!("{name}.relay.test");
        let body = json!({"hostname": host, "system_prompt": SYSTEM_MARK, "llm": llm});
        let r = app.block_on(admin.post("/v1/admin/domains", &body));
        if r.status != 201 {
            return Err(format!("creating {host}: {} {:?}", r.status, r.body));
        }
        let site = r.body["site_key"].as_str().unwrap_or_default().to_owned();
        map.insert(name, (format!("https://{host}"), site));
    }
    // An organization whose every reply costs more than its budget holds: one reply in flight
    // at a time.
    let reserve = app.admin(&app.mint_key("reserve")?);
    let host = "reserve.relay.test";
    let body = json!({"hostname": host, "llm": {"model": "costly", "max_tokens": 50}});
    let r = app.block_on(reserve.post("/v1/admin/domains", &body));
    if r.status != 201 {
        return Err(format!("creating {host}: {} {:?}", r.status, r.body));
    }
    map.insert("reserve", (format!("https://{host}"), r.body["site_key"].as_str().unwrap_or_default().to_owned()));
    let price =
        json!({"model": "costly", "input_micros_per_million": 200_000_000, "output_micros_per_million": 200_000_000});
    let r =
        app.block_on(reserve.patch("/v1/admin/organization", &json!({"prices": [price], "monthly_budget_cents": 1})));
    if r.status != 200 {
        return Err(format!("pricing the reserve organization: {} {:?}", r.status, r.body));
    }
    SITES.set(map).map_err(|_| "sites created twice".to_owned())
}

/// A client on site `name` and a new conversation on it.
fn open(app: &App, name: &str) -> (Api, ConversationCreated) {
    let (origin, site) = &SITES.get().expect("sites are created first")[name];
    let api = app.api(origin);
    let c = app.block_on(api.open(site, &unique("visitor")));
    (api, c)
}

/// (role, content, status, tokens_in, tokens_out) of each stored message, oldest first.
fn stored(app: &App, conversation: &str) -> Vec<(String, String, String, i64, i64)> {
    app.db
        .rows(
            "SELECT role, content, status, tokens_in, tokens_out FROM messages WHERE conversation_id = ?1 \
             ORDER BY created_at, rowid",
            &[&conversation],
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[3].parse().unwrap_or(-1), r[4].parse().unwrap_or(-1)))
        .collect()
}

/// The requests the stand-in received that carry `text`.
fn asked_with(app: &App, text: &str) -> Vec<Recorded> {
    app.llm.requests().into_iter().filter(|r| r.body.to_string().contains(text)).collect()
}

fn ended_with(s: &Stream, code: ErrorCode) -> bool {
    matches!(s.last(), Some(StreamEvent::Error { code: c, .. }) if *c == code)
}

/// A reservation past its time counts as spent at its worst case, so a reply that streams on
/// (or whose worker died) cannot leave the budget open meanwhile; once the reply settles after
/// all, its real cost replaces the worst case.
fn a_reservation_past_its_time_counts_as_spent_until_its_reply_settles(app: &App) {
    let (api, long) = open(app, "reserve");
    let id = "reserve-long-reply";
    app.block_on(api.read_and_leave(&long.conversation_id, &long.token, "tell me all [[long]]", Some(id), 1));
    std::thread::sleep(Duration::from_millis(1_500));
    let (_, next) = open(app, "reserve");
    let s = app.block_on(api.send(&next.conversation_id, &next.token, "me too"));
    assert!(ended_with(&s, ErrorCode::BudgetExhausted), "the long reply's worst case counts now: {:?}", s.events);

    // Stopped, the long reply settles for the little it produced, and replies go on.
    assert_eq!(app.block_on(api.stop(&long.conversation_id, &long.token, id)).status, 204);
    let start = Instant::now();
    loop {
        let (_, again) = open(app, "reserve");
        let s = app.block_on(api.send(&again.conversation_id, &again.token, "and now?"));
        if matches!(s.last(), Some(StreamEvent::Done { .. })) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the real cost never replaced the worst case: {:?}",
            s.events
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn every_wire_format_streams_the_reply_and_its_usage(app: &App) {
    for name in ["anthropic", "workers-ai"] {
        let (api, c) = open(app, name);
        let question = unique(&format!("Hello over {name}, how are you"));
        let s = app.block_on(api.send(&c.conversation_id, &c.token, &question));
        let expected = default_reply(&question);
        assert_eq!(s.text(), expected, "{name}");
        assert_eq!(s.tokens(), tokens(&expected).len(), "{name}: one event per upstream token");
        let Some(StreamEvent::Done { usage, .. }) = s.last() else { panic!("{name}: {:?}", s.last()) };

        let asked = asked_with(app, &question);
        assert_eq!(asked.len(), 1, "{name}");
        let req = &asked[0];
        // The stand-in counts the words of the messages it got as the prompt's tokens.
        let words: usize = req.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap_or_default().split_whitespace().count())
            .sum();
        assert_eq!((usage.tokens_in as usize, usage.tokens_out as usize), (words, tokens(&expected).len()), "{name}");
        let rows = stored(app, &c.conversation_id);
        assert_eq!(rows.len(), 2, "{name}");
        assert_eq!(
            rows[1],
            ("assistant".into(), expected.clone(), "complete".into(), words as i64, tokens(&expected).len() as i64)
        );

        match name {
            "anthropic" => {
                assert!(req.path.ends_with("/v1/messages"), "{}", req.path);
                assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
                assert_eq!(req.header("x-api-key"), Some(RELAY_KEY), "the organization's own key");
                assert_eq!(req.authorization, None);
                assert_eq!(req.body["model"], "claude-stand-in");
                assert_eq!(req.body["stream"], true);
                assert!(req.body["system"].as_str().unwrap_or_default().contains(SYSTEM_MARK), "{}", req.body);
                assert_eq!(req.body["messages"], json!([{"role": "user", "content": question}]));
            }
            _ => {
                assert!(req.path.ends_with("/client/v4/accounts/test/ai/run/@cf/stand-in/model"), "{}", req.path);
                assert_eq!(req.authorization.as_deref(), Some(format!("Bearer {RELAY_KEY}").as_str()));
                assert_eq!(req.body["stream"], true);
                assert_eq!(req.body["messages"][0]["role"], "system");
                assert!(req.body["messages"][0]["content"].as_str().unwrap_or_default().contains(SYSTEM_MARK));
            }
        }
    }
}

fn faults_in_every_wire_format_keep_what_arrived(app: &App) {
    for name in ["anthropic", "workers-ai"] {
        // Cut after three tokens, and an error event after two: what arrived is kept.
        for (marker, arrived) in [("[[cut]]", 3), ("[[error-chunk]]", 2)] {
            let (api, c) = open(app, name);
            let question = unique(&format!("{name} breaks {marker}"));
            let s = app.block_on(api.send(&c.conversation_id, &c.token, &question));
            let kept: String = tokens(&default_reply(&question)).into_iter().take(arrived).collect();
            assert_eq!(s.text(), kept, "{name} {marker}");
            assert!(ended_with(&s, ErrorCode::UpstreamInterrupted), "{name} {marker}: {:?}", s.last());
            let rows = stored(app, &c.conversation_id);
            assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("user", question.as_str()));
            assert_eq!((rows[1].1.as_str(), rows[1].2.as_str()), (kept.as_str(), "interrupted"), "{name} {marker}");
        }
        // Refused once with 503: asked again, answered in full.
        let (api, c) = open(app, name);
        let question = unique(&format!("{name} once [[fail-once]]"));
        let s = app.block_on(api.send(&c.conversation_id, &c.token, &question));
        assert_eq!(s.text(), default_reply(&question), "{name}");
        assert_eq!(asked_with(app, &question).len(), 2, "{name}: the refusal was retried once");
        // A refused key is not asked again: the reply fails and the question is kept.
        let (api, c) = open(app, name);
        let question = unique(&format!("{name} key [[bad-key]]"));
        let s = app.block_on(api.send(&c.conversation_id, &c.token, &question));
        assert!(ended_with(&s, ErrorCode::UpstreamError), "{name}: {:?}", s.last());
        assert_eq!(asked_with(app, &question).len(), 1, "{name}");
        let rows = stored(app, &c.conversation_id);
        assert_eq!((rows[0].1.as_str(), rows[1].2.as_str()), (question.as_str(), "failed"));
    }
}

/// `wrangler dev --local` leaves the AI binding unconnected (Workers AI runs only on Cloudflare):
/// the reply fails like any unreachable provider, and the visitor's message is kept.
fn workers_ai_through_an_unconnected_binding_fails_cleanly(app: &App) {
    let (api, c) = open(app, "binding");
    let question = unique("Anyone there through the binding?");
    let s = app.block_on(api.send(&c.conversation_id, &c.token, &question));
    assert_eq!(s.status, 200);
    assert!(ended_with(&s, ErrorCode::UpstreamError), "{:?}", s.last());
    assert!(asked_with(app, &question).is_empty(), "the binding does not go to the stand-in");
    let rows = stored(app, &c.conversation_id);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].1.as_str(), rows[1].2.as_str()), (question.as_str(), "failed"));
}

fn a_message_sent_twice_is_stored_once_and_answered_once(app: &App) {
    let (api, c) = open(app, "openai");
    let send = |content: &str, id: Option<&str>| app.block_on(api.send_as(&c.conversation_id, &c.token, content, id));

    // Sent again after the reply was stored: replayed from the store.
    let question = unique("Twice, please");
    let id = unique("m").replace('-', "_");
    let first = send(&question, Some(&id));
    let Some(StreamEvent::Done { message_id, usage }) = first.last().cloned() else { panic!("{:?}", first.last()) };
    let again = send(&question, Some(&id));
    assert_eq!(again.text(), first.text());
    assert_eq!(again.last(), Some(&StreamEvent::Done { message_id: message_id.clone(), usage }), "the same reply");
    assert_eq!(asked_with(app, &question).len(), 1, "the provider was asked once");
    assert_eq!(stored(app, &c.conversation_id).len(), 2, "stored once");

    // Sent twice at once, while the first is still streaming: both get the one reply.
    let question = unique("At once [[slow]]");
    let id = unique("m").replace('-', "_");
    let (a, b) = app.block_on(async {
        futures_util::join!(
            api.send_as(&c.conversation_id, &c.token, &question, Some(&id)),
            api.send_as(&c.conversation_id, &c.token, &question, Some(&id))
        )
    });
    assert_eq!(a.text(), default_reply(&question));
    assert_eq!(b.text(), a.text());
    assert!(
        matches!((a.last(), b.last()), (Some(StreamEvent::Done { message_id: x, .. }), Some(StreamEvent::Done { message_id: y, .. })) if x == y)
    );
    assert_eq!(asked_with(app, &question).len(), 1, "the provider was asked once");
    assert_eq!(stored(app, &c.conversation_id).len(), 4);

    // An interrupted reply replays as interrupted, with what was kept.
    let question = unique("Cut [[cut]]");
    let id = unique("m").replace('-', "_");
    let first = send(&question, Some(&id));
    let again = send(&question, Some(&id));
    assert_eq!(again.text(), first.text());
    assert!(ended_with(&again, ErrorCode::UpstreamInterrupted), "{:?}", again.last());
    assert_eq!(asked_with(app, &question).len(), 1);

    // The same id in another conversation is another message.
    let (api2, c2) = open(app, "openai");
    let other = app.block_on(api2.send_as(&c2.conversation_id, &c2.token, &question, Some(&id)));
    assert_eq!(asked_with(app, &question).len(), 2);
    assert_eq!(stored(app, &c2.conversation_id).len(), 2);
    assert!(ended_with(&other, ErrorCode::UpstreamInterrupted));

    // Without an id every sending is its own message; a malformed id is refused, nothing stored.
    let before = stored(app, &c.conversation_id).len();
    for bad in ["short", "has spaces in it", "<script>alert(1)</script>"] {
        let s = send("Hello", Some(bad));
        assert_eq!((s.status, s.body["error"]["code"].as_str()), (400, Some("invalid_field")), "{bad}");
    }
    assert_eq!(stored(app, &c.conversation_id).len(), before);
}

fn two_hundred_conversations_stream_at_once_without_cross_talk(app: &App) {
    const N: usize = 200;
    let (origin, site) = SITES.get().expect("sites")["openai"].clone();
    // Each visitor at an address of its own, as 200 visitors would be.
    let clients: Vec<Api> =
        (0..N).map(|i| app.api(&origin).from_ip(&format!("10.20.{}.{}", i / 200, i % 200 + 1))).collect();
    let visitors: Vec<String> = (0..N).map(|i| unique(&format!("crowd-{i}"))).collect();
    let opened: Vec<ConversationCreated> =
        app.block_on(futures_util::future::join_all((0..N).map(|i| clients[i].open(&site, &visitors[i]))));
    let questions: Vec<String> = (0..N).map(|i| unique(&format!("crowd {i} of {N} asks"))).collect();
    let (rss_before, _) = app.workerd_memory_kib();
    let started = Instant::now();
    let streams: Vec<Stream> = app.block_on(futures_util::future::join_all(
        (0..N).map(|i| clients[i].send(&opened[i].conversation_id, &opened[i].token, &questions[i])),
    ));
    let took = started.elapsed();
    let (rss_after, peak) = app.workerd_memory_kib();
    for (i, s) in streams.iter().enumerate() {
        let expected = default_reply(&questions[i]);
        assert_eq!(s.text(), expected, "conversation {i} got its own reply, whole");
        assert!(matches!(s.last(), Some(StreamEvent::Done { .. })), "{i}: {:?}", s.last());
        let rows = stored(app, &opened[i].conversation_id);
        assert_eq!(rows.len(), 2, "{i}: stored exactly once");
        assert_eq!(
            (rows[0].1.as_str(), rows[1].1.as_str(), rows[1].2.as_str()),
            (questions[i].as_str(), expected.as_str(), "complete")
        );
    }
    // The most replies streaming at one moment: from each one's first event to its last.
    let mut edges: Vec<(Instant, i32)> =
        streams.iter().filter_map(|s| Some([(s.events.first()?.0, 1), (s.events.last()?.0, -1)])).flatten().collect();
    edges.sort();
    let in_flight = edges.iter().scan(0, |n, (_, d)| {
        *n += d;
        Some(*n)
    });
    let overlapping = in_flight.max().unwrap_or(0);
    println!(
        "200 concurrent streams: all complete in {:.2} s, at most {overlapping} streaming at one moment; \
         workerd RSS {} MiB before, {} MiB after, peak {} MiB",
        took.as_secs_f64(),
        rss_before / 1024,
        rss_after / 1024,
        peak / 1024
    );
}
