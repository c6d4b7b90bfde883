//! `tests/bare-relay` under its own `wrangler dev`: a Worker that only relays, whose cost over
//! calling the provider directly is the floor any Worker pays locally. Dropping it stops it.

use std::process::Child;
use std::time::{Duration, Instant};

use crate::app::{start_wrangler, stop, PORT_TAKEN};

/// How long it may take to come up; it has nothing to build.
const START_TIMEOUT: Duration = Duration::from_secs(120);

pub struct BareRelay {
    /// Where it listens; a request to a path here goes to the same path under the upstream.
    pub url: String,
    wrangler: Child,
    /// Its log and local state.
    state: tempfile::TempDir,
}

impl BareRelay {
    /// Starts it in front of `upstream` and waits for its first answer.
    pub async fn spawn(upstream: &str) -> Result<BareRelay, String> {
        let flags = format!("--config tests/bare-relay/wrangler.toml --var UPSTREAM:{upstream}");
        let mut attempt = 1;
        loop {
            let state = tempfile::tempdir().map_err(|e| e.to_string())?;
            let (wrangler, port, _) = start_wrangler(state.path(), &flags)?;
            let mut relay = BareRelay { url: format!("http://127.0.0.1:{port}"), wrangler, state };
            match relay.wait_until_up().await {
                // A port found free may be taken before wrangler binds it: then again on others.
                Err(e) if e.contains(PORT_TAKEN) && attempt < 3 => attempt += 1,
                up => return up.map(|()| relay),
            }
        }
    }

    async fn wait_until_up(&mut self) -> Result<(), String> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
        let start = Instant::now();
        while start.elapsed() < START_TIMEOUT {
            // Any answer will do: the upstream's own 404 is one.
            if http.get(&self.url).send().await.is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.wrangler.try_wait() {
                return Err(format!("wrangler dev ended ({status}):\n{}", self.log()));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(format!("the bare relay did not come up within {START_TIMEOUT:?}:\n{}", self.log()))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.state.path().join("wrangler.log")).unwrap_or_default()
    }
}

impl Drop for BareRelay {
    fn drop(&mut self) {
        stop(&mut self.wrangler);
    }
}
