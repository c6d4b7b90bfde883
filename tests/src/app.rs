//! `App::spawn`: a fresh local D1 (migrated, seeded, plus fixtures), the stand-in LLM and
//! `wrangler dev` on free ports. Dropping the app stops them.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::Api;
use crate::db::Db;
use crate::stand_in::StandIn;

/// The provider key the edge is configured with in tests; the stand-in sees it.
pub const LLM_KEY: &str = "sk-test-stand-in-key";
/// The provider key the relay suite's organization (`tests/fixtures/relay.sql`) may use, a
/// worker secret named by the rule of `edge/src/settings.rs`.
pub const RELAY_KEY_SECRET: &str = "LLM_KEY_0193A0000000700080000000000000C1_STANDIN";
pub const RELAY_KEY: &str = "sk-relay-own-provider-key";
/// Short provider timeouts, so the hanging scripts end quickly; still far above the stand-in's pauses.
pub const FIRST_TOKEN_TIMEOUT_MS: u64 = 2_000;
pub const IDLE_TIMEOUT_MS: u64 = 1_000;
/// Test suites share one loopback address, so the default visitor limits are raised to their
/// bounds; the limit tests set their own through a domain's overrides.
const GENEROUS_LIMITS: &str = "LIMIT_MESSAGES_PER_MINUTE_PER_VISITOR=60\nLIMIT_MESSAGES_PER_MINUTE_PER_IP=600\n\
     LIMIT_MESSAGES_PER_MINUTE_PER_DOMAIN=20000\nLIMIT_CONVERSATIONS_PER_HOUR_PER_VISITOR=100\n\
     LIMIT_CONVERSATIONS_PER_HOUR_PER_IP=2000\nLIMIT_CONVERSATIONS_PER_HOUR_PER_DOMAIN=50000\n\
     LIMIT_MESSAGES_PER_CONVERSATION=1000\n";
/// Models the suites' domains run on the edge's own provider besides its default.
const ALLOWED_MODELS: &str = "acme-model,priced-model,costly,@cf/meta/llama-3.1-8b-instruct";
/// The operator's price of the suites' costly model: about a cent a reply. Every other model on
/// the operator's account costs wrangler.toml's PRICE_*; the suites' plan is the largest there is.
const OPERATOR_PRICES: &str = r#"{"costly": [200000000, 200000000]}"#;
const TOKEN_SECRET: &str = "e2e-token-secret-0123456789-abcdefghij";
/// How long the edge may take to come up (it builds the worker first if needed).
const START_TIMEOUT: Duration = Duration::from_secs(300);

pub struct App {
    pub edge: String,
    pub llm: StandIn,
    pub db: Db,
    pub runtime: tokio::runtime::Runtime,
    /// The edge's first answer: how long after `wrangler dev` was started it came, and how long
    /// that one request took (the worker's cold start, with the module loaded for it).
    pub first_answer: (Duration, Duration),
    /// The port of the worker's inspector (DevTools protocol), for [`crate::inspector`].
    pub inspector: u16,
    wrangler: Child,
    _state: tempfile::TempDir,
}

/// A token for the conversation `current` grants, issued `age_days` ago: signed as the edge
/// signs them, with the suites' `TOKEN_SECRET`.
pub fn token_aged(conversation_id: &str, current: &str, age_days: u64) -> String {
    use hmac::{Hmac, Mac};
    let domain = current.split('.').nth(1).expect("a domain id in the token");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let issued = now - age_days * 86_400;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(TOKEN_SECRET.as_bytes()).expect("any key length");
    mac.update(format!("v2:{conversation_id}:{domain}:{issued}").as_bytes());
    format!("v2.{domain}.{issued}.{}", hex::encode(mac.finalize().into_bytes()))
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a command with the project's pinned tools on PATH (dev/env.sh).
fn tool(args: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(format!(". dev/env.sh && exec {args}")).current_dir(root());
    cmd
}

fn run(args: &str) -> Result<(), String> {
    let out = tool(args).stdin(Stdio::null()).output().map_err(|e| format!("{args}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{args} failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// A local D1 database under `persist` migrated in two steps, as a deployed one is: the
/// migrations in `dir`, then `rows` written, then the migrations `later` (copied into `dir`).
pub fn d1_in_steps(dir: &Path, persist: &Path, rows: &str, later: &[PathBuf]) -> Result<Db, String> {
    let config = std::fs::read_to_string(root().join("wrangler.toml")).map_err(|e| e.to_string())?;
    let line = r#"migrations_dir = "edge/migrations""#;
    if !config.contains(line) {
        return Err(format!("wrangler.toml no longer has {line}"));
    }
    let config = config.replace(line, &format!("migrations_dir = {:?}", dir.display().to_string()));
    let config_path = persist.with_extension("wrangler.toml");
    std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
    let rows_path = persist.with_extension("sql");
    std::fs::write(&rows_path, rows).map_err(|e| e.to_string())?;
    let d1 = |args: &str| {
        run(&format!(
            "wrangler --config {} d1 {args} DB --local --persist-to {}",
            config_path.display(),
            persist.display()
        ))
    };
    d1("migrations apply")?;
    d1(&format!("execute --file {}", rows_path.display()))?;
    for m in later {
        let name = m.file_name().ok_or_else(|| format!("{}: no file name", m.display()))?;
        std::fs::copy(m, dir.join(name)).map_err(|e| e.to_string())?;
    }
    d1("migrations apply")?;
    Db::find(persist)
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// What wrangler logs when a port it was given is taken.
pub(crate) const PORT_TAKEN: &str = "Address already in use";

/// Starts `wrangler dev` on free ports with its state in `state`, logging to `state`'s
/// wrangler.log (emptied first), with `flags` besides; the process, the port it serves and its
/// inspector's.
pub(crate) fn start_wrangler(state: &Path, flags: &str) -> Result<(Child, u16, u16), String> {
    let (port, inspector) = (free_port()?, free_port()?);
    let log = std::fs::File::create(state.join("wrangler.log")).map_err(|e| e.to_string())?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = tool(&format!(
        "wrangler dev --local --ip 127.0.0.1 --port {port} --inspector-port {inspector} --persist-to {} \
         --show-interactive-dev-session=false {flags}",
        state.display(),
    ));
    // Its own process group, so stopping it also stops the workerd it starts.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let wrangler =
        cmd.stdin(Stdio::null()).stdout(log).stderr(log2).spawn().map_err(|e| format!("wrangler dev: {e}"))?;
    Ok((wrangler, port, inspector))
}

/// Stops `wrangler` and the workerd it started: asked first, then made to.
pub(crate) fn stop(wrangler: &mut Child) {
    // The negative id addresses the whole process group (wrangler and its workerd).
    let pid = wrangler.id() as libc::pid_t;
    if pid <= 1 {
        return;
    }
    let group = -pid;
    unsafe { libc::kill(group, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = wrangler.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::kill(group, libc::SIGKILL) };
    let _ = wrangler.wait();
}

impl App {
    /// Starts everything. `fixtures` are SQL files under `tests/fixtures/` applied after the demo seed.
    pub fn spawn(fixtures: &[&str]) -> Result<App, String> {
        Self::spawn_with_env(fixtures, &[])
    }

    /// Starts everything, with `env` (name, value) replacing or adding to the test variables.
    pub fn spawn_with_env(fixtures: &[&str], env: &[(&str, &str)]) -> Result<App, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let llm = runtime.block_on(StandIn::start(0, Duration::from_millis(15))).map_err(|e| e.to_string())?;
        let state = tempfile::tempdir().map_err(|e| e.to_string())?;
        let persist = state.path().display().to_string();
        run(&format!("wrangler d1 migrations apply DB --local --persist-to {persist}"))?;
        run(&format!("wrangler d1 execute DB --local --persist-to {persist} --file edge/seeds/demo.sql"))?;
        for f in fixtures {
            run(&format!("wrangler d1 execute DB --local --persist-to {persist} --file tests/fixtures/{f}"))?;
        }
        let env_file = state.path().join("test.env");
        let defaults = format!(
            "TOKEN_SECRET={TOKEN_SECRET}\nLLM_BASE_URL={}\nLLM_MODEL=stand-in\nLLM_API_KEY={LLM_KEY}\n\
             LLM_FIRST_TOKEN_TIMEOUT_MS={FIRST_TOKEN_TIMEOUT_MS}\nLLM_IDLE_TIMEOUT_MS={IDLE_TIMEOUT_MS}\n\
             {RELAY_KEY_SECRET}={RELAY_KEY}\nLLM_ALLOWED_MODELS={ALLOWED_MODELS}\n{GENEROUS_LIMITS}\
             OPERATOR_PRICES={OPERATOR_PRICES}\nPLAN_MONTHLY_CENTS=100000000\nEMBEDDINGS_PROVIDER=\n",
            llm.base_url
        );
        let mut vars: Vec<String> = defaults
            .lines()
            .filter(|l| !env.iter().any(|(k, _)| l.split_once('=').is_some_and(|(name, _)| name == *k)))
            .map(str::to_owned)
            .collect();
        vars.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        std::fs::write(&env_file, vars.join("\n") + "\n").map_err(|e| e.to_string())?;
        let flags = format!("--env-file {} --test-scheduled", env_file.display());
        let (wrangler, port, inspector) = start_wrangler(state.path(), &flags)?;
        let started = Instant::now();
        let db = Db::find(state.path())?;
        let first_answer = (Duration::ZERO, Duration::ZERO);
        let edge = format!("http://127.0.0.1:{port}");
        let mut app = App { edge, llm, db, runtime, first_answer, inspector, wrangler, _state: state };
        // A port found free may be taken before wrangler binds it (wrangler's own servers take
        // ports too): then it starts again on others.
        let mut attempt = 1;
        let took = loop {
            match app.wait_until_up() {
                Err(e) if e.contains(PORT_TAKEN) && attempt < 3 => {
                    stop(&mut app.wrangler);
                    let (wrangler, port, inspector) = start_wrangler(app._state.path(), &flags)?;
                    (app.wrangler, app.edge, app.inspector) = (wrangler, format!("http://127.0.0.1:{port}"), inspector);
                    attempt += 1;
                }
                up => break up?,
            }
        };
        app.first_answer = (started.elapsed(), took);
        Ok(app)
    }

    /// Waits for the edge's first answer; how long that request took.
    fn wait_until_up(&mut self) -> Result<Duration, String> {
        let start = Instant::now();
        let url = format!("{}/healthz", self.edge);
        // Bounded: whatever holds a taken port may never answer.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
        while start.elapsed() < START_TIMEOUT {
            let asked = Instant::now();
            let up = self
                .runtime
                .block_on(async { http.get(&url).send().await.map(|r| r.status().is_success()).unwrap_or(false) });
            if up {
                return Ok(asked.elapsed());
            }
            if let Ok(Some(status)) = self.wrangler.try_wait() {
                return Err(format!("wrangler dev ended ({status}):\n{}", self.wrangler_log()));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!("the edge did not come up within {START_TIMEOUT:?}:\n{}", self.wrangler_log()))
    }

    /// Resident memory of the edge's `workerd` processes now and at their peak, in KiB
    /// (`VmRSS` and `VmHWM` of /proc, summed over the processes `wrangler dev` started).
    /// CPU time the `workerd` processes of this edge have used so far, in milliseconds (user and
    /// system, from /proc): the worker, and locally also D1 and the meter, which on Cloudflare
    /// run outside the worker's own CPU time.
    pub fn workerd_cpu_ms(&self) -> f64 {
        let group = self.wrangler.id().to_string();
        // SAFETY: sysconf only reads a system constant.
        let ticks_per_s = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let mut ticks = 0u64;
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let Some((name, rest)) = stat.split_once(") ") else { continue };
            let fields: Vec<&str> = rest.split(' ').collect();
            if !name.ends_with("(workerd") || fields.get(2) != Some(&group.as_str()) {
                continue;
            }
            // utime and stime: fields 14 and 15 of stat, counted from the state (field 3).
            ticks += fields.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            ticks += fields.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
        ticks as f64 * 1000.0 / ticks_per_s
    }

    pub fn workerd_memory_kib(&self) -> (u64, u64) {
        let group = self.wrangler.id().to_string();
        let mut total = (0, 0);
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let dir = entry.path();
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
            // pid (comm) state ppid pgrp ...: the group is the fifth field, after the name.
            let Some((name, rest)) = stat.split_once(") ") else { continue };
            if !name.ends_with("(workerd") || rest.split(' ').nth(2) != Some(group.as_str()) {
                continue;
            }
            let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
            let kib = |key: &str| -> u64 {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    .unwrap_or(0)
            };
            total = (total.0 + kib("VmRSS:"), total.1 + kib("VmHWM:"));
        }
        total
    }

    pub fn wrangler_log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self._state.path().join("wrangler.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Runs a `dev/` command that writes this app's database file directly, retrying while the
    /// running edge holds the local database's write lock; its standard output.
    fn write_db(&self, command: &str) -> Result<String, String> {
        let persist = self._state.path().display().to_string();
        let mut attempts = 0;
        loop {
            let out = tool(&format!("{command} --persist-to {persist}"))
                .stdin(Stdio::null())
                .output()
                .map_err(|e| e.to_string())?;
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.status.success() {
                return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
            }
            if !stderr.contains("SQLITE_BUSY") || attempts == 5 {
                return Err(format!("{command} failed: {stderr}"));
            }
            attempts += 1;
            std::thread::sleep(Duration::from_millis(200 * attempts));
        }
    }

    /// Creates the organization `slug` unless it exists and mints an API key for it, with the
    /// project's own bootstrap command against this app's database.
    pub fn mint_key(&self, slug: &str) -> Result<String, String> {
        self.bootstrap(&format!("--slug {slug}"))
    }

    /// Runs `dev/bootstrap` with these arguments against this app's database; the key it
    /// printed (nothing with `--no-key`).
    pub fn bootstrap(&self, args: &str) -> Result<String, String> {
        let key = self.write_db(&format!("dev/bootstrap {args}"))?.trim().to_owned();
        if key.starts_with("sk_live_") || (key.is_empty() && args.contains("--no-key")) {
            Ok(key)
        } else {
            Err(format!("dev/bootstrap printed no key: {key:?}"))
        }
    }

    /// Sets the organization's plan (`dev/plan` options, e.g. `--cents 1`) with the operator's command.
    pub fn set_plan(&self, slug: &str, options: &str) -> Result<(), String> {
        self.write_db(&format!("dev/plan --slug {slug} {options}")).map(|_| ())
    }

    /// A site owner's client with this key.
    pub fn admin(&self, key: &str) -> crate::client::Admin {
        crate::client::Admin::new(&self.edge, key)
    }

    /// A client calling from `origin`, as a browser on that site would.
    pub fn api(&self, origin: &str) -> Api {
        Api::new(&self.edge, Some(origin))
    }

    /// A client that sends no `Origin` at all (curl, a server).
    pub fn api_without_origin(&self) -> Api {
        Api::new(&self.edge, None)
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        stop(&mut self.wrangler);
    }
}
