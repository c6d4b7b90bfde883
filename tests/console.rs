//! The site owner's console in a real browser: headless Chromium opens `/console/` on the real
//! edge under `wrangler dev`, signs in with a password, and works through the same public API
//! a script would. A second origin (`http://127.0.0.5:PORT`) is the owner's own website, where
//! the tag copied from the console is pasted and a visitor chats. Screenshots of every page,
//! at 1280 px and 390 px, light and dark, land in `tests/artifacts/screenshots/console-*`.

use std::path::PathBuf;
use std::time::Duration;

use e2e::browser::{Driver, Page};
use e2e::client::{Admin, Person};
use e2e::pasted_site::{PastedSite, HOST};
use e2e::stand_in::default_reply;
use e2e::App;
use fantoccini::key::Key;
use fantoccini::Locator;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::json;
use shared::StreamEvent;

const PASSWORD: &str = "a long enough passphrase";
const WAIT: Duration = Duration::from_secs(20);

/// An organization made by the operator's `dev/bootstrap`, its owner's password set through
/// the one-time link, as a real team starts.
struct Org {
    id: String,
    key: String,
    owner: String,
}

struct Ctx {
    app: App,
    driver: Driver,
    site: PastedSite,
    shots: PathBuf,
    shop: Org,
    rival: Org,
    /// What the rival organization holds, which the shop's owner must never see.
    rival_marks: Vec<String>,
}

type Test = fn(&Ctx);

fn main() {
    let mut args = Arguments::from_args();
    // One browser at a time: two cores.
    args.test_threads = Some(1);
    let tests: Vec<(&str, Test)> = vec![
        (
            "the_console_is_served_with_a_strict_policy_on_every_path",
            the_console_is_served_with_a_strict_policy_on_every_path,
        ),
        (
            "a_new_owner_adds_a_site_pastes_the_tag_and_sees_a_visitors_chat_arrive",
            a_new_owner_adds_a_site_pastes_the_tag_and_sees_a_visitors_chat_arrive,
        ),
        (
            "an_owner_previews_changes_before_saving_and_the_visitor_sees_them_on_the_next_load",
            an_owner_previews_changes_before_saving_and_the_visitor_sees_them_on_the_next_load,
        ),
        (
            "an_admin_invites_an_agent_who_reads_and_exports_but_changes_nothing",
            an_admin_invites_an_agent_who_reads_and_exports_but_changes_nothing,
        ),
        ("an_owner_sees_nothing_of_another_organization", an_owner_sees_nothing_of_another_organization),
        (
            "an_owner_mints_and_revokes_a_key_edits_knowledge_and_finds_both_in_the_audit_trail",
            an_owner_mints_and_revokes_a_key_edits_knowledge_and_finds_both_in_the_audit_trail,
        ),
        (
            "analytics_totals_equal_the_usage_api_for_the_same_range",
            analytics_totals_equal_the_usage_api_for_the_same_range,
        ),
        (
            "an_owner_adds_a_document_reads_a_refused_crawl_in_words_and_finds_the_unanswered_questions",
            an_owner_adds_a_document_reads_a_refused_crawl_in_words_and_finds_the_unanswered_questions,
        ),
        ("every_page_at_desktop_and_phone_in_light_and_dark", every_page_at_desktop_and_phone_in_light_and_dark),
        // Last: it makes the shop's owner a member of a second organization.
        (
            "a_person_in_two_organizations_switches_and_previews_the_second_ones_site",
            a_person_in_two_organizations_switches_and_previews_the_second_ones_site,
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
    drop(ctx);
    conclusion.exit();
}

fn start() -> std::sync::Arc<Ctx> {
    let started = App::spawn(&[]).and_then(|app| {
        let shop = organization(&app, "shop")?;
        let rival = organization(&app, "rival")?;
        let rival_marks = fill_rival(&app, &rival)?;
        let site = app.block_on(PastedSite::start()).map_err(|e| e.to_string())?;
        let driver = Driver::start()?;
        Ok((app, shop, rival, rival_marks, site, driver))
    });
    match started {
        Ok((app, shop, rival, rival_marks, site, driver)) => {
            let shots = e2e::app::root().join("tests/artifacts/screenshots");
            let _ = std::fs::create_dir_all(&shots);
            let shots = shots.canonicalize().unwrap_or(shots);
            std::sync::Arc::new(Ctx { app, driver, site, shots, shop, rival, rival_marks })
        }
        Err(e) => {
            eprintln!("could not start: {e}");
            std::process::exit(1);
        }
    }
}

fn organization(app: &App, slug: &str) -> Result<Org, String> {
    let owner = format!("owner@{slug}.test");
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let token_file = dir.path().join("token");
    let key = app.bootstrap(&format!(
        "--slug {slug} --owner-email {owner} --owner-name Owner --owner-link-token-file {}",
        token_file.display()
    ))?;
    let token = std::fs::read_to_string(&token_file).map_err(|e| e.to_string())?;
    let r = app.block_on(
        Person::new(&app.edge, "10.9.0.1")
            .post("/v1/auth/password-reset", &json!({"token": token, "password": PASSWORD})),
    );
    let id = r.body["memberships"][0]["organization_id"].as_str().map(str::to_owned);
    let id = id.ok_or_else(|| format!("setting {owner}'s password: {:?}", r.body))?;
    Ok(Org { id, key, owner })
}

/// The rival organization's site, a visitor's conversation there and a lead: what the shop's
/// owner must never see. Returns the strings that would give them away.
fn fill_rival(app: &App, rival: &Org) -> Result<Vec<String>, String> {
    let admin: Admin = app.admin(&rival.key);
    let domain = app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": "rival.example"})));
    let site_key = domain.body["site_key"].as_str().ok_or(format!("rival's site: {:?}", domain.body))?.to_owned();
    let visitor = app.api("https://rival.example");
    let c = app.block_on(visitor.open(&site_key, "v_rival_visitor"));
    let question = "rival secret question about prices";
    app.block_on(async {
        visitor.send(&c.conversation_id, &c.token, question).await;
        visitor
            .post_json(
                "/v1/leads",
                &json!({"site": site_key, "conversation_id": c.conversation_id, "email": "lead@rival.example"}),
                Some(&c.token),
            )
            .await
    });
    Ok(vec!["rival.example".into(), question.into(), "lead@rival.example".into(), "owner@rival.test".into()])
}

impl Ctx {
    fn page(&self, mobile: bool) -> Page {
        self.app.block_on(self.driver.session(mobile)).unwrap_or_else(|e| panic!("browser session: {e}"))
    }

    fn console(&self, path: &str) -> String {
        format!("{}/console{path}", self.app.edge)
    }

    async fn shot(&self, page: &Page, name: &str) {
        page.screenshot(&self.shots.join(format!("console-{name}.png"))).await;
    }
}

/// Types into a field of the page, found by CSS selector, replacing what it held.
async fn fill(page: &Page, selector: &str, text: &str) {
    page.wait_for(selector, &format!("document.querySelector({selector:?})"), WAIT).await;
    let field = page.client.find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"));
    field.clear().await.unwrap_or_else(|e| panic!("clearing {selector}: {e}"));
    field.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {selector}: {e}"));
}

async fn click(page: &Page, selector: &str) {
    page.wait_for(selector, &format!("document.querySelector({selector:?})"), WAIT).await;
    let element = page.client.find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"));
    element.click().await.unwrap_or_else(|e| panic!("clicking {selector}: {e}"));
}

/// Clicks the button whose text is `label` (what a person reads on it).
async fn press(page: &Page, label: &str) {
    let find = format!("Array.from(document.querySelectorAll('button')).find(b => b.textContent.trim() === {label:?})");
    page.wait_for(&format!("the button {label:?}"), &find, WAIT).await;
    let button = page
        .client
        .find(Locator::XPath(&format!("//button[normalize-space(.)={label:?}]")))
        .await
        .unwrap_or_else(|e| panic!("button {label:?}: {e}"));
    button.click().await.unwrap_or_else(|e| panic!("clicking {label:?}: {e}"));
}

async fn text(page: &Page) -> String {
    page.js("return document.body.innerText").await.as_str().unwrap_or_default().to_owned()
}

async fn wait_text(page: &Page, needle: &str) {
    page.wait_for(needle, &format!("document.body.innerText.includes({needle:?})"), WAIT).await;
}

async fn path_is(page: &Page, path: &str) {
    page.wait_for(&format!("the page {path}"), &format!("location.pathname === {path:?}"), WAIT).await;
}

async fn sign_in(page: &Page, email: &str, password: &str) {
    fill(page, "#email", email).await;
    fill(page, "#password", password).await;
    page.client.find(Locator::Css("#password")).await.expect("password").send_keys(&Key::Enter).await.expect("Enter");
}

/// A visitor on the owner's site opens the chat, asks, and reads the whole reply.
async fn visitor_asks(page: &Page, url: &str, question: &str) {
    page.goto(url).await;
    let launcher = page.launcher().await;
    launcher.click().await.expect("click the launcher");
    page.wait_for("the open panel", "w('.panel') && !w('.panel').hidden && w('textarea')", WAIT).await;
    ask(page, question).await;
}

/// Asks in the open widget (a visitor's, or the console's preview) and waits for the whole
/// reply.
async fn ask(page: &Page, question: &str) {
    let input = page.element("textarea").await;
    input.send_keys(question).await.expect("typing");
    input.send_keys(&Key::Enter).await.expect("Enter");
    let expected = default_reply(question);
    page.wait_for(
        "the reply",
        &format!("wa('.msg.assistant:not(.greeting) .md').map(m => m.textContent).includes({expected:?})"),
        WAIT,
    )
    .await;
}

/// The system message the provider was last asked `question` with.
fn system_asked_with(ctx: &Ctx, question: &str) -> String {
    let asked = ctx.app.llm.requests().into_iter().rev().find(|r| r.body.to_string().contains(question));
    let asked = asked.expect("the provider was asked");
    asked.body["messages"][0]["content"].as_str().unwrap_or_default().to_owned()
}

fn the_console_is_served_with_a_strict_policy_on_every_path(ctx: &Ctx) {
    let http = reqwest::Client::new();
    ctx.app.block_on(async {
        for path in ["/console/", "/console/inbox", "/console/sites/anything", "/console/sign-in"] {
            let r = http.get(ctx.console(&path["/console".len()..])).send().await.expect("the console");
            assert_eq!(r.status(), 200, "{path}");
            let h = r.headers();
            let csp = h["content-security-policy"].to_str().unwrap_or_default().to_owned();
            for rule in [
                "script-src 'self' 'wasm-unsafe-eval'",
                "style-src 'self'",
                "frame-ancestors 'none'",
                "default-src 'none'",
            ] {
                assert!(csp.contains(rule), "{path}: {csp}");
            }
            assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{path}: {csp}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["cache-control"], "no-cache", "{path}");
            let body = r.text().await.unwrap_or_default();
            assert!(body.contains("<script type=\"module\" src=\"/console/boot."), "{path}: the app's page");
            assert!(!body.contains("<script>") && !body.contains("style="), "{path}: nothing inline");
        }
        // The preview frame: the widget's tag with the site's key, framed by the console alone.
        let preview = "/preview?site=site_abcdefgh&domain=0190f5e2-7b1c-7cc0-9a57-3b3c1f0e8d21";
        let r = http.get(ctx.console(preview)).send().await.expect("the preview frame");
        assert_eq!(r.status(), 200);
        let csp = r.headers()["content-security-policy"].to_str().unwrap_or_default().to_owned();
        assert!(csp.contains("frame-ancestors 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let body = r.text().await.unwrap_or_default();
        assert!(body.contains(r#"<script src="/widget.js" data-site="site_abcdefgh" data-preview="#), "{body}");
        for bad in ["/preview", "/preview?site=%22%3E%3Cscript%3E&domain=x", "/preview?site=site_abcdefgh"] {
            let r = http.get(ctx.console(bad)).send().await.expect("a preview without its site");
            assert_eq!(r.status(), 404, "{bad}");
        }
        let r = http.get(ctx.console("")).send().await.expect("/console");
        assert_eq!(r.status(), 200, "/console redirects to /console/");
        let r = http.get(ctx.console("/missing.js")).send().await.expect("a missing file");
        assert_eq!(r.status(), 404);
        let r = http.post(ctx.console("/")).send().await.expect("a POST");
        assert_eq!(r.status(), 405);
    });
}

/// Journey (1): a new owner signs in, adds a site, copies its tag, pastes it into a page on
/// that origin, and a visitor there chats; the conversation shows in the inbox, which the
/// owner had open, without a reload.
fn a_new_owner_adds_a_site_pastes_the_tag_and_sees_a_visitors_chat_arrive(ctx: &Ctx) {
    let owner = ctx.page(false);
    let visitor = ctx.page(false);
    ctx.app.block_on(async {
        // Not signed in: the inbox sends the owner to sign in, and back there after.
        owner.goto(&ctx.console("/inbox")).await;
        path_is(&owner, "/console/sign-in").await;
        sign_in(&owner, &ctx.shop.owner, "not the password").await;
        owner.wait_for("the refusal", "document.querySelector('.error:not([hidden])')", WAIT).await;
        let refusal = text(&owner).await;
        assert!(refusal.contains("the password is not right"), "a wrong password is said in words: {refusal}");
        sign_in(&owner, &ctx.shop.owner, PASSWORD).await;
        path_is(&owner, "/console/inbox").await;
        wait_text(&owner, "No conversations yet.").await;

        // The start page lists what is left to do.
        click(&owner, "a[href='/console/']").await;
        wait_text(&owner, "Add your website").await;
        assert_eq!(owner.js("return document.querySelectorAll('.checklist li.done').length").await, json!(0));
        click(&owner, ".checklist a[href='/console/sites']").await;
        path_is(&owner, "/console/sites").await;

        // A mistyped hostname is refused in words, and what was typed stays.
        fill(&owner, "#hostname", "https://127.0.0.5/shop").await;
        press(&owner, "Add site").await;
        owner.wait_for("the refusal", "document.querySelector('.error:not([hidden])')", WAIT).await;
        assert_eq!(owner.js("return document.querySelector('#hostname').value").await, json!("https://127.0.0.5/shop"));
        fill(&owner, "#hostname", HOST).await;
        press(&owner, "Add site").await;
        owner.wait_for("the site's page", "document.querySelector('#script-tag')", WAIT).await;
        let tag = owner.js("return document.querySelector('#script-tag').textContent").await;
        let tag = tag.as_str().expect("the tag").to_owned();
        let site_key: String = ctx.app.db.rows(
            "SELECT site_key FROM domains WHERE organization_id = ?1 AND hostname = ?2",
            &[&ctx.shop.id, &HOST],
        )[0][0]
            .clone();
        assert_eq!(tag, format!(r#"<script src="{}/v1/widget.js?site={site_key}" async></script>"#, ctx.app.edge));
        press(&owner, "Copy the tag").await;
        owner.wait_for("the copy confirmed", "document.body.innerText.includes('Copied')", WAIT).await;
        ctx.shot(&owner, "site-desktop-light").await;

        // The owner pastes it into the site, and opens the inbox.
        ctx.site.paste(&tag);
        click(&owner, "nav a[href='/console/inbox']").await;
        path_is(&owner, "/console/inbox").await;
        wait_text(&owner, "No conversations yet.").await;
        owner.js("window.sameDocument = true; return true").await;

        visitor_asks(&visitor, &ctx.site.url(), "Do you ship to Norway?").await;

        // The poll brings the conversation in; the page was never reloaded.
        owner
            .wait_for(
                "the visitor's conversation in the inbox",
                &format!("Array.from(document.querySelectorAll('.conversations li')).some(li => li.textContent.includes({HOST:?}))"),
                WAIT,
            )
            .await;
        assert_eq!(owner.js("return window.sameDocument === true").await, json!(true), "no reload");
        click(&owner, ".conversations li a").await;
        wait_text(&owner, &default_reply("Do you ship to Norway?")).await;
        let transcript = text(&owner).await;
        assert!(transcript.contains("Do you ship to Norway?"), "{transcript}");
        assert!(transcript.contains(&ctx.site.url()), "the page it started on: {transcript}");
        ctx.shot(&owner, "transcript-desktop-light").await;
        // The navigation marks the inbox as where the owner is, and the back button returns to
        // the list, all in the same document.
        // The window's title names the page, for tabs, the history and screen readers.
        let current = "document.querySelector('nav a[aria-current=\"page\"]').getAttribute('href')";
        assert_eq!(owner.js(&format!("return {current}")).await, json!("/console/inbox"));
        assert_eq!(owner.js("return document.title").await, json!("Conversation · Chat console"));
        owner.client.back().await.expect("back");
        path_is(&owner, "/console/inbox").await;
        owner.wait_for("the list again", "document.querySelector('.conversations li a')", WAIT).await;
        assert_eq!(owner.js("return window.sameDocument === true").await, json!(true), "no reload");
        assert_eq!(owner.js("return document.title").await, json!("Inbox · Chat console"));

        // The checklist now says the tag is installed and a reply went out.
        click(&owner, "a[href='/console/']").await;
        owner.wait_for("the checklist", "document.querySelectorAll('.checklist li.done').length === 3", WAIT).await;
    });
    ctx.app.block_on(async {
        owner.close().await;
        visitor.close().await;
    });
}

/// Journey (2): the owner changes the colour, the greeting and the instructions, sees them in
/// the preview (the real widget in a frame) before saving, and a message sent there is answered
/// with the unsaved instructions, counted in the usage and kept out of the visitors'
/// conversations; then the owner saves, and the visitor's widget shows the change on the next
/// load.
fn an_owner_previews_changes_before_saving_and_the_visitor_sees_them_on_the_next_load(ctx: &Ctx) {
    let owner = ctx.page(false);
    let visitor = ctx.page(false);
    let domain: String =
        ctx.app.db.rows("SELECT id FROM domains WHERE organization_id = ?1 AND hostname = ?2", &[&ctx.shop.id, &HOST])
            [0][0]
            .clone();
    let usage = || replies_counted(ctx, &ctx.shop.id);
    let question = "Do you sell green tea? (asked in the preview)";
    let draft_instructions = "You are the tea shop's sommelier. DRAFT-INSTRUCTIONS-7";
    ctx.app.block_on(async {
        owner.goto(&ctx.console(&format!("/sites/{domain}"))).await;
        sign_in(&owner, &ctx.shop.owner, PASSWORD).await;
        path_is(&owner, &format!("/console/sites/{domain}")).await;
        fill(&owner, "#greeting", "Welcome to the tea shop!").await;
        // The colour's text is chosen by the widget's rule, and its contrast is said in words.
        set_value(&owner, "#colour", "#fde047", "input").await;
        wait_text(&owner, "Text on it: black, contrast").await;
        set_value(&owner, "#colour", "#0f766e", "input").await;
        wait_text(&owner, "Text on it: white, contrast 5.5:1 (meets WCAG AA).").await;
        fill(&owner, "#prompt", draft_instructions).await;
        let usage_before = usage();

        // The preview shows the unsaved greeting and colour, in the widget itself.
        owner.client.enter_frame(0).await.expect("the preview frame");
        owner.started().await;
        owner
            .wait_for(
                "the draft greeting in the preview",
                "wa('.msg.greeting').some(m => m.textContent.includes('Welcome to the tea shop!'))",
                WAIT,
            )
            .await;
        owner
            .wait_for(
                "the draft colour in the preview",
                "getComputedStyle(w('.launcher')).backgroundColor === 'rgb(15, 118, 110)'",
                WAIT,
            )
            .await;
        ask(&owner, question).await;
        owner.client.enter_parent_frame().await.expect("back to the console");

        // Answered with the instructions being edited, not the saved ones.
        let system = system_asked_with(ctx, question);
        assert!(system.contains("DRAFT-INSTRUCTIONS-7"), "the preview asks with the draft: {system}");
        // Not a visitor's conversation, but paid for like one.
        let stored =
            ctx.app.db.rows("SELECT count(*) FROM messages WHERE content LIKE ?1", &[&"%asked in the preview%"]);
        assert_eq!(stored[0][0], "0", "nothing of the preview is stored");
        let conversations = ctx.app.admin(&ctx.shop.key).get("/v1/admin/conversations?q=preview").await;
        assert!(!conversations.body.to_string().contains(question), "{:?}", conversations.body);
        assert_eq!(usage(), usage_before + 1, "the preview's reply counts in the usage");

        press(&owner, "Save").await;
        wait_text(&owner, "Saved.").await;

        visitor.goto(&ctx.site.url()).await;
        let launcher = visitor.launcher().await;
        launcher.click().await.expect("open");
        visitor
            .wait_for(
                "the greeting",
                "wa('.msg.greeting').some(m => m.textContent.includes('Welcome to the tea shop!'))",
                WAIT,
            )
            .await;
        let colours =
            visitor.js("const s = getComputedStyle(w('.launcher')); return [s.backgroundColor, s.color]").await;
        assert_eq!(colours, json!(["rgb(15, 118, 110)", "rgb(255, 255, 255)"]));
    });
    ctx.app.block_on(async {
        owner.close().await;
        visitor.close().await;
    });
}

/// Journey (3): an admin invites an agent; the agent signs in, reads conversations, exports
/// leads, and is offered no settings or keys to change; a crafted request is refused anyway.
fn an_admin_invites_an_agent_who_reads_and_exports_but_changes_nothing(ctx: &Ctx) {
    // The shop's admin, invited by the owner through the API.
    let owner = Person::new(&ctx.app.edge, "10.9.0.2");
    let admin_email = e2e::journeys::unique("admin").to_lowercase() + "@shop.test";
    let agent_email = e2e::journeys::unique("agent").to_lowercase() + "@shop.test";
    ctx.app.block_on(async {
        assert_eq!(owner.login(&ctx.shop.owner, PASSWORD).await.status, 200);
        let inv = owner.post("/v1/admin/invitations", &json!({"email": admin_email, "role": "admin"})).await;
        let link = inv.body["delivery"]["link"].as_str().expect("a link").to_owned();
        let token = link.split("#token=").nth(1).expect("token").to_owned();
        let r = Person::new(&ctx.app.edge, "10.9.0.3")
            .post("/v1/auth/invitations/accept", &json!({"token": token, "name": "Ada Admin", "password": PASSWORD}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    });
    let admin = ctx.page(false);
    let agent = ctx.page(false);
    ctx.app.block_on(async {
        admin.goto(&ctx.console("/team")).await;
        sign_in(&admin, &admin_email, PASSWORD).await;
        path_is(&admin, "/console/team").await;
        fill(&admin, "#invite-email", &agent_email).await;
        admin.js("const s = document.querySelector('#invite-role'); s.value = 'agent'; s.dispatchEvent(new Event('change', {bubbles: true})); return true").await;
        press(&admin, "Send invitation").await;
        admin.wait_for("the link", "document.querySelector('#invitation-link')", WAIT).await;
        wait_text(&admin, &agent_email).await;
        let link = admin.js("return document.querySelector('#invitation-link').textContent").await;
        let link = link.as_str().expect("the link").to_owned();
        assert!(link.starts_with(&ctx.console("/accept-invitation#token=")), "{link}");
        ctx.shot(&admin, "team-desktop-light").await;

        // The agent opens the link, names themselves, chooses a password, and is in.
        agent.goto(&link).await;
        fill(&agent, "#name", "Grace Agent").await;
        fill(&agent, "#password", "short").await;
        press(&agent, "Accept the invitation").await;
        agent.wait_for("the refusal", "document.querySelector('.error:not([hidden])')", WAIT).await;
        assert_eq!(agent.js("return document.querySelector('#name').value").await, json!("Grace Agent"), "kept");
        fill(&agent, "#password", PASSWORD).await;
        press(&agent, "Accept the invitation").await;
        path_is(&agent, "/console/").await;

        // What an agent may open: the inbox and leads; not sites' settings, the team's management or keys.
        agent.wait_for("the navigation", "document.querySelector('nav a[href=\"/console/inbox\"]')", WAIT).await;
        let nav = agent.js("return Array.from(document.querySelectorAll('nav a')).map(a => a.textContent)").await;
        assert_eq!(
            nav,
            json!(["Start", "Inbox", "Leads", "Sites", "Knowledge", "Team"]),
            "an agent reads sites, knowledge and the team; not analytics, keys or the audit trail"
        );
        click(&agent, "nav a[href='/console/sites']").await;
        agent.wait_for("the sites", &format!("document.body.innerText.includes({HOST:?})"), WAIT).await;
        assert_eq!(agent.js("return !!document.querySelector('#hostname')").await, json!(false), "no site to add");
        click(&agent, ".cards a").await;
        agent.wait_for("the settings", "document.querySelector('#greeting')", WAIT).await;
        assert_eq!(agent.js("return document.querySelector('fieldset').disabled").await, json!(true), "read only");
        assert_eq!(
            agent.js("return Array.from(document.querySelectorAll('button')).some(b => ['Save', 'Check now'].includes(b.textContent.trim()))").await,
            json!(false),
            "no edit buttons"
        );
        click(&agent, "nav a[href='/console/team']").await;
        wait_text(&agent, "Grace Agent").await;
        assert_eq!(agent.js("return !!document.querySelector('#invite-email') || !!document.querySelector('select[aria-label^=\"Role of\"]')").await, json!(false));

        // A visitor of the shop leaves a lead whose cells a spreadsheet would run as formulas.
        let site_key = ctx.app.db.rows("SELECT site_key FROM domains WHERE hostname = ?1", &[&HOST])[0][0].clone();
        let visitor = ctx.app.api(ctx.site.url().trim_end_matches('/'));
        let c = visitor.open(&site_key, "v_console_lead").await;
        let reply = visitor.send(&c.conversation_id, &c.token, "Can someone call me back about tea?").await;
        let Some(StreamEvent::Done { message_id, .. }) = reply.last() else { panic!("{:?}", reply.last()) };
        let vote = json!({"conversation_id": c.conversation_id, "rating": "up"});
        assert_eq!(visitor.post_json(&format!("/v1/messages/{message_id}/feedback"), &vote, Some(&c.token)).await.status, 204);
        let lead = json!({"site": site_key, "conversation_id": c.conversation_id, "email": "grace@customer.example",
                          "name": "=HYPERLINK(\"http://evil.example\")", "message": "@SUM(A1) please"});
        assert_eq!(visitor.post_json("/v1/leads", &lead, Some(&c.token)).await.status, 201);

        // Reading and searching conversations, and filtering them by lead.
        click(&agent, "nav a[href='/console/inbox']").await;
        agent.wait_for("two conversations", "document.querySelectorAll('.conversations li').length === 2", WAIT).await;
        fill(&agent, "#search", "norway").await;
        press(&agent, "Search").await;
        agent.wait_for("one found", "document.querySelectorAll('.conversations li').length === 1", WAIT).await;
        fill(&agent, "#search", "Tokyo").await;
        press(&agent, "Search").await;
        wait_text(&agent, "No conversation holds these words.").await;
        fill(&agent, "#search", "ship Norway").await;
        press(&agent, "Search").await;
        agent.wait_for("one found", "document.querySelectorAll('.conversations li').length === 1", WAIT).await;
        click(&agent, ".conversations li a").await;
        wait_text(&agent, "Do you ship to Norway?").await;
        click(&agent, "nav a[href='/console/inbox']").await;
        click(&agent, "#with-lead").await;
        agent.wait_for("the lead's conversation", "document.querySelectorAll('.conversations li').length === 1", WAIT).await;
        click(&agent, ".conversations li a").await;
        wait_text(&agent, "grace@customer.example").await;
        wait_text(&agent, "rated helpful").await;
        wait_text(&agent, "Can someone call me back about tea?").await;

        // Exporting leads: what the browser is handed to save is CSV a spreadsheet cannot run.
        click(&agent, "nav a[href='/console/leads']").await;
        wait_text(&agent, "grace@customer.example").await;
        agent
            .js("window.exported = []; const made = new Map(); let n = 0;
                 URL.createObjectURL = (blob) => { const url = 'blob:export-' + n++; made.set(url, blob); return url; };
                 URL.revokeObjectURL = () => {};
                 HTMLAnchorElement.prototype.click = function () { window.exported.push([this.download, made.get(this.href)]); };
                 return true")
            .await;
        press(&agent, "Export CSV").await;
        agent.wait_for("the file", "window.exported.length === 1", WAIT).await;
        let file = agent
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; const [name, blob] = window.exported[0];
                 blob.text().then(t => done([name, t, blob.type]));",
                vec![],
            )
            .await
            .expect("the exported file");
        assert_eq!(file[0], json!("leads.csv"));
        assert_eq!(file[2], json!("text/csv;charset=utf-8"));
        let csv = file[1].as_str().unwrap_or_default();
        assert!(csv.starts_with("email,name,message,site,conversation_id,created_at\r\n"), "{csv}");
        assert!(csv.contains(&format!("grace@customer.example,\"'=HYPERLINK(\"\"http://evil.example\"\")\",'@SUM(A1) please,{HOST},{}", c.conversation_id)), "{csv}");

        // A crafted request from the agent's own session is refused, and nothing changes.
        let crafted = agent
            .js("return fetch('/v1/admin/keys', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'mine'})}).then(r => r.status)")
            .await;
        assert_eq!(crafted, json!(403));
        let domain = ctx.app.db.rows("SELECT id FROM domains WHERE hostname = ?1", &[&HOST])[0][0].clone();
        let crafted = agent
            .js(&format!("return fetch('/v1/admin/domains/{domain}', {{method: 'PATCH', headers: {{'content-type': 'application/json'}}, body: JSON.stringify({{active: false}})}}).then(r => r.status)"))
            .await;
        assert_eq!(crafted, json!(403));
        assert_eq!(ctx.app.db.rows("SELECT active FROM domains WHERE id = ?1", &[&domain]), vec![vec!["1".to_owned()]]);
        ctx.shot(&agent, "agent-inbox-desktop-light").await;
    });
    ctx.app.block_on(async {
        admin.close().await;
        agent.close().await;
    });
}

/// Journey (4): the shop's owner goes through every page and finds nothing of the rival
/// organization; the rival's ids in the address bar find nothing either.
fn an_owner_sees_nothing_of_another_organization(ctx: &Ctx) {
    let owner = ctx.page(false);
    let rival_domain =
        ctx.app.db.rows("SELECT id FROM domains WHERE organization_id = ?1", &[&ctx.rival.id])[0][0].clone();
    let rival_conversation =
        ctx.app.db.rows("SELECT id FROM conversations WHERE organization_id = ?1", &[&ctx.rival.id])[0][0].clone();
    ctx.app.block_on(async {
        owner.goto(&ctx.console("/")).await;
        sign_in(&owner, &ctx.shop.owner, PASSWORD).await;
        path_is(&owner, "/console/").await;
        for path in ["/", "/inbox", "/leads", "/sites", "/knowledge", "/analytics", "/team", "/keys", "/audit"] {
            click(&owner, &format!("nav a[href='/console{path}']")).await;
            path_is(&owner, &format!("/console{path}")).await;
            owner.wait_for("the page loaded", "!document.body.innerText.includes('Loading…')", WAIT).await;
            let seen = text(&owner).await;
            for mark in &ctx.rival_marks {
                assert!(!seen.contains(mark.as_str()), "{path} shows the rival's {mark}: {seen}");
            }
        }
        for (path, refusal) in
            [(format!("/sites/{rival_domain}"), "No such domain"), (format!("/inbox/{rival_conversation}"), "No such conversation")]
        {
            owner.goto(&ctx.console(&path)).await;
            wait_text(&owner, refusal).await;
            let seen = text(&owner).await;
            for mark in &ctx.rival_marks {
                assert!(!seen.contains(mark.as_str()), "{path} shows the rival's {mark}");
            }
        }
        // Searching finds none of the rival's words.
        let found = owner
            .js("return fetch('/v1/admin/conversations?q=rival%20secret%20prices').then(r => r.json()).then(b => b.items.length)")
            .await;
        assert_eq!(found, json!(0));
        owner.goto(&ctx.console("/inbox")).await;
        fill(&owner, "#search", "rival secret prices").await;
        press(&owner, "Search").await;
        wait_text(&owner, "No conversation holds these words.").await;
        // Nor can the session act for the rival by naming it: it is no organization of theirs.
        let status = owner
            .js(&format!("return fetch('/v1/admin/domains', {{headers: {{'x-organization-id': '{}'}}}}).then(r => r.status)", ctx.rival.id))
            .await;
        assert_eq!(status, json!(404));
    });
    ctx.app.block_on(owner.close());
}

/// The shop's owner, invited into a studio's team too, picks the studio in the switcher, and
/// its site's preview answers them as the studio's admin, with the studio's draft; the choice
/// outlives a reload.
fn a_person_in_two_organizations_switches_and_previews_the_second_ones_site(ctx: &Ctx) {
    let studio = organization(&ctx.app, "studio").unwrap_or_else(|e| panic!("the studio: {e}"));
    let admin = ctx.app.admin(&studio.key);
    let (domain, invited) = ctx.app.block_on(async {
        let domain = admin.post("/v1/admin/domains", &json!({"hostname": "studio.example"})).await;
        let invited = admin.post("/v1/admin/invitations", &json!({"email": ctx.shop.owner, "role": "admin"})).await;
        (domain, invited)
    });
    let domain =
        domain.body["id"].as_str().unwrap_or_else(|| panic!("the studio's site: {:?}", domain.body)).to_owned();
    let link =
        invited.body["delivery"]["link"].as_str().unwrap_or_else(|| panic!("the invitation: {:?}", invited.body));
    let token = link.split_once("#token=").expect("the token is in the link's fragment").1;
    // Taken up with the password the shop's owner already has.
    let accepted = ctx.app.block_on(
        Person::new(&ctx.app.edge, "10.9.0.3")
            .post("/v1/auth/invitations/accept", &json!({"token": token, "password": PASSWORD})),
    );
    assert_eq!(accepted.body["memberships"].as_array().map(Vec::len), Some(2), "{:?}", accepted.body);
    let usage = || replies_counted(ctx, &studio.id);
    let question = "Which rooms can I book? (asked in the studio's preview)";
    let owner = ctx.page(false);
    ctx.app.block_on(async {
        owner.goto(&ctx.console("/")).await;
        sign_in(&owner, &ctx.shop.owner, PASSWORD).await;
        path_is(&owner, "/console/").await;
        set_value(&owner, ".switcher select", &studio.id, "change").await;
        click(&owner, "nav a[href='/console/sites']").await;
        wait_text(&owner, "studio.example").await;
        // A new page load: the console still acts for the studio.
        owner.goto(&ctx.console(&format!("/sites/{domain}"))).await;
        fill(&owner, "#prompt", "You are the studio's booking desk. STUDIO-DRAFT-3").await;
        let usage_before = usage();
        owner.client.enter_frame(0).await.expect("the preview frame");
        owner.started().await;
        ask(&owner, question).await;
        owner.client.enter_parent_frame().await.expect("back to the console");
        let system = system_asked_with(ctx, question);
        assert!(system.contains("STUDIO-DRAFT-3"), "the preview asks with the studio's draft: {system}");
        assert_eq!(usage(), usage_before + 1, "the reply counts in the studio's usage");
    });
    ctx.app.block_on(owner.close());
}

/// The replies counted in an organization's usage, all days together.
fn replies_counted(ctx: &Ctx, organization: &str) -> i64 {
    let rows = ctx
        .app
        .db
        .rows("SELECT coalesce(sum(requests), 0) FROM usage_daily WHERE organization_id = ?1", &[&organization]);
    rows[0][0].parse().expect("a count")
}

/// Sets a form control's value as a person's picker would (date and colour inputs, selects).
async fn set_value(page: &Page, selector: &str, value: &str, event: &str) {
    page.wait_for(selector, &format!("document.querySelector({selector:?})"), WAIT).await;
    page.js(&format!(
        "const f = document.querySelector({selector:?}); f.value = {value:?}; f.dispatchEvent(new Event({event:?}, {{bubbles: true}})); return true"
    ))
    .await;
}

/// The owner mints a key and sees its secret once (it works, then is revoked and works no
/// more), adds a knowledge entry and edits it (a second version), and the audit trail lists
/// each of these, by them, filtered by action.
fn an_owner_mints_and_revokes_a_key_edits_knowledge_and_finds_both_in_the_audit_trail(ctx: &Ctx) {
    let owner = ctx.page(false);
    ctx.app.block_on(async {
        owner.goto(&ctx.console("/keys")).await;
        sign_in(&owner, &ctx.shop.owner, PASSWORD).await;
        path_is(&owner, "/console/keys").await;
        fill(&owner, "#key-name", "CRM sync").await;
        set_value(&owner, "#key-role", "viewer", "change").await;
        press(&owner, "Create key").await;
        owner.wait_for("the secret", "document.querySelector('#key-secret')", WAIT).await;
        let secret = owner.js("return document.querySelector('#key-secret').textContent").await;
        let secret = secret.as_str().expect("the secret").to_owned();
        assert!(secret.starts_with("sk_live_"), "{secret}");
        let key = ctx.app.admin(&secret);
        assert_eq!(key.get("/v1/admin/domains").await.status, 200, "the new key works");
        assert_eq!(key.post("/v1/admin/domains", &json!({"hostname": "viewer.example"})).await.status, 403, "as a viewer");
        ctx.shot(&owner, "keys-created-desktop-light").await;
        // Shown once: a reload shows the key's prefix, never its secret.
        owner.goto(&ctx.console("/keys")).await;
        wait_text(&owner, "CRM sync").await;
        assert!(!text(&owner).await.contains(&secret), "the secret is shown only once");
        click(&owner, "button[aria-label='Revoke the key CRM sync']").await;
        wait_text(&owner, "revoked").await;
        assert_eq!(key.get("/v1/admin/domains").await.status, 401, "a revoked key works no more");

        click(&owner, "nav a[href='/console/knowledge']").await;
        fill(&owner, "#entry-title", "Shipping").await;
        fill(&owner, "#entry-content", "We ship within the EU in 3 days.").await;
        press(&owner, "Add entry").await;
        wait_text(&owner, "version 1").await;
        click(&owner, "button[aria-label='Edit Shipping']").await;
        fill(&owner, "textarea[id^='c-']", "We ship within the EU in 2 days.").await;
        press(&owner, "Save").await;
        wait_text(&owner, "version 2").await;
        assert!(text(&owner).await.contains("We ship within the EU in 2 days."));

        click(&owner, "nav a[href='/console/audit']").await;
        for action in ["key.create", "key.revoke", "knowledge.create", "knowledge.update"] {
            wait_text(&owner, action).await;
        }
        set_value(&owner, "#action", "key.revoke", "change").await;
        owner
            .wait_for(
                "only the revocation",
                "document.querySelectorAll('tbody tr').length === 1 && document.querySelector('tbody').innerText.includes('key.revoke')",
                WAIT,
            )
            .await;
    });
    ctx.app.block_on(owner.close());
}

/// The knowledge page's sources and gaps: a website of a site not yet verified is refused in
/// words beside its form (what was typed stays), a document is indexed and listed ready, a
/// visitor's question is answered from it with the document cited, and a question nothing
/// answers is listed among the questions without a good answer.
fn an_owner_adds_a_document_reads_a_refused_crawl_in_words_and_finds_the_unanswered_questions(ctx: &Ctx) {
    let admin = ctx.app.admin(&ctx.shop.key);
    let host = "manuals.shop.example";
    let domain = ctx.app.block_on(admin.post("/v1/admin/domains", &json!({"hostname": host})));
    assert_eq!(domain.status, 201, "{:?}", domain.body);
    let domain_id = domain.body["id"].as_str().expect("an id").to_owned();
    let site_key = domain.body["site_key"].as_str().expect("a site key").to_owned();
    let owner = ctx.page(false);
    ctx.app.block_on(async {
        owner.goto(&ctx.console("/knowledge")).await;
        sign_in(&owner, &ctx.shop.owner, PASSWORD).await;
        path_is(&owner, "/console/knowledge").await;
        let option = format!("#website-site option[value='{domain_id}']");
        owner.wait_for("the new site among the choices", &format!("document.querySelector({option:?})"), WAIT).await;
        set_value(&owner, "#website-site", &domain_id, "change").await;
        let start = format!("https://{host}/");
        fill(&owner, "#website-url", &start).await;
        press(&owner, "Crawl website").await;
        wait_text(&owner, &format!("Verify that {host} is yours")).await;
        assert_eq!(owner.js("return document.querySelector('#website-url').value").await, json!(start));

        fill(&owner, "#document-title", "Returns policy").await;
        set_value(&owner, "#document-format", "markdown", "change").await;
        fill(&owner, "#document-content", "# Returns\n\nReturns are free within 30 days of delivery.").await;
        press(&owner, "Add document").await;
        owner
            .wait_for(
                "the document, ready",
                "Array.from(document.querySelectorAll('[aria-label=\"Websites and documents\"] li'))\
                   .some(li => li.innerText.includes('Returns policy') && li.innerText.includes('ready'))",
                WAIT,
            )
            .await;
        owner
            .js("document.querySelector('[aria-label=\"Websites and documents\"]').scrollIntoView(); return true")
            .await;
        ctx.shot(&owner, "knowledge-sources-desktop-light").await;
    });

    let visitor = ctx.app.api(&format!("https://{host}"));
    let c = ctx.app.block_on(visitor.open(&site_key, "v_returns"));
    let reply = ctx.app.block_on(visitor.send(&c.conversation_id, &c.token, "Are returns free?"));
    let cited = reply.events.iter().any(
        |(_, e)| matches!(e, StreamEvent::Sources { sources } if sources.iter().any(|s| s.title == "Returns policy")),
    );
    assert!(cited, "the document is cited: {:?}", reply.events);
    let unanswered = "Do you sell gift vouchers for weddings?";
    ctx.app.block_on(visitor.send(&c.conversation_id, &c.token, unanswered));

    ctx.app.block_on(async {
        owner.goto(&ctx.console("/knowledge")).await;
        owner
            .wait_for(
                "the unanswered question",
                &format!(
                    "Array.from(document.querySelectorAll('[aria-label=\"Questions without a good answer\"] li'))\
                       .some(li => li.innerText.includes({unanswered:?}) && li.innerText.includes({host:?}))"
                ),
                WAIT,
            )
            .await;
        assert!(!text(&owner).await.contains("Are returns free?"), "an answered question is no gap");
        owner.js("document.querySelector('[aria-label=\"Questions without a good answer\"]').scrollIntoView(); return true").await;
        ctx.shot(&owner, "knowledge-gaps-desktop-light").await;
    });
    ctx.app.block_on(owner.close());
}

/// Journey (5): the analytics page's totals are the usage API's for the same range, the
/// default one (the last 30 days) and a chosen one.
fn analytics_totals_equal_the_usage_api_for_the_same_range(ctx: &Ctx) {
    let owner = ctx.page(false);
    let api = Person::new(&ctx.app.edge, "10.9.0.4");
    ctx.app.block_on(async {
        assert_eq!(api.login(&ctx.shop.owner, PASSWORD).await.status, 200);
        owner.goto(&ctx.console("/analytics")).await;
        sign_in(&owner, &ctx.shop.owner, PASSWORD).await;
        path_is(&owner, "/console/analytics").await;
        for chosen in [None, Some(("2026-01-01", "2026-01-31"))] {
            if let Some((from, to)) = chosen {
                set_value(&owner, "#from", from, "input").await;
                set_value(&owner, "#to", to, "input").await;
            }
            let from = owner.js("return document.querySelector('#from').value").await;
            let to = owner.js("return document.querySelector('#to').value").await;
            let (from, to) = (from.as_str().unwrap_or_default(), to.as_str().unwrap_or_default());
            let usage = api.get(&format!("/v1/admin/usage?from={from}&to={to}")).await.body;
            let total = |list: &str, field: &str| {
                usage[list]
                    .as_array()
                    .map_or(0, |days| days.iter().map(|d| d[field].as_u64().unwrap_or(0)).sum::<u64>())
            };
            let sum = |field: &str| total("days", field);
            let (up, down) = (total("activity", "rated_up"), total("activity", "rated_down"));
            let rated = match (up * 100 + (up + down) / 2).checked_div(up + down) {
                None => "no ratings".to_owned(),
                Some(percent) => format!("{percent}% of {}", up + down),
            };
            let expected = json!([
                total("activity", "conversations").to_string(),
                total("activity", "messages").to_string(),
                sum("requests").to_string(),
                sum("tokens_in").to_string(),
                sum("tokens_out").to_string(),
                format!(
                    "${:.*}",
                    if sum("cost_micros") < 1_000_000 { 4 } else { 2 },
                    sum("cost_micros") as f64 / 1_000_000.0
                ),
                rated,
            ]);
            let shown = "['#total-conversations', '#total-messages', '#total-requests', '#total-tokens-in',
                          '#total-tokens-out', '#total-cost', '#total-rated']
                .map(s => document.querySelector(s) && document.querySelector(s).textContent)";
            owner
                .wait_for("the totals", &format!("JSON.stringify({shown}) === JSON.stringify({expected})"), WAIT)
                .await;
            if chosen.is_none() {
                assert!(sum("requests") >= 1, "the visitor's reply is counted: {usage}");
                assert!(
                    total("activity", "conversations") >= 2 && up >= 1,
                    "the journeys' conversations and rating: {usage}"
                );
                assert_eq!(
                    owner.js("return document.querySelectorAll('svg rect.bar').length").await,
                    json!(150),
                    "30 days, 5 charts"
                );
                owner.js("document.querySelector('.charts').scrollIntoView(); return true").await;
                ctx.shot(&owner, "analytics-charts-desktop-light").await;
            }
        }
    });
    ctx.app.block_on(owner.close());
}

/// Every page, signed in as the shop's owner, at 1280 px and 390 px, light and dark: saved for
/// a person to look at. On a phone the navigation folds behind the menu button.
fn every_page_at_desktop_and_phone_in_light_and_dark(ctx: &Ctx) {
    let domain = ctx.app.db.rows("SELECT id FROM domains WHERE hostname = ?1", &[&HOST])[0][0].clone();
    let conversation =
        ctx.app.db.rows("SELECT id FROM conversations WHERE domain_id = ?1 ORDER BY started_at LIMIT 1", &[&domain])[0]
            [0]
        .clone();
    let pages = [
        ("start", "/".to_owned()),
        ("inbox", "/inbox".to_owned()),
        ("transcript", format!("/inbox/{conversation}")),
        ("leads", "/leads".to_owned()),
        ("sites", "/sites".to_owned()),
        ("site", format!("/sites/{domain}")),
        ("knowledge", "/knowledge".to_owned()),
        ("analytics", "/analytics".to_owned()),
        ("team", "/team".to_owned()),
        ("keys", "/keys".to_owned()),
        ("audit", "/audit".to_owned()),
    ];
    for mobile in [false, true] {
        let size = if mobile { "mobile" } else { "desktop" };
        let page = ctx.page(mobile);
        ctx.app.block_on(async {
            page.goto(&ctx.console("/sign-in")).await;
            for dark in [false, true] {
                page.color_scheme(dark).await;
                ctx.shot(&page, &format!("sign-in-{size}-{}", if dark { "dark" } else { "light" })).await;
            }
            sign_in(&page, &ctx.shop.owner, PASSWORD).await;
            path_is(&page, "/console/").await;
            for (name, path) in &pages {
                page.goto(&ctx.console(path)).await;
                page.wait_for(
                    "the page loaded",
                    "document.querySelector('main h1') && !document.body.innerText.includes('Loading…')",
                    WAIT,
                )
                .await;
                let overflow = page.js("return document.documentElement.scrollWidth > window.innerWidth").await;
                assert_eq!(overflow, json!(false), "{name} at {size}: nothing wider than the screen");
                for dark in [false, true] {
                    page.color_scheme(dark).await;
                    ctx.shot(&page, &format!("{name}-{size}-{}", if dark { "dark" } else { "light" })).await;
                }
                if *name == "site" {
                    // The preview, scrolled to, once the widget in it has started.
                    page.js("document.querySelector('#preview').scrollIntoView({block: 'center'})").await;
                    page.wait_for(
                        "the widget in the preview",
                        "!!document.querySelector('#preview').contentDocument?.querySelector('chat-widget')\
                         ?.shadowRoot?.querySelector('.panel textarea')",
                        WAIT,
                    )
                    .await;
                    for dark in [false, true] {
                        page.color_scheme(dark).await;
                        ctx.shot(&page, &format!("site-preview-{size}-{}", if dark { "dark" } else { "light" })).await;
                    }
                }
            }
            if mobile {
                let nav_shown = page.js("return getComputedStyle(document.querySelector('nav')).display").await;
                assert_eq!(nav_shown, json!("none"), "the navigation folds on a phone");
                press(&page, "Menu").await;
                page.wait_for(
                    "the open menu",
                    "getComputedStyle(document.querySelector('nav')).display !== 'none'",
                    WAIT,
                )
                .await;
                assert_eq!(
                    page.js("return document.querySelector('.menu-button').getAttribute('aria-expanded')").await,
                    json!("true")
                );
                ctx.shot(&page, "menu-mobile-dark").await;
            }
        });
        ctx.app.block_on(page.close());
    }
}
