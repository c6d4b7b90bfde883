//! Exact counting where an approximation would cost someone money: the `Meter` Durable
//! Object, one per organization (SQLite-backed), counts visitors' requests in sliding windows
//! and holds the organization's monthly AI budget.
//!
//! Each admission checks and records in one run of synchronous SQL with no `await` in between,
//! so concurrent requests to the object cannot both slip under a limit. A reply reserves its
//! worst-case cost before the provider is called and settles its real cost afterwards; replies
//! are admitted only while spent plus reserved is under the budget, so concurrent replies
//! overshoot it by at most one reply's reservation. While the rest of the budget is held by
//! replies in flight, a new one is asked to wait a moment rather than told the budget is spent.
//! A reservation that outlives its time unsettled (its worker died, or its reply streams on)
//! is counted as spent at its worst case; if its reply settles after all, the real cost
//! replaces it.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, SqlStorage, State};

pub use crate::budget::Money;
use crate::clock::{now_ms, utc_month};
use crate::error::{log_error, EdgeError, EdgeResult};
use crate::http;
use crate::ids::{OrgId, ReservationId};

/// How long a reservation holds budget before it counts as spent (`METER_RESERVATION_TTL_MS`
/// overrides it, for tests).
const RESERVATION_TTL_MS: i64 = 15 * 60_000;
/// How long a reservation counted as spent is kept, for its reply to settle after all.
const BOOKED_KEPT_MS: i64 = 24 * 3_600_000;

/// One request to count under `key`: refused if `limit` were exceeded within `window_ms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hit {
    pub key: String,
    pub limit: u32,
    pub window_ms: i64,
}

/// A reply's worst-case cost, held against the month's budget and plan until it settles.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reserve {
    /// `YYYY-MM`, UTC.
    pub month: String,
    /// The owner's budget and the operator's plan for the month.
    pub caps: Money,
    /// What D1 says the month has cost so far: the meter's starting point for a month it has
    /// not seen yet, ignored after that.
    pub spent: Money,
    pub worst: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdmitRequest {
    pub hits: Vec<Hit>,
    pub reserve: Option<Reserve>,
    /// Names the reply the reservation is for, so a repeat of its message can ask whether it
    /// is still being made ([`Meter::replying`]).
    #[serde(default)]
    pub reply: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Admission {
    /// Counted; `reservation` names the held budget when one was asked for.
    Admitted { reservation: Option<ReservationId> },
    /// Nothing counted; try again after this many seconds.
    RateLimited { retry_after: u32 },
    /// Nothing counted: replies in flight hold the rest of the budget; try again shortly.
    BudgetHeld { retry_after: u32 },
    /// The requests were counted (the visitor's message is kept), but no reply may be made.
    BudgetExhausted,
    /// Nothing counted: a reply to this very message (the reservation's `reply` name) is being
    /// made already, for an earlier sending of it.
    Replying,
}

/// Where a reply stands against the month's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetCheck {
    Admit,
    /// Replies in flight hold the rest; it frees up as they settle.
    Held,
    Exhausted,
}

/// Seconds a reply waits while the rest of the budget is held by replies in flight.
pub const HELD_RETRY_SECS: u32 = 5;

/// A reply's real cost, booked to the month its usage was stored in; releases its reservation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settle {
    pub reservation: String,
    pub month: String,
    pub cost: Money,
}

/// A question about a reply in flight, and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Replying {
    pub reply: String,
    pub replying: bool,
}

/// Seconds until a full window has room again: when its oldest hit leaves it.
pub fn retry_after_secs(oldest_at: i64, window_ms: i64, now: i64) -> u32 {
    let wait_ms = (oldest_at + window_ms - now).max(1);
    u32::try_from(wait_ms.div_euclid(1000) + i64::from(wait_ms % 1000 != 0)).unwrap_or(u32::MAX)
}

/// Whether a reply may start: free replies always, priced ones while spent and held money
/// are under the budget.
pub fn budget_check(spent: u64, reserved: u64, budget: u64, cost: u64) -> BudgetCheck {
    if cost == 0 || spent.saturating_add(reserved) < budget {
        BudgetCheck::Admit
    } else if spent < budget {
        BudgetCheck::Held
    } else {
        BudgetCheck::Exhausted
    }
}

/// Whether a reply may start: only while both the owner's budget and the operator's plan allow.
pub fn reply_check(spent: Money, reserved: Money, caps: Money, worst: Money) -> BudgetCheck {
    let owner = budget_check(spent.owner, reserved.owner, caps.owner, worst.owner);
    let operator = budget_check(spent.operator, reserved.operator, caps.operator, worst.operator);
    match (owner, operator) {
        (BudgetCheck::Exhausted, _) | (_, BudgetCheck::Exhausted) => BudgetCheck::Exhausted,
        (BudgetCheck::Held, _) | (_, BudgetCheck::Held) => BudgetCheck::Held,
        _ => BudgetCheck::Admit,
    }
}

/// How long a failed sign-in counts against its account and address.
const LOGIN_WINDOW_MS: i64 = 3_600_000;
/// How many times an account's allowance it takes, from all addresses together, to lock it
/// everywhere.
pub const ACCOUNT_WIDE_FACTOR: u32 = 10;

/// Failed sign-ins: past its allowance an account is locked for the address guessing at it, for
/// `lock_ms` after the failure that filled the allowance and twice as long after each one since,
/// up to the counting window. So that a stranger cannot lock an owner out, the account is
/// locked for every address only at [`ACCOUNT_WIDE_FACTOR`] times the allowance (guesses spread
/// over many addresses); an address guessing across accounts is locked at its own allowance.
/// A success clears its account's failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginGuard {
    pub failures_per_account: u32,
    pub failures_per_address: u32,
    pub lock_ms: i64,
}

fn account_key(account: &str) -> String {
    format!("login:account:{account}")
}

/// An account as guessed at from one address. (An email address holds no space.)
fn pair_key(account: &str, address: &str) -> String {
    format!("login:pair:{account} {address}")
}

/// Until when `failures` failures, the latest at `latest`, lock out, if they do.
pub fn locked_until(failures: u32, latest: i64, allowance: u32, lock_ms: i64) -> Option<i64> {
    let beyond = failures.checked_sub(allowance)?;
    let lock = lock_ms.saturating_mul(1_i64 << beyond.min(20)).min(LOGIN_WINDOW_MS);
    Some(latest + lock)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoginAttempt {
    guard: LoginGuard,
    account: String,
    address: String,
}

/// The meter's answer to a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LoginAdmission {
    /// The attempt is counted as a failure until [`Meter::login_succeeded`] says otherwise.
    Counted { attempt: i64 },
    /// Nothing counted; try again after this many seconds.
    Locked { retry_after: u32 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoginSuccess {
    account: String,
    attempt: i64,
}

/// The worker's handle on one organization's meter.
pub struct Meter {
    stub: worker::Stub,
}

impl Meter {
    pub fn for_org(env: &Env, org: OrgId) -> EdgeResult<Self> {
        let stub = env.durable_object("METER")?.id_from_name(&org.to_string())?.get_stub()?;
        Ok(Self { stub })
    }

    /// The meter that counts failed sign-ins, for every account. (Sign-ins are rare next to
    /// visitors' messages; one object keeps per-address counts exact across accounts.)
    pub fn for_logins(env: &Env) -> EdgeResult<Self> {
        let stub = env.durable_object("METER")?.id_from_name("sign-ins")?.get_stub()?;
        Ok(Self { stub })
    }

    /// Admits a sign-in attempt for `account` (a lower-cased email) from `address`, counting it
    /// as failed before the password is even checked, so parallel guesses cannot slip past the
    /// allowance together.
    pub async fn admit_login(&self, guard: LoginGuard, account: &str, address: &str) -> EdgeResult<LoginAdmission> {
        let attempt = LoginAttempt { guard, account: account.to_owned(), address: address.to_owned() };
        self.call("login", &attempt).await
    }

    /// The attempt succeeded: its account's failures are forgotten, and the attempt itself.
    pub async fn login_succeeded(&self, account: &str, attempt: i64) -> EdgeResult<()> {
        let done = LoginSuccess { account: account.to_owned(), attempt };
        self.call::<_, serde_json::Value>("login/succeeded", &done).await.map(|_| ())
    }

    async fn call<T: Serialize, R: for<'de> Deserialize<'de>>(&self, path: &str, body: &T) -> EdgeResult<R> {
        let json = serde_json::to_string(body).map_err(EdgeError::internal)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(json.into()));
        let req = Request::new_with_init(&format!("https://meter/{path}"), &init)?;
        let resp = self.stub.fetch_with_request(req).await?;
        let status = resp.status_code();
        let text = http::body_text(resp).await;
        if status != 200 {
            let body = text.as_deref().unwrap_or_default();
            return Err(EdgeError::internal(format!("meter {path}: {status} {body}")));
        }
        serde_json::from_str(&text?).map_err(EdgeError::internal)
    }

    pub async fn admit(&self, hits: Vec<Hit>, reserve: Option<Reserve>) -> EdgeResult<Admission> {
        self.call("admit", &AdmitRequest { hits, reserve, reply: None }).await
    }

    /// [`Meter::admit`] for a reply named `reply`, which is then being made until it settles.
    pub async fn admit_reply(&self, hits: Vec<Hit>, reserve: Reserve, reply: String) -> EdgeResult<Admission> {
        self.call("admit", &AdmitRequest { hits, reserve: Some(reserve), reply: Some(reply) }).await
    }

    /// Whether the reply named `reply` is being made now: admitted and not settled (a reply whose
    /// worker died counts for a day). Asks the meter, not D1, so waiting costs the database nothing.
    pub async fn replying(&self, reply: &str) -> EdgeResult<bool> {
        let answer: Replying = self.call("replying", &Replying { reply: reply.to_owned(), replying: false }).await?;
        Ok(answer.replying)
    }

    /// Books a reply's cost and releases its reservation, if it has one. A failure is logged,
    /// not returned: the visitor's answer does not depend on it, and the reservation expires.
    pub async fn settle_quietly(&self, reservation: Option<ReservationId>, cost: Money) {
        let Some(r) = reservation else { return };
        let settle = Settle { reservation: r.to_string(), month: utc_month(now_ms()), cost };
        if let Err(e) = self.call::<_, serde_json::Value>("settle", &settle).await {
            log_error(&format!("settling reservation {r} failed: {e}"));
        }
    }
}

/// The Durable Object. Its tables: `hits` (one row per counted request, kept for its window,
/// then swept), `spend` (cost per month: D1's figure when first seen, plus every settled reply
/// since) and `reservations` (cost held by replies in flight).
#[durable_object(fetch)]
pub struct MeterObject {
    sql: SqlStorage,
    reservation_ttl_ms: i64,
    /// No later than when the first reservation not yet booked expires (`i64::MIN` until read
    /// from the table; a settled reservation may leave it early): before then no admission has
    /// any to book. The object is the only writer of its tables and runs one request at a time,
    /// so what it keeps in memory stays true.
    reservations_due_at: Cell<i64>,
    /// When rows past their time were last deleted. Counts never read a hit outside its own
    /// window, so deleting hits is housekeeping, done every few seconds rather than per admission.
    swept_at: Cell<i64>,
}

/// How often hits past their windows, and reservations past keeping, are deleted.
const SWEEP_EVERY_MS: i64 = 10_000;

/// A month's spend, and what replies in flight hold of it.
#[derive(Deserialize)]
struct Month {
    owner: i64,
    operator: i64,
    held_owner: i64,
    held_operator: i64,
}

#[derive(Deserialize)]
struct Sum {
    total: i64,
}

#[derive(Deserialize)]
struct Pair {
    owner: i64,
    operator: i64,
}

impl From<Pair> for Money {
    fn from(p: Pair) -> Self {
        Self { owner: u64::try_from(p.owner).unwrap_or(0), operator: u64::try_from(p.operator).unwrap_or(0) }
    }
}

impl DurableObject for MeterObject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent, and exec is synchronous: the schema exists before the first request.
        let schema =
            "CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL); \
             CREATE INDEX IF NOT EXISTS hits_by_key ON hits (key, at); \
             CREATE INDEX IF NOT EXISTS hits_by_expiry ON hits (expires_at); \
             CREATE TABLE IF NOT EXISTS spend (month TEXT PRIMARY KEY, micros INTEGER NOT NULL); \
             CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, month TEXT NOT NULL, \
               micros INTEGER NOT NULL, expires_at INTEGER NOT NULL);";
        if let Err(e) = sql.exec(schema, None) {
            crate::error::log_error(&format!("meter schema: {e}"));
        }
        // Added later; each fails harmlessly where the column exists.
        let _ = sql.exec("ALTER TABLE reservations ADD COLUMN reply TEXT", None);
        let _ = sql.exec("ALTER TABLE reservations ADD COLUMN booked INTEGER NOT NULL DEFAULT 0", None);
        let _ = sql.exec("ALTER TABLE reservations ADD COLUMN operator_micros INTEGER NOT NULL DEFAULT 0", None);
        let _ = sql.exec("ALTER TABLE spend ADD COLUMN operator_micros INTEGER NOT NULL DEFAULT 0", None);
        let _ = sql.exec("CREATE INDEX IF NOT EXISTS reservations_by_reply ON reservations (reply)", None);
        let reservation_ttl_ms = crate::settings::secret(&env, "METER_RESERVATION_TTL_MS")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map_or(RESERVATION_TTL_MS, |ms| ms.clamp(1_000, RESERVATION_TTL_MS));
        Self { sql, reservation_ttl_ms, reservations_due_at: Cell::new(i64::MIN), swept_at: Cell::new(i64::MIN) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let path = req.path();
        match path.as_str() {
            "/admit" => {
                let body: AdmitRequest = req.json().await?;
                Response::from_json(&self.admit(&body)?)
            }
            "/replying" => {
                let mut body: Replying = req.json().await?;
                body.replying = self.replying(&body.reply)?;
                Response::from_json(&body)
            }
            "/login" => {
                let body: LoginAttempt = req.json().await?;
                Response::from_json(&self.admit_login(&body)?)
            }
            "/login/succeeded" => {
                let body: LoginSuccess = req.json().await?;
                self.sql.exec("DELETE FROM hits WHERE key = ?", vec![account_key(&body.account).into()])?;
                // The account's failures from every address (`pair_key` with any address).
                let pairs = pair_key(&body.account, "");
                self.sql.exec(
                    "DELETE FROM hits WHERE substr(key, 1, ?) = ?",
                    vec![(pairs.chars().count() as i64).into(), pairs.into()],
                )?;
                self.sql.exec("DELETE FROM hits WHERE rowid = ?", vec![body.attempt.into()])?;
                Response::from_json(&serde_json::json!({}))
            }
            "/settle" => {
                let body: Settle = req.json().await?;
                self.settle(&body)?;
                Response::from_json(&serde_json::json!({}))
            }
            _ => Response::error("no such meter operation", 404),
        }
    }
}

impl MeterObject {
    /// Synchronous throughout: nothing else runs in this object until it returns.
    fn admit(&self, body: &AdmitRequest) -> worker::Result<Admission> {
        let now = worker::Date::now().as_millis() as i64;
        self.sweep(now)?;
        self.book_expired(now)?;
        let wait = self.windows(&body.hits, now)?;
        if wait > 0 {
            return Ok(Admission::RateLimited { retry_after: wait });
        }
        if let Some(reply) = &body.reply {
            if self.replying(reply)? {
                return Ok(Admission::Replying);
            }
        }
        let Some(r) = &body.reserve else {
            self.record(&body.hits, now)?;
            return Ok(Admission::Admitted { reservation: None });
        };
        // A month the meter has not seen yet starts from D1's figure.
        let month = match self.month(&r.month)? {
            Some(month) => month,
            None => {
                self.sql.exec(
                    "INSERT OR IGNORE INTO spend (month, micros, operator_micros) VALUES (?, ?, ?)",
                    vec![r.month.as_str().into(), db_int(r.spent.owner).into(), db_int(r.spent.operator).into()],
                )?;
                self.month(&r.month)?
                    .ok_or_else(|| worker::Error::RustError("the month's spend was not kept".into()))?
            }
        };
        let reserved = Pair { owner: month.held_owner, operator: month.held_operator };
        let spent = Pair { owner: month.owner, operator: month.operator };
        match reply_check(spent.into(), reserved.into(), r.caps, r.worst) {
            BudgetCheck::Admit => {}
            BudgetCheck::Held => return Ok(Admission::BudgetHeld { retry_after: HELD_RETRY_SECS }),
            BudgetCheck::Exhausted => {
                self.record(&body.hits, now)?;
                return Ok(Admission::BudgetExhausted);
            }
        }
        self.record(&body.hits, now)?;
        let id = ReservationId::generate();
        let expires_at = now + self.reservation_ttl_ms;
        self.reservations_due_at.set(self.reservations_due_at.get().min(expires_at));
        self.sql.exec(
            "INSERT INTO reservations (id, month, micros, operator_micros, expires_at, reply) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                id.to_string().into(),
                r.month.as_str().into(),
                db_int(r.worst.owner).into(),
                db_int(r.worst.operator).into(),
                expires_at.into(),
                body.reply.clone().into(),
            ],
        )?;
        Ok(Admission::Admitted { reservation: Some(id) })
    }

    /// The month's spend and what replies in flight hold of it, once the month has a row.
    fn month(&self, month: &str) -> worker::Result<Option<Month>> {
        let rows = self.sql.exec(
            "SELECT micros AS owner, operator_micros AS operator, \
               (SELECT coalesce(sum(micros), 0) FROM reservations WHERE month = ?1 AND booked = 0) AS held_owner, \
               (SELECT coalesce(sum(operator_micros), 0) FROM reservations WHERE month = ?1 AND booked = 0) \
                 AS held_operator \
             FROM spend WHERE month = ?1",
            vec![month.into()],
        )?;
        Ok(rows.to_array::<Month>()?.into_iter().next())
    }

    /// A reply is being made while its reservation stands, counted as spent or not: only its
    /// settling, or the first sweep a day after its time, removes it.
    fn replying(&self, reply: &str) -> worker::Result<bool> {
        let held: Sum =
            self.sql.exec("SELECT count(*) AS total FROM reservations WHERE reply = ?", vec![reply.into()])?.one()?;
        Ok(held.total > 0)
    }

    /// Synchronous throughout, like [`MeterObject::admit`].
    fn admit_login(&self, body: &LoginAttempt) -> worker::Result<LoginAdmission> {
        #[derive(Deserialize)]
        struct Failures {
            n: i64,
            latest: Option<i64>,
        }
        let now = worker::Date::now().as_millis() as i64;
        self.sweep(now)?;
        let (account, pair) = (account_key(&body.account), pair_key(&body.account, &body.address));
        let address = format!("login:address:{}", body.address);
        let g = body.guard;
        let mut until = now;
        for (key, allowance) in [
            (&pair, g.failures_per_account),
            (&account, g.failures_per_account.saturating_mul(ACCOUNT_WIDE_FACTOR)),
            (&address, g.failures_per_address),
        ] {
            let f: Failures = self
                .sql
                .exec(
                    "SELECT count(*) AS n, max(at) AS latest FROM hits WHERE key = ? AND at > ?",
                    vec![key.as_str().into(), (now - LOGIN_WINDOW_MS).into()],
                )?
                .one()?;
            let failures = u32::try_from(f.n).unwrap_or(u32::MAX);
            if let Some(t) = locked_until(failures, f.latest.unwrap_or(now), allowance, body.guard.lock_ms) {
                until = until.max(t);
            }
        }
        if until > now {
            return Ok(LoginAdmission::Locked { retry_after: retry_after_secs(until, 0, now) });
        }
        let expires = now + LOGIN_WINDOW_MS;
        for key in [&pair, &account] {
            self.sql.exec(
                "INSERT INTO hits (key, at, expires_at) VALUES (?, ?, ?)",
                vec![key.as_str().into(), now.into(), expires.into()],
            )?;
        }
        #[derive(Deserialize)]
        struct Row {
            id: i64,
        }
        let row: Row = self
            .sql
            .exec(
                "INSERT INTO hits (key, at, expires_at) VALUES (?, ?, ?) RETURNING rowid AS id",
                vec![address.as_str().into(), now.into(), expires.into()],
            )?
            .one()?;
        Ok(LoginAdmission::Counted { attempt: row.id })
    }

    /// Seconds until every window of `hits` has room again: 0 if each has room now. One
    /// statement for all the windows (two parameters each, of the 100 a Durable Object's SQL
    /// allows: admissions count three windows at most).
    fn windows(&self, hits: &[Hit], now: i64) -> worker::Result<u32> {
        #[derive(Deserialize)]
        struct Counted {
            i: usize,
            n: i64,
            oldest: Option<i64>,
        }
        if hits.is_empty() {
            return Ok(0);
        }
        let query = (0..hits.len())
            .map(|i| format!("SELECT {i} AS i, count(*) AS n, min(at) AS oldest FROM hits WHERE key = ? AND at > ?"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let bindings =
            hits.iter().flat_map(|h| [h.key.as_str().into(), (now - h.window_ms).into()]).collect::<Vec<_>>();
        let mut wait = 0;
        for w in self.sql.exec(&query, bindings)?.to_array::<Counted>()? {
            let Some(hit) = hits.get(w.i) else { continue };
            if w.n >= i64::from(hit.limit) {
                wait = wait.max(retry_after_secs(w.oldest.unwrap_or(now), hit.window_ms, now));
            }
        }
        Ok(wait)
    }

    fn record(&self, hits: &[Hit], now: i64) -> worker::Result<()> {
        if hits.is_empty() {
            return Ok(());
        }
        let query =
            format!("INSERT INTO hits (key, at, expires_at) VALUES {}", vec!["(?, ?, ?)"; hits.len()].join(", "));
        let bindings = hits
            .iter()
            .flat_map(|h| [h.key.as_str().into(), now.into(), (now + h.window_ms).into()])
            .collect::<Vec<_>>();
        self.sql.exec(&query, bindings)?;
        Ok(())
    }

    /// Deletes hits past their windows and booked reservations past keeping (a day after their
    /// time), if it is time.
    fn sweep(&self, now: i64) -> worker::Result<()> {
        if now < self.swept_at.get().saturating_add(SWEEP_EVERY_MS) {
            return Ok(());
        }
        self.sql.exec("DELETE FROM hits WHERE expires_at <= ?", vec![now.into()])?;
        self.sql.exec(
            "DELETE FROM reservations WHERE booked = 1 AND expires_at <= ?",
            vec![(now - BOOKED_KEPT_MS).into()],
        )?;
        self.swept_at.set(now);
        Ok(())
    }

    /// Counts reservations past their time as spent, at their worst case, once one is due.
    fn book_expired(&self, now: i64) -> worker::Result<()> {
        #[derive(Deserialize)]
        struct Due {
            at: Option<i64>,
        }
        if now < self.reservations_due_at.get() {
            return Ok(());
        }
        self.sql.exec(
            "UPDATE spend SET \
               micros = micros + (SELECT coalesce(sum(r.micros), 0) FROM reservations r \
                 WHERE r.month = spend.month AND r.booked = 0 AND r.expires_at <= ?1), \
               operator_micros = operator_micros + (SELECT coalesce(sum(r.operator_micros), 0) FROM reservations r \
                 WHERE r.month = spend.month AND r.booked = 0 AND r.expires_at <= ?1)",
            vec![now.into()],
        )?;
        self.sql.exec("UPDATE reservations SET booked = 1 WHERE booked = 0 AND expires_at <= ?", vec![now.into()])?;
        let due: Due = self.sql.exec("SELECT min(expires_at) AS at FROM reservations WHERE booked = 0", None)?.one()?;
        self.reservations_due_at.set(due.at.unwrap_or(i64::MAX));
        Ok(())
    }

    /// Releases the reservation and books the real cost to its month. A reservation already
    /// counted as spent at its worst case is replaced by the real cost. A month the meter has
    /// not seen yet starts from D1, which already holds this cost.
    fn settle(&self, body: &Settle) -> worker::Result<()> {
        #[derive(Deserialize)]
        struct Booked {
            month: String,
            micros: i64,
            operator_micros: i64,
        }
        let booked: Option<Booked> = self
            .sql
            .exec(
                "SELECT month, micros, operator_micros FROM reservations WHERE id = ? AND booked = 1",
                vec![body.reservation.as_str().into()],
            )?
            .to_array()?
            .into_iter()
            .next();
        self.sql.exec("DELETE FROM reservations WHERE id = ?", vec![body.reservation.as_str().into()])?;
        if let Some(b) = booked {
            self.sql.exec(
                "UPDATE spend SET micros = max(0, micros - ?), operator_micros = max(0, operator_micros - ?) \
                 WHERE month = ?",
                vec![b.micros.into(), b.operator_micros.into(), b.month.as_str().into()],
            )?;
        }
        self.sql.exec(
            "UPDATE spend SET micros = micros + ?, operator_micros = operator_micros + ? WHERE month = ?",
            vec![db_int(body.cost.owner).into(), db_int(body.cost.operator).into(), body.month.as_str().into()],
        )?;
        Ok(())
    }
}

/// SQLite integers are signed.
fn db_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_locks_grow_with_each_failure_beyond_the_allowance() {
        assert_eq!(locked_until(4, 1_000, 5, 60_000), None);
        assert_eq!(locked_until(5, 1_000, 5, 60_000), Some(61_000));
        assert_eq!(locked_until(6, 1_000, 5, 60_000), Some(121_000));
        assert_eq!(locked_until(8, 1_000, 5, 60_000), Some(481_000));
        assert_eq!(locked_until(90, 1_000, 5, 60_000), Some(1_000 + LOGIN_WINDOW_MS), "never beyond the window");
    }

    #[test]
    fn a_full_window_opens_when_its_oldest_hit_leaves() {
        assert_eq!(retry_after_secs(1_000, 60_000, 1_000), 60);
        assert_eq!(retry_after_secs(1_000, 60_000, 30_500), 31, "rounded up");
        assert_eq!(retry_after_secs(1_000, 60_000, 61_000), 1, "never zero");
    }

    #[test]
    fn replies_start_only_while_spent_and_held_money_is_under_budget() {
        use BudgetCheck::*;
        assert_eq!(budget_check(0, 0, 1_000, 500), Admit);
        assert_eq!(budget_check(400, 500, 1_000, 500), Admit, "under budget: one more reply may overshoot by its cost");
        assert_eq!(budget_check(500, 500, 1_000, 1), Held, "the rest is held by replies in flight");
        assert_eq!(budget_check(1_000, 0, 1_000, 1), Exhausted);
        assert_eq!(budget_check(5_000, 0, 1_000, 0), Admit, "unpriced models are not held back");
        assert_eq!(budget_check(0, 0, 0, 1), Exhausted, "a zero budget allows no priced reply");
    }

    #[test]
    fn a_reply_starts_only_while_budget_and_plan_both_allow() {
        use BudgetCheck::*;
        let m = |owner, operator| Money { owner, operator };
        let caps = m(1_000_000_000, 10_000);
        assert_eq!(reply_check(m(0, 0), m(0, 0), caps, m(500, 500)), Admit);
        assert_eq!(
            reply_check(m(0, 10_000), m(0, 0), caps, m(0, 1)),
            Exhausted,
            "the plan is spent, whatever the budget"
        );
        assert_eq!(
            reply_check(m(0, 10_000), m(0, 0), caps, m(5, 0)),
            Admit,
            "the owner's own key: the plan is not touched"
        );
        assert_eq!(reply_check(m(0, 5_000), m(0, 5_000), caps, m(1, 1)), Held);
        assert_eq!(
            reply_check(m(2_000_000_000, 0), m(0, 0), caps, m(1, 1)),
            Exhausted,
            "the owner's budget still caps"
        );
    }

    #[test]
    fn admissions_have_a_stable_wire_form() {
        let j = serde_json::to_string(&Admission::RateLimited { retry_after: 3 }).unwrap();
        assert_eq!(j, r#"{"outcome":"rate_limited","retry_after":3}"#);
        let back: Admission = serde_json::from_str(r#"{"outcome":"admitted","reservation":null}"#).unwrap();
        assert_eq!(back, Admission::Admitted { reservation: None });
    }
}
