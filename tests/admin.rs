//! The site owner's side, end to end: API keys from the bootstrap command, the admin API over
//! every resource, tenant isolation on every admin route, visitor limits and the monthly budget.
//! Runs against the real `wrangler dev` (workerd, local D1, the METER Durable Object) and the
//! scripted stand-in LLM.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use e2e::client::{Admin, Api, Reply};
use e2e::App;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shared::{ErrorCode, StreamEvent};

const ACME_ORG: &str = "0193a000-0000-7000-8000-0000000000a1";
const ACME_DOMAIN: &str = "0193a000-0000-7000-8000-0000000000a2";
const GLOBEX_ORG: &str = "0193a000-0000-7000-8000-0000000000b1";
const GLOBEX_DOMAIN: &str = "0193a000-0000-7000-8000-0000000000b2";
const GLOBEX_ORIGIN: &str = "https://globex.test";
const GLOBEX_SITE: &str = "site_globex_test";

use e2e::journeys::{self, unique, Journey};
use e2e::verification_site::{Answer, VerificationSite};

/// The owners' web server where the edge looks for verification tokens on loopback hostnames.
static SITE: OnceLock<VerificationSite> = OnceLock::new();

/// Organizations whose keys are minted before the tests start: `dev/bootstrap` writes the
/// database file directly, which must not race the running edge's own writes.
const NAMED_ORGS: [&str; 7] = ["keys-test", "domains-test", "domains-test-2", "acme", "globex", "planned", "quota"];
/// The operator's plan for the organization `planned`: one cent, a reply or two of `costly`.
const PLANNED_CENTS: u64 = 1;
/// Fresh organizations handed out by `new_tenant`, one per call.
const FRESH_ORGS: usize = 14;
static KEYS: OnceLock<HashMap<String, String>> = OnceLock::new();

fn mint_keys(app: &App) -> Result<(), String> {
    let mut keys = HashMap::new();
    let fresh = (0..FRESH_ORGS).map(|i| format!("tenant-{i}"));
    for slug in NAMED_ORGS.iter().map(|s| s.to_string()).chain(fresh) {
        let key = app.mint_key(&slug)?;
        keys.insert(slug, key);
    }
    app.set_plan("planned", &format!("--cents {PLANNED_CENTS}"))?;
    app.set_plan("quota", "--messages-per-month 6 --knowledge-bytes 1000")?;
    KEYS.set(keys).map_err(|_| "keys minted twice".to_owned())
}

fn key_of(slug: &str) -> String {
    KEYS.get().and_then(|k| k.get(slug)).cloned().unwrap_or_else(|| panic!("no key minted for {slug}"))
}

fn main() {
    let tests: Vec<(&str, Journey)> = vec![
        ("keys_are_hashed_shown_once_touched_and_revoked", keys_are_hashed_shown_once_touched_and_revoked),
        ("domains_are_normalised_validated_updated_and_unique", domains_are_normalised_validated_updated_and_unique),
        ("deleting_a_domain_removes_what_visitors_left_on_it", deleting_a_domain_removes_what_visitors_left_on_it),
        ("the_edges_key_never_goes_to_an_owners_provider", the_edges_key_never_goes_to_an_owners_provider),
        (
            "knowledge_reaches_the_prompt_while_active_newest_version",
            knowledge_reaches_the_prompt_while_active_newest_version,
        ),
        ("conversations_leads_and_usage_read_back_page_by_page", conversations_leads_and_usage_read_back_page_by_page),
        (
            "every_admin_route_hides_other_organizations_behind_404",
            every_admin_route_hides_other_organizations_behind_404,
        ),
        ("prices_make_reply_costs_and_usage_exact", prices_make_reply_costs_and_usage_exact),
        (
            "a_spent_budget_keeps_the_message_and_refuses_the_reply",
            a_spent_budget_keeps_the_message_and_refuses_the_reply,
        ),
        (
            "concurrent_replies_overshoot_the_budget_by_at_most_one",
            concurrent_replies_overshoot_the_budget_by_at_most_one,
        ),
        ("visitor_limits_count_exactly_under_a_flood", visitor_limits_count_exactly_under_a_flood),
        ("the_openapi_document_is_served", the_openapi_document_is_served),
        ("an_address_flooding_the_edge_meets_the_shield", an_address_flooding_the_edge_meets_the_shield),
        ("the_addresses_of_one_ipv6_64_share_one_allowance", the_addresses_of_one_ipv6_64_share_one_allowance),
        (
            "an_owner_stops_at_the_operators_plan_whatever_its_prices_and_budget",
            an_owner_stops_at_the_operators_plan_whatever_its_prices_and_budget,
        ),
        ("storage_stops_at_the_organizations_quota", storage_stops_at_the_organizations_quota),
        (
            "model_ids_stay_in_their_path_and_the_operators_key_runs_only_listed_models",
            model_ids_stay_in_their_path_and_the_operators_key_runs_only_listed_models,
        ),
        (
            "a_hostname_is_verified_by_the_token_its_site_serves_whoever_else_lists_it",
            a_hostname_is_verified_by_the_token_its_site_serves_whoever_else_lists_it,
        ),
        ("rebuilding_domains_keeps_every_row_below_them", rebuilding_domains_keeps_every_row_below_them),
    ];
    let site = match VerificationSite::start() {
        Ok(site) => SITE.get_or_init(|| site),
        Err(e) => panic!("the verification site did not start: {e}"),
    };
    let port = site.port.to_string();
    journeys::run(tests, &["tenants.sql"], &[("VERIFICATION_LOOPBACK_PORT", &port)], mint_keys)
}

fn owner(app: &App, slug: &str) -> Admin {
    app.admin(&key_of(slug))
}

fn ok(r: Reply, status: u16) -> Value {
    assert_eq!(r.status, status, "{:?}", r.body);
    r.body
}

fn refused(r: &Reply, status: u16, code: ErrorCode) {
    assert_eq!((r.status, r.code()), (status, Some(code)), "{:?}", r.body);
}

/// A new organization with one active domain on `host`; its owner, domain id and site key.
fn new_tenant(app: &App, host: &str, extra: Value) -> (Admin, String, String) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let admin = owner(app, &format!("tenant-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let mut body = json!({"hostname": host});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let d = ok(app.block_on(admin.post("/v1/admin/domains", &body)), 201);
    (admin, d["id"].as_str().unwrap().to_owned(), d["site_key"].as_str().unwrap().to_owned())
}

/// Every row of every table, to show a refused request changed nothing. Key use times are left
/// out: using a key, even to be refused, is recorded; and so is the audit trail, where reading
/// a list of leads is recorded too (the accounts suite counts its rows exactly). The search
/// indexes over messages and knowledge passages (`message_search`, `knowledge_search` and their
/// shadow tables) are left out too: they are derived from the rows, which are in.
fn snapshot(app: &App) -> Vec<Vec<String>> {
    let tables = app.db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'message\\_search%' ESCAPE '\\' AND name NOT LIKE 'knowledge\\_search%' ESCAPE '\\' AND name NOT IN ('d1_migrations', 'audit_events') ORDER BY name", &[]);
    let mut all = Vec::new();
    for t in tables {
        let sql = if t[0] == "api_keys" {
            "SELECT id, organization_id, name, key_hash, prefix, created_at, revoked_at FROM api_keys ORDER BY id"
                .to_owned()
        } else {
            format!("SELECT * FROM {} ORDER BY rowid", t[0])
        };
        for mut row in app.db.rows(&sql, &[]) {
            row.insert(0, t[0].clone());
            all.push(row);
        }
    }
    all
}

fn keys_are_hashed_shown_once_touched_and_revoked(app: &App) {
    let key = key_of("keys-test");
    let admin = app.admin(&key);
    let org = ok(app.block_on(admin.get("/v1/admin/organization")), 200);
    assert_eq!(org["slug"], "keys-test");

    let stored = app.db.rows(
        "SELECT key_hash, prefix, last_used_at FROM api_keys WHERE organization_id = ?1",
        &[&org["id"].as_str().unwrap()],
    );
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0][0], hex::encode(Sha256::digest(key.as_bytes())), "only the SHA-256 is stored");
    assert_eq!(stored[0][1], &key[..16]);
    assert_ne!(stored[0][2], "NULL", "last_used_at is set once the key is used");
    let everything = format!("{:?}", snapshot(app));
    assert!(!everything.contains(&key[8..]), "the secret is nowhere in the database");

    let created = ok(app.block_on(admin.post("/v1/admin/keys", &json!({"name": "CI deploys"}))), 201);
    let second = created["secret"].as_str().unwrap().to_owned();
    assert!(second.starts_with("sk_live_") && second.len() == 72);
    let listed = ok(app.block_on(admin.get("/v1/admin/keys")), 200);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(!listed.to_string().contains(&second[8..]), "a list never shows a secret");
    assert!(items
        .iter()
        .any(|k| k["name"] == "CI deploys" && k["prefix"] == second[..16] && k["last_used_at"].is_null()));

    let by_second = app.admin(&second);
    ok(app.block_on(by_second.get("/v1/admin/domains")), 200);
    let id = created["key"]["id"].as_str().unwrap();
    let revoked = ok(app.block_on(admin.delete(&format!("/v1/admin/keys/{id}"))), 200);
    assert!(revoked["revoked_at"].is_i64());
    let again = ok(app.block_on(admin.delete(&format!("/v1/admin/keys/{id}"))), 200);
    assert_eq!(again["revoked_at"], revoked["revoked_at"], "revoking twice keeps the first time");
    refused(&app.block_on(by_second.get("/v1/admin/domains")), 401, ErrorCode::InvalidApiKey);

    let forged = format!("sk_live_{}", "0".repeat(64));
    for auth in [
        None,
        Some("".to_owned()),
        Some(key.clone()),
        Some(format!("Basic {key}")),
        Some(format!("Bearer {}", &key[..40])),
        Some(format!("Bearer {forged}")),
        Some("Bearer v1.0193a000-0000-7000-8000-0000000000a2.abc".to_owned()),
    ] {
        let r = app.block_on(admin.call_with_auth("GET", "/v1/admin/organization", None, auth.as_deref()));
        // No credential at all (an empty header is none) asks to sign in; a malformed or
        // unknown key is not a key.
        let code = if auth.as_deref().unwrap_or_default().is_empty() {
            ErrorCode::NotSignedIn
        } else {
            ErrorCode::InvalidApiKey
        };
        refused(&r, 401, code);
    }
    refused(&app.block_on(admin.post("/v1/admin/keys", &json!({"name": " "}))), 400, ErrorCode::InvalidField);
    refused(&app.block_on(admin.delete("/v1/admin/keys/not-an-id")), 404, ErrorCode::ApiKeyNotFound);
}

fn domains_are_normalised_validated_updated_and_unique(app: &App) {
    let admin = owner(app, "domains-test");
    let host = format!("{}.Example.COM.", unique("shop"));
    let d = ok(
        app.block_on(admin.post(
            "/v1/admin/domains",
            &json!({"hostname": host, "aliases": [format!("WWW.{host}")], "config": {"title": "Shop help", "theme": {"primary": "#123456"}}}),
        )),
        201,
    );
    let canonical = host.trim_end_matches('.').to_lowercase();
    assert_eq!(d["hostname"], canonical);
    assert_eq!(d["aliases"], json!([format!("www.{canonical}")]));
    assert_eq!(d["active"], true);
    let site = d["site_key"].as_str().unwrap().to_owned();
    assert!(site.starts_with("site_") && site.len() == 29, "{site}");
    let id = d["id"].as_str().unwrap().to_owned();

    // The widget of the new site works at once, from the normalised hostname and its alias.
    let origin = format!("https://{canonical}");
    let config = app.block_on(app.api(&origin).config(&site));
    assert_eq!((config.status, config.body["title"].as_str()), (200, Some("Shop help")));
    assert_eq!(app.block_on(app.api(&format!("https://www.{canonical}")).config(&site)).status, 200);

    // Within an organization a hostname names one site, as a hostname or an alias.
    let own_again = [
        json!({"hostname": canonical}),
        json!({"hostname": format!("www.{canonical}")}),
        json!({"hostname": format!("x.{canonical}"), "aliases": [canonical]}),
    ];
    for body in own_again {
        refused(&app.block_on(admin.post("/v1/admin/domains", &body)), 409, ErrorCode::HostnameTaken);
    }
    assert_eq!(
        app.db.int("SELECT count(*) FROM domains WHERE hostname = ?1", &[&format!("x.{canonical}")]),
        0,
        "nothing half-written"
    );
    // Another organization may list the same hostnames: it cannot lock the owner out, and each
    // one's site key brings its own widget to visitors of that origin.
    let other = owner(app, "domains-test-2");
    let twin = ok(
        app.block_on(other.post(
            "/v1/admin/domains",
            &json!({"hostname": canonical, "aliases": [format!("www.{canonical}")], "config": {"title": "Not the shop"}}),
        )),
        201,
    );
    let twin_site = twin["site_key"].as_str().unwrap().to_owned();
    assert_ne!(twin_site, site);
    assert_eq!(twin["verification"]["status"], "unverified");
    assert_ne!(twin["verification"]["token"], d["verification"]["token"], "each domain has its own token");
    assert_eq!(app.block_on(app.api(&origin).config(&site)).body["title"], "Shop help");
    assert_eq!(app.block_on(app.api(&origin).config(&twin_site)).body["title"], "Not the shop");
    let acme_test = ok(app.block_on(other.post("/v1/admin/domains", &json!({"hostname": "acme.test"}))), 201);
    assert_eq!(app.block_on(app.api("https://acme.test").config(acme_test["site_key"].as_str().unwrap())).status, 200);
    assert_eq!(app.block_on(app.api("https://acme.test").config("site_acme_test")).status, 200, "acme keeps its site");

    let bad: [(Value, &str); 7] = [
        (json!({"hostname": "not a host"}), "hostname"),
        (
            json!({"hostname": "ok.test", "config": {"theme": {"primary": "red; background:url(x)"}}}),
            "config.theme.primary",
        ),
        (json!({"hostname": "ok.test", "llm": {"max_tokens": 99999}}), "llm.max_tokens"),
        (json!({"hostname": "ok.test", "llm": {"base_url": "file:///etc/passwd"}}), "llm.base_url"),
        (json!({"hostname": "ok.test", "llm": {"temperature": 3}}), "llm.temperature"),
        (
            json!({"hostname": "ok.test", "limits": {"messages_per_minute_per_visitor": 0}}),
            "limits.messages_per_minute_per_visitor",
        ),
        (
            json!({"hostname": "ok.test", "config": {"starters": ["a", "b", "c", "d", "e", "f", "g"]}}),
            "config.starters",
        ),
    ];
    for (body, field) in bad {
        let r = app.block_on(admin.post("/v1/admin/domains", &body));
        refused(&r, 400, ErrorCode::InvalidField);
        assert!(r.body["error"]["message"].as_str().unwrap().starts_with(field), "{field}: {:?}", r.body);
    }
    refused(
        &app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": "ok.test", "llm": {"api_key": "sk-clear"}}))),
        400,
        ErrorCode::InvalidJson,
    );
    assert_eq!(app.db.int("SELECT count(*) FROM domains WHERE hostname = 'ok.test'", &[]), 0);

    let updated = ok(
        app.block_on(admin.patch(
            &format!("/v1/admin/domains/{id}"),
            &json!({"config": {"title": "New title", "greeting": "Welcome!"}, "system_prompt": "Be kind."}),
        )),
        200,
    );
    assert_eq!(
        (updated["config"]["title"].as_str(), updated["system_prompt"].as_str()),
        (Some("New title"), Some("Be kind."))
    );
    assert_eq!(updated["site_key"], site, "the site key stays");
    assert_eq!(app.block_on(app.api(&origin).config(&site)).body["greeting"], "Welcome!");
    // The launcher the loader draws follows the settings at once: the site's colour and side,
    // and, as the site's language is one the widget does not speak, the visitor's.
    let look_of = |tag: &str| app.block_on(app.api(&origin).look(&site, tag, "fr-FR, de;q=0.9, es;q=0.8"));
    ok(
        app.block_on(admin.patch(
            &format!("/v1/admin/domains/{id}"),
            &json!({"config": {"language": "fr", "position": "bottom-left"}}),
        )),
        200,
    );
    let look = ok(look_of(""), 200);
    assert_eq!(
        look,
        json!({"primary": "#123456", "on_primary": "#ffffff", "position": "bottom-left", "lang": "de", "dir": "ltr",
               "open_chat": "Chat öffnen", "unread": "ungelesen"})
    );
    // The tag's attributes come first; the text on its colour is the readable one.
    let tagged = ok(look_of("&color=%23fde047&position=right&lang=ar"), 200);
    assert_eq!(
        (&tagged["primary"], &tagged["on_primary"], &tagged["position"], &tagged["lang"], &tagged["dir"]),
        (&json!("#fde047"), &json!("#000000"), &json!("bottom-right"), &json!("ar"), &json!("rtl"))
    );
    assert_eq!(ok(look_of("&color=red&position=top&lang="), 200), look, "unreadable attributes are passed over");
    refused(&app.block_on(app.api("https://elsewhere.test").look(&site, "", "en")), 403, ErrorCode::OriginNotAllowed);
    refused(&app.block_on(app.api(&origin).look("site_nobody_has", "", "en")), 404, ErrorCode::SiteNotRegistered);
    // The tag to paste carries the same look, written in before the loader for a page of the
    // site (which the browser names in its Referer), and for nobody else's.
    let script = app.block_on(app.api(&origin).script(&site, "fr-FR, de;q=0.9, es;q=0.8"));
    assert_eq!(script.status, 200, "{}", script.text);
    assert_eq!(script.headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(script.look(), Some(look.clone()));
    assert!(
        script.text.contains(&format!("s.site=\"{site}\"")) && script.text.contains("ChatWidget"),
        "{}",
        script.text
    );
    let elsewhere = app.block_on(app.api("https://elsewhere.test").script(&site, "en"));
    assert_eq!((elsewhere.status, elsewhere.look()), (200, None), "another site's page asks for the look itself");
    assert!(elsewhere.text.contains(&format!("s.site=\"{site}\"")));
    let nobody = app.block_on(app.api(&origin).script("site_nobody_has", "en"));
    assert_eq!((nobody.status, nobody.code()), (404, Some(ErrorCode::SiteNotRegistered)));
    let malformed = app.block_on(app.api(&origin).script("no%20key", "en"));
    assert_eq!((malformed.status, malformed.code()), (400, Some(ErrorCode::SiteKeyMissing)));
    assert_eq!(updated["config"]["theme"]["primary"], "#123456", "fields left out of a patch keep their value");
    let path = format!("/v1/admin/domains/{id}");
    let staged = ok(app.block_on(admin.patch(&path, &json!({"aliases": [format!("staging.{canonical}")]}))), 200);
    assert_eq!(staged["aliases"], json!([format!("staging.{canonical}")]), "aliases are replaced");
    assert_eq!(app.block_on(app.api(&format!("https://staging.{canonical}")).config(&site)).status, 200);
    refused(
        &app.block_on(app.api(&format!("https://www.{canonical}")).config(&site)),
        403,
        ErrorCode::OriginNotAllowed,
    );
    let sibling = format!("blog.{canonical}");
    let sibling_id =
        ok(app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": sibling}))), 201)["id"].clone();
    let taken = app.block_on(admin.patch(&path, &json!({"aliases": [sibling], "name": "Renamed"})));
    refused(&taken, 409, ErrorCode::HostnameTaken);
    let unchanged = ok(app.block_on(admin.get(&path)), 200);
    assert_eq!(
        (unchanged["name"].clone(), unchanged["aliases"].clone()),
        (updated["name"].clone(), staged["aliases"].clone()),
        "a refused patch changes nothing"
    );
    let reset = ok(app.block_on(admin.patch(&path, &json!({"config": {"greeting": null}}))), 200);
    assert_eq!(reset["config"]["greeting"], "Hi! How can we help?", "null resets a field to its default");
    assert_eq!(reset["config"]["title"], "New title");

    // Provider settings may name only the organization's own secrets.
    for secret in ["TOKEN_SECRET", "LLM_API_KEY", "LLM_KEY_0193A0000000700080000000000000A1_X"] {
        let llm = json!({"llm": {"base_url": "https://evil.example/v1", "api_key_secret": secret}});
        refused(&app.block_on(admin.patch(&path, &llm)), 403, ErrorCode::Forbidden);
    }

    ok(app.block_on(admin.patch(&format!("/v1/admin/domains/{id}"), &json!({"active": false}))), 200);
    refused(&app.block_on(app.api(&origin).config(&site)), 403, ErrorCode::DomainInactive);
    ok(app.block_on(admin.patch(&format!("/v1/admin/domains/{id}"), &json!({"active": true}))), 200);
    assert_eq!(app.block_on(app.api(&origin).config(&site)).status, 200);

    let list = ok(app.block_on(admin.get("/v1/admin/domains")), 200);
    let listed: Vec<&Value> = list["items"].as_array().unwrap().iter().map(|d| &d["id"]).collect();
    assert_eq!(listed, [&json!(id), &sibling_id], "only the organization's own domains, the twin's not");
    refused(
        &app.block_on(admin.patch(&format!("/v1/admin/domains/{id}"), &json!({"config": {"language": "klingon!"}}))),
        400,
        ErrorCode::InvalidField,
    );
}

fn deleting_a_domain_removes_what_visitors_left_on_it(app: &App) {
    let host = format!("{}.test", unique("gone"));
    let (admin, id, site) = new_tenant(app, &host, json!({"aliases": [format!("www.{host}")]}));
    let org = ok(app.block_on(admin.get("/v1/admin/organization")), 200)["id"].as_str().unwrap().to_owned();
    // A second site of the same organization, which must come through untouched.
    let kept_host = format!("{}.test", unique("kept"));
    let kept = ok(app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": kept_host}))), 201);
    let (kept_id, kept_site) = (kept["id"].as_str().unwrap().to_owned(), kept["site_key"].as_str().unwrap().to_owned());
    let kept_api = app.api(&format!("https://{kept_host}"));
    let k = app.block_on(kept_api.open(&kept_site, "visitor-kept"));
    app.block_on(kept_api.send(&k.conversation_id, &k.token, "still here?"));

    let api = app.api(&format!("https://{host}"));
    let c = app.block_on(api.open(&site, "visitor-gone"));
    let s = app.block_on(api.send(&c.conversation_id, &c.token, "forget me"));
    let Some(StreamEvent::Done { message_id, .. }) = s.last() else { panic!("{:?}", s.last()) };
    let rated = app.block_on(api.post_json(
        &format!("/v1/messages/{message_id}/feedback"),
        &json!({"conversation_id": c.conversation_id, "rating": "up"}),
        Some(&c.token),
    ));
    assert_eq!(rated.status, 204);
    let lead = app.block_on(api.post_json("/v1/leads", &json!({"site": site, "email": "a@b.example"}), None));
    assert_eq!(lead.status, 201);
    let faq = json!({"domain_id": id, "kind": "faq", "title": "Q", "content": "A"});
    ok(app.block_on(admin.post("/v1/admin/knowledge", &faq)), 201);
    let org_wide = json!({"kind": "custom", "title": "Org", "content": "Kept"});
    let org_wide = ok(app.block_on(admin.post("/v1/admin/knowledge", &org_wide)), 201);
    let of_kept = || -> Vec<Vec<String>> {
        snapshot(app).into_iter().filter(|r| r.iter().any(|v| *v == kept_id || *v == k.conversation_id)).collect()
    };
    let kept_before = of_kept();
    let usage = "SELECT requests, tokens_in, tokens_out, cost_micros FROM usage_daily WHERE organization_id = ?1";
    let usage_before = app.db.rows(usage, &[&org]);

    app.db.note_deleted_replies(&org);
    assert_eq!(app.block_on(admin.delete(&format!("/v1/admin/domains/{id}"))).status, 204);
    for table in ["domains", "domain_aliases", "conversations", "leads", "knowledge"] {
        let col = if table == "domains" { "id" } else { "domain_id" };
        assert_eq!(app.db.int(&format!("SELECT count(*) FROM {table} WHERE {col} = ?1"), &[&id]), 0, "{table}");
    }
    for table in ["conversations", "messages", "message_feedback", "leads"] {
        let col = if table == "conversations" { "id" } else { "conversation_id" };
        let n = app.db.int(&format!("SELECT count(*) FROM {table} WHERE {col} = ?1"), &[&c.conversation_id]);
        assert_eq!(n, 0, "{table}");
    }
    let org_wide_left =
        app.db.int("SELECT count(*) FROM knowledge WHERE id = ?1", &[&org_wide["id"].as_str().unwrap()]);
    assert_eq!(org_wide_left, 1, "organization-wide knowledge stays");
    assert_eq!(of_kept(), kept_before, "the organization's other site is untouched");
    assert_eq!(app.db.rows(usage, &[&org]), usage_before, "usage totals stay: the money was spent");
    refused(&app.block_on(api.config(&site)), 404, ErrorCode::SiteNotRegistered);
    refused(&app.block_on(api.history(&c)), 404, ErrorCode::SiteNotRegistered);
    refused(&app.block_on(admin.delete(&format!("/v1/admin/domains/{id}"))), 404, ErrorCode::DomainNotFound);
    // The hostname is free again.
    ok(app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": host}))), 201);
}

/// The edge's own provider key goes to the edge's own provider only.
fn the_edges_key_never_goes_to_an_owners_provider(app: &App) {
    let own_server = format!("{}/owner", app.llm.base_url);
    let host = format!("{}.test", unique("byo"));
    let (_admin, _, site) = new_tenant(app, &host, json!({"llm": {"base_url": own_server}}));
    let api = app.api(&format!("https://{host}"));
    let c = app.block_on(api.open(&site, "byo-visitor"));
    let question = unique("bring your own provider");
    let s = app.block_on(api.send(&c.conversation_id, &c.token, &question));
    assert!(matches!(s.last(), Some(StreamEvent::Done { .. })), "{:?}", s.last());
    let got = app
        .llm
        .requests()
        .into_iter()
        .find(|r| r.body.to_string().contains(&question))
        .expect("the owner's server was called");
    assert_eq!(got.authorization, None, "no key was sent to the owner's server");
}

fn knowledge_reaches_the_prompt_while_active_newest_version(app: &App) {
    let host = format!("{}.test", unique("know"));
    let (admin, domain, site) = new_tenant(app, &host, json!({"system_prompt": "Domain prompt."}));
    let api = app.api(&format!("https://{host}"));
    let marker = unique("MARKER");
    let k = ok(
        app.block_on(admin.post("/v1/admin/knowledge", &json!({"domain_id": domain, "kind": "faq", "title": "Opening hours?", "content": format!("9 to 5 {marker}-v1")}))),
        201,
    );
    assert_eq!(k["version"], 1);
    let kid = k["id"].as_str().unwrap().to_owned();
    let system_of = |question: &str| -> String {
        let c = app.block_on(api.open(&site, &unique("v")));
        let s = app.block_on(api.send(&c.conversation_id, &c.token, question));
        assert!(matches!(s.last(), Some(StreamEvent::Done { .. })), "{:?}", s.last());
        let req = app
            .llm
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.body.to_string().contains(question))
            .expect("the stand-in got it");
        req.body["messages"][0]["content"].as_str().unwrap_or_default().to_owned()
    };
    // A FAQ entry is a source: found for a question that asks it (here by words: this suite
    // runs without an embeddings provider) and quoted in the knowledge block after the prompt.
    let block = |s: &str| s.find("<knowledge>").map(|at| s[at..].to_owned()).unwrap_or_default();
    let s = system_of(&unique("What are your opening hours"));
    assert!(s.starts_with("Domain prompt."), "{s}");
    assert!(block(&s).contains("Opening hours?") && block(&s).contains(&format!("9 to 5 {marker}-v1")), "{s}");

    let v2 = ok(
        app.block_on(
            admin.patch(&format!("/v1/admin/knowledge/{kid}"), &json!({"content": format!("8 to 6 {marker}-v2")})),
        ),
        200,
    );
    assert_eq!(v2["version"], 2);
    let s = system_of(&unique("And now, your opening hours"));
    assert!(block(&s).contains(&format!("{marker}-v2")) && !s.contains(&format!("{marker}-v1")), "{s}");

    let org_wide = json!({"kind": "system_prompt", "title": "Tone", "content": format!("Speak formally {marker}")});
    ok(app.block_on(admin.post("/v1/admin/knowledge", &org_wide)), 201);
    let s = system_of(&unique("Org tone"));
    assert!(s.starts_with("Domain prompt."), "the organization's prompt entry does not override a domain's own: {s}");
    let own = json!({"domain_id": domain, "kind": "system_prompt", "title": "Tone", "content": format!("Speak like a gardener {marker}")});
    ok(app.block_on(admin.post("/v1/admin/knowledge", &own)), 201);
    ok(app.block_on(admin.patch(&format!("/v1/admin/knowledge/{kid}"), &json!({"active": false}))), 200);
    let s = system_of(&unique("Opening hours, inactive"));
    assert!(
        s.starts_with(&format!("Speak like a gardener {marker}")),
        "the domain's prompt entry replaces its prompt: {s}"
    );
    assert!(!s.contains("Opening hours") && !s.contains("Speak formally"), "inactive entries stay out: {s}");

    refused(
        &app.block_on(admin.post("/v1/admin/knowledge", &json!({"kind": "faq", "title": "", "content": "x"}))),
        400,
        ErrorCode::InvalidField,
    );
    refused(
        &app.block_on(admin.post("/v1/admin/knowledge", &json!({"kind": "rumour", "title": "t", "content": "x"}))),
        400,
        ErrorCode::InvalidJson,
    );
    assert_eq!(app.block_on(admin.delete(&format!("/v1/admin/knowledge/{kid}"))).status, 204);
    refused(&app.block_on(admin.get(&format!("/v1/admin/knowledge/{kid}"))), 404, ErrorCode::KnowledgeNotFound);
}

fn conversations_leads_and_usage_read_back_page_by_page(app: &App) {
    let host = format!("{}.test", unique("pages"));
    let (admin, domain, site) = new_tenant(app, &host, json!({}));
    let api = app.api(&format!("https://{host}"));
    let mut opened = Vec::new();
    for i in 0..5 {
        let c = app.block_on(api.open(&site, &format!("pager-{i}")));
        app.block_on(api.send(&c.conversation_id, &c.token, &format!("question {i}")));
        opened.push(c.conversation_id);
    }
    let lead = app.block_on(api.post_json(
        "/v1/leads",
        &json!({"site": site, "email": "Pat@Example.COM", "name": "Pat"}),
        None,
    ));
    assert_eq!(lead.status, 201);

    let mut seen = Vec::new();
    let mut path = format!("/v1/admin/conversations?domain_id={domain}&limit=2");
    let mut pages = 0;
    loop {
        let page = ok(app.block_on(admin.get(&path)), 200);
        pages += 1;
        for c in page["items"].as_array().unwrap() {
            assert_eq!(c["message_count"], 2);
            seen.push(c["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/admin/conversations?domain_id={domain}&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut expected = opened.clone();
    expected.reverse();
    assert_eq!(seen, expected, "newest activity first, each conversation once");
    let today = ok(app.block_on(admin.get("/v1/admin/usage")), 200)["days"][0]["day"].as_str().unwrap().to_owned();
    let dated = ok(app.block_on(admin.get(&format!("/v1/admin/conversations?from={today}&to={today}"))), 200);
    assert_eq!(dated["items"].as_array().unwrap().len(), 5);
    let past = ok(app.block_on(admin.get("/v1/admin/conversations?to=2020-01-01")), 200);
    assert_eq!(past["items"], json!([]));
    refused(&app.block_on(admin.get("/v1/admin/conversations?cursor=bogus")), 400, ErrorCode::InvalidField);
    refused(&app.block_on(admin.get("/v1/admin/conversations?limit=1000")), 400, ErrorCode::InvalidField);
    refused(&app.block_on(admin.get("/v1/admin/conversations?from=2026-02-30")), 400, ErrorCode::InvalidField);

    let detail = ok(app.block_on(admin.get(&format!("/v1/admin/conversations/{}", opened[0]))), 200);
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!((messages[0]["role"].as_str(), messages[0]["content"].as_str()), (Some("user"), Some("question 0")));
    assert_eq!(messages[1]["status"], "complete");
    assert!(messages[1]["tokens_out"].as_u64().unwrap() > 0);

    let leads = ok(app.block_on(admin.get("/v1/admin/leads")), 200);
    assert_eq!(leads["items"][0]["email"], "Pat@example.com");
    assert_eq!(leads["items"][0]["domain_id"], domain.as_str());

    let usage = ok(app.block_on(admin.get(&format!("/v1/admin/usage?from={today}&to={today}"))), 200);
    assert_eq!(usage["days"][0]["requests"], 5);
    let tokens: i64 = app.db.int("SELECT sum(tokens_out) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.domain_id = ?1", &[&domain]);
    assert_eq!(usage["days"][0]["tokens_out"], tokens);
    assert_eq!(usage["budget"]["monthly_budget_cents"], 1000);
    // Any range of dates will do: only days with usage are stored.
    let wide = ok(app.block_on(admin.get("/v1/admin/usage?from=2020-01-01&to=9426-07-12")), 200);
    assert_eq!(wide["days"].as_array().map(Vec::len), usage["days"].as_array().map(Vec::len));
    let backwards = ok(app.block_on(admin.get("/v1/admin/usage?from=2026-01-02&to=2026-01-01")), 200);
    assert_eq!(backwards["days"], json!([]));
    refused(&app.block_on(admin.get("/v1/admin/usage?from=2026-13-01")), 400, ErrorCode::InvalidField);
}

/// Organization A's key against organization B's ids, on every admin route of the published
/// document: 404 (never 403, which would confirm the id exists), lists without B's rows, and
/// not one row changed.
fn every_admin_route_hides_other_organizations_behind_404(app: &App) {
    let acme = owner(app, "acme");
    let globex = owner(app, "globex");
    // Globex has one of everything.
    let g_api = app.api(GLOBEX_ORIGIN);
    let g_conv = app.block_on(g_api.open(GLOBEX_SITE, "globex-visitor"));
    app.block_on(g_api.send(&g_conv.conversation_id, &g_conv.token, "globex question"));
    assert_eq!(
        app.block_on(g_api.post_json("/v1/leads", &json!({"site": GLOBEX_SITE, "email": "g@globex.example"}), None))
            .status,
        201
    );
    let g_know = ok(
        app.block_on(globex.post(
            "/v1/admin/knowledge",
            &json!({"domain_id": GLOBEX_DOMAIN, "kind": "faq", "title": "G", "content": "GLOBEX-SECRET"}),
        )),
        201,
    );
    let g_key = ok(app.block_on(globex.get("/v1/admin/keys")), 200)["items"][0]["id"].as_str().unwrap().to_owned();
    let g_knowledge = g_know["id"].as_str().unwrap().to_owned();
    let g_doc =
        json!({"kind": "document", "domain_id": GLOBEX_DOMAIN, "title": "G doc", "content": "GLOBEX-SECRET terms"});
    let g_source =
        ok(app.block_on(globex.post("/v1/admin/knowledge/sources", &g_doc)), 201)["id"].as_str().unwrap().to_owned();
    let invite = |email: &str| {
        ok(app.block_on(globex.post("/v1/admin/invitations", &json!({"email": email, "role": "agent"}))), 201)
    };
    let g_invitation = invite("pending@globex.example")["invitation"]["id"].as_str().unwrap().to_owned();
    let link = invite("member@globex.example")["delivery"]["link"].as_str().unwrap().to_owned();
    let joined = app.block_on(e2e::client::Person::new(&app.edge, "10.9.9.9").post(
        "/v1/auth/invitations/accept",
        &json!({"token": link.split_once("#token=").unwrap().1, "name": "Globex member", "password": "a long enough passphrase"}),
    ));
    let g_member = ok(joined, 200)["user"]["id"].as_str().unwrap().to_owned();

    let doc: Value = ok(app.block_on(app.api_without_origin().get("/v1/openapi.json", None)), 200);
    // Other tests run alongside and write their own organizations' rows; these two are this test's.
    let ours = || -> Vec<Vec<String>> {
        snapshot(app).into_iter().filter(|r| r.iter().any(|v| v == ACME_ORG || v == GLOBEX_ORG)).collect()
    };
    let before = ours();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/admin/") {
            continue;
        }
        for method in
            item.as_object().unwrap().keys().filter(|m| ["get", "post", "patch", "delete"].contains(&m.as_str()))
        {
            let method = method.to_uppercase();
            checked += 1;
            if let Some((prefix, action)) = path.split_once("/{id}") {
                let (id, code) = match prefix {
                    "/v1/admin/domains" => (GLOBEX_DOMAIN, ErrorCode::DomainNotFound),
                    "/v1/admin/knowledge" => (g_knowledge.as_str(), ErrorCode::KnowledgeNotFound),
                    "/v1/admin/knowledge/sources" => (g_source.as_str(), ErrorCode::KnowledgeNotFound),
                    "/v1/admin/keys" => (g_key.as_str(), ErrorCode::ApiKeyNotFound),
                    "/v1/admin/conversations" => (g_conv.conversation_id.as_str(), ErrorCode::ConversationNotFound),
                    "/v1/admin/members" => (g_member.as_str(), ErrorCode::MemberNotFound),
                    "/v1/admin/invitations" => (g_invitation.as_str(), ErrorCode::InvitationNotFound),
                    other => panic!("no foreign id for {other}: add one to this test"),
                };
                let body = match (method.as_str(), prefix) {
                    ("PATCH", "/v1/admin/knowledge") => Some(json!({"title": "pwned"})),
                    ("PATCH", "/v1/admin/members") => Some(json!({"role": "owner"})),
                    ("PATCH", _) => Some(json!({"active": false})),
                    _ => None,
                };
                let r = app.block_on(acme.call(&method, &format!("{prefix}/{id}{action}"), body.as_ref()));
                refused(&r, 404, code);
                assert!(!r.body.to_string().contains("GLOBEX"), "{method} {path}: {:?}", r.body);
            } else {
                let lists = match method.as_str() {
                    // Searching another organization's site finds no such site.
                    "GET" if path == "/v1/admin/knowledge/search" => {
                        let r = app.block_on(acme.get(&format!("{path}?domain_id={GLOBEX_DOMAIN}&q=GLOBEX-SECRET")));
                        refused(&r, 404, ErrorCode::DomainNotFound);
                        continue;
                    }
                    "GET" => [format!("{path}?domain_id={GLOBEX_DOMAIN}"), path.clone()],
                    "POST" if path == "/v1/admin/knowledge" || path == "/v1/admin/knowledge/sources" => {
                        let body = match path.as_str() {
                            "/v1/admin/knowledge" => {
                                json!({"domain_id": GLOBEX_DOMAIN, "kind": "faq", "title": "x", "content": "y"})
                            }
                            _ => json!({"domain_id": GLOBEX_DOMAIN, "kind": "document", "title": "x", "content": "y"}),
                        };
                        refused(&app.block_on(acme.post(path, &body)), 404, ErrorCode::DomainNotFound);
                        continue;
                    }
                    // Creating a key, a domain or changing the organization only ever touches the caller's own.
                    _ => continue,
                };
                // Filtered by the other organization's domain, and unfiltered.
                for list in lists {
                    let text = ok(app.block_on(acme.get(&list)), 200).to_string();
                    let foreign = [
                        GLOBEX_ORG,
                        GLOBEX_DOMAIN,
                        &g_conv.conversation_id,
                        &g_knowledge,
                        &g_source,
                        &g_key,
                        &g_member,
                        &g_invitation,
                    ];
                    for f in foreign.iter().copied().chain(["globex", "GLOBEX-SECRET", "g@globex.example"]) {
                        assert!(!text.contains(f), "GET {list} shows {f}: {text}");
                    }
                }
            }
        }
    }
    assert!(checked >= 20, "every admin operation was tried ({checked})");
    assert_eq!(ours(), before, "the refused requests changed nothing");
    // Globex still sees all of its own.
    ok(app.block_on(globex.get(&format!("/v1/admin/conversations/{}", g_conv.conversation_id))), 200);
    ok(app.block_on(globex.get(&format!("/v1/admin/knowledge/{g_knowledge}"))), 200);
    ok(app.block_on(globex.get(&format!("/v1/admin/knowledge/sources/{g_source}"))), 200);
    let acme_org = ok(app.block_on(acme.get("/v1/admin/organization")), 200);
    assert_eq!(acme_org["id"], ACME_ORG);
    let acme_domains = ok(app.block_on(acme.get("/v1/admin/domains")), 200);
    assert!(acme_domains["items"].as_array().unwrap().iter().any(|d| d["id"] == ACME_DOMAIN));
}

/// An owner's prices apply to replies from its own provider (here the stand-in again, but as
/// the owner's server: another URL than the edge's own); the operator pays nothing for them.
fn prices_make_reply_costs_and_usage_exact(app: &App) {
    let host = format!("{}.test", unique("priced"));
    let own_server = app.llm.base_url.replace("127.0.0.1", "localhost");
    let (admin, _, site) = new_tenant(app, &host, json!({"llm": {"model": "priced-model", "base_url": own_server}}));
    let org = ok(
        app.block_on(admin.patch(
            "/v1/admin/organization",
            &json!({"prices": [{"model": "priced-model", "input_micros_per_million": 3_000_000, "output_micros_per_million": 15_000_000}], "monthly_budget_cents": 100000}),
        )),
        200,
    );
    assert_eq!(org["prices"][0]["model"], "priced-model");
    let api = app.api(&format!("https://{host}"));
    let c = app.block_on(api.open(&site, "priced-visitor"));
    let s = app.block_on(api.send(&c.conversation_id, &c.token, "what does this cost"));
    let Some(StreamEvent::Done { usage, .. }) = s.last() else { panic!("{:?}", s.last()) };
    let expected =
        (u64::from(usage.tokens_in) * 3_000_000 + u64::from(usage.tokens_out) * 15_000_000).div_ceil(1_000_000);
    let stored = app.db.int(
        "SELECT cost_micros FROM messages WHERE conversation_id = ?1 AND role = 'assistant'",
        &[&c.conversation_id],
    );
    assert_eq!(stored as u64, expected);
    let report = ok(app.block_on(admin.get("/v1/admin/usage")), 200);
    assert_eq!(report["budget"]["spent_micros"], expected);
    assert_eq!(report["days"][0]["cost_micros"], expected);
    assert_eq!(
        (report["days"][0]["operator_cost_micros"].as_u64(), report["budget"]["operator_spent_micros"].as_u64()),
        (Some(0), Some(0))
    );
    refused(&app.block_on(admin.patch("/v1/admin/organization", &json!({"prices": [{"model": "a", "input_micros_per_million": 1, "output_micros_per_million": 1}, {"model": "a", "input_micros_per_million": 2, "output_micros_per_million": 2}]}))), 400, ErrorCode::InvalidField);
}

/// Money the tenant controls stops at the operator's plan: an owner who prices the operator's
/// model at 0 and sets the largest budget still gets no further than the plan allows, and the
/// usage report shows both the owner's figures and the operator's.
fn an_owner_stops_at_the_operators_plan_whatever_its_prices_and_budget(app: &App) {
    let admin = owner(app, "planned");
    let host = format!("{}.test", unique("planned"));
    let d = ok(
        app.block_on(
            admin.post("/v1/admin/domains", &json!({"hostname": host, "llm": {"model": "costly", "max_tokens": 50}})),
        ),
        201,
    );
    let site = d["site_key"].as_str().unwrap().to_owned();
    let free = json!({"model": "costly", "input_micros_per_million": 0, "output_micros_per_million": 0});
    ok(
        app.block_on(
            admin.patch("/v1/admin/organization", &json!({"prices": [free], "monthly_budget_cents": 100_000_000})),
        ),
        200,
    );
    // The plan is the operator's: the admin API has no say in it.
    refused(
        &app.block_on(admin.patch("/v1/admin/organization", &json!({"plan_monthly_cents": 100_000}))),
        400,
        ErrorCode::InvalidJson,
    );

    let api = app.api(&format!("https://{host}"));
    let mut replies = 0;
    loop {
        let c = app.block_on(api.open(&site, &unique("planned-visitor")));
        let s = app.block_on(api.send(&c.conversation_id, &c.token, "what does this cost"));
        match s.last() {
            Some(StreamEvent::Done { .. }) => replies += 1,
            Some(StreamEvent::Error { code: ErrorCode::BudgetExhausted, .. }) => break,
            other => panic!("{other:?}"),
        }
        assert!(replies < 10, "the plan never ran out");
    }
    let report = ok(app.block_on(admin.get("/v1/admin/usage")), 200);
    let b = &report["budget"];
    eprintln!("plan: {replies} replies within a plan of {PLANNED_CENTS} cent; usage {b}");
    assert!(replies >= 1);
    assert_eq!(b["plan_monthly_cents"], PLANNED_CENTS);
    assert_eq!(b["plan_exhausted"], true);
    assert_eq!(b["exhausted"], false, "the owner's own budget is far from spent");
    let operator = b["operator_spent_micros"].as_u64().unwrap();
    assert!(operator >= PLANNED_CENTS * 10_000, "{operator}");
    assert_eq!(b["spent_micros"].as_u64(), Some(operator), "the owner is charged the operator's price, not its own 0");
    assert_eq!(report["days"][0]["operator_cost_micros"].as_u64(), Some(operator));
}

/// An organization stores at most its quota (set here by the operator's `dev/plan`: six
/// messages a month, 1000 bytes of knowledge); past it, nothing is stored and the owner and
/// the visitor are told why.
fn storage_stops_at_the_organizations_quota(app: &App) {
    let admin = owner(app, "quota");
    let host = format!("{}.test", unique("quota"));
    let d = ok(app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": host}))), 201);
    let (domain, site) = (d["id"].as_str().unwrap().to_owned(), d["site_key"].as_str().unwrap().to_owned());
    let api = app.api(&format!("https://{host}"));
    let c = app.block_on(api.open(&site, "quota-visitor"));
    for i in 0..3 {
        let s = app.block_on(api.send(&c.conversation_id, &c.token, &format!("question {i}")));
        assert!(matches!(s.last(), Some(StreamEvent::Done { .. })), "{:?}", s.last());
    }
    let over = app.block_on(api.send(&c.conversation_id, &c.token, "one more"));
    assert_eq!((over.status, over.body["error"]["code"].as_str()), (403, Some("quota_exceeded")), "{:?}", over.body);
    let stored = app.db.int("SELECT count(*) FROM messages WHERE conversation_id = ?1", &[&c.conversation_id]);
    assert_eq!(stored, 6, "three questions and their replies, nothing of the fourth");

    let entry = |title: &str, n: usize| json!({"domain_id": domain, "kind": "custom", "title": title, "content": "k".repeat(n)});
    let first = ok(app.block_on(admin.post("/v1/admin/knowledge", &entry("first", 595))), 201);
    let r = app.block_on(admin.post("/v1/admin/knowledge", &entry("second", 595)));
    refused(&r, 403, ErrorCode::QuotaExceeded);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("1000 bytes"), "{:?}", r.body);
    let path = format!("/v1/admin/knowledge/{}", first["id"].as_str().unwrap());
    ok(app.block_on(admin.patch(&path, &json!({"content": "k".repeat(990)}))), 200);
    refused(&app.block_on(admin.patch(&path, &json!({"content": "k".repeat(996)}))), 403, ErrorCode::QuotaExceeded);
    assert_eq!(app.db.int("SELECT count(*) FROM knowledge WHERE domain_id = ?1", &[&domain]), 1);
}

/// Sets up an organization whose every reply costs about a cent and whose budget is `cents`:
/// its owner, domain id, hostname and site key.
fn costly_tenant(app: &App, cents: u64) -> (Admin, String, String, String) {
    let host = format!("{}.test", unique("budget"));
    let (admin, domain, site) = new_tenant(app, &host, json!({"llm": {"model": "costly", "max_tokens": 50}}));
    let price =
        json!({"model": "costly", "input_micros_per_million": 200_000_000, "output_micros_per_million": 200_000_000});
    ok(
        app.block_on(admin.patch("/v1/admin/organization", &json!({"prices": [price], "monthly_budget_cents": cents}))),
        200,
    );
    (admin, domain, host, site)
}

fn a_spent_budget_keeps_the_message_and_refuses_the_reply(app: &App) {
    let (admin, _, host, site) = costly_tenant(app, 2);
    let api = app.api(&format!("https://{host}"));
    let c = app.block_on(api.open(&site, "budget-visitor"));
    let mut replies = 0;
    let (refusal, refused_id) = loop {
        let id = format!("budget-message-{replies}");
        let s = app.block_on(api.send_as(&c.conversation_id, &c.token, "tell me more", Some(&id)));
        assert_eq!(s.status, 200);
        match s.last() {
            Some(StreamEvent::Done { .. }) => replies += 1,
            Some(StreamEvent::Error { code: ErrorCode::BudgetExhausted, message }) => break (message.clone(), id),
            other => panic!("{other:?}"),
        }
        assert!(replies < 20, "the budget never ran out");
    };
    assert!(replies >= 1 && refusal.contains("not available"), "{replies} {refusal}");
    let count = |role: &str| {
        app.db
            .int("SELECT count(*) FROM messages WHERE conversation_id = ?1 AND role = ?2", &[&c.conversation_id, &role])
    };
    assert_eq!(
        (count("user"), count("assistant")),
        (replies + 1, replies),
        "the refused question is kept, no reply is stored"
    );

    // The refused message sent again (a retry, or a script) is answered at once from what is stored.
    let started = Instant::now();
    let again = app.block_on(api.send_as(&c.conversation_id, &c.token, "tell me more", Some(&refused_id)));
    let took = started.elapsed();
    eprintln!("budget: a repeat of a refused message answered in {took:?}");
    assert!(
        matches!(again.last(), Some(StreamEvent::Error { code: ErrorCode::BudgetExhausted, .. })),
        "{:?}",
        again.events
    );
    assert!(took < Duration::from_secs(2), "answered at once, not after waiting for a reply: {took:?}");
    // Further messages are refused without being stored, and the visitor keeps the text.
    let later = app.block_on(api.send(&c.conversation_id, &c.token, "hello?"));
    assert_eq!(
        (later.status, later.body["error"]["code"].as_str()),
        (402, Some("budget_exhausted")),
        "{:?}",
        later.body
    );
    assert_eq!(count("user"), replies + 1, "only the first refused message is stored");
    let report = ok(app.block_on(admin.get("/v1/admin/usage")), 200);
    assert_eq!(report["budget"]["exhausted"], true);

    // A raised budget lets replies through again.
    ok(app.block_on(admin.patch("/v1/admin/organization", &json!({"monthly_budget_cents": 1000}))), 200);
    let s = app.block_on(api.send(&c.conversation_id, &c.token, "and now?"));
    assert!(matches!(s.last(), Some(StreamEvent::Done { .. })), "{:?}", s.last());
}

fn concurrent_replies_overshoot_the_budget_by_at_most_one(app: &App) {
    let cents = 3;
    let (_admin, domain, host, site) = costly_tenant(app, cents);
    const N: usize = 20;
    let (mut done, mut held, mut exhausted, mut rounds) = (0, 0, 0, 0);
    // Bursts of concurrent replies until the budget is spent and every reply is refused.
    while rounds < 15 {
        rounds += 1;
        let api = Arc::new(app.api(&format!("https://{host}")).from_ip(&format!("10.9.{rounds}.1")));
        let conversations: Vec<_> =
            (0..N).map(|i| app.block_on(api.open(&site, &format!("burst-{rounds}-{i}")))).collect();
        let outcomes = app.block_on(async {
            let tasks = conversations.into_iter().map(|c| {
                let api = api.clone();
                tokio::spawn(async move { api.send(&c.conversation_id, &c.token, "burst question").await })
            });
            futures_util::future::join_all(tasks).await
        });
        let mut refused_now = 0;
        for s in outcomes.into_iter().map(|o| o.expect("task")) {
            match (s.status, s.last()) {
                (200, Some(StreamEvent::Done { .. })) => done += 1,
                (200, Some(StreamEvent::Error { code: ErrorCode::BudgetExhausted, .. })) => {
                    exhausted += 1;
                    refused_now += 1;
                }
                (429, _) => {
                    assert_eq!(s.body["error"]["code"], "rate_limited", "{:?}", s.body);
                    held += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        if refused_now == N {
            break;
        }
    }
    let budget = cents * 10_000;
    let of_domain = "FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.domain_id = ?1";
    let spent = app.db.int(&format!("SELECT sum(m.cost_micros) {of_domain}"), &[&domain]) as u64;
    let max_one = app.db.int(&format!("SELECT max(m.cost_micros) {of_domain}"), &[&domain]) as u64;
    eprintln!(
        "budget bursts: {rounds} rounds of {N} concurrent replies: {done} answered, {held} asked to wait (budget held \
         by replies in flight), {exhausted} refused as exhausted; spent {spent} of {budget} micros, largest reply {max_one}"
    );
    assert!(exhausted >= N, "the budget ran out within {rounds} rounds");
    assert!(spent >= budget, "replies went on until the budget was reached: {spent}");
    assert!(spent <= budget + max_one, "overshoot beyond one reply: spent {spent}, budget {budget}, reply {max_one}");
    let users = app.db.int(&format!("SELECT count(*) {of_domain} AND m.role = 'user'"), &[&domain]);
    assert_eq!(
        users,
        (done + exhausted) as i64,
        "answered and refused-for-budget messages are stored, waiting ones are not"
    );
}

fn visitor_limits_count_exactly_under_a_flood(app: &App) {
    let host = format!("{}.test", unique("flood"));
    let limits = json!({"messages_per_minute_per_visitor": 5, "messages_per_minute_per_ip": 12, "messages_per_minute_per_domain": 20,
                        "conversations_per_hour_per_visitor": 3, "conversations_per_hour_per_ip": 15, "messages_per_conversation": 4});
    let (_admin, _, site) = new_tenant(app, &host, json!({"limits": limits.clone()}));
    let origin = format!("https://{host}");

    // One visitor opening conversations: 3 an hour.
    let one = app.api(&origin).from_ip("203.0.113.1");
    let opens: Vec<u16> = (0..5)
        .map(|_| {
            app.block_on(one.post_json("/v1/conversations", &json!({"site": site, "visitor_id": "flooder"}), None))
                .status
        })
        .collect();
    assert_eq!(opens, [201, 201, 201, 429, 429]);
    let r = app.block_on(one.post_json("/v1/conversations", &json!({"site": site, "visitor_id": "flooder"}), None));
    refused(&r, 429, ErrorCode::RateLimited);
    let wait: u64 = r.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((3_000..=3_600).contains(&wait), "{wait}");

    // One conversation may hold 4 visitor messages.
    let c = app.block_on(app.api(&origin).from_ip("203.0.113.2").open(&site, "talker"));
    let talker = app.api(&origin).from_ip("203.0.113.2");
    let statuses: Vec<u16> =
        (0..4).map(|i| app.block_on(talker.send(&c.conversation_id, &c.token, &format!("m{i}"))).status).collect();
    assert_eq!(statuses, [200, 200, 200, 200]);
    let full = app.block_on(talker.send(&c.conversation_id, &c.token, "one more"));
    assert_eq!((full.status, full.body["error"]["code"].as_str()), (409, Some("conversation_full")), "{:?}", full.body);
    assert_eq!(full.header("retry-after"), None, "a full conversation does not empty with time");

    // One visitor firing 8 messages at once over two conversations: 5 a minute.
    let rapid = app.api(&origin).from_ip("203.0.113.3");
    let pair = [app.block_on(rapid.open(&site, "rapid")), app.block_on(rapid.open(&site, "rapid"))];
    let edge = app.edge.clone();
    let statuses = app.block_on(async {
        let tasks = (0..8).map(|i| {
            let c = pair[i % 2].clone();
            let api = Api::new(&edge, Some(&origin)).from_ip("203.0.113.3");
            tokio::spawn(async move { api.send(&c.conversation_id, &c.token, &format!("rapid {i}")).await.status })
        });
        futures_util::future::join_all(tasks).await
    });
    let passed = statuses.iter().filter(|s| matches!(s, Ok(200))).count();
    let limited = statuses.iter().filter(|s| matches!(s, Ok(429))).count();
    eprintln!("flood: one visitor, 8 concurrent messages: {passed} passed the visitor limit of 5, {limited} refused");
    assert_eq!((passed, limited), (5, 3));

    // A flood of messages at once from 40 visitors on 2 addresses, on a fresh site: the per-IP
    // (12) and per-domain (20) limits admit exactly what they allow, however the requests interleave.
    let host = format!("{}.test", unique("crowd"));
    let (_admin, domain, site) = new_tenant(app, &host, json!({"limits": limits}));
    let origin = format!("https://{host}");
    let start = Instant::now();
    let sessions: Vec<_> = (0..40)
        .map(|i| {
            let ip = format!("198.51.100.{}", i % 2);
            let c = app.block_on(app.api(&origin).from_ip(&format!("192.0.2.{i}")).open(&site, &format!("crowd-{i}")));
            (ip, c)
        })
        .collect();
    let edge = app.edge.clone();
    let origin2 = origin.clone();
    let results = app.block_on(async move {
        let tasks = sessions.into_iter().map(|(ip, c)| {
            let api = Api::new(&edge, Some(&origin2)).from_ip(&ip);
            tokio::spawn(async move { (ip, api.send(&c.conversation_id, &c.token, "flood").await.status) })
        });
        futures_util::future::join_all(tasks).await
    });
    let mut per_ip = std::collections::BTreeMap::<String, (u32, u32)>::new();
    for r in results {
        let (ip, status) = r.expect("task");
        let e = per_ip.entry(ip).or_default();
        match status {
            200 => e.0 += 1,
            429 => e.1 += 1,
            s => panic!("unexpected status {s}"),
        }
    }
    let passed: u32 = per_ip.values().map(|v| v.0).sum();
    eprintln!(
        "flood: 40 concurrent messages from 40 visitors on 2 addresses in {:?}: {passed} passed the domain limit of 20; per address (passed, refused): {per_ip:?}",
        start.elapsed()
    );
    assert_eq!(passed, 20, "exactly the domain's allowance");
    assert!(per_ip.values().all(|(ok, _)| *ok <= 12), "no address above its allowance: {per_ip:?}");
    let stored = app.db.int("SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.domain_id = ?1 AND m.role = 'user' AND m.content = 'flood'", &[&domain]);
    assert_eq!(stored, 20, "refused messages are not stored");
}

/// A model id goes into a URL path (Workers AI's REST API): nothing that could leave that path
/// is accepted, and on the operator's own provider only the models the operator lists run
/// (`LLM_ALLOWED_MODELS`, set for the suites in `tests/src/app.rs`).
fn model_ids_stay_in_their_path_and_the_operators_key_runs_only_listed_models(app: &App) {
    let host = format!("{}.test", unique("models"));
    let (admin, domain, _) = new_tenant(app, &host, json!({}));
    let path = format!("/v1/admin/domains/{domain}");
    for bad in ["../../accounts/other/ai/run/@cf/x", "@cf/meta/x?y=1", "m#f", "a//b", "%2e%2e/x", ""] {
        let r = app.block_on(admin.patch(&path, &json!({"llm": {"model": bad}})));
        refused(&r, 400, ErrorCode::InvalidField);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("llm.model"), "{bad:?}: {:?}", r.body);
    }
    let r = app.block_on(admin.post(
        "/v1/admin/domains",
        &json!({"hostname": format!("w.{host}"), "llm": {"provider": "workers-ai", "base_url": "https://api.cloudflare.com/client/v4/accounts/x/ai/run", "model": "../../../zones"}}),
    ));
    refused(&r, 400, ErrorCode::InvalidField);
    // Not on the operator's list: refused on the operator's account, fine with the owner's own.
    let r = app.block_on(admin.patch(&path, &json!({"llm": {"model": "gpt-5-pro"}})));
    refused(&r, 403, ErrorCode::Forbidden);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("api_key_secret"), "{:?}", r.body);
    ok(app.block_on(admin.patch(&path, &json!({"llm": {"model": "acme-model"}}))), 200);
    let own = json!({"llm": {"model": "gpt-5-pro", "base_url": "http://127.0.0.1:9/v1"}});
    ok(app.block_on(admin.patch(&path, &own)), 200);
    // A model stored before ids were checked (the fixture's sneaked.test: written before the
    // edge starts, as a write beside the running edge's could make its own fail with
    // SQLITE_BUSY) is never sent anywhere, nor is the visitor's message kept half-done.
    let api = app.api("https://sneaked.test");
    let c = app.block_on(api.open("site_sneaked_test", "model-visitor"));
    let before = app.llm.requests().len();
    let r = app.block_on(api.send(&c.conversation_id, &c.token, "hello?"));
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (502, Some("upstream_error")), "{:?}", r.body);
    assert!(
        app.llm.requests()[before..].iter().all(|q| !q.body.to_string().contains("secret")),
        "nothing reached a provider"
    );
    assert_eq!(app.db.int("SELECT count(*) FROM messages WHERE conversation_id = ?1", &[&c.conversation_id]), 0);
}

/// A host with an IPv6 /64 holds 2^64 addresses: the meter counts them as one.
fn the_addresses_of_one_ipv6_64_share_one_allowance(app: &App) {
    let host = format!("{}.test", unique("six"));
    let (_admin, _, site) = new_tenant(app, &host, json!({"limits": {"conversations_per_hour_per_ip": 3}}));
    let origin = format!("https://{host}");
    let open = |ip: &str, visitor: &str| {
        let api = app.api(&origin).from_ip(ip);
        app.block_on(api.post_json("/v1/conversations", &json!({"site": site, "visitor_id": visitor}), None)).status
    };
    let rotating: Vec<u16> =
        (1..=5).map(|i| open(&format!("2001:db8:6:4:{i:x}:{i:x}::{i:x}"), &format!("rotating-{i}"))).collect();
    assert_eq!(rotating, [201, 201, 201, 429, 429], "five addresses of one /64, each a new visitor");
    assert_eq!(open("2001:db8:6:5::1", "neighbour"), 201, "the next /64 has its own allowance");
    assert_eq!(open("203.0.113.64", "v4-a"), 201);
    assert_eq!(open("203.0.113.65", "v4-b"), 201, "IPv4 addresses count alone");

    // Addresses from everywhere meet the site's own cap on new conversations.
    let host = format!("{}.test", unique("capped"));
    let (_admin, _, site) = new_tenant(app, &host, json!({"limits": {"conversations_per_hour_per_domain": 4}}));
    let origin = format!("https://{host}");
    let opens: Vec<u16> = (0..6)
        .map(|i| {
            let api = app.api(&origin).from_ip(&format!("198.18.{i}.1"));
            app.block_on(api.post_json(
                "/v1/conversations",
                &json!({"site": site, "visitor_id": format!("far-{i}")}),
                None,
            ))
            .status
        })
        .collect();
    assert_eq!(opens, [201, 201, 201, 201, 429, 429], "four an hour for the whole site");
}

/// Cloudflare's rate-limiting binding in front of every visitor request, reads included: one
/// host flooding the edge is refused before any body is read or D1 is asked, even when it
/// sends each request from another IPv6 address of its /64. Its windows are fixed minutes, so
/// a flood of more than two allowances is refused in at least one of them, whenever it starts.
fn an_address_flooding_the_edge_meets_the_shield(app: &App) {
    const ALLOWANCE: usize = 600;
    const SENT: usize = 2 * ALLOWANCE + 100;
    let edge = app.edge.clone();
    let start = Instant::now();
    let statuses: Vec<u16> = app.block_on(async {
        let mut statuses = Vec::with_capacity(SENT);
        for chunk in (0..SENT).collect::<Vec<_>>().chunks(25) {
            let tasks = chunk.iter().map(|&i| {
                let api = Api::new(&edge, Some("https://acme.test")).from_ip(&format!("2001:db8:aa:bb:{i:x}::1"));
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        api.get("/v1/widget/config?site=site_acme_test", None).await
                    } else {
                        api.post_raw("/v1/conversations", "text/plain", b"x".to_vec(), None).await
                    }
                })
            });
            for r in futures_util::future::join_all(tasks).await {
                let r = r.expect("task");
                if r.status == 429 {
                    assert_eq!(r.code(), Some(ErrorCode::RateLimited));
                    assert_eq!(r.header("retry-after").as_deref(), Some("60"));
                }
                statuses.push(r.status);
            }
        }
        statuses
    });
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let through = statuses.iter().filter(|s| **s == 200 || **s == 415).count();
    eprintln!(
        "shield: {SENT} reads and posts from {SENT} addresses of one /64 in {:?}: {through} reached the edge, {refused} refused",
        start.elapsed()
    );
    assert_eq!(refused + through, SENT);
    assert!(refused >= SENT - 2 * ALLOWANCE && through >= ALLOWANCE, "{through} through, {refused} refused");
    // Another /64 is not affected, for reads or posts.
    let other = app.api("https://acme.test").from_ip("2001:db8:aa:bc::1");
    assert_eq!(app.block_on(other.post_raw("/v1/conversations", "text/plain", b"x".to_vec(), None)).status, 415);
    assert_eq!(app.block_on(other.get("/v1/widget/config?site=site_acme_test", None)).status, 200);
}

fn the_openapi_document_is_served(app: &App) {
    let r = app.block_on(app.api("https://anywhere.example").get("/v1/openapi.json", None));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(r.body["openapi"], "3.1.0");
    assert!(r.body["paths"]["/v1/admin/domains/{id}"]["patch"]["operationId"].is_string());
    assert!(r.body["components"]["securitySchemes"]["apiKey"].is_object());
}

/// Two organizations list one hostname; each has its own token, and only what the site
/// publishes decides which of them is verified. A failed check is kept as a finding but takes
/// no verification back.
fn a_hostname_is_verified_by_the_token_its_site_serves_whoever_else_lists_it(app: &App) {
    let site = SITE.get().expect("the verification site runs");
    // A loopback name: the edge checks it at VERIFICATION_LOOPBACK_PORT, this suite's site.
    let host = "verify.localhost";
    let (a, a_id, _) = new_tenant(app, host, json!({}));
    let (b, b_id, _) = new_tenant(app, host, json!({}));
    let verify =
        |admin: &Admin, id: &str| app.block_on(admin.call("POST", &format!("/v1/admin/domains/{id}/verify"), None));
    let view = |admin: &Admin, id: &str| ok(app.block_on(admin.get(&format!("/v1/admin/domains/{id}"))), 200);

    let fresh = view(&a, &a_id)["verification"].clone();
    let a_token = fresh["token"].as_str().unwrap().to_owned();
    assert!(a_token.len() == 32 && a_token.bytes().all(|c| c.is_ascii_hexdigit()), "{fresh}");
    assert_eq!(
        fresh,
        json!({
            "status": "unverified", "method": null, "verified_at": null, "token": a_token,
            "http_url": "https://verify.localhost/.well-known/chat-widget-verification",
            "dns_name": "_chat-widget-verification.verify.localhost",
            "dns_value": format!("chat-widget-verification={a_token}"),
            "checked_at": null, "last_error": null,
        })
    );
    let b_token = view(&b, &b_id)["verification"]["token"].as_str().unwrap().to_owned();
    assert_ne!(a_token, b_token);

    // Nothing published yet: the owner reads what each way found.
    site.set_file(Answer::missing());
    let r = verify(&a, &a_id);
    refused(&r, 422, ErrorCode::VerificationFailed);
    let message = r.body["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("/.well-known/chat-widget-verification answered 404"), "{message}");
    assert!(message.contains("is not a DNS name"), "{message}");
    let v = view(&a, &a_id)["verification"].clone();
    assert_eq!((v["status"].as_str(), v["checked_at"].is_i64()), (Some("unverified"), true), "{v}");
    assert!(v["last_error"].as_str().unwrap().contains("answered 404"), "{v}");

    // The site publishes A's token: A is verified, B (the same hostname) is not.
    site.set_file(Answer::file(&format!("{a_token}\n")));
    let done = ok(verify(&a, &a_id), 200)["verification"].clone();
    assert_eq!((done["status"].as_str(), done["method"].as_str()), (Some("verified"), Some("http")), "{done}");
    assert!(done["verified_at"].is_i64() && done["last_error"].is_null(), "{done}");
    let r = verify(&b, &b_id);
    refused(&r, 422, ErrorCode::VerificationFailed);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("does not have the token"), "{:?}", r.body);
    assert_eq!(view(&b, &b_id)["verification"]["status"], "unverified");

    // Both tokens behind a redirect within the site: B is verified too.
    site.set("/tokens.txt", Answer::file(&format!("# chat widget\n{a_token}\n{b_token}\n")));
    site.set_file(Answer::redirect("/tokens.txt"));
    assert_eq!(ok(verify(&b, &b_id), 200)["verification"]["status"], "verified");

    // A redirect to another site is not followed; A's earlier verification stands.
    site.set_file(Answer::redirect(&format!("http://127.0.0.2:{}/tokens.txt", site.port)));
    let r = verify(&a, &a_id);
    refused(&r, 422, ErrorCode::VerificationFailed);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("another site"), "{:?}", r.body);
    let kept = view(&a, &a_id)["verification"].clone();
    assert_eq!((kept["status"].as_str(), &kept["verified_at"]), (Some("verified"), &done["verified_at"]), "{kept}");
    assert!(kept["last_error"].as_str().unwrap().contains("another site"), "{kept}");
    // The audit trail holds each successful check once, and none of the failed ones.
    for (admin, id) in [(&a, &a_id), (&b, &b_id)] {
        let trail = ok(app.block_on(admin.get(&format!("/v1/admin/audit?action=domain.verify&target_id={id}"))), 200);
        assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
    }

    // Another organization's domain: 404, and nothing is checked or recorded.
    let stored =
        "SELECT verified_at, verified_by, verification_checked_at, verification_error FROM domains WHERE id = ?1";
    let before = app.db.rows(stored, &[&b_id]);
    let asked = site.asked().len();
    refused(&verify(&a, &b_id), 404, ErrorCode::DomainNotFound);
    assert_eq!(app.db.rows(stored, &[&b_id]), before);
    assert_eq!(site.asked().len(), asked, "no request for a domain the caller cannot see");
    assert!(
        site.asked().iter().all(|p| p == shared::admin::domains::VERIFICATION_PATH || p == "/tokens.txt"),
        "the edge asked only for the verification file: {:?}",
        site.asked()
    );
}

/// Migration 0009 rebuilds `domains` (SQLite cannot drop an inline UNIQUE), and dropping a
/// table deletes the rows below it by cascade: applied to a database with rows of every kind,
/// it must keep them all, and hostnames become unique per organization.
fn rebuilding_domains_keeps_every_row_below_them(_: &App) {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("migrations");
    std::fs::create_dir(&before).unwrap();
    let all = e2e::app::root().join("edge/migrations");
    let mut later = Vec::new();
    for entry in std::fs::read_dir(&all).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.as_str() < "0009" {
            std::fs::copy(entry.path(), before.join(&name)).unwrap();
        } else {
            later.push(entry.path());
        }
    }
    let rows = "INSERT INTO organizations (id, name, slug, created_at) VALUES ('o1', 'A', 'a', 0), ('o2', 'B', 'b', 0);
        INSERT INTO domains (id, organization_id, hostname, site_key, name, created_at, updated_at) VALUES
            ('d1', 'o1', 'a.test', 'site_aaaaaaaa', 'A', 0, 0), ('d2', 'o2', 'b.test', 'site_bbbbbbbb', 'B', 0, 0);
        INSERT INTO domain_aliases (hostname, domain_id, organization_id, created_at) VALUES ('www.a.test', 'd1', 'o1', 0);
        INSERT INTO conversations (id, domain_id, organization_id, started_at, last_message_at) VALUES
            ('c1', 'd1', 'o1', 0, 0), ('c2', 'd2', 'o2', 0, 0);
        INSERT INTO messages (id, conversation_id, organization_id, role, content, status, created_at, finished_at, updated_at)
            VALUES ('m1', 'c1', 'o1', 'user', 'hi', 'complete', 0, 0, 0), ('m2', 'c1', 'o1', 'assistant', 'yo', 'complete', 1, 1, 1),
                   ('m3', 'c2', 'o2', 'user', 'x', 'complete', 0, 0, 0);
        INSERT INTO message_feedback (message_id, conversation_id, organization_id, rating, created_at, updated_at)
            VALUES ('m2', 'c1', 'o1', 'up', 0, 0);
        INSERT INTO leads (id, organization_id, domain_id, conversation_id, email, created_at) VALUES ('l1', 'o1', 'd1', 'c1', 'a@b.c', 0);
        INSERT INTO knowledge (id, organization_id, domain_id, kind, title, content, created_at, updated_at) VALUES
            ('k1', 'o1', 'd1', 'faq', 't', 'c', 0, 0), ('k2', 'o1', NULL, 'faq', 't', 'c', 0, 0);";
    let persist = dir.path().join("state");
    let db = e2e::app::d1_in_steps(&before, &persist, rows, &later).unwrap_or_else(|e| panic!("{e}"));
    let tables = ["domains", "domain_aliases", "conversations", "messages", "message_feedback", "leads", "knowledge"];
    let counts: Vec<i64> = tables.iter().map(|t| db.int(&format!("SELECT count(*) FROM {t}"), &[])).collect();
    assert_eq!(counts, [2, 1, 2, 3, 1, 1, 2], "rows of {tables:?}");
    assert_eq!(db.int("SELECT count(*) FROM pragma_foreign_key_check", &[]), 0);
    // Migration 0013 makes each FAQ and custom entry a source, queued for the scheduled run.
    let sources = db.rows("SELECT id, entry_id, kind, status FROM knowledge_sources ORDER BY id", &[]);
    assert_eq!(sources, [["k1", "k1", "document", "queued"], ["k2", "k2", "document", "queued"]], "{sources:?}");
    let tokens = db.rows("SELECT verification_token FROM domains", &[]);
    assert!(tokens.iter().all(|t| t[0].len() == 32) && tokens[0] != tokens[1], "{tokens:?}");
    let conn = db.connect();
    let twin = "INSERT INTO domains (id, organization_id, hostname, site_key, name, created_at, updated_at) \
                VALUES (?1, 'o2', ?2, ?3, 'twin', 0, 0)";
    conn.execute(twin, ["d3", "a.test", "site_cccccccc"]).expect("another organization may list a.test");
    conn.execute(twin, ["d4", "a.test", "site_dddddddd"]).expect_err("one organization lists a hostname once");
    conn.execute(twin, ["d5", "www.a.test", "site_eeeeeeee"]).expect("an alias of another organization is free");
}
