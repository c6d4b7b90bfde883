//! Runs the stand-in LLM for the local demo: `stand-in-llm [PORT]` (default 8790).

use std::time::Duration;

use e2e::stand_in::StandIn;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8790);
    match StandIn::start(port, Duration::from_millis(40)).await {
        Ok(s) => {
            println!("stand-in LLM listening at {}", s.base_url);
            std::future::pending::<()>().await;
        }
        Err(e) => {
            eprintln!("stand-in LLM could not listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    }
}
