//! Owners' accounts end to end: people sign in with a password and a session cookie, belong to
//! organizations with a role, invite each other, reset passwords with one-time links, and every
//! change and every read of visitors' words leaves one audit row. Runs against the real
//! `wrangler dev` (workerd, local D1, the METER Durable Object counting failed sign-ins).
//!
//! Organizations, their owners and members are made the way a real team makes them: the
//! operator's `dev/bootstrap` for the first owner and key, the owner's reset link for the first
//! password, then invitations through the API.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use e2e::client::{Admin, Person, Reply};
use e2e::journeys::{self, unique, Journey};
use e2e::App;
use serde_json::{json, Value};
use shared::ErrorCode;

const PASSWORD: &str = "a long enough passphrase";
const RETENTION_ORG: &str = "0193a000-0000-7000-8000-0000000000e1";
/// Failed sign-ins an address may make before it is locked (per account it is the default, 5).
const ADDRESS_FAILURES: u32 = 12;

/// One organization of the suite: its id, its bootstrap key, and a signed-in person per role.
struct Org {
    id: String,
    key: String,
    owner_email: String,
}

static ORGS: OnceLock<HashMap<&'static str, Org>> = OnceLock::new();

/// Organizations made before the journeys start (bootstrap writes the database directly).
const SLUGS: [&str; 7] = ["alpha", "beta", "matrix", "audited", "members", "links", "retention"];

fn org(slug: &str) -> &'static Org {
    ORGS.get().and_then(|o| o.get(slug)).unwrap_or_else(|| panic!("no organization {slug}"))
}

fn prepare(app: &App) -> Result<(), String> {
    let mut orgs = HashMap::new();
    for slug in SLUGS {
        let email = format!("owner@{slug}.test");
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let token_file = dir.path().join("token");
        let key = app.bootstrap(&format!(
            "--slug {slug} --owner-email {email} --owner-name Owner --owner-link-token-file {}",
            token_file.display()
        ))?;
        let token = std::fs::read_to_string(&token_file).map_err(|e| e.to_string())?;
        let person = Person::new(&app.edge, &ip());
        let r = app.block_on(person.post("/v1/auth/password-reset", &json!({"token": token, "password": PASSWORD})));
        if r.status != 200 {
            return Err(format!("setting {email}'s password: {:?}", r.body));
        }
        let id = r.body["memberships"][0]["organization_id"].as_str().unwrap_or_default().to_owned();
        orgs.insert(slug, Org { id, key, owner_email: email });
    }
    ORGS.set(orgs).map_err(|_| "prepared twice".to_owned())
}

fn main() {
    let tests: Vec<(&str, Journey)> = vec![
        (
            "signing_in_reads_who_i_am_and_signing_out_ends_the_session",
            signing_in_reads_who_i_am_and_signing_out_ends_the_session,
        ),
        ("sessions_end_when_idle_and_at_their_absolute_end", sessions_end_when_idle_and_at_their_absolute_end),
        (
            "a_wrong_password_and_an_unknown_email_are_answered_alike",
            a_wrong_password_and_an_unknown_email_are_answered_alike,
        ),
        (
            "failed_sign_ins_lock_an_account_and_an_address_for_a_while",
            failed_sign_ins_lock_an_account_and_an_address_for_a_while,
        ),
        ("an_invitation_is_accepted_once_and_never_twice", an_invitation_is_accepted_once_and_never_twice),
        ("a_reset_link_works_once_and_ends_every_session", a_reset_link_works_once_and_ends_every_session),
        (
            "roles_change_only_by_those_who_may_and_the_last_owner_stays",
            roles_change_only_by_those_who_may_and_the_last_owner_stays,
        ),
        ("every_role_and_key_against_every_admin_route", every_role_and_key_against_every_admin_route),
        (
            "a_member_of_two_organizations_acts_in_each_with_its_own_role",
            a_member_of_two_organizations_acts_in_each_with_its_own_role,
        ),
        (
            "a_session_cookie_from_a_foreign_or_missing_origin_changes_nothing",
            a_session_cookie_from_a_foreign_or_missing_origin_changes_nothing,
        ),
        (
            "every_audited_action_leaves_exactly_one_row_and_a_failed_one_none",
            every_audited_action_leaves_exactly_one_row_and_a_failed_one_none,
        ),
        (
            "old_audit_rows_are_forgotten_by_the_scheduled_clean_up",
            old_audit_rows_are_forgotten_by_the_scheduled_clean_up,
        ),
    ];
    // Locks short enough to wait out; no real DNS resolver (verification fails fast and here).
    let env = [
        ("LOGIN_LOCK_SECONDS", "2"),
        ("LOGIN_FAILURES_PER_ADDRESS", "12"),
        ("DNS_OVER_HTTPS_URL", "http://127.0.0.1:9/dns-query"),
    ];
    journeys::run(tests, &["accounts.sql"], &env, prepare)
}

/// A fresh address for a journey, so failed sign-ins of one journey never lock another's.
fn ip() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256)
}

fn ok(r: Reply, status: u16) -> Value {
    assert_eq!(r.status, status, "{:?}", r.body);
    r.body
}

fn refused(r: &Reply, status: u16, code: ErrorCode) {
    assert_eq!((r.status, r.code()), (status, Some(code)), "{:?}", r.body);
}

fn key_client(app: &App, slug: &str) -> Admin {
    app.admin(&org(slug).key)
}

fn signed_in(app: &App, email: &str, password: &str) -> Person {
    let p = Person::new(&app.edge, &ip());
    ok(app.block_on(p.login(email, password)), 200);
    p
}

/// The organization's first owner, signed in and acting for it (they may belong to others).
fn owner_of(app: &App, slug: &str) -> Person {
    signed_in(app, &org(slug).owner_email, PASSWORD).acting_for(&org(slug).id)
}

/// The token of a one-time link (`…#token=…`) in an answer's delivery.
fn token_of(delivery: &Value) -> String {
    let link = delivery["link"].as_str().expect("the link is handed back when no mail provider is set");
    link.split_once("#token=").expect("the token is in the fragment").1.to_owned()
}

/// Invites `email` to the organization as `role` (by `inviter`) and accepts as a newcomer;
/// the new member, signed in, and their user id.
fn join(app: &App, inviter: &Person, email: &str, role: &str) -> (Person, String) {
    let inv = ok(app.block_on(inviter.post("/v1/admin/invitations", &json!({"email": email, "role": role}))), 201);
    let p = Person::new(&app.edge, &ip());
    let me = ok(
        app.block_on(p.post(
            "/v1/auth/invitations/accept",
            &json!({"token": token_of(&inv["delivery"]), "name": "Member", "password": PASSWORD}),
        )),
        200,
    );
    (p, me["user"]["id"].as_str().unwrap().to_owned())
}

/// Every row of the organization's own tables, to show a refused request changed nothing
/// (key use times and session rows are left out: being refused still uses a key or a session).
fn rows_of(app: &App, org_id: &str) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for sql in [
        "SELECT * FROM organizations WHERE id = ?1",
        "SELECT * FROM domains WHERE organization_id = ?1 ORDER BY id",
        "SELECT * FROM domain_aliases WHERE organization_id = ?1 ORDER BY hostname",
        "SELECT * FROM knowledge WHERE organization_id = ?1 ORDER BY id",
        "SELECT * FROM model_prices WHERE organization_id = ?1 ORDER BY model",
        "SELECT id, name, key_hash, role, created_at, revoked_at FROM api_keys WHERE organization_id = ?1 ORDER BY id",
        "SELECT * FROM memberships WHERE organization_id = ?1 ORDER BY user_id",
        "SELECT * FROM invitations WHERE organization_id = ?1 ORDER BY id",
        "SELECT * FROM password_resets WHERE organization_id = ?1 ORDER BY token_hash",
        "SELECT * FROM audit_events WHERE organization_id = ?1 ORDER BY id",
        "SELECT u.* FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organization_id = ?1 ORDER BY u.id",
    ] {
        all.extend(app.db.rows(sql, &[&org_id]));
    }
    all
}

fn signing_in_reads_who_i_am_and_signing_out_ends_the_session(app: &App) {
    let p = Person::new(&app.edge, &ip());
    refused(&app.block_on(p.get("/v1/auth/me")), 401, ErrorCode::NotSignedIn);
    refused(&app.block_on(p.get("/v1/admin/domains")), 401, ErrorCode::NotSignedIn);
    let r = app.block_on(p.login("OWNER@Alpha.TEST", PASSWORD));
    let set = r.header("set-cookie").expect("a session cookie");
    // Plain HTTP in development: `session`, not `__Host-session`, which needs HTTPS.
    assert!(set.starts_with("session="), "{set}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(set.contains(attr), "{set} has {attr}");
    }
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let me = ok(r, 200);
    assert_eq!(me["user"]["email"], "owner@alpha.test");
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(me["memberships"][0]["organization_id"], org("alpha").id.as_str());
    assert_eq!(me["memberships"][0]["role"], "owner");
    assert!(me["memberships"][0]["permissions"].as_array().unwrap().contains(&json!("billing.write")));
    assert!(!me.to_string().contains("pbkdf2"), "the hash never leaves the edge: {me}");
    assert_eq!(ok(app.block_on(p.get("/v1/auth/me")), 200)["user"], me["user"]);
    // Signed in, the admin API answers for the member's organization.
    assert_eq!(ok(app.block_on(p.get("/v1/admin/organization")), 200)["id"], org("alpha").id.as_str());

    let stolen = p.cookie();
    assert_eq!(app.block_on(p.post("/v1/auth/logout", &json!({}))).status, 204);
    assert_eq!(p.cookie(), None, "the cookie is cleared");
    let replay = Person::new(&app.edge, &ip());
    replay.set_cookie(stolen);
    refused(&app.block_on(replay.get("/v1/auth/me")), 401, ErrorCode::NotSignedIn);

    // Signing out everywhere ends the sessions of every device.
    let (phone, laptop) = (owner_of(app, "alpha"), owner_of(app, "alpha"));
    assert_eq!(app.block_on(phone.post("/v1/auth/logout-everywhere", &json!({}))).status, 204);
    refused(&app.block_on(laptop.get("/v1/auth/me")), 401, ErrorCode::NotSignedIn);
    refused(&app.block_on(phone.get("/v1/auth/me")), 401, ErrorCode::NotSignedIn);

    // Changing one's password keeps this session and ends the others.
    let (here, there) = (owner_of(app, "links"), owner_of(app, "links"));
    let change = json!({"current_password": PASSWORD, "new_password": "another long passphrase"});
    refused(
        &app.block_on(here.post(
            "/v1/auth/password",
            &json!({"current_password": "not it at all", "new_password": "another long passphrase"}),
        )),
        400,
        ErrorCode::InvalidField,
    );
    refused(
        &app.block_on(
            here.post("/v1/auth/password", &json!({"current_password": PASSWORD, "new_password": "qwertyuiop"})),
        ),
        422,
        ErrorCode::WeakPassword,
    );
    assert_eq!(app.block_on(here.post("/v1/auth/password", &change)).status, 204);
    ok(app.block_on(here.get("/v1/auth/me")), 200);
    refused(&app.block_on(there.get("/v1/auth/me")), 401, ErrorCode::NotSignedIn);
    let back = json!({"current_password": "another long passphrase", "new_password": PASSWORD});
    assert_eq!(app.block_on(here.post("/v1/auth/password", &back)).status, 204);
}

/// A second edge whose sessions last seconds: idle after 3 s, at most 12 s whatever the use.
fn sessions_end_when_idle_and_at_their_absolute_end(_app: &App) {
    let short = App::spawn_with_env(&[], &[("SESSION_IDLE_MINUTES", "0.05"), ("SESSION_MAX_DAYS", "0.00014")])
        .expect("a second edge");
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    short
        .bootstrap(&format!(
            "--slug brief --owner-email owner@brief.test --owner-link-token-file {}",
            token_file.display()
        ))
        .unwrap();
    let token = std::fs::read_to_string(&token_file).unwrap();
    let p = Person::new(&short.edge, &ip());
    let me = ok(short.block_on(p.post("/v1/auth/password-reset", &json!({"token": token, "password": PASSWORD}))), 200);
    let started = Instant::now();
    assert!(me["session_idle_expires_at"].as_i64() < me["session_expires_at"].as_i64());
    // Used every second, the session lives on past its idle time...
    for _ in 0..5 {
        std::thread::sleep(Duration::from_secs(1));
        ok(short.block_on(p.get("/v1/auth/me")), 200);
    }
    // ...but not once left alone for longer than it.
    std::thread::sleep(Duration::from_millis(3_500));
    refused(&short.block_on(p.get("/v1/auth/me")), 401, ErrorCode::NotSignedIn);

    let q = signed_in(&short, "owner@brief.test", PASSWORD);
    let started_q = Instant::now();
    while started_q.elapsed() < Duration::from_millis(11_000) {
        ok(short.block_on(q.get("/v1/admin/organization")), 200);
        std::thread::sleep(Duration::from_millis(1_000));
    }
    std::thread::sleep(Duration::from_millis(1_500));
    refused(&short.block_on(q.get("/v1/admin/organization")), 401, ErrorCode::NotSignedIn);
    assert!(started.elapsed() < Duration::from_secs(60));
}

fn a_wrong_password_and_an_unknown_email_are_answered_alike(app: &App) {
    let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..3 {
        let p = Person::new(&app.edge, &ip());
        let t = Instant::now();
        let a = app.block_on(p.login(&org("beta").owner_email, &format!("wrong password {i}")));
        wrong.push(t.elapsed());
        let t = Instant::now();
        let b = app.block_on(p.login(&format!("nobody-{i}@beta.test"), &format!("wrong password {i}")));
        unknown.push(t.elapsed());
        refused(&a, 401, ErrorCode::InvalidCredentials);
        assert_eq!((a.status, &a.body), (b.status, &b.body), "the same answer for both");
        assert_eq!(a.header("set-cookie"), None);
    }
    wrong.sort();
    unknown.sort();
    // An unknown email costs the same hashing as a wrong password, so it is not answered
    // noticeably sooner.
    assert!(unknown[1] * 3 > wrong[1], "unknown {unknown:?} vs wrong {wrong:?}");
    // And the owner, whose failures were forgiven by nothing yet, still signs in.
    owner_of(app, "beta");
}

fn failed_sign_ins_lock_an_account_and_an_address_for_a_while(app: &App) {
    let owner = owner_of(app, "links");
    let email = format!("{}@links.test", unique("locked"));
    join(app, &owner, &email, "viewer");
    // Five failures from one address lock the account for that address...
    let p = Person::new(&app.edge, &ip());
    for i in 0..5 {
        refused(&app.block_on(p.login(&email, &format!("guess number {i}"))), 401, ErrorCode::InvalidCredentials);
    }
    let locked = app.block_on(p.login(&email, PASSWORD));
    refused(&locked, 429, ErrorCode::RateLimited);
    let wait: u64 = locked.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(p.cookie(), None);
    // ...not for its owner elsewhere: a stranger cannot lock them out.
    let elsewhere = Person::new(&app.edge, &ip());
    refused(&app.block_on(elsewhere.login(&email, "a wrong one")), 401, ErrorCode::InvalidCredentials);
    // The lock lifts by itself.
    std::thread::sleep(Duration::from_millis(wait * 1000 + 300));
    ok(app.block_on(p.login(&email, PASSWORD)), 200);
    // The success forgave the account's failures: one more mistake does not lock it again.
    refused(&app.block_on(p.login(&email, "one more mistake")), 401, ErrorCode::InvalidCredentials);
    ok(app.block_on(p.login(&email, PASSWORD)), 200);

    // Guesses spread over many addresses lock the account everywhere, at ten times the allowance.
    for _ in 0..10 {
        let p = Person::new(&app.edge, &ip());
        for i in 0..5 {
            refused(&app.block_on(p.login(&email, &format!("spread guess {i}"))), 401, ErrorCode::InvalidCredentials);
        }
    }
    let fresh = Person::new(&app.edge, &ip());
    let locked = app.block_on(fresh.login(&email, PASSWORD));
    refused(&locked, 429, ErrorCode::RateLimited);
    let wait: u64 = locked.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
    std::thread::sleep(Duration::from_millis(wait * 1000 + 300));
    ok(app.block_on(fresh.login(&email, PASSWORD)), 200);

    // One address guessing across many accounts locks that address, not the accounts.
    let guesser = Person::new(&app.edge, &ip());
    for i in 0..ADDRESS_FAILURES {
        refused(
            &app.block_on(guesser.login(&format!("guess-{i}@links.test"), "password guess")),
            401,
            ErrorCode::InvalidCredentials,
        );
    }
    refused(&app.block_on(guesser.login(&email, PASSWORD)), 429, ErrorCode::RateLimited);
    ok(app.block_on(Person::new(&app.edge, &ip()).login(&email, PASSWORD)), 200);
}

fn an_invitation_is_accepted_once_and_never_twice(app: &App) {
    let owner = owner_of(app, "members");
    let email = format!("{}@members.test", unique("invited"));
    let inv = ok(app.block_on(owner.post("/v1/admin/invitations", &json!({"email": email, "role": "agent"}))), 201);
    assert_eq!(inv["delivery"]["sent"], false, "no mail provider here: the link comes back");
    assert_eq!(inv["invitation"]["role"], "agent");
    assert_eq!(inv["invitation"]["accepted_at"], Value::Null);
    let token = token_of(&inv["delivery"]);
    assert!(inv["delivery"]["link"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/console/accept-invitation#token=", app.edge)));
    // The token is stored hashed only.
    assert_eq!(app.db.int("SELECT count(*) FROM invitations WHERE token_hash = ?1", &[&token]), 0);

    let newcomer = Person::new(&app.edge, &ip());
    // A weak password is refused and the invitation stays open.
    refused(
        &app.block_on(
            newcomer
                .post("/v1/auth/invitations/accept", &json!({"token": token, "name": "New", "password": "password12"})),
        ),
        422,
        ErrorCode::WeakPassword,
    );
    refused(
        &app.block_on(newcomer.post("/v1/auth/invitations/accept", &json!({"token": token, "password": PASSWORD}))),
        400,
        ErrorCode::InvalidField,
    );
    let me =
        ok(
            app.block_on(newcomer.post(
                "/v1/auth/invitations/accept",
                &json!({"token": token, "name": "New Person", "password": PASSWORD}),
            )),
            200,
        );
    assert_eq!(me["user"]["email"], email.as_str());
    assert_eq!(me["memberships"][0]["role"], "agent");
    ok(app.block_on(newcomer.get("/v1/admin/conversations")), 200);
    let again = Person::new(&app.edge, &ip());
    refused(
        &app.block_on(
            again.post("/v1/auth/invitations/accept", &json!({"token": token, "name": "Twice", "password": PASSWORD})),
        ),
        410,
        ErrorCode::LinkInvalid,
    );
    refused(
        &app.block_on(
            again.post(
                "/v1/auth/invitations/accept",
                &json!({"token": "0".repeat(64), "name": "X", "password": PASSWORD}),
            ),
        ),
        410,
        ErrorCode::LinkInvalid,
    );
    let members = ok(app.block_on(owner.get("/v1/admin/members")), 200);
    assert_eq!(members["items"].as_array().unwrap().iter().filter(|m| m["email"] == email.as_str()).count(), 1);
    let listed = ok(app.block_on(owner.get("/v1/admin/invitations")), 200);
    let mine = listed["items"].as_array().unwrap().iter().find(|i| i["email"] == email.as_str()).unwrap().clone();
    assert!(mine["accepted_at"].is_i64());

    // Two invitations pending for one person: the second, taken up after the first, changes nothing.
    let twice = format!("{}@members.test", unique("twice"));
    let first = ok(app.block_on(owner.post("/v1/admin/invitations", &json!({"email": twice, "role": "agent"}))), 201);
    let second = ok(app.block_on(owner.post("/v1/admin/invitations", &json!({"email": twice, "role": "admin"}))), 201);
    let p = Person::new(&app.edge, &ip());
    ok(
        app.block_on(p.post(
            "/v1/auth/invitations/accept",
            &json!({"token": token_of(&first["delivery"]), "name": "Twice", "password": PASSWORD}),
        )),
        200,
    );
    refused(
        &app.block_on(p.post(
            "/v1/auth/invitations/accept",
            &json!({"token": token_of(&second["delivery"]), "password": PASSWORD}),
        )),
        409,
        ErrorCode::AlreadyMember,
    );
    assert_eq!(ok(app.block_on(p.get("/v1/auth/me")), 200)["memberships"][0]["role"], "agent");

    // A member already: not invited twice.
    refused(
        &app.block_on(owner.post("/v1/admin/invitations", &json!({"email": email.to_uppercase(), "role": "viewer"}))),
        409,
        ErrorCode::AlreadyMember,
    );
    refused(
        &app.block_on(owner.post("/v1/admin/invitations", &json!({"email": "not an email", "role": "viewer"}))),
        400,
        ErrorCode::InvalidField,
    );

    // A revoked invitation opens nothing.
    let other = format!("{}@members.test", unique("withdrawn"));
    let inv = ok(app.block_on(owner.post("/v1/admin/invitations", &json!({"email": other, "role": "viewer"}))), 201);
    let revoked = ok(
        app.block_on(owner.call(
            "DELETE",
            &format!("/v1/admin/invitations/{}", inv["invitation"]["id"].as_str().unwrap()),
            None,
        )),
        200,
    );
    assert!(revoked["revoked_at"].is_i64());
    refused(
        &app.block_on(again.post(
            "/v1/auth/invitations/accept",
            &json!({"token": token_of(&inv["delivery"]), "name": "X", "password": PASSWORD}),
        )),
        410,
        ErrorCode::LinkInvalid,
    );

    // Someone with an account joins with their own password, which stays as it was.
    let beta_owner = org("beta").owner_email.clone();
    let inv =
        ok(app.block_on(owner.post("/v1/admin/invitations", &json!({"email": beta_owner, "role": "viewer"}))), 201);
    let t = token_of(&inv["delivery"]);
    refused(
        &app.block_on(
            again.post("/v1/auth/invitations/accept", &json!({"token": t, "password": "a different passphrase"})),
        ),
        401,
        ErrorCode::InvalidCredentials,
    );
    let me =
        ok(app.block_on(again.post("/v1/auth/invitations/accept", &json!({"token": t, "password": PASSWORD}))), 200);
    let roles: HashMap<String, String> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["organization_id"].as_str().unwrap().to_owned(), m["role"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(roles.get(&org("beta").id).map(String::as_str), Some("owner"));
    assert_eq!(roles.get(&org("members").id).map(String::as_str), Some("viewer"));
    owner_of(app, "beta");
}

fn a_reset_link_works_once_and_ends_every_session(app: &App) {
    let owner = owner_of(app, "links");
    let email = format!("{}@links.test", unique("forgetful"));
    let (agent, agent_id) = join(app, &owner, &email, "agent");
    let r = ok(app.block_on(owner.post(&format!("/v1/admin/members/{agent_id}/password-reset"), &json!({}))), 201);
    assert_eq!(r["sent"], false);
    let token = token_of(&r);
    let p = Person::new(&app.edge, &ip());
    refused(
        &app.block_on(p.post("/v1/auth/password-reset", &json!({"token": token, "password": "1234567890"}))),
        422,
        ErrorCode::WeakPassword,
    );
    ok(
        app.block_on(p.post("/v1/auth/password-reset", &json!({"token": token, "password": "the new passphrase"}))),
        200,
    );
    refused(&app.block_on(agent.get("/v1/auth/me")), 401, ErrorCode::NotSignedIn);
    ok(app.block_on(p.get("/v1/auth/me")), 200);
    refused(
        &app.block_on(
            p.post("/v1/auth/password-reset", &json!({"token": token, "password": "yet another passphrase"})),
        ),
        410,
        ErrorCode::LinkInvalid,
    );
    refused(&app.block_on(Person::new(&app.edge, &ip()).login(&email, PASSWORD)), 401, ErrorCode::InvalidCredentials);
    ok(app.block_on(Person::new(&app.edge, &ip()).login(&email, "the new passphrase")), 200);

    // An admin cannot take an owner's account over with a reset link; an agent issues none.
    let (admin, _) = join(app, &owner, &format!("{}@links.test", unique("admin")), "admin");
    let owner_id = ok(app.block_on(owner.get("/v1/auth/me")), 200)["user"]["id"].as_str().unwrap().to_owned();
    refused(
        &app.block_on(admin.post(&format!("/v1/admin/members/{owner_id}/password-reset"), &json!({}))),
        403,
        ErrorCode::Forbidden,
    );
    let (agent2, _) = join(app, &owner, &format!("{}@links.test", unique("agent")), "agent");
    refused(
        &app.block_on(agent2.post(&format!("/v1/admin/members/{agent_id}/password-reset"), &json!({}))),
        403,
        ErrorCode::Forbidden,
    );

    // A link is this organization's only while the account is: once its holder belongs to
    // another organization too, an unused link stops working and no new one is issued.
    let r = ok(app.block_on(owner.post(&format!("/v1/admin/members/{agent_id}/password-reset"), &json!({}))), 201);
    let pending = token_of(&r);
    let elsewhere = owner_of(app, "members");
    let inv =
        ok(app.block_on(elsewhere.post("/v1/admin/invitations", &json!({"email": email, "role": "viewer"}))), 201);
    let joined = Person::new(&app.edge, &ip());
    ok(
        app.block_on(joined.post(
            "/v1/auth/invitations/accept",
            &json!({"token": token_of(&inv["delivery"]), "password": "the new passphrase"}),
        )),
        200,
    );
    let taker = Person::new(&app.edge, &ip());
    refused(
        &app.block_on(
            taker.post("/v1/auth/password-reset", &json!({"token": pending, "password": "taken over, I hope"})),
        ),
        410,
        ErrorCode::LinkInvalid,
    );
    refused(
        &app.block_on(owner.post(&format!("/v1/admin/members/{agent_id}/password-reset"), &json!({}))),
        403,
        ErrorCode::Forbidden,
    );
    ok(app.block_on(joined.get("/v1/auth/me")), 200);
}

fn roles_change_only_by_those_who_may_and_the_last_owner_stays(app: &App) {
    let owner = owner_of(app, "members");
    let owner_id = ok(app.block_on(owner.get("/v1/auth/me")), 200)["user"]["id"].as_str().unwrap().to_owned();
    refused(
        &app.block_on(owner.call("PATCH", &format!("/v1/admin/members/{owner_id}"), Some(&json!({"role": "admin"})))),
        409,
        ErrorCode::LastOwner,
    );
    refused(
        &app.block_on(owner.call("DELETE", &format!("/v1/admin/members/{owner_id}"), None)),
        409,
        ErrorCode::LastOwner,
    );

    let (admin, admin_id) = join(app, &owner, &format!("{}@members.test", unique("admin")), "admin");
    let (_, viewer_id) = join(app, &owner, &format!("{}@members.test", unique("viewer")), "viewer");
    // An admin manages agents and viewers, but gives or takes no owner role.
    let m = ok(
        app.block_on(admin.call("PATCH", &format!("/v1/admin/members/{viewer_id}"), Some(&json!({"role": "agent"})))),
        200,
    );
    assert_eq!(m["role"], "agent");
    refused(
        &app.block_on(admin.call("PATCH", &format!("/v1/admin/members/{viewer_id}"), Some(&json!({"role": "owner"})))),
        403,
        ErrorCode::Forbidden,
    );
    refused(
        &app.block_on(admin.call("PATCH", &format!("/v1/admin/members/{owner_id}"), Some(&json!({"role": "viewer"})))),
        403,
        ErrorCode::Forbidden,
    );
    refused(
        &app.block_on(admin.call("DELETE", &format!("/v1/admin/members/{owner_id}"), None)),
        403,
        ErrorCode::Forbidden,
    );
    refused(
        &app.block_on(admin.post("/v1/admin/invitations", &json!({"email": "boss@members.test", "role": "owner"}))),
        403,
        ErrorCode::Forbidden,
    );
    refused(
        &app.block_on(admin.call("PATCH", &format!("/v1/admin/members/{viewer_id}"), Some(&json!({"role": "king"})))),
        400,
        ErrorCode::InvalidJson,
    );

    // Nor withdraw what an owner made for owners: an invitation to be one, an owner's key.
    let boss = ok(
        app.block_on(owner.post(
            "/v1/admin/invitations",
            &json!({"email": format!("{}@members.test", unique("boss")), "role": "owner"}),
        )),
        201,
    );
    refused(
        &app.block_on(admin.call(
            "DELETE",
            &format!("/v1/admin/invitations/{}", boss["invitation"]["id"].as_str().unwrap()),
            None,
        )),
        403,
        ErrorCode::Forbidden,
    );
    let owners_key = ok(app.block_on(owner.post("/v1/admin/keys", &json!({"name": "owner's", "role": "owner"}))), 201);
    refused(
        &app.block_on(admin.call(
            "DELETE",
            &format!("/v1/admin/keys/{}", owners_key["key"]["id"].as_str().unwrap()),
            None,
        )),
        403,
        ErrorCode::Forbidden,
    );
    ok(
        app.block_on(owner.call(
            "DELETE",
            &format!("/v1/admin/invitations/{}", boss["invitation"]["id"].as_str().unwrap()),
            None,
        )),
        200,
    );

    // With a second owner, the first may step down; the second then is the last.
    ok(
        app.block_on(owner.call("PATCH", &format!("/v1/admin/members/{admin_id}"), Some(&json!({"role": "owner"})))),
        200,
    );
    ok(
        app.block_on(owner.call("PATCH", &format!("/v1/admin/members/{owner_id}"), Some(&json!({"role": "admin"})))),
        200,
    );
    refused(
        &app.block_on(admin.call("DELETE", &format!("/v1/admin/members/{admin_id}"), None)),
        409,
        ErrorCode::LastOwner,
    );
    ok(
        app.block_on(admin.call("PATCH", &format!("/v1/admin/members/{owner_id}"), Some(&json!({"role": "owner"})))),
        200,
    );
    // A removed member's session opens that organization no more.
    let (gone, gone_id) = join(app, &owner, &format!("{}@members.test", unique("leaving")), "agent");
    assert_eq!(app.block_on(owner.call("DELETE", &format!("/v1/admin/members/{gone_id}"), None)).status, 204);
    refused(&app.block_on(gone.get("/v1/admin/conversations")), 403, ErrorCode::Forbidden);
    refused(
        &app.block_on(owner.call("DELETE", &format!("/v1/admin/members/{gone_id}"), None)),
        404,
        ErrorCode::MemberNotFound,
    );
    assert!(app.db.int("SELECT count(*) FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.role = 'owner' AND o.slug = 'members'", &[]) >= 1);
}

/// A credential the matrix calls with: a signed-in member or an API key, and its role.
enum Caller<'a> {
    Session(&'a Person),
    Key(&'a Admin),
}

impl Caller<'_> {
    fn call(&self, app: &App, method: &str, path: &str, body: Option<&Value>) -> Reply {
        match self {
            Caller::Session(p) => app.block_on(p.call(method, path, body)),
            Caller::Key(k) => app.block_on(k.call(method, path, body)),
        }
    }
}

/// The ids the matrix's routes act on, made fresh where a route consumes its target.
struct Targets {
    domain: String,
    knowledge: String,
    source: String,
    conversation: String,
    member: String,
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .or_else(|| v["invitation"]["id"].as_str())
        .or_else(|| v["key"]["id"].as_str())
        .expect("an id")
        .to_owned()
}

/// A document source's body, titled `title`.
fn document(title: &str) -> Value {
    json!({"kind": "document", "title": title, "content": "Returns take 30 days."})
}

/// Opens a visitor's conversation on the domain `host` (site key `site`); its id.
fn conversation_on(app: &App, host: &str, site: &str) -> String {
    let api = app.api(&format!("https://{host}"));
    app.block_on(api.open(site, &unique("visitor"))).conversation_id
}

/// Each admin route: its method, path, a body, the roles that may call it (owner, admin,
/// agent, viewer; `-` where not), and the status an allowed call answers. The expectations are
/// written out here, not read from the code they check.
fn matrix_routes() -> Vec<(&'static str, &'static str, Option<Value>, &'static str, u16)> {
    vec![
        ("GET", "/v1/admin/organization", None, "OAGV", 200),
        ("PATCH", "/v1/admin/organization", Some(json!({"name": "Matrix"})), "O---", 200),
        ("GET", "/v1/admin/usage", None, "OA-V", 200),
        ("GET", "/v1/admin/keys", None, "OA--", 200),
        ("POST", "/v1/admin/keys", Some(json!({"name": "from the matrix"})), "OA--", 201),
        ("DELETE", "/v1/admin/keys/{id}", None, "OA--", 200),
        ("GET", "/v1/admin/domains", None, "OAGV", 200),
        ("POST", "/v1/admin/domains", Some(json!({"hostname": "{host}"})), "OA--", 201),
        ("GET", "/v1/admin/domains/{id}", None, "OAGV", 200),
        ("PATCH", "/v1/admin/domains/{id}", Some(json!({"name": "Renamed"})), "OA--", 200),
        ("DELETE", "/v1/admin/domains/{id}", None, "OA--", 204),
        // Nothing serves the token for this made-up host: allowed, the check runs and fails.
        ("POST", "/v1/admin/domains/{id}/verify", None, "OA--", 422),
        // A message in the console's preview: answered, as a stream.
        ("POST", "/v1/admin/domains/{id}/preview", Some(json!({"content": "Hello from the matrix"})), "OA--", 200),
        ("GET", "/v1/admin/knowledge", None, "OAGV", 200),
        ("POST", "/v1/admin/knowledge", Some(json!({"kind": "faq", "title": "Q", "content": "A"})), "OA--", 201),
        ("GET", "/v1/admin/knowledge/{id}", None, "OAGV", 200),
        ("PATCH", "/v1/admin/knowledge/{id}", Some(json!({"title": "Q2"})), "OA--", 200),
        ("DELETE", "/v1/admin/knowledge/{id}", None, "OA--", 204),
        ("GET", "/v1/admin/knowledge/sources", None, "OAGV", 200),
        (
            "POST",
            "/v1/admin/knowledge/sources",
            Some(json!({"kind": "document", "title": "Doc", "content": "Returns take 30 days."})),
            "OA--",
            201,
        ),
        ("GET", "/v1/admin/knowledge/sources/{id}", None, "OAGV", 200),
        ("DELETE", "/v1/admin/knowledge/sources/{id}", None, "OA--", 204),
        // The target is a document, which is not crawled: allowed, and answered as no website.
        ("POST", "/v1/admin/knowledge/sources/{id}/crawl", None, "OA--", 404),
        ("GET", "/v1/admin/knowledge/search", None, "OAGV", 200),
        ("GET", "/v1/admin/knowledge/gaps", None, "OAGV", 200),
        ("GET", "/v1/admin/conversations", None, "OAG-", 200),
        ("GET", "/v1/admin/conversations/{id}", None, "OAG-", 200),
        ("GET", "/v1/admin/leads", None, "OAG-", 200),
        ("GET", "/v1/admin/members", None, "OAG-", 200),
        ("PATCH", "/v1/admin/members/{id}", Some(json!({"role": "viewer"})), "OA--", 200),
        ("DELETE", "/v1/admin/members/{id}", None, "OA--", 204),
        ("POST", "/v1/admin/members/{id}/password-reset", Some(json!({})), "OA--", 201),
        ("GET", "/v1/admin/invitations", None, "OA--", 200),
        ("POST", "/v1/admin/invitations", Some(json!({"email": "{email}", "role": "viewer"})), "OA--", 201),
        ("DELETE", "/v1/admin/invitations/{id}", None, "OA--", 200),
        ("GET", "/v1/admin/audit", None, "OA--", 200),
    ]
}

fn every_role_and_key_against_every_admin_route(app: &App) {
    let slug = "matrix";
    let m = org(slug);
    let key = key_client(app, slug);
    let owner = owner_of(app, slug);
    let (admin, _) = join(app, &owner, "admin@matrix.test", "admin");
    let (agent, _) = join(app, &owner, "agent@matrix.test", "agent");
    let (viewer, _) = join(app, &owner, "viewer@matrix.test", "viewer");
    let key_with = |role: &str| {
        let k = ok(app.block_on(key.post("/v1/admin/keys", &json!({"name": role, "role": role}))), 201);
        assert_eq!(k["key"]["role"], role);
        app.admin(k["secret"].as_str().unwrap())
    };
    // Nobody mints a key that outranks them; the owners' bootstrap key is an owner's.
    refused(
        &app.block_on(admin.post("/v1/admin/keys", &json!({"name": "boss", "role": "owner"}))),
        403,
        ErrorCode::Forbidden,
    );
    let (owner_key, admin_key, agent_key, viewer_key) =
        (key_with("owner"), key_with("admin"), key_with("agent"), key_with("viewer"));
    let callers: Vec<(&str, char, Caller)> = vec![
        ("owner", 'O', Caller::Session(&owner)),
        ("admin", 'A', Caller::Session(&admin)),
        ("agent", 'G', Caller::Session(&agent)),
        ("viewer", 'V', Caller::Session(&viewer)),
        ("owner key", 'O', Caller::Key(&owner_key)),
        ("admin key", 'A', Caller::Key(&admin_key)),
        ("agent key", 'G', Caller::Key(&agent_key)),
        ("viewer key", 'V', Caller::Key(&viewer_key)),
    ];

    // Every admin route of the published document is in the matrix.
    let doc = ok(app.block_on(app.api_without_origin().get("/v1/openapi.json", None)), 200);
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/admin/") {
            for method in
                item.as_object().unwrap().keys().filter(|k| ["get", "post", "patch", "delete"].contains(&k.as_str()))
            {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    documented.sort();
    let mut listed: Vec<(String, String)> =
        matrix_routes().iter().map(|(m, p, ..)| (m.to_string(), p.to_string())).collect();
    listed.sort();
    assert_eq!(listed, documented);

    // What routes act on: a domain visitors use, an entry, a conversation, a member.
    let host = format!("{}.matrix.test", unique("site"));
    let d = ok(app.block_on(key.post("/v1/admin/domains", &json!({"hostname": host}))), 201);
    let targets = Targets {
        domain: id_of(&d),
        knowledge: id_of(&ok(
            app.block_on(key.post("/v1/admin/knowledge", &json!({"kind": "faq", "title": "T", "content": "C"}))),
            201,
        )),
        source: id_of(&ok(app.block_on(key.post("/v1/admin/knowledge/sources", &document("Target"))), 201)),
        conversation: conversation_on(app, &host, d["site_key"].as_str().unwrap()),
        member: join(app, &owner, "target@matrix.test", "viewer").1,
    };

    for (name, role, caller) in &callers {
        for (method, path, body, allowed, status) in matrix_routes() {
            // A fresh target for routes that use theirs up, made by the bootstrap key.
            let id = match (method, path) {
                ("DELETE", "/v1/admin/keys/{id}") => {
                    id_of(&ok(app.block_on(key.post("/v1/admin/keys", &json!({"name": "doomed"}))), 201))
                }
                ("DELETE", "/v1/admin/domains/{id}") => {
                    let h = format!("{}.matrix.test", unique("doomed"));
                    id_of(&ok(app.block_on(key.post("/v1/admin/domains", &json!({"hostname": h}))), 201))
                }
                ("DELETE", "/v1/admin/knowledge/{id}") => id_of(&ok(
                    app.block_on(
                        key.post("/v1/admin/knowledge", &json!({"kind": "faq", "title": "D", "content": "D"})),
                    ),
                    201,
                )),
                ("DELETE", "/v1/admin/knowledge/sources/{id}") => {
                    id_of(&ok(app.block_on(key.post("/v1/admin/knowledge/sources", &document("Doomed"))), 201))
                }
                ("DELETE", "/v1/admin/members/{id}") => {
                    join(app, &owner, &format!("{}@matrix.test", unique("doomed")), "agent").1
                }
                ("DELETE", "/v1/admin/invitations/{id}") => id_of(&ok(
                    app.block_on(key.post(
                        "/v1/admin/invitations",
                        &json!({"email": format!("{}@matrix.test", unique("doomed")), "role": "viewer"}),
                    )),
                    201,
                )),
                (_, p) if p.starts_with("/v1/admin/domains/") => targets.domain.clone(),
                (_, p) if p.starts_with("/v1/admin/knowledge/sources/") => targets.source.clone(),
                (_, p) if p.starts_with("/v1/admin/knowledge/") => targets.knowledge.clone(),
                (_, p) if p.starts_with("/v1/admin/conversations/") => targets.conversation.clone(),
                (_, p) if p.starts_with("/v1/admin/members/") => targets.member.clone(),
                _ => String::new(),
            };
            let concrete = match path {
                "/v1/admin/knowledge/search" => format!("{path}?domain_id={}&q=returns", targets.domain),
                _ => path.replace("{id}", &id),
            };
            let body = body.map(|b| {
                let text = b
                    .to_string()
                    .replace("{host}", &format!("{}.matrix.test", unique("new")))
                    .replace("{email}", &format!("{}@matrix.test", unique("invitee")));
                serde_json::from_str::<Value>(&text).unwrap()
            });
            let before = rows_of(app, &m.id);
            let r = caller.call(app, method, &concrete, body.as_ref());
            if allowed.contains(*role) {
                assert_eq!(r.status, status, "{name}: {method} {path}: {:?}", r.body);
            } else {
                refused(&r, 403, ErrorCode::Forbidden);
                assert_eq!(rows_of(app, &m.id), before, "{name}: {method} {path} was refused and changed nothing");
            }
        }
    }

    // Another organization's ids are not found, for every role that may use the route at all.
    let beta = key_client(app, "beta");
    let beta_host = format!("{}.beta.test", unique("site"));
    let bd = ok(app.block_on(beta.post("/v1/admin/domains", &json!({"hostname": beta_host}))), 201);
    let beta_owner = owner_of(app, "beta");
    let foreign: HashMap<&str, (String, ErrorCode)> = HashMap::from([
        ("domains", (id_of(&bd), ErrorCode::DomainNotFound)),
        (
            "knowledge",
            (
                id_of(&ok(
                    app.block_on(
                        beta.post("/v1/admin/knowledge", &json!({"kind": "faq", "title": "B", "content": "BETA-ONLY"})),
                    ),
                    201,
                )),
                ErrorCode::KnowledgeNotFound,
            ),
        ),
        (
            "keys",
            (
                id_of(&ok(app.block_on(beta.post("/v1/admin/keys", &json!({"name": "b"}))), 201)),
                ErrorCode::ApiKeyNotFound,
            ),
        ),
        (
            "conversations",
            (conversation_on(app, &beta_host, bd["site_key"].as_str().unwrap()), ErrorCode::ConversationNotFound),
        ),
        (
            "members",
            (join(app, &beta_owner, &format!("{}@beta.test", unique("member")), "viewer").1, ErrorCode::MemberNotFound),
        ),
        (
            "invitations",
            (
                id_of(&ok(
                    app.block_on(
                        beta.post("/v1/admin/invitations", &json!({"email": "x@beta.test", "role": "viewer"})),
                    ),
                    201,
                )),
                ErrorCode::InvitationNotFound,
            ),
        ),
    ]);
    let beta_source = id_of(&ok(app.block_on(beta.post("/v1/admin/knowledge/sources", &document("BETA-ONLY"))), 201));
    let mut foreign = foreign;
    foreign.insert("sources", (beta_source, ErrorCode::KnowledgeNotFound));
    let beta_before = rows_of(app, &org("beta").id);
    for (name, role, caller) in &callers {
        for (method, path, body, allowed, _) in matrix_routes().into_iter().filter(|r| r.1.contains("{id}")) {
            let resource = match path.strip_prefix("/v1/admin/knowledge/sources/") {
                Some(_) => "sources",
                None => path.trim_start_matches("/v1/admin/").split('/').next().unwrap(),
            };
            let (id, code) = &foreign[resource];
            let r = caller.call(app, method, &path.replace("{id}", id), body.as_ref());
            if allowed.contains(*role) {
                refused(&r, 404, *code);
            } else {
                refused(&r, 403, ErrorCode::Forbidden);
            }
            assert!(!r.body.to_string().contains("BETA-ONLY"), "{name}: {method} {path}");
        }
    }
    assert_eq!(rows_of(app, &org("beta").id), beta_before, "nothing of beta changed");
}

fn a_member_of_two_organizations_acts_in_each_with_its_own_role(app: &App) {
    // Alpha's viewer is beta's owner.
    let alpha = owner_of(app, "alpha");
    let beta = owner_of(app, "beta");
    let email = format!("{}@two.test", unique("dual"));
    let (dual, _) = join(app, &beta, &email, "admin");
    let inv = ok(app.block_on(alpha.post("/v1/admin/invitations", &json!({"email": email, "role": "viewer"}))), 201);
    ok(
        app.block_on(
            dual.post(
                "/v1/auth/invitations/accept",
                &json!({"token": token_of(&inv["delivery"]), "password": PASSWORD}),
            ),
        ),
        200,
    );
    refused(&app.block_on(dual.get("/v1/admin/domains")), 400, ErrorCode::OrganizationRequired);
    let (in_alpha, in_beta) = (dual.acting_for(&org("alpha").id), dual.acting_for(&org("beta").id));
    let alpha_domain = ok(
        app.block_on(
            key_client(app, "alpha")
                .post("/v1/admin/domains", &json!({"hostname": format!("{}.alpha.test", unique("d"))})),
        ),
        201,
    );
    let beta_domain = ok(
        app.block_on(
            key_client(app, "beta")
                .post("/v1/admin/domains", &json!({"hostname": format!("{}.beta.test", unique("d"))})),
        ),
        201,
    );
    let rename = json!({"name": "Renamed by dual"});
    // In alpha they are a viewer, whatever they are in beta.
    refused(
        &app.block_on(in_alpha.call("PATCH", &format!("/v1/admin/domains/{}", id_of(&alpha_domain)), Some(&rename))),
        403,
        ErrorCode::Forbidden,
    );
    refused(&app.block_on(in_alpha.get("/v1/admin/conversations")), 403, ErrorCode::Forbidden);
    ok(app.block_on(in_alpha.get("/v1/admin/usage")), 200);
    // Acting for alpha, beta's domain is nowhere, even with beta's admin rights elsewhere.
    refused(
        &app.block_on(in_alpha.get(&format!("/v1/admin/domains/{}", id_of(&beta_domain)))),
        404,
        ErrorCode::DomainNotFound,
    );
    ok(app.block_on(in_beta.call("PATCH", &format!("/v1/admin/domains/{}", id_of(&beta_domain)), Some(&rename))), 200);
    refused(
        &app.block_on(in_beta.call("PATCH", &format!("/v1/admin/domains/{}", id_of(&alpha_domain)), Some(&rename))),
        404,
        ErrorCode::DomainNotFound,
    );
    // An organization they do not belong to is not found, however it is named.
    for other in [org("matrix").id.as_str(), "not-an-id"] {
        refused(&app.block_on(dual.acting_for(other).get("/v1/admin/domains")), 404, ErrorCode::NotFound);
    }
}

fn a_session_cookie_from_a_foreign_or_missing_origin_changes_nothing(app: &App) {
    let owner = owner_of(app, "alpha");
    let d = ok(
        app.block_on(owner.post("/v1/admin/domains", &json!({"hostname": format!("{}.alpha.test", unique("csrf"))}))),
        201,
    );
    let before = rows_of(app, &org("alpha").id);
    for origin in [Some("https://evil.example"), Some("null"), None] {
        let forged = owner.from_origin(origin);
        for (method, path, body) in [
            ("POST", "/v1/admin/domains".to_owned(), Some(json!({"hostname": "forged.alpha.test"}))),
            ("PATCH", format!("/v1/admin/domains/{}", id_of(&d)), Some(json!({"active": false}))),
            ("DELETE", format!("/v1/admin/domains/{}", id_of(&d)), None),
            (
                "POST",
                "/v1/admin/invitations".to_owned(),
                Some(json!({"email": "forged@evil.example", "role": "owner"})),
            ),
            (
                "POST",
                "/v1/auth/password".to_owned(),
                Some(json!({"current_password": PASSWORD, "new_password": "chosen by the attacker"})),
            ),
            ("POST", "/v1/auth/logout-everywhere".to_owned(), None),
        ] {
            let r = app.block_on(forged.call(method, &path, body.as_ref()));
            refused(&r, 403, ErrorCode::OriginNotAllowed);
        }
        // Reading is harmless (and no CORS grant lets a foreign page read the answer).
        let r = app.block_on(forged.get("/v1/admin/domains"));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("access-control-allow-origin"), None);
    }
    assert_eq!(rows_of(app, &org("alpha").id), before);
    ok(app.block_on(owner.get("/v1/auth/me")), 200);
    // Signing in from a foreign page is refused too (a forged sign-in into the attacker's account).
    refused(
        &app.block_on(
            Person::new(&app.edge, &ip())
                .from_origin(Some("https://evil.example"))
                .login(&org("alpha").owner_email, PASSWORD),
        ),
        403,
        ErrorCode::OriginNotAllowed,
    );
    // A server with a key sends no Origin and needs none.
    ok(
        app.block_on(
            key_client(app, "alpha").patch(&format!("/v1/admin/domains/{}", id_of(&d)), &json!({"name": "by key"})),
        ),
        200,
    );
}

fn audit_rows(app: &App, p: &Person, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_query = match &cursor {
            Some(c) => format!("/v1/admin/audit?limit=7&{query}&cursor={c}"),
            None => format!("/v1/admin/audit?limit=7&{query}"),
        };
        let page = ok(app.block_on(p.get(&page_query)), 200);
        rows.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return rows,
        }
    }
}

fn every_audited_action_leaves_exactly_one_row_and_a_failed_one_none(app: &App) {
    let slug = "audited";
    let owner = owner_of(app, slug);
    let me = ok(app.block_on(owner.get("/v1/auth/me")), 200);
    let user_id = me["user"]["id"].as_str().unwrap().to_owned();
    let key = key_client(app, slug);
    let count = || app.db.int("SELECT count(*) FROM audit_events WHERE organization_id = ?1", &[&org(slug).id]);

    let host = format!("{}.audited.test", unique("site"));
    let d = ok(app.block_on(owner.post("/v1/admin/domains", &json!({"hostname": host}))), 201);
    let domain = id_of(&d);
    let conversation = conversation_on(app, &host, d["site_key"].as_str().unwrap());
    let start = count();
    assert_eq!(start, 1, "the domain's creation");
    let expected: std::cell::RefCell<Vec<(&str, Option<String>)>> =
        std::cell::RefCell::new(vec![("domain.create", Some(domain.clone()))]);
    let act = |r: Reply, status: u16, action: &'static str, target: Option<String>| {
        let v = ok(r, status);
        expected.borrow_mut().push((action, target));
        v
    };
    act(
        app.block_on(owner.call("PATCH", &format!("/v1/admin/domains/{domain}"), Some(&json!({"name": "Audited"})))),
        200,
        "domain.update",
        Some(domain.clone()),
    );
    let k = act(
        app.block_on(owner.post("/v1/admin/knowledge", &json!({"kind": "faq", "title": "Q", "content": "A"}))),
        201,
        "knowledge.create",
        None,
    );
    let kid = id_of(&k);
    expected.borrow_mut().last_mut().unwrap().1 = Some(kid.clone());
    act(
        app.block_on(owner.call("PATCH", &format!("/v1/admin/knowledge/{kid}"), Some(&json!({"content": "B"})))),
        200,
        "knowledge.update",
        Some(kid.clone()),
    );
    app.block_on(owner.call("DELETE", &format!("/v1/admin/knowledge/{kid}"), None));
    expected.borrow_mut().push(("knowledge.delete", Some(kid.clone())));
    let newkey = act(app.block_on(owner.post("/v1/admin/keys", &json!({"name": "audited"}))), 201, "key.create", None);
    let key_id = id_of(&newkey);
    expected.borrow_mut().last_mut().unwrap().1 = Some(key_id.clone());
    act(
        app.block_on(owner.call("DELETE", &format!("/v1/admin/keys/{key_id}"), None)),
        200,
        "key.revoke",
        Some(key_id.clone()),
    );
    act(
        app.block_on(owner.call("PATCH", "/v1/admin/organization", Some(&json!({"monthly_budget_cents": 700})))),
        200,
        "organization.update",
        None,
    );
    act(
        app.block_on(owner.get(&format!("/v1/admin/conversations/{conversation}"))),
        200,
        "conversation.read",
        Some(conversation.clone()),
    );
    act(app.block_on(owner.get("/v1/admin/leads")), 200, "leads.read", None);
    let inv = act(
        app.block_on(owner.post("/v1/admin/invitations", &json!({"email": "member@audited.test", "role": "agent"}))),
        201,
        "invitation.create",
        None,
    );
    let inv_id = id_of(&inv);
    expected.borrow_mut().last_mut().unwrap().1 = Some(inv_id.clone());
    let joiner = Person::new(&app.edge, &ip());
    let joined = ok(
        app.block_on(joiner.post(
            "/v1/auth/invitations/accept",
            &json!({"token": token_of(&inv["delivery"]), "name": "M", "password": PASSWORD}),
        )),
        200,
    );
    expected.borrow_mut().push(("invitation.accept", Some(inv_id.clone())));
    let member = joined["user"]["id"].as_str().unwrap().to_owned();
    act(
        app.block_on(owner.call("PATCH", &format!("/v1/admin/members/{member}"), Some(&json!({"role": "viewer"})))),
        200,
        "member.update",
        Some(member.clone()),
    );
    act(
        app.block_on(owner.post(&format!("/v1/admin/members/{member}/password-reset"), &json!({}))),
        201,
        "member.password_reset",
        Some(member.clone()),
    );
    let inv2 = ok(
        app.block_on(owner.post("/v1/admin/invitations", &json!({"email": "withdrawn@audited.test", "role": "agent"}))),
        201,
    );
    expected.borrow_mut().push(("invitation.create", Some(id_of(&inv2))));
    act(
        app.block_on(owner.call("DELETE", &format!("/v1/admin/invitations/{}", id_of(&inv2)), None)),
        200,
        "invitation.revoke",
        Some(id_of(&inv2)),
    );
    app.block_on(owner.call("DELETE", &format!("/v1/admin/members/{member}"), None));
    expected.borrow_mut().push(("member.remove", Some(member.clone())));
    let doomed = ok(
        app.block_on(key.post("/v1/admin/domains", &json!({"hostname": format!("{}.audited.test", unique("doomed"))}))),
        201,
    );
    expected.borrow_mut().push(("domain.create", Some(id_of(&doomed))));
    assert_eq!(app.block_on(key.delete(&format!("/v1/admin/domains/{}", id_of(&doomed)))).status, 204);
    expected.borrow_mut().push(("domain.delete", Some(id_of(&doomed))));
    assert_eq!(count() as usize, expected.borrow().len());

    // What fails, or changes nothing, leaves nothing.
    let after = count();
    let missing = "0193a000-0000-7000-8000-00000000dead";
    refused(
        &app.block_on(owner.call("PATCH", &format!("/v1/admin/domains/{missing}"), Some(&json!({"name": "x"})))),
        404,
        ErrorCode::DomainNotFound,
    );
    refused(
        &app.block_on(owner.call("DELETE", &format!("/v1/admin/knowledge/{kid}"), None)),
        404,
        ErrorCode::KnowledgeNotFound,
    );
    refused(&app.block_on(owner.post("/v1/admin/domains", &json!({"hostname": host}))), 409, ErrorCode::HostnameTaken);
    refused(
        &app.block_on(owner.get(&format!("/v1/admin/conversations/{missing}"))),
        404,
        ErrorCode::ConversationNotFound,
    );
    refused(
        &app.block_on(owner.call("DELETE", &format!("/v1/admin/invitations/{}", id_of(&inv2)), None)),
        404,
        ErrorCode::InvitationNotFound,
    );
    refused(
        &app.block_on(owner.call("DELETE", &format!("/v1/admin/members/{member}"), None)),
        404,
        ErrorCode::MemberNotFound,
    );
    refused(
        &app.block_on(owner.post(&format!("/v1/admin/domains/{domain}/verify"), &json!({}))),
        422,
        ErrorCode::VerificationFailed,
    );
    // Revoking a revoked key again changes nothing.
    ok(app.block_on(owner.call("DELETE", &format!("/v1/admin/keys/{key_id}"), None)), 200);
    assert_eq!(count(), after);
    // Reading the trail is not itself audited, and nothing changes or deletes a row.
    assert_eq!(app.block_on(owner.call("DELETE", "/v1/admin/audit", None)).status, 405);
    assert_eq!(app.block_on(owner.call("PATCH", "/v1/admin/audit", Some(&json!({})))).status, 405);

    // The trail reads back as written, newest first, page by page, by the acting user or key.
    let rows = audit_rows(app, &owner, "");
    assert_eq!(count(), after);
    let mut got: Vec<(String, Option<String>)> = rows
        .iter()
        .map(|r| (r["action"].as_str().unwrap().to_owned(), r["target_id"].as_str().map(str::to_owned)))
        .collect();
    got.reverse();
    let want: Vec<(String, Option<String>)> =
        expected.borrow().iter().map(|(a, t)| (a.to_string(), t.clone())).collect();
    assert_eq!(got, want);
    for r in &rows {
        let by_key = r["action"] == "domain.delete" || r["target_id"] == id_of(&doomed).as_str();
        assert_eq!(r["actor_type"], if by_key { "key" } else { "user" }, "{r}");
        if r["actor_type"] == "user" && r["action"] != "invitation.accept" {
            assert_eq!(r["actor_id"], user_id.as_str(), "{r}");
        }
        assert!(r["ip"].is_string(), "{r}");
        assert!(rows.windows(2).all(|w| w[0]["at"].as_i64() >= w[1]["at"].as_i64()));
    }
    let reads = audit_rows(app, &owner, "action=conversation.read");
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["target_type"], "conversation");
    assert_eq!(audit_rows(app, &owner, &format!("target_id={domain}")).len(), 2);
    refused(&app.block_on(owner.get("/v1/admin/audit?action=domain.explode")), 400, ErrorCode::InvalidField);
    // Nobody else's trail is in it.
    assert!(audit_rows(app, &owner_of(app, "beta"), "").iter().all(|r| r["target_id"] != domain.as_str()));
}

fn old_audit_rows_are_forgotten_by_the_scheduled_clean_up(app: &App) {
    let owner = owner_of(app, "retention");
    assert_eq!(org("retention").id, RETENTION_ORG);
    let targets = |rows: Vec<Value>| -> Vec<String> {
        let mut t: Vec<String> = rows.iter().filter_map(|r| r["target_id"].as_str().map(str::to_owned)).collect();
        t.sort();
        t
    };
    assert_eq!(targets(audit_rows(app, &owner, "")), ["old-1", "old-2", "recent"]);
    let r =
        app.block_on(reqwest::get(format!("{}/__scheduled?cron=*/5+*+*+*+*", app.edge))).expect("the scheduled hook");
    assert!(r.status().is_success());
    assert_eq!(targets(audit_rows(app, &owner, "")), ["recent"]);
}
