//! Requests the edge makes to other servers (LLM providers, owners' sites, DNS over HTTPS):
//! each waits a bounded time and reads a bounded body, so a slow or endless answer costs a
//! request no more than its limits.

use std::future::Future;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::Delay;

/// `fut`'s output, or `None` if it takes longer than `limit`.
pub async fn within<T>(limit: Duration, fut: impl Future<Output = T>) -> Option<T> {
    let fut = std::pin::pin!(fut);
    match select(fut, Delay::from(limit)).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// At most `max` bytes of a response's body, as text; the rest is never read.
pub async fn read_within(mut response: worker::Response, max: usize) -> String {
    let Ok(mut body) = response.stream() else { return String::new() };
    let mut bytes = Vec::new();
    while bytes.len() < max {
        match body.next().await {
            Some(Ok(chunk)) => bytes.extend_from_slice(&chunk[..chunk.len().min(max - bytes.len())]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
