//! Headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`): one
//! chromedriver for the test binary, a fresh browser profile per session, and helpers that
//! reach into the widget's open shadow root the way a user's clicks and keys would.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Driver {
    url: String,
    process: Child,
    profiles: tempfile::TempDir,
}

impl Driver {
    pub fn start() -> Result<Self, String> {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{CHROMEDRIVER}: {e} (install Debian's chromium-driver; dev/setup does)"))?;
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver did not start".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self { url, process, profiles: tempfile::tempdir().map_err(|e| e.to_string())? })
    }

    /// A new browser with an empty profile; `mobile` emulates a 390×844 phone.
    pub async fn session(&self, mobile: bool) -> Result<Page, String> {
        self.session_with(Session { mobile, ..Session::default() }).await
    }

    pub async fn session_with(&self, Session { mobile, traced, before_load }: Session) -> Result<Page, String> {
        let profile = tempfile::tempdir_in(self.profiles.path()).map_err(|e| e.to_string())?.keep();
        let mut options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,800",
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        if mobile {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": true}});
        }
        let mut caps = serde_json::Map::new();
        if before_load {
            caps.insert("pageLoadStrategy".into(), json!("eager"));
        }
        if traced {
            options["perfLoggingPrefs"] =
                json!({"traceCategories": "devtools.timeline,disabled-by-default-devtools.timeline"});
            caps.insert("goog:loggingPrefs".into(), json!({"performance": "ALL"}));
        }
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client =
            ClientBuilder::new(connector).capabilities(caps).connect(&self.url).await.map_err(|e| e.to_string())?;
        Ok(Page { client })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// What kind of browser [`Driver::session_with`] starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Session {
    /// A 390×844 phone instead of a 1280×800 desktop.
    pub mobile: bool,
    /// Records a trace of what its pages' threads run (Chromium's DevTools timeline), read
    /// with [`Page::trace`].
    pub traced: bool,
    /// Navigation returns once the document is parsed (DOMContentLoaded), not after its `load`
    /// event, so a test can look at the page while it is still loading.
    pub before_load: bool,
}

/// One browser session.
pub struct Page {
    pub client: Client,
}

/// JS that finds an element inside the widget's shadow root: `w('.launcher')`.
const W: &str = "const host = document.querySelector('chat-widget'); \
                 const root = host && host.shadowRoot; \
                 const w = (sel) => root && root.querySelector(sel); \
                 const wa = (sel) => root ? Array.from(root.querySelectorAll(sel)) : [];";

impl Page {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Runs `body` (which may use `w(selector)`, `wa(selector)`, `host` and `root`) in the page.
    pub async fn js(&self, body: &str) -> Value {
        let script = format!("{W}\n{body}");
        self.client.execute(&script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{body}"))
    }

    /// Polls `expr` until it is truthy; returns its value.
    pub async fn wait_for(&self, what: &str, expr: &str, timeout: Duration) -> Value {
        let start = Instant::now();
        loop {
            let v = self.js(&format!("return ({expr});")).await;
            if !v.is_null() && v != json!(false) && v != json!("") && v != json!(0) {
                return v;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what} ({expr}); last value {v}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An element inside the widget's shadow root, as a WebDriver element for clicks and keys.
    pub async fn element(&self, selector: &str) -> Element {
        self.wait_for(selector, &format!("w({selector:?})"), Duration::from_secs(15)).await;
        let host = self.client.find(Locator::Css("chat-widget")).await.expect("the widget's host element");
        let root = host.shadow_root().await.expect("an open shadow root");
        root.find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"))
    }

    /// Waits until the launcher shows (the loader draws it before the widget starts).
    pub async fn launcher(&self) -> Element {
        // Not hidden while the loader waits for a first visit's config (a full-screen panel on a
        // phone hides it otherwise, and a test may then not need it).
        let shown = "w('.launcher') && getComputedStyle(w('.launcher')).visibility === 'visible'";
        self.wait_for("the launcher", shown, Duration::from_secs(15)).await;
        self.element(".launcher").await
    }

    /// Waits until the widget itself (the wasm) has started and drawn its panel.
    pub async fn started(&self) {
        self.wait_for("the widget started", "w('.panel')", Duration::from_secs(20)).await;
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// The trace events recorded since the session started or the last call (a traced session
    /// only): Chromium's trace event format, `{name, cat, ph, ts, dur, pid, tid, args}`.
    pub async fn trace(&self) -> Vec<Value> {
        let log = self.client.issue_cmd(PerformanceLog).await.unwrap_or_else(|e| panic!("performance log: {e}"));
        let entries = log.as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e["message"].as_str()?).ok())
            .filter(|m| m["message"]["method"] == "Tracing.dataCollected")
            .map(|m| m["message"]["params"].clone())
            .collect()
    }

    /// Emulates the OS's light or dark scheme (`prefers-color-scheme`) through DevTools.
    pub async fn color_scheme(&self, dark: bool) {
        let params = json!({"media": "", "features": [{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }}]});
        self.client
            .issue_cmd(Cdp { cmd: "Emulation.setEmulatedMedia", params })
            .await
            .unwrap_or_else(|e| panic!("emulating the color scheme: {e}"));
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// ChromeDriver's performance log (`goog:loggingPrefs`), which carries the trace events.
#[derive(Debug)]
struct PerformanceLog;

impl fantoccini::wd::WebDriverCompatibleCommand for PerformanceLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"performance"}"#.to_owned()))
    }
}

/// A DevTools Protocol command, through ChromeDriver's own endpoint for them.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}
