//! The visitor's journey through the edge, end to end: a registered site gets its config,
//! opens a conversation, receives a streamed reply, and finds it all stored; everyone else is
//! refused and leaves no trace. Runs against the real `wrangler dev` (workerd + local D1) and the
//! scripted stand-in LLM.

use std::time::Duration;

use e2e::app::{token_aged, FIRST_TOKEN_TIMEOUT_MS, IDLE_TIMEOUT_MS, LLM_KEY};
use e2e::client::Api;
use e2e::stand_in::{default_reply, long_reply, tokens, SPLIT_UTF8_REPLY};
use e2e::App;
use serde_json::{json, Value};
use shared::limits::{MAX_BODY_BYTES, MAX_MESSAGE_CHARS};
use shared::{ConversationCreated, ErrorCode, MessageStatus, Role, StreamEvent, Usage};

const DEMO_SITE: &str = "site_demo_localhost";
const DEMO_ORIGIN: &str = "http://localhost:8788";
const DEMO_ORG: &str = "0193a000-0000-7000-8000-000000000001";
const ACME_SITE: &str = "site_acme_test";
const ACME_ORIGIN: &str = "https://acme.test";
const GLOBEX_SITE: &str = "site_globex_test";
const GLOBEX_ORIGIN: &str = "https://globex.test";
const REJECTS_SITE: &str = "site_rejects_test";
const REJECTS_ORIGIN: &str = "https://rejects.test";
const FAULTS_SITE: &str = "site_faults_test";
const FAULTS_ORIGIN: &str = "https://faults.test";

use e2e::journeys::{self, unique, Journey};

fn main() {
    let tests: Vec<(&str, Journey)> = vec![
        (
            "registered_site_gets_its_public_config_and_nothing_private",
            registered_site_gets_its_public_config_and_nothing_private,
        ),
        ("preflight_is_granted_to_registered_origins_only", preflight_is_granted_to_registered_origins_only),
        (
            "a_reply_streams_token_by_token_and_both_messages_are_stored",
            a_reply_streams_token_by_token_and_both_messages_are_stored,
        ),
        (
            "a_reply_is_finished_and_stored_after_the_visitor_leaves",
            a_reply_is_finished_and_stored_after_the_visitor_leaves,
        ),
        (
            "a_reply_streams_on_a_minute_after_the_visitor_left_and_is_stored_whole",
            a_reply_streams_on_a_minute_after_the_visitor_left_and_is_stored_whole,
        ),
        (
            "a_stop_ends_the_reply_at_the_provider_and_keeps_what_was_relayed",
            a_stop_ends_the_reply_at_the_provider_and_keeps_what_was_relayed,
        ),
        (
            "replies_left_in_progress_by_a_dead_worker_are_closed_on_read_and_by_the_cron",
            replies_left_in_progress_by_a_dead_worker_are_closed_on_read_and_by_the_cron,
        ),
        ("the_model_gets_the_domain_prompt_and_the_history", the_model_gets_the_domain_prompt_and_the_history),
        (
            "multibyte_characters_split_across_chunks_arrive_intact",
            multibyte_characters_split_across_chunks_arrive_intact,
        ),
        (
            "upstream_failure_before_streaming_keeps_the_user_message",
            upstream_failure_before_streaming_keeps_the_user_message,
        ),
        (
            "a_refusal_before_the_first_token_is_retried_and_answered_once",
            a_refusal_before_the_first_token_is_retried_and_answered_once,
        ),
        ("upstream_cut_mid_stream_stores_an_interrupted_reply", upstream_cut_mid_stream_stores_an_interrupted_reply),
        (
            "upstream_error_chunk_mid_stream_stores_an_interrupted_reply",
            upstream_error_chunk_mid_stream_stores_an_interrupted_reply,
        ),
        ("upstream_silent_mid_stream_times_out_as_interrupted", upstream_silent_mid_stream_times_out_as_interrupted),
        (
            "upstream_silent_before_first_token_times_out_as_failed",
            upstream_silent_before_first_token_times_out_as_failed,
        ),
        (
            "unknown_site_wrong_origin_and_inactive_domain_are_refused_and_store_nothing",
            unknown_site_wrong_origin_and_inactive_domain_are_refused_and_store_nothing,
        ),
        ("a_token_grants_its_own_conversation_and_nothing_else", a_token_grants_its_own_conversation_and_nothing_else),
        (
            "tokens_expire_and_a_returning_visitor_gets_a_fresh_one",
            tokens_expire_and_a_returning_visitor_gets_a_fresh_one,
        ),
        (
            "bad_conversation_requests_are_refused_with_stable_codes",
            bad_conversation_requests_are_refused_with_stable_codes,
        ),
        (
            "bad_messages_are_refused_with_stable_codes_and_write_nothing",
            bad_messages_are_refused_with_stable_codes_and_write_nothing,
        ),
        ("the_database_refuses_rows_that_cross_organizations", the_database_refuses_rows_that_cross_organizations),
        ("unknown_routes_and_methods_get_json_errors", unknown_routes_and_methods_get_json_errors),
        (
            "leads_are_validated_tied_to_their_conversation_and_rate_limited",
            leads_are_validated_tied_to_their_conversation_and_rate_limited,
        ),
        (
            "leads_stop_per_address_and_per_visitor_and_refuse_forged_lines",
            leads_stop_per_address_and_per_visitor_and_refuse_forged_lines,
        ),
        (
            "feedback_is_one_verdict_per_reply_by_its_own_conversation_only",
            feedback_is_one_verdict_per_reply_by_its_own_conversation_only,
        ),
    ];
    journeys::run(tests, &["tenants.sql"], &[], |_| Ok(()))
}

fn count_for_visitor(app: &App, visitor: &str) -> i64 {
    app.db.int("SELECT count(*) FROM conversations WHERE visitor_id = ?1", &[&visitor])
}

fn messages_of(app: &App, conversation: &str) -> Vec<Vec<String>> {
    app.db.rows(
        "SELECT role, content, status, organization_id, coalesce(model, ''), tokens_in, tokens_out, coalesce(latency_ms, -1), id \
         FROM messages WHERE conversation_id = ?1 ORDER BY created_at, rowid",
        &[&conversation],
    )
}

fn usage_of(app: &App, org: &str) -> (i64, i64, i64) {
    let row = app.db.rows(
        "SELECT coalesce(sum(requests),0), coalesce(sum(tokens_in),0), coalesce(sum(tokens_out),0) FROM usage_daily WHERE organization_id = ?1",
        &[&org],
    );
    let n = |i: usize| row[0][i].parse::<i64>().unwrap();
    (n(0), n(1), n(2))
}

fn registered_site_gets_its_public_config_and_nothing_private(app: &App) {
    let r = app.block_on(app.api(DEMO_ORIGIN).config(DEMO_SITE));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["title"], "Demo Company");
    assert_eq!(r.body["greeting"], "Hi! Ask me anything about Demo Company.");
    assert_eq!(r.body["starters"], json!(["What do you sell?", "How do I contact support?"]));
    assert_eq!(r.body["theme"]["primary"], "#0f766e");
    assert_eq!(r.body["position"], "bottom-right");
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some(DEMO_ORIGIN));

    let acme = app.block_on(app.api(ACME_ORIGIN).config(ACME_SITE));
    assert_eq!(acme.status, 200);
    assert_eq!(acme.body["title"], "Acme support");
    assert_eq!(acme.body["greeting"], "Hi! How can we help?", "missing fields take defaults");
    let text = acme.body.to_string();
    assert!(!text.contains("SECRET-ACME-PROMPT") && !text.contains("acme-model"), "private settings leaked: {text}");
    let via_alias = app.block_on(app.api("https://www.acme.test").config(ACME_SITE));
    assert_eq!(via_alias.status, 200, "an alias hostname is the same site");
    assert_eq!(via_alias.header("access-control-allow-origin").as_deref(), Some("https://www.acme.test"));
}

fn preflight_is_granted_to_registered_origins_only(app: &App) {
    let ok = app.block_on(app.api(DEMO_ORIGIN).options("/v1/conversations"));
    assert_eq!(ok.status, 204);
    assert_eq!(ok.header("access-control-allow-origin").as_deref(), Some(DEMO_ORIGIN));
    let methods = ok.header("access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = ok.header("access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");

    for origin in ["https://evil.test", "https://off.acme.test"] {
        let no = app.block_on(app.api(origin).options("/v1/conversations"));
        assert_eq!(no.status, 403, "{origin}");
        assert_eq!(no.code(), Some(ErrorCode::OriginNotAllowed));
        assert_eq!(no.header("access-control-allow-origin"), None, "{origin} must not be allowed");
    }
}

fn a_reply_streams_token_by_token_and_both_messages_are_stored(app: &App) {
    let api = app.api(DEMO_ORIGIN);
    let usage_before = usage_of(app, DEMO_ORG);
    let c = app.block_on(api.open(DEMO_SITE, &unique("visitor")));
    let message = "Which rakes do you have? [[slow]]";
    let s = app.block_on(api.send(&c.conversation_id, &c.token, message));

    assert_eq!(s.status, 200);
    assert!(s.header("content-type").unwrap_or_default().starts_with("text/event-stream"));
    assert_eq!(s.header("cache-control").as_deref(), Some("no-cache, no-transform"));
    assert_eq!(s.header("x-accel-buffering").as_deref(), Some("no"));
    assert_eq!(s.header("access-control-allow-origin").as_deref(), Some(DEMO_ORIGIN));
    let expected = default_reply(message);
    assert_eq!(s.text(), expected);
    assert_eq!(s.tokens(), tokens(&expected).len(), "one event per upstream token");

    // Incremental: the stand-in waits 200 ms before each token, so a relay that buffered the
    // reply would deliver the first token together with the end.
    let first = s.events.iter().find(|(_, e)| matches!(e, StreamEvent::Token { .. })).unwrap().0;
    let end = s.events.last().unwrap().0;
    let spread = end - first;
    assert!(spread >= Duration::from_millis(200 * (s.tokens() as u64 - 2)), "tokens arrived together: {spread:?}");

    let Some(StreamEvent::Done { message_id, usage }) = s.last() else { panic!("no done event: {:?}", s.last()) };
    let pieces = tokens(&expected).len() as u32;
    assert_eq!(usage.tokens_out, pieces, "the provider's usage is reported");
    assert!(usage.tokens_in > 0);

    let h = app.block_on(api.history(&c));
    assert_eq!(h.status, 200);
    let msgs = h.body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["role"], "user");
    assert_eq!(msgs[0]["content"], message);
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["content"], expected.as_str());
    assert_eq!(msgs[1]["status"], "complete");
    assert_eq!(msgs[1]["id"], message_id.as_str());

    let rows = messages_of(app, &c.conversation_id);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][3], DEMO_ORG);
    assert_eq!(rows[1][..5], ["assistant", expected.as_str(), "complete", DEMO_ORG, "stand-in"]);
    assert_eq!(rows[1][6], pieces.to_string());
    assert!(rows[1][7].parse::<i64>().unwrap() >= 200, "latency recorded: {}", rows[1][7]);
    let usage_after = usage_of(app, DEMO_ORG);
    assert!(usage_after.0 > usage_before.0, "usage_daily counts the request");
    assert!(usage_after.2 >= usage_before.2 + i64::from(pieces));
}

fn a_reply_is_finished_and_stored_after_the_visitor_leaves(app: &App) {
    let api = app.api(DEMO_ORIGIN);
    let c = app.block_on(api.open(DEMO_SITE, &unique("visitor")));
    let message = "I will close the tab now [[slow]]";
    let first = app.block_on(api.send_and_leave(&c.conversation_id, &c.token, message));
    assert_eq!(first, "Hello");
    // The edge keeps reading the provider after the visitor left (wait_until); on reopening,
    // the history shows the whole reply.
    let expected = default_reply(message);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let h = app.block_on(api.history(&c));
        let msgs = h.body["messages"].as_array().cloned().unwrap_or_default();
        if msgs.len() == 2 {
            assert_eq!(msgs[1]["content"], expected.as_str());
            assert_eq!(msgs[1]["status"], "complete");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the reply was never stored: {msgs:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The stored reply of a conversation: content, status, whether it has ended, tokens out.
fn reply_of(app: &App, conversation: &str) -> (String, String, bool, i64) {
    let rows = app.db.rows(
        "SELECT content, status, finished_at IS NOT NULL, tokens_out FROM messages \
         WHERE conversation_id = ?1 AND role = 'assistant' ORDER BY created_at DESC, rowid DESC LIMIT 1",
        &[&conversation],
    );
    let row = rows.first().unwrap_or_else(|| panic!("no reply stored in {conversation}"));
    (row[0].clone(), row[1].clone(), row[2] == "1", row[3].parse().unwrap_or(-1))
}

/// Polls `check` for up to `limit`.
fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A reply is read to its end however long it streams after the visitor left, and written as
/// it arrives, so even a runtime that gave up on it would leave what had arrived.
fn a_reply_streams_on_a_minute_after_the_visitor_left_and_is_stored_whole(app: &App) {
    let api = app.api(ACME_ORIGIN);
    let c = app.block_on(api.open(ACME_SITE, &unique("leaver")));
    let first = app.block_on(api.read_and_leave(&c.conversation_id, &c.token, "tell me all [[long]]", None, 1));
    assert_eq!(first, "w1");
    eventually("the reply written while it streams", Duration::from_secs(5), || {
        let (content, _, ended, _) = reply_of(app, &c.conversation_id);
        !ended && content.starts_with("w1 w2")
    });
    eventually("the whole reply stored", Duration::from_secs(90), || reply_of(app, &c.conversation_id).2);
    let (content, status, _, _) = reply_of(app, &c.conversation_id);
    assert_eq!((status.as_str(), content), ("complete", long_reply()));
}

/// The visitor's stop reaches the edge: the provider's connection is closed, what had been
/// relayed is kept as interrupted, only the tokens produced count, and the next question and
/// its reply follow it in the transcript.
fn a_stop_ends_the_reply_at_the_provider_and_keeps_what_was_relayed(app: &App) {
    let api = app.api(ACME_ORIGIN);
    let c = app.block_on(api.open(ACME_SITE, &unique("stopper")));
    let hung_up = app.llm.hung_up();
    let id = "stop-this-reply";
    let read = app.block_on(api.read_and_leave(&c.conversation_id, &c.token, "tell me all [[long]]", Some(id), 3));
    assert_eq!(read, "w1 w2 w3");
    let r = app.block_on(api.stop(&c.conversation_id, &c.token, id));
    assert_eq!(r.status, 204, "{:?}", r.body);
    eventually("the stopped reply stored", Duration::from_secs(5), || reply_of(app, &c.conversation_id).2);
    let (content, status, _, tokens_out) = reply_of(app, &c.conversation_id);
    assert_eq!(status, "interrupted");
    assert!(content.starts_with(&read) && long_reply().starts_with(&content) && content.len() < 40, "{content:?}");
    assert!((1..10).contains(&tokens_out), "only what was produced is counted: {tokens_out}");
    eventually("the provider's connection closed", Duration::from_secs(3), || app.llm.hung_up() > hung_up);

    // Stopping again, or a reply that has ended, changes nothing; others' and bad ids are refused.
    assert_eq!(app.block_on(api.stop(&c.conversation_id, &c.token, id)).status, 204);
    let r = app.block_on(api.stop(&c.conversation_id, &c.token, "never-sent-id"));
    assert_eq!((r.status, r.code()), (404, Some(ErrorCode::MessageNotFound)));
    let r = app.block_on(api.stop(&c.conversation_id, &c.token, "bad id!"));
    assert_eq!((r.status, r.code()), (400, Some(ErrorCode::InvalidField)));
    let other = app.block_on(api.open(ACME_SITE, &unique("other")));
    let r = app.block_on(api.stop(&c.conversation_id, &other.token, id));
    assert_eq!((r.status, r.code()), (401, Some(ErrorCode::Unauthorized)));

    let s = app.block_on(api.send(&c.conversation_id, &c.token, "and now?"));
    assert!(matches!(s.last(), Some(StreamEvent::Done { .. })), "{:?}", s.events);
    let history = app.block_on(api.history(&c));
    let order: Vec<(String, String)> = history.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap().to_owned(), m["status"].as_str().unwrap().to_owned()))
        .collect();
    let pair = |r: &str, s: &str| (r.to_owned(), s.to_owned());
    assert_eq!(
        order,
        [
            pair("user", "complete"),
            pair("assistant", "interrupted"),
            pair("user", "complete"),
            pair("assistant", "complete")
        ],
        "each reply under its question"
    );
}

/// A reply whose worker died mid-stream keeps what was written of it: it is closed as
/// interrupted (or failed, if nothing was written) when its conversation is next read, or by
/// the scheduled sweep. A reply still being written is neither shown nor closed.
fn replies_left_in_progress_by_a_dead_worker_are_closed_on_read_and_by_the_cron(app: &App) {
    let api = app.api(ACME_ORIGIN);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let abandoned = |c: &ConversationCreated, content: &str, last_write: i64| {
        let conn = app.db.connect();
        let user = format!("{}-q", &c.conversation_id[..30]);
        conn.execute(
            "INSERT INTO messages (id, conversation_id, organization_id, role, content, status, created_at, finished_at, updated_at) \
             VALUES (?1, ?2, ?3, 'user', 'are you there?', 'complete', ?4, ?4, ?4)",
            rusqlite::params![user, c.conversation_id, ACME_ORG, last_write - 1_000],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO messages (id, conversation_id, organization_id, role, content, status, created_at, updated_at, reply_to) \
             VALUES (?1, ?2, ?3, 'assistant', ?4, 'interrupted', ?5, ?6, ?7)",
            rusqlite::params![format!("{}-r", &c.conversation_id[..30]), c.conversation_id, ACME_ORG, content, last_write - 1_000, last_write, user],
        )
        .unwrap();
    };
    let read = app.block_on(api.open(ACME_SITE, &unique("crashed")));
    abandoned(&read, "half an ans", now - 120_000);
    let live = app.block_on(api.open(ACME_SITE, &unique("live")));
    abandoned(&live, "still comi", now);
    let swept = app.block_on(api.open(ACME_SITE, &unique("swept")));
    abandoned(&swept, "", now - 120_000);

    let h = app.block_on(api.history(&read));
    let last = h.body["messages"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!((last["content"].as_str(), last["status"].as_str()), (Some("half an ans"), Some("interrupted")));
    assert!(reply_of(app, &read.conversation_id).2, "closed when read");
    let h = app.block_on(api.history(&live));
    assert_eq!(
        h.body["messages"].as_array().unwrap().len(),
        1,
        "a reply still being written is not shown: {:?}",
        h.body
    );
    assert!(!reply_of(app, &live.conversation_id).2, "nor closed");

    assert!(!reply_of(app, &swept.conversation_id).2);
    let r = app.block_on(async { reqwest::get(format!("{}/__scheduled?cron=*/5+*+*+*+*", app.edge)).await });
    assert!(r.is_ok_and(|r| r.status().is_success()), "the scheduled handler ran");
    let (content, status, ended, _) = reply_of(app, &swept.conversation_id);
    assert_eq!((content.as_str(), status.as_str(), ended), ("", "failed", true), "closed by the sweep");
    assert!(!reply_of(app, &live.conversation_id).2, "the sweep leaves live replies alone");
}

fn the_model_gets_the_domain_prompt_and_the_history(app: &App) {
    let api = app.api(ACME_ORIGIN);
    let c = app.block_on(api.open(ACME_SITE, &unique("visitor")));
    let first = format!("first question {}", unique("q"));
    let s1 = app.block_on(api.send(&c.conversation_id, &c.token, &first));
    assert!(matches!(s1.last(), Some(StreamEvent::Done { .. })));
    let second = format!("second question {}", unique("q"));
    app.block_on(api.send(&c.conversation_id, &c.token, &second));

    let req = app
        .llm
        .requests()
        .into_iter()
        .find(|r| {
            r.body["messages"].as_array().is_some_and(|m| m.last().is_some_and(|l| l["content"] == second.as_str()))
        })
        .expect("the stand-in saw the second message");
    assert_eq!(req.authorization.as_deref(), Some(format!("Bearer {LLM_KEY}").as_str()), "the provider key is sent");
    assert_eq!(req.body["stream"], true);
    assert_eq!(req.body["stream_options"]["include_usage"], true);
    assert_eq!(req.body["model"], "acme-model", "the domain's model override applies");
    let msgs = req.body["messages"].as_array().unwrap();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert!(msgs[0]["content"].as_str().unwrap().contains("SECRET-ACME-PROMPT"));
    assert_eq!(msgs[1]["content"], first.as_str());
    assert_eq!(msgs[2]["content"], default_reply(&first).as_str());
}

fn multibyte_characters_split_across_chunks_arrive_intact(app: &App) {
    let api = app.api(DEMO_ORIGIN);
    let c = app.block_on(api.open(DEMO_SITE, &unique("visitor")));
    let s = app.block_on(api.send(&c.conversation_id, &c.token, "[[split-utf8]]"));
    assert_eq!(s.text(), SPLIT_UTF8_REPLY);
    assert!(matches!(s.last(), Some(StreamEvent::Done { .. })));
    assert_eq!(messages_of(app, &c.conversation_id)[1][1], SPLIT_UTF8_REPLY);
}

/// How many times the stand-in was asked for a reply to `content`.
fn asked_for(app: &App, content: &str) -> usize {
    app.llm.requests().iter().filter(|r| r.body["messages"].to_string().contains(content)).count()
}

fn upstream_failure_before_streaming_keeps_the_user_message(app: &App) {
    let api = app.api(FAULTS_ORIGIN);
    let c = app.block_on(api.open(FAULTS_SITE, &unique("visitor")));
    let s = app.block_on(api.send(&c.conversation_id, &c.token, "hello [[fail]]"));
    assert_eq!(asked_for(app, "hello [[fail]]"), 3, "a server error is retried twice, then given up");
    assert_eq!(s.tokens(), 0);
    let Some(StreamEvent::Error { code, message }) = s.last() else { panic!("{:?}", s.events) };
    assert_eq!(*code, ErrorCode::UpstreamError);
    assert!(!message.contains("stand-in"), "provider details are not shown to visitors: {message}");
    let rows = messages_of(app, &c.conversation_id);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][..3], ["user", "hello [[fail]]", "complete"]);
    assert_eq!(rows[1][..3], ["assistant", "", "failed"]);
}

fn a_refusal_before_the_first_token_is_retried_and_answered_once(app: &App) {
    let api = app.api(FAULTS_ORIGIN);
    let c = app.block_on(api.open(FAULTS_SITE, &unique("visitor")));
    let content = format!("{} [[fail-once]]", unique("retry me"));
    let started = std::time::Instant::now();
    let s = app.block_on(api.send(&c.conversation_id, &c.token, &content));
    let Some(StreamEvent::Done { .. }) = s.last() else { panic!("{:?}", s.events) };
    assert_eq!(s.text(), default_reply(&content), "the visitor sees one whole reply");
    assert_eq!(asked_for(app, &content), 2, "one refusal, one retry");
    assert!(started.elapsed() >= Duration::from_millis(250), "the retry waited its backoff");
    let rows = messages_of(app, &c.conversation_id);
    assert_eq!(rows.len(), 2, "stored once: {rows:?}");
    assert_eq!(rows[1][..3], ["assistant", default_reply(&content).as_str(), "complete"]);

    // A provider's rate limit is retried too; a refused key is not.
    let busy = format!("{} [[busy]]", unique("busy"));
    let s = app.block_on(api.send(&c.conversation_id, &c.token, &busy));
    assert!(matches!(s.last(), Some(StreamEvent::Error { code: ErrorCode::UpstreamError, .. })), "{:?}", s.last());
    assert_eq!(asked_for(app, &busy), 3);
    let bad_key = format!("{} [[bad-key]]", unique("key"));
    let s = app.block_on(api.send(&c.conversation_id, &c.token, &bad_key));
    assert!(matches!(s.last(), Some(StreamEvent::Error { code: ErrorCode::UpstreamError, .. })), "{:?}", s.last());
    assert_eq!(asked_for(app, &bad_key), 1, "a refused key does not change on a retry");
    let rows = messages_of(app, &c.conversation_id);
    let failed: Vec<_> = rows.iter().filter(|r| r[0] == "assistant" && r[2] == "failed").collect();
    assert_eq!(failed.len(), 2, "each given-up reply is stored as failed: {rows:?}");
}

fn upstream_cut_mid_stream_stores_an_interrupted_reply(app: &App) {
    assert_interrupted_after(app, "tell me [[cut]]", 3);
}

fn upstream_error_chunk_mid_stream_stores_an_interrupted_reply(app: &App) {
    assert_interrupted_after(app, "hi [[error-chunk]]", 2);
}

fn upstream_silent_mid_stream_times_out_as_interrupted(app: &App) {
    let started = std::time::Instant::now();
    assert_interrupted_after(app, "wait [[hang]]", 2);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(IDLE_TIMEOUT_MS), "gave up before the idle timeout: {took:?}");
    assert!(took < Duration::from_secs(15), "the idle timeout did not end the reply: {took:?}");
}

fn upstream_silent_before_first_token_times_out_as_failed(app: &App) {
    let api = app.api(FAULTS_ORIGIN);
    let c = app.block_on(api.open(FAULTS_SITE, &unique("visitor")));
    let started = std::time::Instant::now();
    let s = app.block_on(api.send(&c.conversation_id, &c.token, "wait [[hang-first]]"));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(FIRST_TOKEN_TIMEOUT_MS) && took < Duration::from_secs(15), "{took:?}");
    assert_eq!(s.tokens(), 0);
    assert!(matches!(s.last(), Some(StreamEvent::Error { code: ErrorCode::UpstreamError, .. })), "{:?}", s.last());
    let rows = messages_of(app, &c.conversation_id);
    assert_eq!(rows[0][..3], ["user", "wait [[hang-first]]", "complete"]);
    assert_eq!(rows[1][..3], ["assistant", "", "failed"]);
}

/// The stand-in breaks off after `arrived` tokens: the visitor sees them and an error, and
/// exactly that text is stored as an interrupted reply after the kept user message.
fn assert_interrupted_after(app: &App, content: &str, arrived: usize) {
    let api = app.api(FAULTS_ORIGIN);
    let c = app.block_on(api.open(FAULTS_SITE, &unique("visitor")));
    let s = app.block_on(api.send(&c.conversation_id, &c.token, content));
    let text: String = tokens(&default_reply(content)).into_iter().take(arrived).collect();
    assert_eq!(s.text(), text);
    assert!(
        matches!(s.last(), Some(StreamEvent::Error { code: ErrorCode::UpstreamInterrupted, .. })),
        "{:?}",
        s.last()
    );
    let rows = messages_of(app, &c.conversation_id);
    assert_eq!(rows[0][..3], ["user", content, "complete"]);
    assert_eq!(rows[1][..3], ["assistant", text.as_str(), "interrupted"]);
    let h = app.block_on(api.history(&c));
    assert_eq!(h.body["messages"][1]["status"], "interrupted");
}

fn unknown_site_wrong_origin_and_inactive_domain_are_refused_and_store_nothing(app: &App) {
    let cases: [(Option<&str>, &str, u16, ErrorCode); 6] = [
        (Some(ACME_ORIGIN), "site_not_a_real_key", 404, ErrorCode::SiteNotRegistered),
        (Some("https://evil.test"), ACME_SITE, 403, ErrorCode::OriginNotAllowed),
        (Some(GLOBEX_ORIGIN), ACME_SITE, 403, ErrorCode::OriginNotAllowed),
        (None, ACME_SITE, 403, ErrorCode::OriginNotAllowed),
        (Some("https://off.acme.test"), "site_acme_off", 403, ErrorCode::DomainInactive),
        (Some(ACME_ORIGIN), "bad key!", 400, ErrorCode::SiteKeyMissing),
    ];
    for (origin, site, status, code) in cases {
        let api = match origin {
            Some(o) => app.api(o),
            None => app.api_without_origin(),
        };
        let config = app.block_on(api.config(site));
        assert_eq!((config.status, config.code()), (status, Some(code)), "config for {site} from {origin:?}");
        assert!(config.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(config.header("access-control-allow-origin"), None, "refused origins may not read");
        let visitor = unique("refused");
        let open =
            app.block_on(api.post_json("/v1/conversations", &json!({"site": site, "visitor_id": visitor}), None));
        assert_eq!((open.status, open.code()), (status, Some(code)), "open for {site} from {origin:?}");
        assert_eq!(count_for_visitor(app, &visitor), 0, "nothing stored for {site} from {origin:?}");
    }
    assert_eq!(
        app.db.int("SELECT count(*) FROM conversations WHERE domain_id = '0193a000-0000-7000-8000-0000000000a3'", &[]),
        0
    );
}

fn a_token_grants_its_own_conversation_and_nothing_else(app: &App) {
    let acme = app.api(ACME_ORIGIN);
    let a = app.block_on(acme.open(ACME_SITE, &unique("visitor")));
    let b = app.block_on(acme.open(ACME_SITE, &unique("visitor")));
    let globex = app.api(GLOBEX_ORIGIN);
    let g = app.block_on(globex.open(GLOBEX_SITE, &unique("visitor")));

    let path = |id: &str| format!("/v1/conversations/{id}/messages");
    let cases: [(&str, Option<&str>, &str); 4] = [
        (ACME_ORIGIN, Some(&a.token), &b.conversation_id),
        (GLOBEX_ORIGIN, Some(&g.token), &a.conversation_id),
        (ACME_ORIGIN, None, &a.conversation_id),
        (ACME_ORIGIN, Some("v1.garbage.0000"), &a.conversation_id),
    ];
    for (origin, token, id) in cases {
        let api = app.api(origin);
        let read = app.block_on(api.get(&path(id), token));
        assert_eq!((read.status, read.code()), (401, Some(ErrorCode::Unauthorized)), "read {id} with {token:?}");
        let write = app.block_on(api.post_json(&path(id), &json!({"content": "let me in"}), token));
        assert_eq!((write.status, write.code()), (401, Some(ErrorCode::Unauthorized)), "write {id} with {token:?}");
    }
    // A genuine token from the wrong website is refused too.
    let elsewhere = app.block_on(app.api(GLOBEX_ORIGIN).get(&path(&a.conversation_id), Some(&a.token)));
    assert_eq!(elsewhere.code(), Some(ErrorCode::OriginNotAllowed));
    let malformed = app.block_on(acme.get(&path("not-a-conversation"), Some(&a.token)));
    assert_eq!((malformed.status, malformed.code()), (404, Some(ErrorCode::ConversationNotFound)));
    for c in [&a, &b, &g] {
        assert!(messages_of(app, &c.conversation_id).is_empty(), "nothing written to {}", c.conversation_id);
    }
    let own = app.block_on(acme.history(&a));
    assert_eq!(own.status, 200);
    assert_eq!(own.body["messages"], json!([]));
}

/// Tokens expire 90 days after they were issued (`TOKEN_TTL_DAYS`); a visitor who reads the
/// history in a token's last third gets a fresh one, and keeps the conversation.
fn tokens_expire_and_a_returning_visitor_gets_a_fresh_one(app: &App) {
    let api = app.api(ACME_ORIGIN);
    let c = app.block_on(api.open(ACME_SITE, &unique("returning")));
    let with = |token: String| ConversationCreated { token, ..c.clone() };
    let fresh = app.block_on(api.history(&c));
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.body.get("token"), None, "a young token is not renewed");

    let old = app.block_on(api.history(&with(token_aged(&c.conversation_id, &c.token, 70))));
    assert_eq!(old.status, 200, "{:?}", old.body);
    let renewed = old.body["token"].as_str().expect("a fresh token for a token in its last third").to_owned();
    let again = app.block_on(api.history(&with(renewed.clone())));
    assert_eq!((again.status, again.body.get("token")), (200, None), "the fresh one is young");
    let s = app.block_on(api.send(&c.conversation_id, &renewed, "still here?"));
    assert!(matches!(s.last(), Some(StreamEvent::Done { .. })), "{:?}", s.body);

    for (what, token) in [
        ("expired", token_aged(&c.conversation_id, &c.token, 91)),
        ("of the first version, without an issue time", format!("v1.{}", c.token.split_once('.').unwrap().1)),
    ] {
        let r = app.block_on(api.history(&with(token.clone())));
        assert_eq!((r.status, r.code()), (401, Some(ErrorCode::Unauthorized)), "{what}: {:?}", r.body);
        let s = app.block_on(api.send(&c.conversation_id, &token, "hello?"));
        assert_eq!(s.status, 401, "{what}");
    }
    assert_eq!(
        app.db.int("SELECT count(*) FROM messages WHERE conversation_id = ?1 AND role = 'user'", &[&c.conversation_id]),
        1,
        "only the message sent with a valid token is stored"
    );
}

fn bad_conversation_requests_are_refused_with_stable_codes(app: &App) {
    let api = app.api(REJECTS_ORIGIN);
    let visitor = unique("bad");
    let big = format!(
        r#"{{"site":"{REJECTS_SITE}","visitor_id":"{visitor}","page_url":"https://rejects.test/{}"}}"#,
        "a".repeat(MAX_BODY_BYTES)
    );
    let cases: Vec<(&str, Vec<u8>, u16, ErrorCode)> = vec![
        ("application/json", b"{not json".to_vec(), 400, ErrorCode::InvalidJson),
        ("application/json", json!({"visitor_id": visitor}).to_string().into_bytes(), 400, ErrorCode::InvalidJson),
        (
            "application/json",
            json!({"site": REJECTS_SITE, "visitor_id": visitor, "role": "admin"}).to_string().into_bytes(),
            400,
            ErrorCode::InvalidJson,
        ),
        (
            "text/plain",
            json!({"site": REJECTS_SITE, "visitor_id": visitor}).to_string().into_bytes(),
            415,
            ErrorCode::UnsupportedMediaType,
        ),
        ("application/json", big.into_bytes(), 413, ErrorCode::BodyTooLarge),
        (
            "application/json",
            json!({"site": REJECTS_SITE, "visitor_id": format!("{visitor} <script>")}).to_string().into_bytes(),
            400,
            ErrorCode::InvalidField,
        ),
        (
            "application/json",
            json!({"site": REJECTS_SITE, "visitor_id": visitor, "page_url": "https://evil.example/rejects.test"})
                .to_string()
                .into_bytes(),
            400,
            ErrorCode::InvalidField,
        ),
        (
            "application/json",
            json!({"site": REJECTS_SITE, "visitor_id": visitor, "page_url": "javascript:alert(1)"})
                .to_string()
                .into_bytes(),
            400,
            ErrorCode::InvalidField,
        ),
    ];
    for (ct, body, status, code) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        let r = app.block_on(api.post_raw("/v1/conversations", ct, body, None));
        assert_eq!((r.status, r.code()), (status, Some(code)), "{ct} {shown}: {:?}", r.body);
        assert!(r.header("content-type").unwrap_or_default().starts_with("application/json"));
    }
    // A body sent in chunks declares no length: it is counted while read and refused past the
    // limit, without waiting for the rest (here 20 KiB at once, then nothing more for 20 s).
    use futures_util::StreamExt;
    let chunks = futures_util::stream::iter((0..20).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024]))).chain(
        futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            Ok(Vec::new())
        }),
    );
    let started = std::time::Instant::now();
    let chunked = app.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/v1/conversations", app.edge))
            .header("origin", REJECTS_ORIGIN)
            .header("content-type", "application/json")
            .timeout(Duration::from_secs(30))
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await
    });
    let took = started.elapsed();
    // The edge answers 413 and stops reading; the client may see the answer, or only that the
    // edge hung up while it was still sending.
    match chunked {
        Ok(r) => assert_eq!(r.status().as_u16(), 413),
        Err(e) => assert!(e.is_request() && !e.is_timeout(), "{e:?}"),
    }
    assert!(took < Duration::from_secs(10), "refused without reading the rest: {took:?}");
    assert_eq!(count_for_visitor(app, &visitor), 0);
    assert_eq!(app.db.int("SELECT count(*) FROM conversations WHERE domain_id = '0193a000-0000-7000-8000-0000000000a4' AND visitor_id LIKE 'bad-%'", &[]), 0);
}

fn bad_messages_are_refused_with_stable_codes_and_write_nothing(app: &App) {
    let api = app.api(REJECTS_ORIGIN);
    let c = app.block_on(api.open(REJECTS_SITE, &unique("visitor")));
    let path = format!("/v1/conversations/{}/messages", c.conversation_id);
    let requests_before = app.llm.requests().len();
    let too_long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    let cases: Vec<(&str, Vec<u8>, u16, ErrorCode)> = vec![
        ("application/json", b"[1,2".to_vec(), 400, ErrorCode::InvalidJson),
        ("application/json", b"{}".to_vec(), 400, ErrorCode::InvalidJson),
        ("application/json", json!({"content": 42}).to_string().into_bytes(), 400, ErrorCode::InvalidJson),
        ("application/json", json!({"content": "  \n "}).to_string().into_bytes(), 400, ErrorCode::MessageEmpty),
        ("application/json", json!({"content": too_long}).to_string().into_bytes(), 422, ErrorCode::MessageTooLong),
        (
            "application/json",
            json!({"content": "x".repeat(MAX_BODY_BYTES)}).to_string().into_bytes(),
            413,
            ErrorCode::BodyTooLarge,
        ),
        ("application/x-www-form-urlencoded", b"content=hi".to_vec(), 415, ErrorCode::UnsupportedMediaType),
    ];
    for (ct, body, status, code) in cases {
        let r = app.block_on(api.post_raw(&path, ct, body, Some(&c.token)));
        assert_eq!((r.status, r.code()), (status, Some(code)), "{ct}: {:?}", r.body);
        assert_eq!(r.header("access-control-allow-origin").as_deref(), Some(REJECTS_ORIGIN), "the widget can read why");
    }
    assert!(messages_of(app, &c.conversation_id).is_empty(), "nothing stored");
    let asked = app.llm.requests()[requests_before..]
        .iter()
        .filter(|r| {
            r.body.to_string().contains(&c.conversation_id) || r.body["messages"].to_string().contains("content=hi")
        })
        .count();
    assert_eq!(asked, 0, "the provider was not called");
    // And a good message right after works.
    let ok = app.block_on(api.send(&c.conversation_id, &c.token, &format!("{MAX_MESSAGE_CHARS} chars is fine")));
    assert!(matches!(ok.last(), Some(StreamEvent::Done { usage: Usage { .. }, .. })));
    let rows = messages_of(app, &c.conversation_id);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), [Role::User.as_str(), Role::Assistant.as_str()]);
    assert_eq!(rows[1][2], MessageStatus::Complete.as_str());
}

fn the_database_refuses_rows_that_cross_organizations(app: &App) {
    let acme = app.api(ACME_ORIGIN);
    let c = app.block_on(acme.open(ACME_SITE, &unique("visitor")));
    let conn = app.db.connect();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let globex_org = "0193a000-0000-7000-8000-0000000000b1";
    let acme_domain = "0193a000-0000-7000-8000-0000000000a2";
    let crossed_conversation = conn.execute(
        "INSERT INTO conversations (id, domain_id, organization_id, started_at, last_message_at) VALUES ('x-conv', ?1, ?2, 0, 0)",
        [acme_domain, globex_org],
    );
    assert!(crossed_conversation.is_err(), "a conversation in another organization than its domain");
    let crossed_message = conn.execute(
        "INSERT INTO messages (id, conversation_id, organization_id, role, content, status, created_at) \
         VALUES ('x-msg', ?1, ?2, 'user', 'hi', 'complete', 0)",
        [c.conversation_id.as_str(), globex_org],
    );
    assert!(crossed_message.is_err(), "a message in another organization than its conversation");
    let customer_columns = app.db.int(
        "SELECT count(*) FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'customer_id'",
        &[],
    );
    assert_eq!(customer_columns, 0);
}

fn unknown_routes_and_methods_get_json_errors(app: &App) {
    let api = app.api(DEMO_ORIGIN);
    let r = app.block_on(api.get("/v1/nothing-here", None));
    assert_eq!((r.status, r.code()), (404, Some(ErrorCode::NotFound)));
    let r = app.block_on(api.post_json("/v1/widget/config", &json!({}), None));
    assert_eq!((r.status, r.code()), (405, Some(ErrorCode::MethodNotAllowed)));
    let h = app.block_on(api.get("/healthz", None));
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")));
}

const ACME_ORG: &str = "0193a000-0000-7000-8000-0000000000a1";

fn leads_of(app: &App, email: &str) -> Vec<Vec<String>> {
    app.db.rows(
        "SELECT organization_id, coalesce(conversation_id, ''), coalesce(name, ''), email FROM leads WHERE email = ?1",
        &[&email],
    )
}

/// A lead for `site` from `email`, with the fields of `extra` added or replaced.
fn lead_body(site: &str, email: &str, extra: Value) -> Value {
    let mut body = json!({"site": site, "email": email});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

fn leads_are_validated_tied_to_their_conversation_and_rate_limited(app: &App) {
    let acme = app.api(ACME_ORIGIN);
    let email = format!("{}@example.com", unique("lead"));
    let lead = |extra: Value| lead_body(ACME_SITE, &email, extra);
    // Refusals write nothing.
    let bad: Vec<(Api, Value, u16, ErrorCode)> = vec![
        (app.api(ACME_ORIGIN), lead(json!({"email": "not an email"})), 400, ErrorCode::InvalidField),
        (app.api(ACME_ORIGIN), lead(json!({"name": "n".repeat(201)})), 400, ErrorCode::InvalidField),
        (app.api(ACME_ORIGIN), lead(json!({"organization_id": ACME_ORG})), 400, ErrorCode::InvalidJson),
        (app.api(ACME_ORIGIN), lead(json!({"site": "site_nobody_has_this"})), 404, ErrorCode::SiteNotRegistered),
        (app.api(GLOBEX_ORIGIN), lead(json!({})), 403, ErrorCode::OriginNotAllowed),
        (
            app.api(ACME_ORIGIN),
            lead(json!({"conversation_id": "0193a000-0000-7000-8000-00000000dead"})),
            401,
            ErrorCode::Unauthorized,
        ),
    ];
    for (api, body, status, code) in bad {
        let r = app.block_on(api.post_json("/v1/leads", &body, None));
        assert_eq!((r.status, r.code()), (status, Some(code)), "{body}: {:?}", r.body);
    }
    // Another organization's conversation and token cannot carry a lead of this site.
    let globex = app.block_on(app.api(GLOBEX_ORIGIN).open(GLOBEX_SITE, &unique("visitor")));
    let r = app.block_on(acme.post_json(
        "/v1/leads",
        &lead(json!({"conversation_id": globex.conversation_id})),
        Some(&globex.token),
    ));
    assert!(r.status == 401 || r.status == 403, "{:?}", r.body);
    assert!(leads_of(app, &email).is_empty(), "no refused lead was stored");

    // A lead without a conversation, then three in one conversation; the fourth is refused.
    let r = app.block_on(acme.post_json("/v1/leads", &lead(json!({"name": "  Ada  "})), None));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(r.body["lead_id"].as_str().is_some());
    let c = app.block_on(acme.open(ACME_SITE, &unique("visitor")));
    for _ in 0..3 {
        let r = app.block_on(acme.post_json(
            "/v1/leads",
            &lead(json!({"conversation_id": c.conversation_id})),
            Some(&c.token),
        ));
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let r =
        app.block_on(acme.post_json("/v1/leads", &lead(json!({"conversation_id": c.conversation_id})), Some(&c.token)));
    assert_eq!((r.status, r.code()), (429, Some(ErrorCode::RateLimited)));
    assert!(r.header("retry-after").and_then(|s| s.parse::<u32>().ok()).is_some_and(|s| s > 0));
    assert_eq!(r.header("access-control-expose-headers").as_deref(), Some("Retry-After"), "the widget can read it");
    let stored = leads_of(app, &email);
    assert_eq!(stored.len(), 4);
    assert!(stored.iter().all(|row| row[0] == ACME_ORG && row[3] == email));
    assert_eq!(stored.iter().filter(|row| row[1] == c.conversation_id).count(), 3);
    assert_eq!(stored.iter().filter(|row| row[2] == "Ada").count(), 1, "names are stored trimmed");
}

/// One script cannot use up a site's lead allowance (and so block its real visitors): an
/// address, and a visitor, meet their own limits first. Nothing that would forge a line in an
/// export or a notification is stored.
fn leads_stop_per_address_and_per_visitor_and_refuse_forged_lines(app: &App) {
    let email = format!("{}@example.com", unique("forged"));
    let lead = |extra: Value| lead_body(GLOBEX_SITE, &email, extra);
    let scripted = app.api(GLOBEX_ORIGIN).from_ip("198.51.100.77");
    for forged in [
        json!({"name": "Ada\r\nBcc: all@example.com"}),
        json!({"name": "Ada\u{202E}moc.live"}),
        json!({"message": "hi\u{0007}"}),
        json!({"email": "ada\u{202E}@example.com"}),
    ] {
        let r = app.block_on(scripted.post_json("/v1/leads", &lead(forged.clone()), None));
        assert_eq!((r.status, r.code()), (400, Some(ErrorCode::InvalidField)), "{forged}: {:?}", r.body);
    }
    assert!(leads_of(app, &email).is_empty());

    let statuses: Vec<u16> =
        (0..11).map(|_| app.block_on(scripted.post_json("/v1/leads", &lead(json!({})), None)).status).collect();
    assert_eq!(statuses, [vec![201; 10], vec![429]].concat(), "ten an hour from one address");
    let real = app.api(GLOBEX_ORIGIN).from_ip("198.51.100.78");
    assert_eq!(
        app.block_on(real.post_json("/v1/leads", &lead(json!({})), None)).status,
        201,
        "a real visitor still gets through"
    );

    // One visitor over two conversations, from ever new addresses: five an hour.
    let visitor = unique("lead-visitor");
    let mut statuses = Vec::new();
    for round in 0..2 {
        let c = app
            .block_on(app.api(GLOBEX_ORIGIN).from_ip(&format!("192.0.2.{}", 100 + round)).open(GLOBEX_SITE, &visitor));
        for i in 0..3 {
            let api = app.api(GLOBEX_ORIGIN).from_ip(&format!("203.0.113.{}", 100 + round * 3 + i));
            let body = lead(json!({"conversation_id": c.conversation_id}));
            statuses.push(app.block_on(api.post_json("/v1/leads", &body, Some(&c.token))).status);
        }
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429]);
    assert_eq!(leads_of(app, &email).len(), 16);
}

fn feedback_is_one_verdict_per_reply_by_its_own_conversation_only(app: &App) {
    let acme = app.api(ACME_ORIGIN);
    let c = app.block_on(acme.open(ACME_SITE, &unique("visitor")));
    let reply = app.block_on(acme.send(&c.conversation_id, &c.token, "rate me"));
    let Some(StreamEvent::Done { message_id, .. }) = reply.last().cloned() else {
        panic!("no done event: {:?}", reply.events)
    };
    let path = format!("/v1/messages/{message_id}/feedback");
    let vote = |rating: &str| json!({"conversation_id": c.conversation_id, "rating": rating});
    for rating in ["up", "down"] {
        let r = app.block_on(acme.post_json(&path, &vote(rating), Some(&c.token)));
        assert_eq!(r.status, 204, "{:?}", r.body);
    }
    let stored = |id: &str| {
        app.db
            .rows("SELECT rating, organization_id, conversation_id FROM message_feedback WHERE message_id = ?1", &[&id])
    };
    assert_eq!(
        stored(&message_id),
        vec![vec!["down".to_owned(), ACME_ORG.to_owned(), c.conversation_id.clone()]],
        "the second vote replaced the first"
    );

    let user_message = messages_of(app, &c.conversation_id)[0][8].clone();
    let other = app.block_on(acme.open(ACME_SITE, &unique("visitor")));
    let globex = app.block_on(app.api(GLOBEX_ORIGIN).open(GLOBEX_SITE, &unique("visitor")));
    let globex_reply = app.block_on(app.api(GLOBEX_ORIGIN).send(&globex.conversation_id, &globex.token, "mine"));
    let Some(StreamEvent::Done { message_id: globex_message, .. }) = globex_reply.last().cloned() else {
        panic!("no done")
    };
    let cases: Vec<(String, Value, Option<&str>, u16, ErrorCode)> = vec![
        (format!("/v1/messages/{user_message}/feedback"), vote("up"), Some(&c.token), 404, ErrorCode::MessageNotFound),
        (
            format!("/v1/messages/{globex_message}/feedback"),
            vote("up"),
            Some(&c.token),
            404,
            ErrorCode::MessageNotFound,
        ),
        (
            path.clone(),
            json!({"conversation_id": other.conversation_id, "rating": "up"}),
            Some(&other.token),
            404,
            ErrorCode::MessageNotFound,
        ),
        (path.clone(), vote("up"), None, 401, ErrorCode::Unauthorized),
        (path.clone(), vote("up"), Some(&other.token), 401, ErrorCode::Unauthorized),
        (path.clone(), vote("meh"), Some(&c.token), 400, ErrorCode::InvalidJson),
        ("/v1/messages/not-an-id/feedback".to_owned(), vote("up"), Some(&c.token), 404, ErrorCode::MessageNotFound),
    ];
    for (path, body, token, status, code) in cases {
        let r = app.block_on(acme.post_json(&path, &body, token));
        assert_eq!((r.status, r.code()), (status, Some(code)), "{path} {body}: {:?}", r.body);
    }
    assert_eq!(stored(&message_id)[0][0], "down", "refused votes changed nothing");
    assert!(stored(&globex_message).is_empty());
    assert!(stored(&user_message).is_empty());
}
