//! The widget in a real browser: headless Chromium loads the demo host page (hostile CSS,
//! strict CSP) from its own origin; the page's one script tag loads the widget from the real
//! edge under `wrangler dev`, which answers through the scripted stand-in LLM and stores in D1.
//! Screenshots of the widget land in `tests/artifacts/screenshots/` (the path is printed).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::app::token_aged;
use e2e::browser::{Driver, Page, Session};
use e2e::host_site::HostSite;
use e2e::stand_in::{default_reply, long_reply};
use e2e::App;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};

const DEMO_ORG: &str = "0193a000-0000-7000-8000-000000000001";
const WAIT: Duration = Duration::from_secs(20);

struct Ctx {
    app: App,
    site: HostSite,
    driver: Driver,
    shots: PathBuf,
}

type Test = fn(&Ctx);

fn main() {
    let mut args = Arguments::from_args();
    // One browser at a time: two cores, and timing-sensitive checks.
    args.test_threads = Some(1);
    let tests: Vec<(&str, Test)> = vec![
        (
            "the_loader_draws_the_launcher_before_load_and_the_widget_starts_when_idle_after_it",
            the_loader_draws_the_launcher_before_load_and_the_widget_starts_when_idle_after_it,
        ),
        ("a_click_before_the_widget_is_ready_opens_the_panel", a_click_before_the_widget_is_ready_opens_the_panel),
        (
            "the_tag_to_paste_brings_the_launchers_look_and_the_older_tag_asks_for_it",
            the_tag_to_paste_brings_the_launchers_look_and_the_older_tag_asks_for_it,
        ),
        (
            "keyboard_focus_on_the_launcher_starts_the_widget_in_place",
            keyboard_focus_on_the_launcher_starts_the_widget_in_place,
        ),
        (
            "a_visitor_opens_the_chat_and_sees_the_reply_stream_in",
            a_visitor_opens_the_chat_and_sees_the_reply_stream_in,
        ),
        (
            "the_conversation_survives_a_reload_until_a_new_one_is_started",
            the_conversation_survives_a_reload_until_a_new_one_is_started,
        ),
        (
            "html_in_a_reply_stays_text_and_markdown_is_rendered_safely",
            html_in_a_reply_stays_text_and_markdown_is_rendered_safely,
        ),
        (
            "hostile_page_css_does_not_reach_the_widget_and_widget_css_does_not_leak",
            hostile_page_css_does_not_reach_the_widget_and_widget_css_does_not_leak,
        ),
        (
            "keyboard_enter_sends_shift_enter_breaks_escape_closes",
            keyboard_enter_sends_shift_enter_breaks_escape_closes,
        ),
        ("a_phone_gets_a_full_screen_panel_with_a_large_input", a_phone_gets_a_full_screen_panel_with_a_large_input),
        ("an_unregistered_site_shows_chat_unavailable", an_unregistered_site_shows_chat_unavailable),
        (
            "queued_calls_replay_events_fire_and_spa_navigation_keeps_one_widget",
            queued_calls_replay_events_fire_and_spa_navigation_keeps_one_widget,
        ),
        ("a_failed_reply_offers_retry_and_stop_ends_a_stream", a_failed_reply_offers_retry_and_stop_ends_a_stream),
        (
            "a_visitor_over_the_limit_is_told_politely_and_keeps_the_text",
            a_visitor_over_the_limit_is_told_politely_and_keeps_the_text,
        ),
        ("a_closed_panel_counts_unread_replies", a_closed_panel_counts_unread_replies),
        (
            "leads_and_feedback_are_stored_for_the_sites_organization",
            leads_and_feedback_are_stored_for_the_sites_organization,
        ),
        ("a_reply_cites_its_sources_as_safe_links", a_reply_cites_its_sources_as_safe_links),
        (
            "script_tag_attributes_choose_language_position_and_colour",
            script_tag_attributes_choose_language_position_and_colour,
        ),
        ("a_site_that_wants_leads_first_asks_before_the_chat", a_site_that_wants_leads_first_asks_before_the_chat),
        (
            "the_widget_takes_its_direction_from_its_language_not_the_page",
            the_widget_takes_its_direction_from_its_language_not_the_page,
        ),
        ("a_zoomed_or_transformed_body_keeps_the_panel_in_view", a_zoomed_or_transformed_body_keeps_the_panel_in_view),
        (
            "a_phone_page_without_a_viewport_tag_gets_a_readable_full_screen_panel",
            a_phone_page_without_a_viewport_tag_gets_a_readable_full_screen_panel,
        ),
        (
            "a_body_snapshot_restored_like_turbo_leaves_one_widget",
            a_body_snapshot_restored_like_turbo_leaves_one_widget,
        ),
    ];
    let ctx = if args.list { None } else { Some(start()) };
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            let ctx = ctx.clone();
            Trial::test(name, move || {
                let ctx = ctx.as_deref().ok_or_else(|| Failed::from("no app"))?;
                test(ctx);
                ctx.app.db.assert_invariants();
                Ok(())
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(ctx) = &ctx {
        println!("screenshots: {}", ctx.shots.display());
        if conclusion.has_failed() {
            eprintln!("--- wrangler dev log ---\n{}", ctx.app.wrangler_log());
        }
    }
    // Stops wrangler and chromedriver: `exit` runs no destructors.
    drop(ctx);
    conclusion.exit();
}

fn start() -> std::sync::Arc<Ctx> {
    let started = App::spawn(&["widget.sql"]).and_then(|app| {
        let site = app.block_on(HostSite::start(&app.edge)).map_err(|e| e.to_string())?;
        let driver = Driver::start()?;
        Ok((app, site, driver))
    });
    match started {
        Ok((app, site, driver)) => {
            let shots = e2e::app::root().join("tests/artifacts/screenshots");
            let _ = std::fs::create_dir_all(&shots);
            let shots = shots.canonicalize().unwrap_or(shots);
            std::sync::Arc::new(Ctx { app, site, driver, shots })
        }
        Err(e) => {
            eprintln!("could not start: {e}");
            std::process::exit(1);
        }
    }
}

impl Ctx {
    fn page(&self, mobile: bool) -> Page {
        self.app.block_on(self.driver.session(mobile)).unwrap_or_else(|e| panic!("browser session: {e}"))
    }

    /// A browser whose navigation returns before the page's `load` event.
    fn early_page(&self, mobile: bool) -> Page {
        let session = Session { mobile, before_load: true, ..Session::default() };
        self.app.block_on(self.driver.session_with(session)).unwrap_or_else(|e| panic!("browser session: {e}"))
    }

    /// Where the screenshot `name` of a desktop or a phone session goes.
    fn shot(&self, name: &str, mobile: bool) -> PathBuf {
        self.shots.join(format!("{name}-{}.png", if mobile { "mobile" } else { "desktop" }))
    }
}

/// Where the widget keeps the demo site's conversation and its token.
const SESSION_KEY: &str = "chat-widget:site_demo_localhost:session";

/// The conversation id the widget keeps in the site's localStorage.
async fn conversation_id(page: &Page) -> String {
    let v = page
        .wait_for("a stored session", "localStorage.getItem('chat-widget:site_demo_localhost:session')", WAIT)
        .await;
    let session: Value = serde_json::from_str(v.as_str().unwrap_or_default()).expect("session JSON");
    session["conversation_id"].as_str().expect("conversation_id").to_owned()
}

/// Opens the panel with a click on the launcher, unless it is open already (an open panel
/// stays open across the site's pages).
async fn open_panel(page: &Page) {
    let launcher = page.launcher().await;
    // Before the widget has started there is no panel; a click then opens it once it has.
    if page.js("return !w('.panel') || w('.panel').hidden").await == json!(true) {
        launcher.click().await.expect("click the launcher");
    }
    page.wait_for("the open panel", "w('.panel') && !w('.panel').hidden && w('textarea')", WAIT).await;
}

async fn type_and_send(page: &Page, text: &str) {
    let input = page.element("textarea").await;
    input.send_keys(text).await.expect("typing");
    input.send_keys(&Key::Enter).await.expect("Enter");
}

const LAST_REPLY: &str = "(wa('.msg.assistant:not(.greeting)').pop() || {})";

async fn wait_reply_done(page: &Page) -> String {
    page.wait_for(
        "a finished reply",
        &format!("{LAST_REPLY}.getAttribute && {LAST_REPLY}.getAttribute('aria-busy') === 'false' && {LAST_REPLY}.querySelector('.md').textContent"),
        WAIT,
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

fn a_visitor_opens_the_chat_and_sees_the_reply_stream_in(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        // The page's query and fragment (a reset link, a sign-in token) never reach the edge.
        page.goto(&ctx.site.url("/?reset_token=s3cret#access_token=t0k3n")).await;
        page.started().await;
        assert_eq!(page.js("return w('.panel').hidden").await, json!(true), "the panel starts closed");
        page.screenshot(&ctx.shots.join("desktop-closed.png")).await;
        open_panel(&page).await;
        let greeting = page.js("return w('.greeting').textContent").await;
        assert_eq!(greeting, json!("Hi! Ask me anything about Demo Company."));
        let starters = page.js("return wa('.starters button').map(b => b.textContent)").await;
        assert_eq!(starters, json!(["What do you sell?", "How do I contact support?"]));

        let question = "Do you sell rakes? [[slow]]";
        type_and_send(&page, question).await;
        // Until the first token the reply shows a typing indicator; then the text grows.
        page.wait_for("the typing indicator", &format!("{LAST_REPLY}.querySelector && {LAST_REPLY}.querySelector('.typing')"), WAIT).await;
        let mut seen = Vec::new();
        let start = Instant::now();
        loop {
            let v = page.js(&format!("const r = {LAST_REPLY}; return [r.querySelector('.md').textContent, r.getAttribute('aria-busy')];")).await;
            let text = v[0].as_str().unwrap_or_default().to_owned();
            if seen.last() != Some(&text) {
                seen.push(text);
            }
            if v[1] == json!("false") || start.elapsed() > WAIT {
                break;
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        let expected = default_reply(question);
        assert_eq!(seen.last(), Some(&expected), "the whole reply arrives");
        let partial = seen.iter().filter(|t| !t.is_empty() && **t != expected).count();
        assert!(partial >= 4, "the reply appears token by token, saw only {partial} partial states: {seen:?}");
        assert!(seen.windows(2).all(|w| w[1].starts_with(&w[0])), "text only grows: {seen:?}");
        assert_eq!(page.js("return w('textarea').value").await, json!(""), "the composer is emptied");
        page.screenshot(&ctx.shots.join("desktop-open.png")).await;

        let conversation = conversation_id(&page).await;
        let rows = ctx.app.db.rows(
            "SELECT role, content, status, organization_id FROM messages WHERE conversation_id = ?1 ORDER BY created_at",
            &[&conversation],
        );
        assert_eq!(
            rows,
            vec![
                vec!["user".to_owned(), question.to_owned(), "complete".to_owned(), DEMO_ORG.to_owned()],
                vec!["assistant".to_owned(), expected, "complete".to_owned(), DEMO_ORG.to_owned()],
            ]
        );
        let page_url = ctx.app.db.rows("SELECT page_url FROM conversations WHERE id = ?1", &[&conversation]);
        assert_eq!(page_url, vec![vec![ctx.site.url("/")]], "origin and path only");
    });
    ctx.app.block_on(page.close());
}

/// When the page requested the widget's core (ms since navigation start; null: not yet), its
/// `load` event (0: not yet), and whether it is still loading. Resource timing lists a request
/// once it has ended, with the time it started.
const TIMELINE: &str = "const nav = performance.getEntriesByType('navigation')[0];
    const core = performance.getEntriesByType('resource').filter((e) => e.name.includes('widget-core')).map((e) => e.startTime);
    return {core: core.length ? Math.min(...core) : null, load: nav.loadEventEnd, loading: document.readyState !== 'complete'};";

/// The launcher as the loader drew it: what a visitor and a screen reader see of it, and
/// whether the widget (its panel) has started.
const LAUNCHER: &str = "const b = w('.launcher'), r = b.getBoundingClientRect(), s = getComputedStyle(b);
    return {name: b.getAttribute('aria-label'), expanded: b.getAttribute('aria-expanded'), tag: b.tagName,
            box: [r.right, r.bottom, r.width, r.height], colours: [s.backgroundColor, s.color], started: !!w('.panel')};";

/// `/late-load.html` holds its `load` event back for a few seconds (a slow script): the loader
/// has drawn the launcher long before, and nothing of the widget's core is requested until
/// `load`; then, with nobody touching the page, the widget starts when the browser is idle and
/// takes the launcher over without a pixel changing.
fn the_loader_draws_the_launcher_before_load_and_the_widget_starts_when_idle_after_it(ctx: &Ctx) {
    for mobile in [false, true] {
        let page = ctx.early_page(mobile);
        ctx.app.block_on(async {
            page.goto(&ctx.site.url("/late-load.html")).await;
            page.launcher().await;
            let before = page.js(LAUNCHER).await;
            assert_eq!(
                page.js(TIMELINE).await,
                json!({"core": null, "load": 0, "loading": true}),
                "mobile: {mobile}: the launcher is drawn while the page loads, and nothing of the widget is fetched"
            );
            assert_eq!(before["name"], json!("Open chat"));
            assert_eq!(before["expanded"], json!("false"));
            assert_eq!(before["tag"], json!("BUTTON"));
            assert_eq!(before["started"], json!(false));
            let before_shot = ctx.shot("launcher-before-the-widget", mobile);
            page.screenshot(&before_shot).await;
            // The launcher's own pixels: the page around it may change (a phone's overlay
            // scrollbar fades in and out), the launcher may not.
            let drawn_by_loader = page.launcher().await.screenshot().await.expect("the launcher's pixels");

            page.started().await;
            let timeline = page.js(TIMELINE).await;
            let (core, load) =
                (timeline["core"].as_f64().unwrap_or(0.0), timeline["load"].as_f64().unwrap_or(f64::MAX));
            assert!(core >= load, "the core was requested after load: {timeline}");
            assert!(load >= e2e::host_site::SLOW_SCRIPT_MS as f64, "{timeline}");
            let after = page.js(LAUNCHER).await;
            let mut expected = before.clone();
            expected["started"] = json!(true);
            assert_eq!(after, expected, "mobile: {mobile}: the widget keeps the launcher as the loader drew it");
            let after_shot = ctx.shot("launcher-after-the-widget", mobile);
            page.screenshot(&after_shot).await;
            let drawn_by_widget = page.launcher().await.screenshot().await.expect("the launcher's pixels");
            assert!(
                drawn_by_loader == drawn_by_widget,
                "the widget drew the launcher otherwise than the loader: compare {} with {}",
                before_shot.display(),
                after_shot.display()
            );
        });
        ctx.app.block_on(page.close());
    }
}

/// The tag the console gives (`/v1/widget.js?site=…`) comes with the launcher's look, so a first
/// visit draws it without asking the edge again; the older tag (`/widget.js` with `data-site`)
/// asks for the look and draws the very same launcher. With either, the page's own timing (what
/// page-speed tools read) sees how long the script took, though it comes from another origin.
fn the_tag_to_paste_brings_the_launchers_look_and_the_older_tag_asks_for_it(ctx: &Ctx) {
    const ASKED: &str =
        "return performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/widget/look')).length";
    // A script from another origin shows only its start and end, unless it allows the page more.
    const TIMED: &str = "return performance.getEntriesByType('resource')
        .filter((e) => /\\/widget\\.js/.test(e.name)).map((e) => e.requestStart > 0 && e.responseStart > 0)";
    let mut drawn = Vec::new();
    for path in ["/", "/static-tag.html"] {
        let page = ctx.early_page(false);
        ctx.app.block_on(async {
            page.goto(&ctx.site.url(path)).await;
            let pixels = page.launcher().await.screenshot().await.expect("the launcher's pixels");
            assert_eq!(page.js(TIMED).await, json!([true]), "{path}: the script's timing, for the page");
            let launcher = page.js(LAUNCHER).await;
            assert_eq!(
                launcher["colours"],
                json!(["rgb(15, 118, 110)", "rgb(255, 255, 255)"]),
                "{path}: the site's colours"
            );
            drawn.push((page.js(ASKED).await, launcher, pixels));
        });
        ctx.app.block_on(page.close());
    }
    let ((pasted_asked, pasted, pasted_pixels), (older_asked, older, older_pixels)) = (&drawn[0], &drawn[1]);
    assert_eq!((pasted_asked, older_asked), (&json!(0), &json!(1)), "only the older tag asks for the look");
    assert_eq!(pasted, older);
    assert!(pasted_pixels == older_pixels, "both tags draw the same launcher");
}

/// A visitor who clicks the launcher while the page is still loading gets the panel as soon as
/// the widget is ready: the click starts it and is not lost.
fn a_click_before_the_widget_is_ready_opens_the_panel(ctx: &Ctx) {
    let page = ctx.early_page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/late-load.html")).await;
        let launcher = page.launcher().await;
        assert_eq!(page.js(TIMELINE).await["core"], Value::Null);
        launcher.click().await.expect("click the launcher");
        assert_eq!(page.js(LAUNCHER).await["started"], json!(false), "clicked before the widget was ready");
        page.wait_for("the open panel", "w('.panel') && !w('.panel').hidden && w('textarea')", WAIT).await;
        page.wait_for("focus in the input", "root.activeElement === w('textarea')", WAIT).await;
        let timeline = page.js(TIMELINE).await;
        assert_eq!(timeline["load"], json!(0), "the click started the widget before load: {timeline}");
        assert_eq!(page.js("return w('.launcher').getAttribute('aria-expanded')").await, json!("true"));
    });
    ctx.app.block_on(page.close());
}

/// Tabbing to the launcher starts the widget at once; it takes the launcher over in place, so
/// focus stays on it, and Enter opens the panel.
fn keyboard_focus_on_the_launcher_starts_the_widget_in_place(ctx: &Ctx) {
    let page = ctx.early_page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/late-load.html")).await;
        page.launcher().await;
        for _ in 0..10 {
            if page.js("return root.activeElement === w('.launcher')").await == json!(true) {
                break;
            }
            press(&page, Key::Tab).await;
        }
        assert_eq!(
            page.js("return root.activeElement === w('.launcher')").await,
            json!(true),
            "Tab reaches the launcher"
        );
        page.started().await;
        let timeline = page.js(TIMELINE).await;
        assert!(
            timeline["core"].is_number() && timeline["load"] == json!(0),
            "focus started it before load: {timeline}"
        );
        assert_eq!(page.js("return root.activeElement === w('.launcher')").await, json!(true), "focus stays");
        assert_eq!(page.js("return w('.panel').hidden").await, json!(true), "focus alone does not open the panel");
        page.client.active_element().await.expect("focus").send_keys(&Key::Enter).await.expect("Enter");
        page.wait_for(
            "focus in the open panel's input",
            "!w('.panel').hidden && root.activeElement === w('textarea')",
            WAIT,
        )
        .await;
    });
    ctx.app.block_on(page.close());
}

/// A key pressed on the keyboard, wherever focus is.
async fn press(page: &Page, key: Key) {
    let key = char::from(key);
    let press =
        KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    page.client.perform_actions(press).await.expect("a key press");
}

fn the_conversation_survives_a_reload_until_a_new_one_is_started(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/")).await;
        open_panel(&page).await;
        type_and_send(&page, "first question").await;
        wait_reply_done(&page).await;
        type_and_send(&page, "second question").await;
        wait_reply_done(&page).await;
        let before = conversation_id(&page).await;

        // Another page of the same site: the panel is still open and the history is back.
        page.goto(&ctx.site.url("/?page=about")).await;
        let texts = page
            .wait_for("the restored history", "wa('.msg.user, .msg.assistant:not(.greeting) .md').length === 4 && wa('.msg.user, .msg.assistant:not(.greeting) .md').map(m => m.textContent)", WAIT)
            .await;
        let you = "You: ";
        assert_eq!(
            texts,
            json!([
                format!("{you}first question"),
                default_reply("first question"),
                format!("{you}second question"),
                default_reply("second question"),
            ])
        );
        assert_eq!(page.js("return w('.panel').hidden").await, json!(false), "an open panel stays open across pages");
        assert_eq!(conversation_id(&page).await, before);

        // "New conversation" empties the panel; the next message opens a new conversation.
        page.element("button[aria-label='New conversation']").await.click().await.expect("click");
        page.wait_for("an empty transcript", "wa('.msg.user').length === 0", WAIT).await;
        type_and_send(&page, "a fresh start").await;
        wait_reply_done(&page).await;
        let after = conversation_id(&page).await;
        assert_ne!(after, before);
        let count = ctx.app.db.int("SELECT count(*) FROM messages WHERE conversation_id = ?1", &[&before]);
        assert_eq!(count, 4, "the old conversation is kept on the edge");

        // A visitor back after the token expired starts afresh, with no error on screen.
        let stored: Value = page.js(&format!("return localStorage.getItem('{SESSION_KEY}')")).await;
        let session: Value = serde_json::from_str(stored.as_str().unwrap_or_default()).expect("session JSON");
        let expired = token_aged(&after, session["token"].as_str().expect("a token"), 91);
        let session = json!({"conversation_id": after, "token": expired}).to_string();
        page.js(&format!("localStorage.setItem('{SESSION_KEY}', {}); return true", json!(session))).await;
        page.goto(&ctx.site.url("/?page=later")).await;
        page.wait_for("the greeting alone", "w('.greeting') && wa('.msg.user').length === 0", WAIT).await;
        page.wait_for("the expired session forgotten", &format!("localStorage.getItem('{SESSION_KEY}') === null"), WAIT).await;
        assert_eq!(page.js("return w('.alert') === null").await, json!(true), "no error is shown");
        type_and_send(&page, "back again").await;
        wait_reply_done(&page).await;
        assert_ne!(conversation_id(&page).await, after, "a new conversation");
    });
    ctx.app.block_on(page.close());
}

fn html_in_a_reply_stays_text_and_markdown_is_rendered_safely(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/")).await;
        open_panel(&page).await;
        let payload = r#"<img src=x onerror="window.pwned=1"> **bold** [site](https://example.com/a) [bad](javascript:window.pwned=2) <script>window.pwned=3</script>"#;
        type_and_send(&page, payload).await;
        let text = wait_reply_done(&page).await;
        assert!(text.contains(r#"<img src=x onerror="window.pwned=1">"#), "the HTML shows as text: {text}");
        assert!(text.contains("<script>window.pwned=3</script>"), "{text}");
        let dom = page
            .js(&format!(
                "const r = {LAST_REPLY}; return {{
                    imgs: root.querySelectorAll('img, script, iframe').length,
                    strong: Array.from(r.querySelectorAll('strong')).map(s => s.textContent),
                    links: Array.from(r.querySelectorAll('a')).map(a => [a.getAttribute('href'), a.target, a.rel, a.textContent]),
                    pwned: window.pwned === undefined ? null : window.pwned,
                }};"
            ))
            .await;
        assert_eq!(dom["imgs"], json!(0), "no element comes from the reply's HTML");
        assert_eq!(dom["strong"], json!(["bold"]));
        assert_eq!(dom["links"], json!([["https://example.com/a", "_blank", "noopener noreferrer nofollow", "site"]]));
        assert_eq!(dom["pwned"], Value::Null, "nothing in the reply ran");
        // The visitor's own message is shown as typed, not as HTML either.
        let mine = page.js("return wa('.msg.user').pop().textContent").await;
        assert_eq!(mine, json!(format!("You: {payload}")));
    });
    ctx.app.block_on(page.close());
}

/// Computed styles of the widget's parts and of the page's own elements.
const STYLES: &str = "const cs = (el, props) => { const s = getComputedStyle(el); return props.map(p => s.getPropertyValue(p)); };
    const props = ['font-size', 'color', 'font-family', 'line-height', 'width', 'height', 'padding-top', 'background-color', 'display'];
    return {
        launcher: cs(w('.launcher'), props),
        panel: cs(w('.panel'), props),
        greeting: cs(w('.greeting'), props),
        textarea: cs(w('textarea'), props),
        send: cs(w('.send'), props),
        host: cs(host, ['display', 'font-size']),
    };";

const PAGE_STYLES: &str = "const cs = (el) => { const s = getComputedStyle(el); return ['font-size', 'color', 'font-family', 'line-height', 'margin-top', 'box-sizing', 'display'].map(p => s.getPropertyValue(p)); };
    return ['body', 'h1', 'main p', '.hostile-zone', 'footer', '.site-header'].map(sel => cs(document.querySelector(sel)));";

fn hostile_page_css_does_not_reach_the_widget_and_widget_css_does_not_leak(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        let mut widget_styles = Vec::new();
        for path in ["/calm.html", "/"] {
            page.goto(&ctx.site.url(path)).await;
            open_panel(&page).await;
            widget_styles.push(page.js(STYLES).await);
        }
        let (calm, hostile) = (&widget_styles[0], &widget_styles[1]);
        assert_eq!(calm, hostile, "the page's hostile CSS changed the widget");
        assert_eq!(hostile["greeting"][0], json!("14px"), "the widget's own font size, in px");
        assert_eq!(hostile["launcher"][4], json!("56px"));
        assert_eq!(hostile["launcher"][7], json!("rgb(15, 118, 110)"), "the site's theme colour");
        // And the page's hostile rules really are in force on the page itself.
        let red = page.js("return getComputedStyle(document.querySelector('main p')).color").await;
        assert_eq!(red, json!("rgb(255, 0, 0)"));

        page.goto(&ctx.site.url("/bare.html")).await;
        page.wait_for("the page", "document.querySelector('footer')", WAIT).await;
        let without = page.js(PAGE_STYLES).await;
        page.goto(&ctx.site.url("/")).await;
        open_panel(&page).await;
        let with = page.js(PAGE_STYLES).await;
        assert_eq!(without, with, "the widget changed the page's styles");
        let sheets = page.js("return [document.styleSheets.length, document.adoptedStyleSheets.length, root.adoptedStyleSheets.length]").await;
        // The loader's (the launcher's and the site's colours), then the widget's.
        assert_eq!(sheets, json!([1, 0, 2]), "the widget's styles live in its shadow root only");
    });
    ctx.app.block_on(page.close());
}

fn keyboard_enter_sends_shift_enter_breaks_escape_closes(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/")).await;
        let launcher = page.launcher().await;
        assert_eq!(page.js("return w('.launcher').getAttribute('aria-label')").await, json!("Open chat"));
        assert_eq!(page.js("return w('.launcher').getAttribute('aria-expanded')").await, json!("false"));
        launcher.click().await.expect("click");
        // Opening by hand moves focus into the input.
        page.wait_for("focus in the input", "root.activeElement === w('textarea')", WAIT).await;
        assert_eq!(page.js("return w('.log').getAttribute('aria-live')").await, json!("polite"));
        assert_eq!(page.js("return w('.launcher').getAttribute('aria-expanded')").await, json!("true"));

        let input = page.element("textarea").await;
        input.send_keys("line one").await.expect("type");
        input.send_keys(&(Key::Shift + &Key::Enter + &Key::Null)).await.expect("shift+enter");
        input.send_keys("line two").await.expect("type");
        assert_eq!(page.js("return w('textarea').value").await, json!("line one\nline two"));
        assert_eq!(page.js("return wa('.msg.user').length").await, json!(0), "Shift+Enter does not send");
        input.send_keys(&Key::Enter).await.expect("enter");
        page.wait_for("the sent message", "wa('.msg.user').length === 1", WAIT).await;
        wait_reply_done(&page).await;
        assert_eq!(page.js("return wa('.msg.user')[0].textContent").await, json!("You: line one\nline two"));

        // Escape closes the panel and gives focus back to the launcher.
        page.element("textarea").await.send_keys(&Key::Escape).await.expect("escape");
        page.wait_for("the closed panel", "w('.panel').hidden", WAIT).await;
        page.wait_for("focus on the launcher", "root.activeElement === w('.launcher')", WAIT).await;
        // Every button has an accessible name.
        let unnamed = page
            .js("return wa('button').filter(b => !(b.getAttribute('aria-label') || b.textContent.trim())).length")
            .await;
        assert_eq!(unnamed, json!(0));
    });
    ctx.app.block_on(page.close());
}

fn a_phone_gets_a_full_screen_panel_with_a_large_input(ctx: &Ctx) {
    let page = ctx.page(true);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/")).await;
        page.launcher().await;
        page.screenshot(&ctx.shots.join("mobile-closed.png")).await;
        open_panel(&page).await;
        type_and_send(&page, "hello from a phone").await;
        wait_reply_done(&page).await;
        let geometry = page
            .js("const r = w('.panel').getBoundingClientRect();
                 return [innerWidth, innerHeight, r.left, r.top, r.width, r.height,
                         getComputedStyle(w('textarea')).fontSize, getComputedStyle(w('.launcher')).display];")
            .await;
        let (vw, vh) = (geometry[0].as_f64().unwrap_or(0.0), geometry[1].as_f64().unwrap_or(0.0));
        assert_eq!(vw, 390.0, "the emulated phone's width");
        assert_eq!([&geometry[2], &geometry[3]], [&json!(0), &json!(0)], "the panel starts at the corner");
        assert_eq!(geometry[4].as_f64(), Some(vw), "full width");
        assert_eq!(geometry[5].as_f64(), Some(vh), "full height");
        assert_eq!(geometry[6], json!("16px"), "16px input: no zoom on focus in iOS");
        assert_eq!(geometry[7], json!("none"), "the launcher hides behind a full-screen panel");
        page.screenshot(&ctx.shots.join("mobile-open.png")).await;
    });
    ctx.app.block_on(page.close());
}

fn an_unregistered_site_shows_chat_unavailable(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.unregistered_url("/")).await;
        page.launcher().await.click().await.expect("click the launcher");
        page.wait_for("the open panel", "w('.panel') && !w('.panel').hidden", WAIT).await;
        let text =
            page.wait_for("the unavailable note", "w('.unavailable') && w('.unavailable').textContent", WAIT).await;
        assert_eq!(text, json!("Chat is unavailable right now. Please try again later."));
        assert_eq!(page.js("return w('textarea') === null && w('.greeting') === null").await, json!(true));
        page.screenshot(&ctx.shots.join("desktop-unavailable.png")).await;
    });
    let stored = ctx.app.db.int("SELECT count(*) FROM conversations WHERE page_url LIKE '%127.0.0.2%'", &[]);
    assert_eq!(stored, 0);
    ctx.app.block_on(page.close());
}

fn queued_calls_replay_events_fire_and_spa_navigation_keeps_one_widget(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/spa.html")).await;
        // `[['open']]` was queued before the loader ran; the tag is on the page twice.
        page.wait_for("the panel opened by the queued call", "w('.panel') && !w('.panel').hidden", WAIT).await;
        assert_eq!(page.js("return document.querySelectorAll('chat-widget').length").await, json!(1));
        let globals = page.js("return Object.keys(window).filter(k => /chat|widget|wasm/i.test(k)).sort()").await;
        assert_eq!(globals, json!(["ChatWidget", "widgetEvents"]), "nothing but the public API leaks to window");
        type_and_send(&page, "hi there").await;
        wait_reply_done(&page).await;
        page.js("window.navigateLikeTurbo()").await;
        page.wait_for(
            "the widget back in the new body",
            "document.querySelector('h1').textContent === 'Second page' && host && host.isConnected",
            WAIT,
        )
        .await;
        let after = page
            .js("return [document.querySelectorAll('chat-widget').length, w('.panel').hidden, wa('.msg.user').length]")
            .await;
        assert_eq!(after, json!([1, false, 1]), "the same widget, still open, conversation intact");
        page.js("window.ChatWidget.close()").await;
        page.wait_for("closed", "w('.panel').hidden", WAIT).await;
        let events = page.js("return window.widgetEvents").await;
        assert_eq!(
            events,
            json!(["open", "user:hi there", format!("assistant:{}", default_reply("hi there")), "close"])
        );
    });
    ctx.app.block_on(page.close());
}

fn a_failed_reply_offers_retry_and_stop_ends_a_stream(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/")).await;
        open_panel(&page).await;
        type_and_send(&page, "this will [[fail]]").await;
        let note = page.wait_for("the failure note", &format!("{LAST_REPLY}.querySelector && {LAST_REPLY}.querySelector('.note') && {LAST_REPLY}.querySelector('.note').textContent"), WAIT).await;
        assert_eq!(note, json!("The reply could not be completed."));
        page.element(".retry").await.click().await.expect("retry");
        // The same question goes again (the stand-in fails it again, deterministically).
        page.wait_for("a second attempt", "wa('.retry').length === 1 && wa('.msg.user').length === 1", WAIT).await;
        let conversation = conversation_id(&page).await;
        let attempts = ctx.app.db.int("SELECT count(*) FROM messages WHERE conversation_id = ?1 AND role = 'user'", &[&conversation]);
        assert_eq!(attempts, 2);

        page.element("button[aria-label='New conversation']").await.click().await.expect("new");
        type_and_send(&page, "a long answer please [[long]]").await;
        page.wait_for("streaming", &format!("{LAST_REPLY}.querySelector && {LAST_REPLY}.querySelector('.md').textContent.length > 0"), WAIT).await;
        assert_eq!(page.js("return w('.send').textContent").await, json!("Stop"));
        page.element(".send").await.click().await.expect("stop");
        let note = page.wait_for("the stopped note", &format!("{LAST_REPLY}.querySelector('.note') && {LAST_REPLY}.querySelector('.note').textContent"), WAIT).await;
        assert_eq!(note, json!("Stopped."));
        let shown = page.js(&format!("return {LAST_REPLY}.querySelector('.md').textContent")).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(page.js(&format!("return {LAST_REPLY}.querySelector('.md').textContent")).await, shown, "nothing arrives after stop");
        assert_eq!(page.js("return w('.send').textContent").await, json!("Send"));

        // The stop reached the edge: the reply is kept as it stood, not read to its end.
        let conversation = conversation_id(&page).await;
        let mut stored = Vec::new();
        for _ in 0..50 {
            stored = ctx.app.db.rows(
                "SELECT status, content FROM messages WHERE conversation_id = ?1 AND role = 'assistant' AND finished_at IS NOT NULL",
                &[&conversation],
            );
            if !stored.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let [row] = stored.as_slice() else { panic!("the stopped reply was not stored within 5 s: {stored:?}") };
        assert_eq!(row[0], "interrupted");
        assert!(row[1].len() < long_reply().len() && long_reply().starts_with(&row[1]), "{:?}", row[1]);
    });
    ctx.app.block_on(page.close());
}

fn a_closed_panel_counts_unread_replies(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/")).await;
        open_panel(&page).await;
        type_and_send(&page, "answer me when I am gone [[slow]]").await;
        page.js("window.ChatWidget.close()").await;
        let badge = page.wait_for("the unread badge", "w('.badge') && w('.badge').textContent", WAIT).await;
        assert_eq!(badge, json!("1"));
        assert_eq!(page.js("return w('.launcher').getAttribute('aria-label')").await, json!("Open chat (1 unread)"));
        // Another page: the loader draws the count at once, and the widget starts for it.
        page.goto(&ctx.site.url("/?page=about")).await;
        let drawn = page.js("return [w('.badge').textContent, w('.launcher').getAttribute('aria-label')]").await;
        assert_eq!(drawn, json!(["1", "Open chat (1 unread)"]));
        page.started().await;
        page.launcher().await.click().await.expect("open");
        page.wait_for("the badge gone", "w('.badge') === null", WAIT).await;
    });
    ctx.app.block_on(page.close());
}

fn leads_and_feedback_are_stored_for_the_sites_organization(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/")).await;
        open_panel(&page).await;
        type_and_send(&page, "rate this").await;
        wait_reply_done(&page).await;
        page.element(".rate button[aria-label='Helpful']").await.click().await.expect("thumbs up");
        page.wait_for("the pressed thumb", "w(\".rate button[aria-label='Helpful']\").getAttribute('aria-pressed') === 'true'", WAIT).await;
        let conversation = conversation_id(&page).await;
        let feedback_sql = "SELECT f.rating, f.organization_id, m.role FROM message_feedback f JOIN messages m ON m.id = f.message_id WHERE f.conversation_id = ?1";
        let mut rows = Vec::new();
        for _ in 0..100 {
            rows = ctx.app.db.rows(feedback_sql, &[&conversation]);
            if !rows.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(rows, vec![vec!["up".to_owned(), DEMO_ORG.to_owned(), "assistant".to_owned()]]);

        // The demo site asks for leads on demand: a header button opens the form.
        page.element("button[aria-label='Leave your email']").await.click().await.expect("open form");
        // The visitor may change their mind: Cancel brings the chat back.
        page.element(".lead button.note").await.click().await.expect("cancel");
        page.wait_for("the composer again", "w('textarea') && !w('.lead')", WAIT).await;
        page.element("button[aria-label='Leave your email']").await.click().await.expect("open form");
        let email = page.element(".lead input[type=email]").await;
        email.send_keys("not-an-email").await.expect("type");
        page.element(".lead .send").await.click().await.expect("submit");
        page.wait_for("the invalid note", "w('.lead [role=alert]')", WAIT).await;
        email.clear().await.expect("clear");
        email.send_keys("ada@example.com").await.expect("type");
        page.element(".lead input[autocomplete=name]").await.send_keys("Ada").await.expect("type");
        page.element(".lead .send").await.click().await.expect("submit");
        page.wait_for("the thanks", "w('.thanks')", WAIT).await;
        assert_eq!(page.js("return w('textarea') !== null").await, json!(true), "the chat goes on");
    });
    let conversation = ctx.app.block_on(conversation_id(&page));
    let leads = ctx.app.db.rows(
        "SELECT email, name, organization_id, conversation_id FROM leads WHERE conversation_id = ?1",
        &[&conversation],
    );
    assert_eq!(
        leads,
        vec![vec!["ada@example.com".to_owned(), "Ada".to_owned(), DEMO_ORG.to_owned(), conversation.clone()]]
    );
    ctx.app.block_on(page.close());
}

/// A reply's sources show under it: a page as a link opened outside the host page, an address
/// that is no web page as its title alone; after a reload the history brings them back.
fn a_reply_cites_its_sources_as_safe_links(ctx: &Ctx) {
    for mobile in [false, true] {
        let page = ctx.page(mobile);
        ctx.app.block_on(async {
            page.goto(&ctx.site.knowledge_url("/knowledge.html")).await;
            open_panel(&page).await;
            type_and_send(&page, "What is your returns policy?").await;
            wait_reply_done(&page).await;
            let read = format!(
                "(() => {{ const s = {LAST_REPLY}.querySelector && {LAST_REPLY}.querySelector('.sources'); \
                 return s && [s.textContent, [...s.querySelectorAll('a')].map(a => [a.textContent, \
                 a.getAttribute('href'), a.target, a.rel])]; }})()"
            );
            let shown = page.wait_for("the reply's sources", &read, WAIT).await;
            let text = shown[0].as_str().unwrap_or_default();
            assert!(
                text.starts_with("Sources: ") && text.contains("Returns policy") && text.contains("Old returns page"),
                "{shown}"
            );
            assert_eq!(
                shown[1],
                json!([["Returns policy", "https://docs.example/returns", "_blank", "noopener noreferrer nofollow"]]),
                "only the web page is a link"
            );
            assert_eq!(page.js("return wa('.msg.user .sources').length").await, json!(0));
            page.screenshot(&ctx.shot("sources", mobile)).await;
            page.goto(&ctx.site.knowledge_url("/knowledge.html")).await;
            open_panel(&page).await;
            page.wait_for("the sources from the history", &read, WAIT).await;
        });
        ctx.app.block_on(page.close());
    }
}

fn script_tag_attributes_choose_language_position_and_colour(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/de.html")).await;
        page.launcher().await;
        // data-open: open on load, without taking focus from the page.
        page.wait_for("the panel open on load", "w('.panel') && !w('.panel').hidden && w('textarea')", WAIT).await;
        assert_eq!(page.js("return document.activeElement === document.body").await, json!(true));
        page.wait_for("German", "w('.launcher').getAttribute('aria-label') === 'Chat schließen'", WAIT).await;
        let look = page.js("const r = w('.launcher').getBoundingClientRect(); return [r.left, getComputedStyle(w('.launcher')).backgroundColor, getComputedStyle(w('.launcher')).color];").await;
        assert_eq!(look, json!([20, "rgb(124, 58, 237)", "rgb(255, 255, 255)"]), "bottom-left, data-color, readable text");
        assert_eq!(page.js("return w('textarea').placeholder").await, json!("Nachricht eingeben…"));
    });
    ctx.app.block_on(page.close());
}

/// The edge refuses a second message within the minute (429 with Retry-After); the widget says
/// so in words and gives the text back, and nothing of it is stored.
fn a_visitor_over_the_limit_is_told_politely_and_keeps_the_text(ctx: &Ctx) {
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.strict_url("/strict.html")).await;
        open_panel(&page).await;
        type_and_send(&page, "My first question").await;
        wait_reply_done(&page).await;
        type_and_send(&page, "My second question").await;
        let alert = page.wait_for("the notice", "w('.alert') && w('.alert').textContent", WAIT).await;
        assert_eq!(alert, json!("You are sending messages too quickly. Please wait a moment."));
        assert_eq!(page.js("return w('textarea').value").await, json!("My second question"), "the text comes back");
        let users = page.js("return wa('.msg.user').map(m => m.textContent)").await;
        assert_eq!(users.as_array().map(Vec::len), Some(1), "the refused message is not in the transcript: {users}");
        page.screenshot(&ctx.shots.join("desktop-rate-limited.png")).await;
    });
    let stored = ctx.app.db.int("SELECT count(*) FROM messages WHERE content = 'My second question'", &[]);
    assert_eq!(stored, 0);
    ctx.app.block_on(page.close());
}

fn a_site_that_wants_leads_first_asks_before_the_chat(ctx: &Ctx) {
    let page = ctx.page(false);
    let url = ctx.site.leads_first_url("/leads-first.html");
    ctx.app.block_on(async {
        page.goto(&url).await;
        page.launcher().await.click().await.expect("open");
        page.wait_for("the lead form", "w('.lead input[type=email]')", WAIT).await;
        assert_eq!(page.js("return w('textarea')").await, Value::Null, "no chat before the form");
        // The host page knows the visitor: identify() sends the lead and opens the chat.
        page.js("window.ChatWidget.identify({email: 'Grace@Example.ORG', name: 'Grace'})").await;
        page.wait_for("the chat after the lead", "w('textarea') && w('.thanks')", WAIT).await;
        page.goto(&url).await;
        page.wait_for("the open panel", "w('.panel') && !w('.panel').hidden", WAIT).await;
        page.wait_for("the chat, without asking again", "w('textarea')", WAIT).await;
        assert_eq!(page.js("return w('.lead')").await, Value::Null);
    });
    let leads = ctx
        .app
        .db
        .rows("SELECT email, name, organization_id, domain_id FROM leads WHERE email = 'Grace@example.org'", &[]);
    assert_eq!(
        leads,
        vec![vec![
            "Grace@example.org".to_owned(),
            "Grace".to_owned(),
            DEMO_ORG.to_owned(),
            "0193a000-0000-7000-8000-000000000003".to_owned()
        ]]
    );
    ctx.app.block_on(page.close());
}

/// Which way the widget reads: its root's `dir` and direction, the input's and the greeting's
/// direction, whether the greeting's last character is drawn right of its first (an LTR
/// sentence in an RTL box puts its final full stop at the left), where the send button sits,
/// and whether the title's text is flush with the header's right side.
const DIRECTION: &str = "const box = (sel) => w(sel).getBoundingClientRect();
    const g = w('.greeting').firstChild, range = document.createRange();
    const x = (i) => { range.setStart(g, i); range.setEnd(g, i + 1); return range.getBoundingClientRect().left; };
    const title = document.createRange();
    title.selectNodeContents(w('.head h2'));
    return {
        dir: [w('.cw').getAttribute('dir'), ...[w('.cw'), w('textarea'), w('.greeting')].map((el) => getComputedStyle(el).direction)],
        greeting_reads_left_to_right: x(g.length - 1) > x(0),
        send_right_of_input: box('.send').left > box('textarea').left,
        title_at_right: box('.head h2').right - title.getBoundingClientRect().right < 1,
    };";

/// The widget's direction comes from its own language: English reads left to right on a
/// right-to-left page, Arabic reads right to left on a left-to-right one.
fn the_widget_takes_its_direction_from_its_language_not_the_page(ctx: &Ctx) {
    for mobile in [false, true] {
        let page = ctx.page(mobile);
        ctx.app.block_on(async {
            page.goto(&ctx.site.url("/rtl.html")).await;
            open_panel(&page).await;
            let greeting = page.js("return w('.greeting').textContent").await;
            assert_eq!(greeting, json!("Hi! Ask me anything about Demo Company."));
            assert_eq!(
                page.js(DIRECTION).await,
                json!({"dir": ["ltr", "ltr", "ltr", "ltr"], "greeting_reads_left_to_right": true, "send_right_of_input": true, "title_at_right": false}),
                "the English widget on an RTL page"
            );
            page.screenshot(&ctx.shot("rtl-page-english", mobile)).await;

            page.goto(&ctx.site.url("/ar.html")).await;
            open_panel(&page).await;
            page.wait_for("Arabic", "w('textarea').placeholder === 'اكتب رسالتك…'", WAIT).await;
            assert_eq!(page.js("return w('.cw').getAttribute('lang')").await, json!("ar"));
            // The site's greeting is English: it keeps its own direction inside the RTL panel.
            assert_eq!(
                page.js(DIRECTION).await,
                json!({"dir": ["rtl", "rtl", "rtl", "ltr"], "greeting_reads_left_to_right": true, "send_right_of_input": false, "title_at_right": true}),
                "the Arabic widget on an LTR page"
            );
            type_and_send(&page, "مرحبا").await;
            assert_eq!(wait_reply_done(&page).await, default_reply("مرحبا"));
            // The visitor's messages sit at the left, the replies at the right.
            let gaps = page
                .js("const log = w('.log').getBoundingClientRect(), mine = w('.msg.user').getBoundingClientRect();
                     const reply = wa('.msg.assistant').pop().getBoundingClientRect();
                     return [mine.left - log.left, log.right - reply.right, w('.msg.user .md').textContent];")
                .await;
            assert_eq!(gaps, json!([16, 16, "مرحبا"]), "16 px of the log's padding on each side");
            page.screenshot(&ctx.shot("arabic", mobile)).await;
        });
        ctx.app.block_on(page.close());
    }
}

/// The parts of the panel a visitor needs, with their boxes, where they reach outside the
/// visual viewport.
const OUT_OF_VIEW: &str = "const v = visualViewport;
    return ['.head', '.composer'].map((s) => [s, w(s).getBoundingClientRect()])
        .filter(([, r]) => r.top < v.offsetTop - 1 || r.left < v.offsetLeft - 1
            || r.bottom > v.offsetTop + v.height + 1 || r.right > v.offsetLeft + v.width + 1)
        .map(([s, r]) => [s, r.left, r.top, r.right, r.bottom]);";

/// A page that zooms its `<body>`, or transforms it (which makes `<body>` the box fixed
/// elements are placed in), scrolled down: the panel stays in sight and the visitor can chat.
fn a_zoomed_or_transformed_body_keeps_the_panel_in_view(ctx: &Ctx) {
    for (name, mobile) in [("zoom", false), ("zoom", true), ("transform", false), ("transform", true)] {
        let page = ctx.page(mobile);
        ctx.app.block_on(async {
            page.goto(&ctx.site.url(&format!("/{name}.html"))).await;
            page.launcher().await;
            page.js("scrollTo(0, 1000)").await;
            open_panel(&page).await;
            assert_eq!(page.js(OUT_OF_VIEW).await, json!([]), "{name}, mobile: {mobile}");
            type_and_send(&page, "can you see me?").await;
            assert_eq!(wait_reply_done(&page).await, default_reply("can you see me?"));
            assert_eq!(page.js(OUT_OF_VIEW).await, json!([]), "{name}, mobile: {mobile}, after a reply");
            page.screenshot(&ctx.shot(&format!("body-{name}"), mobile)).await;
        });
        ctx.app.block_on(page.close());
    }
}

/// A page without `<meta name="viewport">` is laid out 980 px wide and shown at 40% on a phone;
/// the widget still draws at the phone's own size. Sizes "seen" are the page's CSS pixels
/// times the page's scale on the screen.
fn a_phone_page_without_a_viewport_tag_gets_a_readable_full_screen_panel(ctx: &Ctx) {
    let page = ctx.page(true);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/no-viewport.html")).await;
        page.launcher().await;
        let shrunk = page
            .js("const v = visualViewport; return [innerWidth, v.scale, v.scale * w('.launcher').getBoundingClientRect().width]")
            .await;
        assert_eq!(shrunk[0], json!(980), "the page is laid out wide");
        assert!(shrunk[1].as_f64().unwrap_or(1.0) < 0.5, "and shown shrunk: {shrunk}");
        let launcher = shrunk[2].as_f64().unwrap_or(0.0);
        assert!((55.0..57.0).contains(&launcher), "the launcher is seen 56 px wide: {shrunk}");
        page.screenshot(&ctx.shot("no-viewport-closed", true)).await;
        open_panel(&page).await;
        let look = page
            .js("const v = visualViewport, p = w('.panel').getBoundingClientRect();
                 const seen = (el) => Math.round(parseFloat(getComputedStyle(el).fontSize) * el.getBoundingClientRect().height / el.offsetHeight * v.scale);
                 return {
                     covers: p.left <= v.offsetLeft + 1 && p.top <= v.offsetTop + 1
                         && p.right >= v.offsetLeft + v.width - 1 && p.bottom >= v.offsetTop + v.height - 1,
                     font: seen(w('.greeting')),
                     input_font: seen(w('textarea')),
                 };")
            .await;
        assert_eq!(look, json!({"covers": true, "font": 14, "input_font": 16}), "a full-screen panel at the phone's size");
        type_and_send(&page, "readable?").await;
        assert_eq!(wait_reply_done(&page).await, default_reply("readable?"));
        assert_eq!(page.js(OUT_OF_VIEW).await, json!([]));
        page.screenshot(&ctx.shot("no-viewport-open", true)).await;
    });
    ctx.app.block_on(page.close());
    // A desktop browser ignores the missing tag: the usual panel.
    let page = ctx.page(false);
    ctx.app.block_on(async {
        page.goto(&ctx.site.url("/no-viewport.html")).await;
        open_panel(&page).await;
        let panel =
            page.js("const r = w('.panel').getBoundingClientRect(); return [r.width, innerHeight - r.bottom]").await;
        assert_eq!(panel, json!([380, 88]), "380 px wide, above the launcher");
        page.screenshot(&ctx.shot("no-viewport-open", false)).await;
    });
    ctx.app.block_on(page.close());
}

/// Turbo keeps a clone of `<body>` when it leaves a page and puts it back on Back: no copy of
/// the widget comes back with it, and the one widget goes on with its conversation.
fn a_body_snapshot_restored_like_turbo_leaves_one_widget(ctx: &Ctx) {
    for mobile in [false, true] {
        let page = ctx.page(mobile);
        ctx.app.block_on(async {
            page.goto(&ctx.site.url("/spa.html")).await;
            page.wait_for("the panel opened by the queued call", "w('.panel') && !w('.panel').hidden && w('textarea')", WAIT).await;
            type_and_send(&page, "before the visit").await;
            wait_reply_done(&page).await;
            page.js("window.navigateLikeTurbo()").await;
            page.wait_for("the second page", "document.querySelector('h1').textContent === 'Second page'", WAIT).await;
            page.js("window.backLikeTurbo()").await;
            page.wait_for("the first page again", "document.querySelector('h1').textContent === 'Garden tools that last'", WAIT).await;
            let widgets = page.js("return Array.from(document.querySelectorAll('chat-widget')).map(h => [h.isConnected, !!h.shadowRoot])").await;
            assert_eq!(widgets, json!([[true, true]]), "one widget, the live one");
            assert_eq!(page.js("return [w('.panel').hidden, wa('.msg.user').length]").await, json!([false, 1]));
            type_and_send(&page, "after coming back").await;
            assert_eq!(wait_reply_done(&page).await, default_reply("after coming back"));
            page.screenshot(&ctx.shot("body-snapshot-restored", mobile)).await;
        });
        ctx.app.block_on(page.close());
    }
}
