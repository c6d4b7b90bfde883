//! Pieces every page uses: an error shown in words where it happened, times in the reader's
//! own locale, amounts of money, a copy button, a file download, reading again every few seconds.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use shared::admin::domains::DomainView;

use crate::api::{self, Answer, ApiError};

/// An API error next to what caused it; read out by screen readers when it appears.
#[component]
pub fn ErrorNote(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    view! {
        <p class="error" role="alert" hidden=move || error.with(Option::is_none)>
            {move || error.get().map(|e| e.message).unwrap_or_default()}
        </p>
    }
}

/// The organization's sites, for a list's site filter; the list is read again when the
/// organization changes.
#[derive(Clone, Copy)]
pub struct Sites(Answer<shared::admin::Page<DomainView>>);

impl Sites {
    /// The sites (tracked): `None` while they load, none if they could not be read.
    pub fn get(&self) -> Option<Vec<DomainView>> {
        self.0.get().map(|r| r.map(|p| p.items).unwrap_or_default())
    }

    pub fn get_untracked(&self) -> Option<Vec<DomainView>> {
        untrack(|| self.get())
    }
}

pub fn sites() -> Sites {
    let account = crate::account::use_account();
    Sites(Answer::new(move || {
        account.organization.track();
        "/v1/admin/domains".into()
    }))
}

/// Appends the list page at `path` to `items` and keeps its cursor in `next` (none: no more).
pub fn append_page<T>(
    path: String,
    items: RwSignal<Vec<T>>,
    next: RwSignal<Option<String>>,
    error: RwSignal<Option<ApiError>>,
) where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    leptos::task::spawn_local(async move {
        match api::get::<shared::admin::Page<T>>(&path).await {
            Ok(page) => {
                error.set(None);
                items.update(|list| list.extend(page.items));
                next.set(page.next_cursor);
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// A list's site filter: all sites, or one.
#[component]
pub fn SiteFilter(site: RwSignal<String>, sites: Sites) -> impl IntoView {
    view! {
        <div class="wide">
            <SiteSelect id="site" label="Site" site sites/>
        </div>
    }
}

/// A labelled choice of the organization's sites, "All sites" (the empty value) first: what a
/// list is filtered by, or what a new entry or source is for.
#[component]
pub fn SiteSelect(id: &'static str, label: &'static str, site: RwSignal<String>, sites: Sites) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id bind:value=site>
            <option value="">"All sites"</option>
            {move || sites.get().unwrap_or_default().into_iter().map(|d| view! {
                <option value=d.id.clone()>{d.hostname.clone()}</option>
            }).collect_view()}
        </select>
    }
}

/// A list's range of days (`YYYY-MM-DD`, either end open when empty).
#[component]
pub fn DayRange(from: RwSignal<String>, to: RwSignal<String>) -> impl IntoView {
    view! {
        <div>
            <label for="from">"From"</label>
            <input id="from" type="date" bind:value=from/>
        </div>
        <div>
            <label for="to">"To"</label>
            <input id="to" type="date" bind:value=to/>
        </div>
    }
}

/// Milliseconds since the epoch, as the reader's locale writes a date and time.
pub fn when(ms: i64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

/// A time as ISO 8601 in UTC, the form spreadsheets read.
pub fn iso(ms: i64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(ms as f64)).to_iso_string())
}

/// Millionths of a dollar as people read dollars: cents, the thousands grouped, or four decimals
/// below a dollar, so that a quiet month's hundredths of a cent do not read as $0.00.
pub fn dollars(micros: u64) -> String {
    let places = if micros < 1_000_000 { 4 } else { 2 };
    let unit = 10u64.pow(6 - places);
    let rounded = micros / unit + u64::from(micros % unit * 2 >= unit);
    let scale = 10u64.pow(places);
    let whole = (rounded / scale).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{:0width$}", rounded % scale, width = places as usize)
}

/// Copies `text` to the clipboard; the button says so for a moment.
#[component]
pub fn CopyButton(#[prop(into)] text: Signal<String>, #[prop(into)] label: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let Some(window) = web_sys::window() else { return };
        let promise = window.navigator().clipboard().write_text(&text.get_untracked());
        leptos::task::spawn_local(async move {
            if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                copied.set(true);
                gloo_timers::future::TimeoutFuture::new(2000).await;
                copied.set(false);
            }
        });
    };
    view! {
        <button type="button" class="secondary" on:click=copy>
            {move || if copied.get() { "Copied".to_owned() } else { label.clone() }}
        </button>
        <span class="visually-hidden" role="status">{move || if copied.get() { "Copied to the clipboard" } else { "" }}</span>
    }
}

/// Offers `content` to the reader as a file named `name`.
pub fn download(name: &str, mime: &str, content: &str) -> Result<(), ApiError> {
    offer(name, mime, content).map_err(|_| ApiError {
        status: 0,
        code: None,
        message: "The browser refused the download.".into(),
    })
}

fn offer(name: &str, mime: &str, content: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(content));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)
}

/// Runs `tick` every `ms` milliseconds, each after the last one ended, for as long as the
/// calling component is shown.
pub fn every<F, Fut>(ms: u32, tick: F)
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let alive = RwSignal::new(true);
    on_cleanup(move || alive.set(false));
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(ms).await;
            if !alive.try_get_untracked().unwrap_or(false) {
                break;
            }
            tick().await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::dollars;

    #[test]
    fn dollars_show_cents_or_four_decimals_below_a_dollar() {
        assert_eq!(dollars(0), "$0.0000");
        assert_eq!(dollars(200), "$0.0002");
        assert_eq!(dollars(149), "$0.0001");
        assert_eq!(dollars(150), "$0.0002");
        assert_eq!(dollars(999_949), "$0.9999");
        assert_eq!(dollars(999_950), "$1.0000");
        assert_eq!(dollars(1_000_000), "$1.00");
        assert_eq!(dollars(1_234_567), "$1.23");
        assert_eq!(dollars(1_235_000), "$1.24");
        assert_eq!(dollars(999_994_999), "$999.99");
        assert_eq!(dollars(999_995_000), "$1,000.00");
        assert_eq!(dollars(1_000_000_000_000), "$1,000,000.00");
        assert_eq!(dollars(u64::MAX), "$18,446,744,073,709.55");
    }
}
