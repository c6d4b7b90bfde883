//! `tests/bare-relay` under its own `wrangler dev`: a Worker that only relays, whose cost over
//! calling the provider directly is the floor any Worker pays locally. Dropping it stops it.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::app::{free_port, stop, tool, PORT_TAKEN};

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
        let mut attempt = 1;
        loop {
            let port = free_port()?;
            let state = tempfile::tempdir().map_err(|e| e.to_string())?;
            let out = std::fs::File::create(state.path().join("wrangler.log")).map_err(|e| e.to_string())?;
            let err = out.try_clone().map_err(|e| e.to_string())?;
            let mut cmd = tool(&format!(
                "wrangler dev --config tests/bare-relay/wrangler.toml --local --ip 127.0.0.1 --port {port} \
                 --inspector-port {} --persist-to {} --var UPSTREAM:{upstream} --show-interactive-dev-session=false",
                free_port()?,
                state.path().display()
            ));
            // Its own process group, so stopping it also stops its workerd.
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let wrangler =
                cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn().map_err(|e| format!("wrangler dev: {e}"))?;
            let relay = BareRelay { url: format!("http://127.0.0.1:{port}"), wrangler, state };
            match relay.wait_until_up().await {
                // A port found free may be taken before wrangler binds it: then again on another.
                Err(e) if e.contains(PORT_TAKEN) && attempt < 3 => attempt += 1,
                up => return up.map(|()| relay),
            }
        }
    }

    async fn wait_until_up(&self) -> Result<(), String> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(120) {
            // Any answer will do: the upstream's own 404 is one.
            if http.get(&self.url).send().await.is_ok() {
                return Ok(());
            }
            if self.log().contains(PORT_TAKEN) {
                return Err(PORT_TAKEN.to_owned());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(format!("the bare relay did not come up:\n{}", self.log()))
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
