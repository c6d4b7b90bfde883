//! Usage over a chosen range of days: conversations, messages, replies, tokens and cost per day
//! as bar charts (SVG, with axes and a legend), their totals and how visitors rated replies, and
//! the month's budget and the operator's plan as gauges. Every figure is the usage API's
//! (`GET /v1/admin/usage`) for the same range.

use leptos::prelude::*;
use shared::admin::usage::{ActivityDay, UsageDay, UsageReport};
use wasm_bindgen::JsValue;

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::ui::{dollars, DayRange};

const DAY_MS: f64 = 86_400_000.0;

/// `YYYY-MM-DD` (UTC) of a time in ms.
fn day_of(ms: f64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(ms)).to_iso_string()).chars().take(10).collect()
}

fn ms_of(day: &str) -> f64 {
    js_sys::Date::parse(&format!("{day}T00:00:00Z"))
}

/// Every day of the range, oldest first: a chart's gaps are days too.
fn every_day(from: &str, to: &str) -> Vec<String> {
    let (mut at, end) = (ms_of(from), ms_of(to));
    let mut out = Vec::new();
    while at <= end && out.len() < 400 {
        out.push(day_of(at));
        at += DAY_MS;
    }
    out
}

/// One value per day of `days`, zero on days `rows` does not list.
fn per_day<T>(days: &[String], rows: &[T], day: fn(&T) -> &str, value: impl Fn(&T) -> f64) -> Vec<(String, f64)> {
    days.iter().map(|d| (d.clone(), rows.iter().find(|r| day(r) == d).map(&value).unwrap_or(0.0))).collect()
}

#[component]
pub fn Analytics() -> impl IntoView {
    let account = use_account();
    let now = js_sys::Date::now();
    let from = RwSignal::new(day_of(now - 29.0 * DAY_MS));
    let to = RwSignal::new(day_of(now));
    let report = Answer::<UsageReport>::new(move || {
        account.organization.track();
        format!("/v1/admin/usage{}", api::query(&[("from", &from.get()), ("to", &to.get())]))
    });
    let error = RwSignal::new(None::<ApiError>);
    view! {
        <h1>"Analytics"</h1>
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            <DayRange from to/>
        </form>
        <crate::ui::ErrorNote error/>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || report.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(report) => {
                    // The range this answer is for: a changed range is asked for again, and the
                    // figures are drawn anew when its answer comes.
                    let days = every_day(&from.get_untracked(), &to.get_untracked());
                    let usage = |value: fn(&UsageDay) -> u64| per_day(&days, &report.days, |d| &d.day, move |d| value(d) as f64);
                    let activity = |value: fn(&ActivityDay) -> u64| per_day(&days, &report.activity, |d| &d.day, move |d| value(d) as f64);
                    let total = |points: &[(String, f64)]| points.iter().map(|p| p.1).sum::<f64>() as u64;
                    let (conversations, messages) = (activity(|d| d.conversations), activity(|d| d.messages));
                    let (replies, cost) = (usage(|d| d.requests), usage(|d| d.cost_micros));
                    let tokens = usage(|d| d.tokens_in + d.tokens_out);
                    let (up, down) = (total(&activity(|d| d.rated_up)), total(&activity(|d| d.rated_down)));
                    let rated = match (up * 100 + (up + down) / 2).checked_div(up + down) {
                        Some(share) => format!("{share}% of {}", up + down),
                        None => "no ratings".to_owned(),
                    };
                    let b = report.budget;
                    view! {
                        <dl class="totals">
                            <div><dt>"Conversations"</dt><dd id="total-conversations">{total(&conversations)}</dd></div>
                            <div><dt>"Messages"</dt><dd id="total-messages">{total(&messages)}</dd></div>
                            <div><dt>"Replies"</dt><dd id="total-requests">{total(&replies)}</dd></div>
                            <div><dt>"Tokens in"</dt><dd id="total-tokens-in">{total(&usage(|d| d.tokens_in))}</dd></div>
                            <div><dt>"Tokens out"</dt><dd id="total-tokens-out">{total(&usage(|d| d.tokens_out))}</dd></div>
                            <div><dt>"Cost"</dt><dd id="total-cost">{dollars(total(&cost))}</dd></div>
                            <div><dt>"Rated helpful"</dt><dd id="total-rated">{rated}</dd></div>
                        </dl>
                        <section class="card">
                            <h2>{format!("Budget for {}", b.month)}</h2>
                            <Gauge label="Spent of the monthly budget" spent=b.spent_micros cap=b.monthly_budget_cents * 10_000/>
                            <Gauge label="Used of the plan on the operator's account" spent=b.operator_spent_micros cap=b.plan_monthly_cents * 10_000/>
                            {(b.exhausted || b.plan_exhausted).then(|| view! { <p class="error">"Replies are refused until next month or a larger budget."</p> })}
                        </section>
                        <div class="charts">
                            <BarChart title="Conversations per day" points=conversations label=|v| format!("{v:.0}")/>
                            <BarChart title="Messages per day" points=messages label=|v| format!("{v:.0}")/>
                            <BarChart title="Replies per day" points=replies label=|v| format!("{v:.0}")/>
                            <BarChart title="Tokens per day (in and out)" points=tokens label=|v| format!("{v:.0}")/>
                            <BarChart title="Cost per day" points=cost label=|v| dollars(v as u64)/>
                        </div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// How much of a cap is used, as a native `<meter>` (read out by screen readers) with words.
#[component]
fn Gauge(label: &'static str, spent: u64, cap: u64) -> impl IntoView {
    let (low, high) = (cap as f64 * 0.8, cap as f64 * 0.95);
    view! {
        <div class="gauge">
            <label>{label}
                <meter min="0" max=cap.max(1) as f64 low=low high=high optimum="0" value=spent as f64></meter>
            </label>
            <span class="hint">{format!("{} of {}", dollars(spent), dollars(cap))}</span>
        </div>
    }
}

/// One series per day as bars, with a y axis from zero to the largest value, the first and last
/// days under the x axis, each bar's day and value as its tooltip, and a legend.
#[component]
fn BarChart(title: &'static str, points: Vec<(String, f64)>, label: fn(f64) -> String) -> impl IntoView {
    let (w, h, left, bottom) = (600.0, 200.0, 56.0, 24.0);
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let plot_w = w - left - 8.0;
    let plot_h = h - bottom - 8.0;
    let step = plot_w / points.len().max(1) as f64;
    let first = points.first().map(|p| p.0.clone()).unwrap_or_default();
    let last = points.last().map(|p| p.0.clone()).unwrap_or_default();
    let summary = format!("{title}: from {first} to {last}, at most {}", label(max));
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (day, v))| {
            let bh = if max > 0.0 { v / max * plot_h } else { 0.0 };
            view! {
                <rect class="bar" x=left + i as f64 * step + step * 0.15 y=8.0 + plot_h - bh width=step * 0.7 height=bh>
                    <title>{format!("{day}: {}", label(*v))}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="card chart">
            <figcaption><h2>{title}</h2></figcaption>
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=summary>
                <line class="axis" x1=left y1=8.0 x2=left y2=8.0 + plot_h/>
                <line class="axis" x1=left y1=8.0 + plot_h x2=w - 8.0 y2=8.0 + plot_h/>
                <text class="tick" x=left - 6.0 y=20.0 text-anchor="end">{label(max)}</text>
                <text class="tick" x=left - 6.0 y=8.0 + plot_h text-anchor="end">"0"</text>
                <text class="tick" x=left y=h - 6.0>{first}</text>
                <text class="tick" x=w - 8.0 y=h - 6.0 text-anchor="end">{last}</text>
                {bars}
            </svg>
            <p class="legend"><span class="swatch" aria-hidden="true"></span>{title}</p>
        </figure>
    }
}
