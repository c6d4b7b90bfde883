//! Component tests in a real browser (headless Chromium via wasm-bindgen-test-runner): the
//! markdown renderer's output DOM, the SSE decoder fed as a browser receives bytes, language
//! choice from the browser's own settings, and the mounted widget's open/close transitions.
#![cfg(target_arch = "wasm32")]

use shared::i18n::{self, Lang};
use shared::sse::{SseDecoder, StreamEvent};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};
use widget::components::render_markdown;
use widget::wire;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

fn rendered(markdown: &str) -> Element {
    let div = document().create_element("div").expect("div");
    render_markdown(&div, markdown);
    div
}

#[wasm_bindgen_test]
fn html_in_markdown_becomes_text_not_elements() {
    let div = rendered("<img src=x onerror=\"window.pwned=1\"> and <script>window.pwned=2</script>");
    assert_eq!(div.query_selector_all("img, script").expect("query").length(), 0);
    assert_eq!(
        div.text_content().as_deref(),
        Some("<img src=x onerror=\"window.pwned=1\"> and <script>window.pwned=2</script>")
    );
}

#[wasm_bindgen_test]
fn markdown_draws_lists_code_and_safe_links() {
    let div = rendered("# Title\n\n- **one**\n- `two`\n\n```rust\nfn x() {}\n```\n\n[ok](https://a.example/) [bad](javascript:alert(1))");
    assert_eq!(div.query_selector_all("ul li").expect("q").length(), 2);
    assert_eq!(div.query_selector("li strong").expect("q").and_then(|e| e.text_content()).as_deref(), Some("one"));
    assert_eq!(div.query_selector("pre code").expect("q").and_then(|e| e.text_content()).as_deref(), Some("fn x() {}"));
    let links = div.query_selector_all("a").expect("q");
    assert_eq!(links.length(), 1, "only the http(s) link becomes a link");
    let a: Element = links.get(0).expect("a").unchecked_into();
    assert_eq!(a.get_attribute("href").as_deref(), Some("https://a.example/"));
    assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(a.get_attribute("rel").as_deref(), Some("noopener noreferrer nofollow"));
    assert!(div.text_content().unwrap_or_default().contains("[bad](javascript:alert(1))"));
}

#[wasm_bindgen_test]
fn a_stream_split_at_every_byte_decodes_to_the_same_events() {
    let events = [
        StreamEvent::Token { delta: "Grüße ".into() },
        StreamEvent::Token { delta: "👋 日本".into() },
        StreamEvent::Done { message_id: "m1".into(), usage: Default::default() },
    ];
    let wire: String = events.iter().map(StreamEvent::encode).collect();
    // Bytes as a browser hands them over: Uint8Array chunks copied into wasm memory.
    let bytes = js_sys::Uint8Array::from(wire.as_bytes()).to_vec();
    for split in 0..=bytes.len() {
        let mut decoder = SseDecoder::new();
        let mut got: Vec<StreamEvent> = Vec::new();
        for part in [&bytes[..split], &bytes[split..]] {
            got.extend(decoder.push(part).iter().filter_map(wire::event));
        }
        assert_eq!(got, events, "split at byte {split}");
    }
}

#[wasm_bindgen_test]
fn the_browser_language_is_the_last_resort() {
    let navigator: Vec<String> =
        web_sys::window().expect("window").navigator().languages().iter().filter_map(|l| l.as_string()).collect();
    let from_browser = i18n::choose(None, None, navigator.iter().map(String::as_str));
    let expected = navigator.iter().find_map(|l| Lang::from_tag(l)).unwrap_or(Lang::En);
    assert_eq!(from_browser, expected);
    assert_eq!(i18n::choose(Some("es"), Some("de"), navigator.iter().map(String::as_str)), Lang::Es);
}

fn mount() -> ShadowRoot {
    let host: HtmlElement = document().create_element("chat-widget").expect("host").unchecked_into();
    document().body().expect("body").append_child(&host).expect("append");
    let root = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open)).expect("shadow root");
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| js_sys::Reflect::set(&options, &k.into(), &v.into()).expect("set");
    set("site", "site_component_test");
    // Nothing listens on port 9: the edge is unreachable.
    set("edge", "http://127.0.0.1:9");
    set("lang", "de");
    let emit = js_sys::Function::new_no_args("");
    // The widget stays mounted for the rest of the page's life, as on a real site.
    let _widget = widget::widget::start(root.clone(), options.into(), emit).expect("start");
    root
}

async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().expect("window").set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn find(root: &ShadowRoot, selector: &str) -> HtmlElement {
    root.query_selector(selector).expect("query").unwrap_or_else(|| panic!("no {selector}")).unchecked_into()
}

#[wasm_bindgen_test]
async fn the_launcher_opens_and_closes_the_panel_and_an_unreachable_edge_is_explained() {
    let root = mount();
    tick().await;
    let launcher = find(&root, ".launcher");
    assert_eq!(launcher.get_attribute("aria-label").as_deref(), Some("Chat öffnen"));
    assert!(find(&root, ".panel").hidden());
    launcher.click();
    tick().await;
    assert!(!find(&root, ".panel").hidden());
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("true"));
    // The config request fails, so the panel says the chat is unavailable and offers no input.
    for _ in 0..100 {
        if root.query_selector(".unavailable").ok().flatten().is_some() {
            break;
        }
        tick().await;
    }
    assert_eq!(
        find(&root, ".unavailable").text_content().as_deref(),
        Some("Der Chat ist gerade nicht verfügbar. Bitte versuchen Sie es später erneut.")
    );
    assert!(root.query_selector("textarea").expect("q").is_none());
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let escape = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    find(&root, ".panel").dispatch_event(&escape).expect("dispatch");
    tick().await;
    assert!(find(&root, ".panel").hidden(), "Escape closes the panel");
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("false"));
}
