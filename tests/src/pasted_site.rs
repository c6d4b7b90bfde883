//! A website whose owner pastes the tag the console gave them into its page: served over real
//! HTTP on its own origin (`http://127.0.0.5:PORT`), the page carrying whatever tag was pasted.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const HOST: &str = "127.0.0.5";

pub struct PastedSite {
    pub port: u16,
    tag: Arc<Mutex<String>>,
}

impl PastedSite {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((HOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let tag = Arc::new(Mutex::new(String::new()));
        let shared = tag.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let tag = shared.lock().map(|t| t.clone()).unwrap_or_default();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let body = format!(
                        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tea shop</title></head>\
                         <body><h1>Tea shop</h1><p>Loose-leaf tea, shipped weekly.</p>{tag}</body></html>"
                    );
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(body.as_bytes()).await;
                });
            }
        });
        Ok(Self { port, tag })
    }

    /// What the owner pastes into the page.
    pub fn paste(&self, tag: &str) {
        if let Ok(mut t) = self.tag.lock() {
            *t = tag.to_owned();
        }
    }

    pub fn url(&self) -> String {
        format!("http://{HOST}:{}/", self.port)
    }
}
