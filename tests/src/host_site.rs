//! A customer's website for the browser tests: the demo page (`index.html` with its hostile
//! CSS and strict CSP, pointed at the test edge) and variants of it, served over real HTTP on
//! another origin than the edge. Reached as `http://localhost:PORT` it is the demo tenant's
//! registered site; as `http://127.0.0.2:PORT` a site nobody registered; as
//! `http://127.0.0.3:PORT` the demo tenant's second site, which asks for leads first; as
//! `http://127.0.0.4:PORT` its third, which allows a visitor one message a minute; as
//! `http://127.0.0.6:PORT` its fourth, whose knowledge holds a crawled page.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::app::root;

pub struct HostSite {
    pub port: u16,
}

type Pages = Arc<HashMap<String, (&'static str, String)>>;

impl HostSite {
    /// Serves the demo page and its variants for the edge at `edge` (e.g. `http://127.0.0.1:1234`).
    pub async fn start(edge: &str) -> std::io::Result<Self> {
        let read = |name: &str| std::fs::read_to_string(root().join(name));
        let index = read("index.html")?.replace("http://127.0.0.1:8787", edge);
        let css = read("demo.css")?;
        let tag = r#"<script src="EDGE/v1/widget.js?site=site_demo_localhost" async></script>"#.replace("EDGE", edge);
        assert!(index.contains(&tag), "index.html no longer has the expected script tag");
        let with_tag = |new_tag: &str| index.replace(&tag, new_tag);
        let hostile_start = css.find("/* ===== HOSTILE CSS: begins").unwrap_or(css.len());
        let mut pages: HashMap<String, (&'static str, String)> = HashMap::new();
        let html = "text/html; charset=utf-8";
        pages.insert("/".into(), (html, index.clone()));
        pages.insert("/demo.css".into(), ("text/css", css.clone()));
        // The same page without the hostile rules, to compare the widget's computed styles.
        pages.insert("/calm.css".into(), ("text/css", css[..hostile_start].to_owned()));
        pages.insert("/calm.html".into(), (html, index.replace("demo.css", "calm.css")));
        // The static loader with the site in `data-site`, the tag pasted before /v1/widget.js.
        let static_tag = format!(r#"<script src="{edge}/widget.js" data-site="site_demo_localhost" async></script>"#);
        pages.insert("/static-tag.html".into(), (html, with_tag(&static_tag)));
        // The page without the widget, to show the widget changes nothing of the page.
        pages.insert("/bare.html".into(), (html, with_tag("")));
        pages.insert(
            "/de.html".into(),
            (
                html,
                with_tag(&tag.replace(
                    " async",
                    r##" data-lang="de" data-position="bottom-left" data-color="#7c3aed" data-open async"##,
                )),
            ),
        );
        // A right-to-left site with the English widget, and the Arabic widget on the usual page.
        let rtl = index.replace(r#"<html lang="en">"#, r#"<html dir="rtl" lang="ar">"#);
        assert_ne!(rtl, index, "index.html no longer starts with <html lang=\"en\">");
        pages.insert("/rtl.html".into(), (html, rtl));
        pages.insert("/ar.html".into(), (html, with_tag(&tag.replace(" async", r#" data-lang="ar" async"#))));
        // Long pages that zoom or transform their <body> (a transform makes <body> the box that
        // fixed elements are placed in); the rule comes in a stylesheet, as the CSP wants.
        for (name, rule) in [("zoom", "body { zoom: 1.2; }"), ("transform", "body { transform: translateX(0); }")] {
            let sheet = format!("{css}\n{rule}\nmain {{ min-height: 3000px; }}\n");
            pages.insert(format!("/{name}.css"), ("text/css", sheet));
            let page = index.replace(r#"href="demo.css""#, &format!(r#"href="{name}.css""#));
            pages.insert(format!("/{name}.html"), (html, page));
        }
        // A page without <meta name="viewport">: phones lay it out 980 px wide and show it shrunk.
        let meta = r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#;
        assert!(index.contains(meta), "index.html no longer has the expected viewport tag");
        pages.insert("/no-viewport.html".into(), (html, index.replace(meta, "")));
        pages.insert("/spa.js".into(), ("text/javascript", SPA_SCRIPT.to_owned()));
        // Calls queued before the loader ran, a listener, the tag twice, and a page that swaps
        // its <body> the way Turbo does.
        pages.insert("/spa.html".into(), (html, with_tag(&format!(r#"<script src="/spa.js"></script>{tag}{tag}"#))));
        // The demo organization's second site, which asks for an email first (fixtures/widget.sql).
        pages.insert(
            "/leads-first.html".into(),
            (html, with_tag(&tag.replace("site_demo_localhost", "site_leads_first"))),
        );
        // The demo organization's third site, with a strict visitor limit (fixtures/widget.sql).
        pages
            .insert("/strict.html".into(), (html, with_tag(&tag.replace("site_demo_localhost", "site_strict_limits"))));
        // The demo organization's fourth site, whose knowledge holds a page (fixtures/widget.sql).
        pages.insert(
            "/knowledge.html".into(),
            (html, with_tag(&tag.replace("site_demo_localhost", "site_with_knowledge"))),
        );
        // The demo page with a script that holds its `load` event back (see SLOW_SCRIPT_MS).
        pages.insert("/slow.js".into(), ("text/javascript", String::new()));
        pages.insert(
            "/late-load.html".into(),
            (html, with_tag(&format!(r#"<script src="/slow.js" async></script>{tag}"#))),
        );
        // The demo page with a probe that times the widget's start (see bench-widget).
        // Inline in the head before the stylesheet, so the probe neither waits for a
        // fetch nor makes the parser wait for the stylesheet (a script after a pending
        // stylesheet blocks parsing until it loads), which would delay the tag's request; the
        // page's CSP allows it by its hash.
        let hash = STANDARD.encode(Sha256::digest(BENCH_SCRIPT.as_bytes()));
        let csp = "script-src 'self'";
        assert!(index.contains(csp), "index.html's CSP no longer has {csp}");
        let sheet = r#"<link rel="stylesheet""#;
        assert!(index.contains(sheet), "index.html no longer links a stylesheet");
        let bench = index.replace(csp, &format!("{csp} 'sha256-{hash}'")).replacen(
            sheet,
            &format!("<script>{BENCH_SCRIPT}</script>{sheet}"),
            1,
        );
        pages.insert("/bench.html".into(), (html, bench));
        let pages: Pages = Arc::new(pages);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let unregistered = TcpListener::bind(("127.0.0.2", port)).await?;
        let leads_first = TcpListener::bind(("127.0.0.3", port)).await?;
        let strict = TcpListener::bind(("127.0.0.4", port)).await?;
        let with_knowledge = TcpListener::bind(("127.0.0.6", port)).await?;
        for l in [listener, unregistered, leads_first, strict, with_knowledge] {
            let pages = pages.clone();
            tokio::spawn(async move {
                while let Ok((socket, _)) = l.accept().await {
                    tokio::spawn(serve(socket, pages.clone()));
                }
            });
        }
        Ok(Self { port })
    }

    /// The registered demo site.
    pub fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    /// The same pages on an origin no organization registered.
    pub fn unregistered_url(&self, path: &str) -> String {
        format!("http://127.0.0.2:{}{path}", self.port)
    }

    /// The origin of the demo organization's leads-first site.
    pub fn leads_first_url(&self, path: &str) -> String {
        format!("http://127.0.0.3:{}{path}", self.port)
    }

    /// The origin of the demo organization's site with a strict visitor limit.
    pub fn strict_url(&self, path: &str) -> String {
        format!("http://127.0.0.4:{}{path}", self.port)
    }

    /// The origin of the demo organization's site whose knowledge holds a page.
    pub fn knowledge_url(&self, path: &str) -> String {
        format!("http://127.0.0.6:{}{path}", self.port)
    }
}

/// Runs before the widget's tag: queues calls the loader must replay, and records events.
const SPA_SCRIPT: &str = r#"
window.widgetEvents = [];
function record(name) {
  return function (m) { window.widgetEvents.push(m ? m.role + ':' + m.text : name); };
}
window.ChatWidget = [
  ['on', 'open', record('open')],
  ['on', 'close', record('close')],
  ['on', 'message', record('message')],
  ['open'],
];
// What Turbo does on a visit: keep a snapshot of the page, push a URL and replace <body> with
// the next page's.
var snapshot;
window.navigateLikeTurbo = function () {
  snapshot = document.body.cloneNode(true);
  history.pushState({}, '', '/spa.html?page=2');
  var next = document.createElement('body');
  next.innerHTML = '<main><h1>Second page</h1><p>Swapped in without a reload.</p></main>';
  document.documentElement.replaceChild(next, document.body);
};
// And on Back: the snapshot's <body> comes back in place of the current one.
window.backLikeTurbo = function () {
  history.replaceState({}, '', '/spa.html');
  document.body.replaceWith(snapshot);
};
"#;

/// Records, in ms since navigation start: `drawn`, when the launcher is in the shadow root and
/// visible, and `launcher`, the frame that shows it. On `?click` it clicks the launcher the moment it is
/// drawn (`clicked`) and records when the open panel has its greeting and input (`interactive`).
const BENCH_SCRIPT: &str = r#"
window.bench = {};
var click = location.search.indexOf('click') >= 0;
new MutationObserver(function (_, seen) {
  var host = document.querySelector('chat-widget');
  if (!host || !host.shadowRoot) return;
  seen.disconnect();
  var root = host.shadowRoot;
  var watch = new MutationObserver(check);
  watch.observe(root, { childList: true, subtree: true, attributes: true });
  function check() {
    var launcher = root.querySelector('.launcher');
    if (launcher && launcher.checkVisibility({ visibilityProperty: true }) && bench.drawn === undefined) {
      bench.drawn = performance.now();
      requestAnimationFrame(function () { bench.launcher = performance.now(); });
      if (!click) return watch.disconnect();
      bench.clicked = performance.now();
      launcher.click();
    }
    var panel = root.querySelector('.panel');
    if (bench.clicked !== undefined && panel && !panel.hidden && root.querySelector('textarea') && root.querySelector('.greeting')) {
      bench.interactive = performance.now();
      watch.disconnect();
    }
  }
  check();
}).observe(document.documentElement, { childList: true, subtree: true });
"#;

/// How long `/slow.js` takes to arrive, holding back the `load` event of `/late-load.html`.
pub const SLOW_SCRIPT_MS: u64 = 3_000;

async fn serve(mut socket: TcpStream, pages: Pages) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    if path == "/slow.js" {
        tokio::time::sleep(std::time::Duration::from_millis(SLOW_SCRIPT_MS)).await;
    }
    let (status, content_type, body) = match pages.get(path) {
        Some((ct, body)) => ("200 OK", *ct, body.as_str()),
        None => ("404 Not Found", "text/plain", "not found"),
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(resp.as_bytes()).await?;
    socket.shutdown().await
}
