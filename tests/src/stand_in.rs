//! A scripted LLM server on 127.0.0.1: the one stand-in the tests allow, since there is no
//! network. The edge talks to it over real HTTP, exactly as it would to a provider. It speaks
//! three wire formats, picked by the path asked: OpenAI's `…/chat/completions`, Anthropic's
//! `…/messages` and Workers AI's `…/ai/run/{model}`. It streams a deterministic reply token by
//! token, and misbehaves on command: a marker in the visitor's last message picks the script.
//!
//! | marker           | behaviour                                                        |
//! |------------------|------------------------------------------------------------------|
//! | (none)           | `Hello from the stand-in! You said: <message>`, then usage, `[DONE]` |
//! | `[[slow]]`       | the same, 200 ms between tokens                                  |
//! | `[[fail]]`       | HTTP 500 with an OpenAI error body, before any token             |
//! | `[[fail-once]]`  | HTTP 503 the first time this message is asked, then the normal reply |
//! | `[[busy]]`       | HTTP 429 with `Retry-After: 0`, every time                       |
//! | `[[bad-key]]`    | HTTP 401, every time                                             |
//! | `[[cut]]`        | three tokens, then the connection is dropped mid-stream          |
//! | `[[error-chunk]]`| two tokens, then an `{"error": …}` chunk                         |
//! | `[[hang]]`       | two tokens, then silence for 30 s                                |
//! | `[[hang-first]]` | headers, then silence for 30 s before any token                  |
//! | `[[split-utf8]]` | a reply of multi-byte characters, each frame written in two parts split inside a character |
//! | `[[long]]`       | `w1 w2 … w90`, 700 ms between tokens: a reply of about a minute  |

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// When its head and body had arrived.
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The wire formats the stand-in speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    OpenAi,
    Anthropic,
    WorkersAi,
}

impl Wire {
    fn of(path: &str) -> Option<Self> {
        if path.ends_with("/chat/completions") {
            Some(Self::OpenAi)
        } else if path.ends_with("/messages") {
            Some(Self::Anthropic)
        } else if path.contains("/ai/run/") {
            Some(Self::WorkersAi)
        } else {
            None
        }
    }

    /// What comes before the first token.
    fn opening(self, prompt_tokens: usize) -> Vec<String> {
        match self {
            Self::OpenAi => vec![data(
                &json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}),
            )],
            Self::Anthropic => vec![
                event(
                    "message_start",
                    &json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "stand-in", "stop_reason": null, "usage": {"input_tokens": prompt_tokens, "output_tokens": 1}}}),
                ),
                event(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                ),
                event("ping", &json!({"type": "ping"})),
            ],
            Self::WorkersAi => vec![],
        }
    }

    fn token(self, piece: &str) -> String {
        match self {
            Self::OpenAi => data(
                &json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]}),
            ),
            Self::Anthropic => event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}),
            ),
            Self::WorkersAi => data(&json!({"response": piece, "p": "abcdefgh"})),
        }
    }

    /// A provider error in the middle of the stream.
    fn error(self) -> String {
        let message = "The stand-in is overloaded.";
        match self {
            Self::OpenAi => data(&json!({"error": {"message": message, "type": "server_error"}})),
            Self::Anthropic => {
                event("error", &json!({"type": "error", "error": {"type": "overloaded_error", "message": message}}))
            }
            Self::WorkersAi => data(&json!({"errors": [{"message": message, "code": 3040}]})),
        }
    }

    /// What ends a complete reply: the finish, the usage and the end marker.
    fn closing(self, prompt_tokens: usize, reply_tokens: usize) -> Vec<String> {
        match self {
            Self::OpenAi => vec![
                data(
                    &json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
                ),
                data(
                    &json!({"id": "c", "object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": reply_tokens, "total_tokens": prompt_tokens + reply_tokens}}),
                ),
                "data: [DONE]\n\n".to_owned(),
            ],
            Self::Anthropic => vec![
                event("content_block_stop", &json!({"type": "content_block_stop", "index": 0})),
                event(
                    "message_delta",
                    &json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": reply_tokens}}),
                ),
                event("message_stop", &json!({"type": "message_stop"})),
            ],
            Self::WorkersAi => vec![
                data(
                    &json!({"response": "", "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": reply_tokens, "total_tokens": prompt_tokens + reply_tokens}}),
                ),
                "data: [DONE]\n\n".to_owned(),
            ],
        }
    }
}

#[derive(Clone)]
pub struct StandIn {
    /// The base URL to configure as `LLM_BASE_URL`.
    pub base_url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    /// Replies whose reader (the edge) closed the connection before the reply was complete.
    hung_up: Arc<Mutex<u32>>,
}

/// How long a hanging script stays silent (bounded, so a test run always ends).
const HANG: Duration = Duration::from_secs(30);

pub const SPLIT_UTF8_REPLY: &str = "Grüße 👋 aus 日本";

impl StandIn {
    /// Listens on `127.0.0.1:port` (0 for any free port) and serves until the runtime ends.
    pub async fn start(port: u16, token_delay: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let hung_up = Arc::new(Mutex::new(0));
        let (server_log, server_hung_up) = (log.clone(), hung_up.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (log, hung_up) = (server_log.clone(), server_hung_up.clone());
                tokio::spawn(async move {
                    if serve(socket, log, token_delay).await.is_err() {
                        if let Ok(mut n) = hung_up.lock() {
                            *n += 1;
                        }
                    }
                });
            }
        });
        Ok(Self { base_url: format!("http://{addr}/v1"), log, hung_up })
    }

    /// How many replies the edge stopped reading before their end (a write to it failed).
    pub fn hung_up(&self) -> u32 {
        self.hung_up.lock().map(|n| *n).unwrap_or(0)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// The pause between the tokens of `[[long]]`: under the test edge's idle timeout.
pub const LONG_TOKEN_DELAY: Duration = Duration::from_millis(700);

/// The reply of `[[long]]`: 90 tokens, about a minute.
pub fn long_reply() -> String {
    (1..=90).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ")
}

/// The reply the stand-in streams for a visitor message without markers.
pub fn default_reply(message: &str) -> String {
    format!("Hello from the stand-in! You said: {message}")
}

/// Splits text into tokens the way models stream them: each word with its leading space.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        out.push(if i == 0 { word.to_owned() } else { format!(" {word}") });
    }
    out
}

async fn serve(mut socket: TcpStream, log: Arc<Mutex<Vec<Recorded>>>, delay: Duration) -> std::io::Result<()> {
    let Some((head, body)) = read_request(&mut socket).await? else {
        return Ok(());
    };
    let at = Instant::now();
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let path = request_line.split(' ').nth(1).unwrap_or_default().to_owned();
    let wire = Wire::of(&path).filter(|_| request_line.starts_with("POST "));
    let Some(wire) = wire else {
        let msg = br#"{"error":{"message":"not found"}}"#;
        let resp = format!("HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", msg.len());
        socket.write_all(resp.as_bytes()).await?;
        return socket.write_all(msg).await;
    };
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())))
        .collect();
    let authorization = headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone());
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // How many times this very request has been made, this one included.
    let asked = log
        .lock()
        .map(|mut l| {
            l.push(Recorded { path, authorization, headers, body: body.clone(), at });
            l.iter().filter(|r| r.body == body).count()
        })
        .unwrap_or(1);
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let prompt_tokens: usize =
        messages.iter().filter_map(|m| m["content"].as_str()).map(|c| c.split_whitespace().count()).sum();

    let refusal = if last_user.contains("[[fail]]") {
        Some("500 Internal Server Error")
    } else if last_user.contains("[[fail-once]]") && asked == 1 {
        Some("503 Service Unavailable")
    } else if last_user.contains("[[busy]]") {
        Some("429 Too Many Requests\r\nretry-after: 0")
    } else if last_user.contains("[[bad-key]]") {
        Some("401 Unauthorized")
    } else {
        None
    };
    if let Some(status) = refusal {
        let msg = br#"{"error":{"message":"The stand-in was told to fail.","type":"server_error"}}"#;
        let resp = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            msg.len()
        );
        socket.write_all(resp.as_bytes()).await?;
        return socket.write_all(msg).await;
    }

    socket
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
        .await?;
    let delay = if last_user.contains("[[slow]]") {
        Duration::from_millis(200)
    } else if last_user.contains("[[long]]") {
        LONG_TOKEN_DELAY
    } else {
        delay
    };
    let reply = if last_user.contains("[[split-utf8]]") {
        SPLIT_UTF8_REPLY.to_owned()
    } else if last_user.contains("[[long]]") {
        long_reply()
    } else {
        default_reply(&last_user)
    };
    let pieces = tokens(&reply);
    let stop_after = if last_user.contains("[[cut]]") {
        Some(3)
    } else if last_user.contains("[[error-chunk]]") || last_user.contains("[[hang]]") {
        Some(2)
    } else if last_user.contains("[[hang-first]]") {
        Some(0)
    } else {
        None
    };
    for opening in wire.opening(prompt_tokens) {
        write_chunk(&mut socket, opening.as_bytes()).await?;
    }
    for (i, piece) in pieces.iter().enumerate() {
        if stop_after == Some(i) {
            if last_user.contains("[[error-chunk]]") {
                write_chunk(&mut socket, wire.error().as_bytes()).await?;
                return write_chunk(&mut socket, b"").await;
            }
            if last_user.contains("[[hang") {
                tokio::time::sleep(HANG).await;
            }
            // Drop the connection without the terminating chunk: a transport failure mid-stream.
            return socket.shutdown().await;
        }
        tokio::time::sleep(delay).await;
        let bytes = wire.token(piece).into_bytes();
        if last_user.contains("[[split-utf8]]") {
            // Split inside the first multi-byte character of the frame, if it has one.
            let cut = bytes.iter().position(|b| *b >= 0x80).map_or(bytes.len() / 2, |p| p + 1);
            write_chunk(&mut socket, &bytes[..cut]).await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            write_chunk(&mut socket, &bytes[cut..]).await?;
        } else {
            write_chunk(&mut socket, &bytes).await?;
        }
    }
    for closing in wire.closing(prompt_tokens, pieces.len()) {
        write_chunk(&mut socket, closing.as_bytes()).await?;
    }
    write_chunk(&mut socket, b"").await
}

fn data(v: &Value) -> String {
    format!("data: {v}\n\n")
}

fn event(name: &str, v: &Value) -> String {
    format!("event: {name}\ndata: {v}\n\n")
}

/// Writes one HTTP/1.1 chunk; an empty one ends the body.
async fn write_chunk(socket: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    socket.write_all(&out).await?;
    socket.flush().await
}

async fn read_request(socket: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut tmp).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
        })
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut tmp).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    Ok(Some((head, body)))
}
