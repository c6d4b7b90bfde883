//! A site owner's web server on loopback, where the edge looks for a domain's verification
//! token (`VERIFICATION_LOOPBACK_PORT`): what it answers at the well-known address is set by
//! the test, as an owner would edit the file or a redirect on their server.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use shared::admin::domains::VERIFICATION_PATH;

/// What the server answers for a path: status, extra headers, body.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn file(body: &str) -> Self {
        Self { status: 200, headers: vec![("content-type".into(), "text/plain".into())], body: body.to_owned() }
    }

    pub fn redirect(location: &str) -> Self {
        Self { status: 302, headers: vec![("location".into(), location.to_owned())], body: String::new() }
    }

    pub fn missing() -> Self {
        Self { status: 404, headers: Vec::new(), body: "not found".into() }
    }
}

pub struct VerificationSite {
    pub port: u16,
    pages: Arc<Mutex<Vec<(String, Answer)>>>,
    /// Paths asked for, in order.
    asked: Arc<Mutex<Vec<String>>>,
    /// Paths answered 304: asked with the `If-None-Match` of the answer's `etag`.
    not_modified: Arc<Mutex<Vec<String>>>,
}

impl VerificationSite {
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let pages: Arc<Mutex<Vec<(String, Answer)>>> = Arc::default();
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let not_modified: Arc<Mutex<Vec<String>>> = Arc::default();
        let (p, a, n) = (pages.clone(), asked.clone(), not_modified.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (p, a, n) = (p.clone(), a.clone(), n.clone());
                std::thread::spawn(move || serve(stream, &p, &a, &n));
            }
        });
        Ok(Self { port, pages, asked, not_modified })
    }

    /// Answers `answer` at `path` from now on.
    pub fn set(&self, path: &str, answer: Answer) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages.retain(|(p, _)| p != path);
        pages.push((path.to_owned(), answer));
    }

    /// Answers `answer` at the verification file's address.
    pub fn set_file(&self, answer: Answer) {
        self.set(VERIFICATION_PATH, answer);
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn not_modified(&self) -> Vec<String> {
        self.not_modified.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn serve(
    stream: TcpStream,
    pages: &Mutex<Vec<(String, Answer)>>,
    asked: &Mutex<Vec<String>>,
    not_modified: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Of the headers only If-None-Match counts.
    let mut line = String::new();
    let mut if_none_match = None;
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_owned());
            }
        }
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    asked.lock().unwrap_or_else(|e| e.into_inner()).push(path.clone());
    let answer = pages
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, a)| a.clone())
        .unwrap_or_else(Answer::missing);
    let etag = answer.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("etag")).map(|(_, v)| v.clone());
    let answer = match (etag, if_none_match) {
        (Some(e), Some(asked_for)) if e == asked_for => {
            not_modified.lock().unwrap_or_else(|e| e.into_inner()).push(path.clone());
            Answer { status: 304, headers: vec![("etag".into(), e)], body: String::new() }
        }
        _ => answer,
    };
    let mut head =
        format!("HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n", answer.status, answer.body.len());
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let mut stream = &stream;
    let _ = stream.write_all(format!("{head}\r\n{}", answer.body).as_bytes());
}
