//! The worker's own CPU time, from V8's sampling profiler through the inspector `wrangler dev`
//! serves: the time its isolate spent running the worker (and the meter's Durable Object, which
//! lives in the same isolate locally). workerd's process CPU ([`crate::App::workerd_cpu_ms`])
//! also counts what only local development runs: wrangler's proxy, D1's SQLite and the outbound
//! interceptor every fetch of a worker passes through.

use std::collections::HashSet;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How often V8 is asked to sample, in microseconds: fine enough for requests of a
/// millisecond, coarse enough that sampling costs the isolate little.
const SAMPLING_US: u64 = 100;

/// A DevTools protocol session with the worker's isolate.
pub struct Profiler {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Profiler {
    /// Attaches to the inspector on `port` (`wrangler dev --inspector-port`).
    pub async fn attach(port: u16) -> Result<Self, String> {
        let mut request = format!("ws://127.0.0.1:{port}/ws").into_client_request().map_err(|e| e.to_string())?;
        // wrangler's inspector proxy serves only local DevTools pages.
        request.headers_mut().insert("origin", http::HeaderValue::from_static("http://localhost"));
        let (ws, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| format!("inspector: {e}"))?;
        let mut profiler = Self { ws, next_id: 0 };
        profiler.call("Profiler.enable", json!({})).await?;
        profiler.call("Profiler.setSamplingInterval", json!({ "interval": SAMPLING_US })).await?;
        Ok(profiler)
    }

    /// Sends one command and waits for its answer, passing over the events in between.
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params }).to_string();
        self.ws.send(Message::text(command)).await.map_err(|e| format!("{method}: {e}"))?;
        while let Some(message) = self.ws.next().await {
            let Message::Text(text) = message.map_err(|e| format!("{method}: {e}"))? else { continue };
            let mut answer: Value = serde_json::from_str(text.as_str()).map_err(|e| format!("{method}: {e}"))?;
            if answer["id"] != id {
                continue;
            }
            if let Some(error) = answer.get("error") {
                return Err(format!("{method}: {error}"));
            }
            return Ok(answer["result"].take());
        }
        Err(format!("{method}: the inspector closed the session"))
    }

    pub async fn start(&mut self) -> Result<(), String> {
        self.call("Profiler.start", json!({})).await.map(|_| ())
    }

    /// Stops sampling; the profile since [`Profiler::start`], as V8 gives it (the JSON of a
    /// `.cpuprofile` file, which Chromium's DevTools open).
    pub async fn stop(&mut self) -> Result<Value, String> {
        let mut result = self.call("Profiler.stop", json!({})).await?;
        Ok(result["profile"].take())
    }
}

/// How long a V8 CPU profile's isolate was running, in milliseconds: each sample taken while it
/// ran stands for one sampling period. V8 samples only while the isolate is in use, so the gaps
/// between bursts of samples are waits, and say nothing; the period is the median gap of those no
/// longer than four times the one asked for (samples come late, by the sampling's own cost:
/// about 190 µs apart when 100 are asked for). Asked for 25 µs, V8 took them about 110 µs apart;
/// counted at that period, the same load came within a tenth of the total at 100.
pub fn busy_ms(profile: &Value) -> Result<f64, String> {
    let shape = || "a CPU profile with nodes, samples and timeDeltas".to_owned();
    let idle: HashSet<u64> = profile["nodes"]
        .as_array()
        .ok_or_else(shape)?
        .iter()
        .filter(|n| n["callFrame"]["functionName"] == "(idle)")
        .filter_map(|n| n["id"].as_u64())
        .collect();
    let samples = profile["samples"].as_array().ok_or_else(shape)?;
    let mut close: Vec<u64> = profile["timeDeltas"]
        .as_array()
        .ok_or_else(shape)?
        .iter()
        .filter_map(Value::as_u64)
        .filter(|d| (1..=SAMPLING_US * 4).contains(d))
        .collect();
    close.sort_unstable();
    let period = close.get(close.len() / 2).copied().unwrap_or(SAMPLING_US);
    let running = samples.iter().filter(|s| s.as_u64().is_some_and(|id| !idle.contains(&id))).count();
    Ok(running as f64 * period as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_counts_a_period_per_sample_taken_running_whatever_the_waits() {
        // Node 1 is idle. Bursts of three samples 120 µs apart and of one, an idle sample and
        // waits between them, then a burst of two.
        let profile = json!({
            "nodes": [
                { "id": 1, "callFrame": { "functionName": "(idle)" } },
                { "id": 2, "callFrame": { "functionName": "fetch" } },
            ],
            "samples": [2, 2, 2, 2, 1, 2, 2],
            "timeDeltas": [20_000, 120, 120, 5_000, 300, 20_000, 120],
        });
        assert_eq!(busy_ms(&profile), Ok(6.0 * 0.12));
        assert!(busy_ms(&json!({})).is_err());
    }
}
