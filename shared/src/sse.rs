//! Server-Sent Events: the events the edge streams to the widget, and a byte-level decoder
//! that the edge uses on the provider's stream and the widget on the edge's.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::message::Usage;

/// What the edge streams while answering a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The next piece of the reply.
    Token { delta: String },
    /// The reply is complete and stored.
    Done { message_id: String, usage: Usage },
    /// The reply could not be completed; what arrived before is stored.
    Error { code: ErrorCode, message: String },
}

#[derive(Serialize, Deserialize)]
struct TokenData {
    delta: String,
}

#[derive(Serialize, Deserialize)]
struct DoneData {
    message_id: String,
    usage: Usage,
}

#[derive(Serialize, Deserialize)]
struct ErrorData {
    code: ErrorCode,
    message: String,
}

impl StreamEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Token { .. } => "token",
            Self::Done { .. } => "done",
            Self::Error { .. } => "error",
        }
    }

    /// The event as it goes on the wire: `event: NAME\ndata: JSON\n\n`.
    pub fn encode(&self) -> String {
        let data = match self {
            Self::Token { delta } => serde_json::to_string(&TokenData { delta: delta.clone() }),
            Self::Done { message_id, usage } => {
                serde_json::to_string(&DoneData { message_id: message_id.clone(), usage: *usage })
            }
            Self::Error { code, message } => {
                serde_json::to_string(&ErrorData { code: *code, message: message.clone() })
            }
        };
        // Serialising these plain structs cannot fail; JSON never contains a raw newline.
        let data = data.unwrap_or_default();
        format!("event: {}\ndata: {}\n\n", self.name(), data)
    }

    /// Reads an event back from a decoded frame; `None` for frames that are not ours.
    pub fn from_frame(frame: &SseFrame) -> Option<Self> {
        match frame.event.as_str() {
            "token" => serde_json::from_str::<TokenData>(&frame.data).ok().map(|d| Self::Token { delta: d.delta }),
            "done" => serde_json::from_str::<DoneData>(&frame.data)
                .ok()
                .map(|d| Self::Done { message_id: d.message_id, usage: d.usage }),
            "error" => serde_json::from_str::<ErrorData>(&frame.data)
                .ok()
                .map(|d| Self::Error { code: d.code, message: d.message }),
            _ => None,
        }
    }
}

/// One dispatched event: its name (`message` when none was given) and its data lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    pub event: String,
    pub data: String,
}

/// Incremental SSE decoder. Feed it bytes as they arrive, in chunks split anywhere (even inside
/// a multi-byte character or between `\r` and `\n`); it returns the frames that completed.
#[derive(Debug, Default)]
pub struct SseDecoder {
    line: Vec<u8>,
    after_cr: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseFrame> {
        let mut frames = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(&mut frames),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut frames);
                }
                _ => self.line.push(b),
            }
        }
        frames
    }

    /// Bytes of an unfinished line still held, e.g. to tell a clean end of stream from a cut one.
    pub fn pending(&self) -> usize {
        self.line.len() + self.data.len()
    }

    fn end_line(&mut self, frames: &mut Vec<SseFrame>) {
        let mut line = std::mem::take(&mut self.line);
        if !self.started {
            self.started = true;
            if line.starts_with("\u{feff}".as_bytes()) {
                line.drain(..3);
            }
        }
        if line.is_empty() {
            if self.has_data {
                frames.push(SseFrame {
                    event: if self.event.is_empty() { "message".to_owned() } else { std::mem::take(&mut self.event) },
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event.clear();
            self.has_data = false;
            return;
        }
        let line = String::from_utf8_lossy(&line);
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(bytes: &[u8], split: usize) -> Vec<SseFrame> {
        let mut d = SseDecoder::new();
        let mut frames = d.push(&bytes[..split]);
        frames.extend(d.push(&bytes[split..]));
        frames
    }

    #[test]
    fn events_round_trip_through_the_wire_form() {
        let events = [
            StreamEvent::Token { delta: "Hé \"quoted\"\nline".into() },
            StreamEvent::Done { message_id: "m1".into(), usage: Usage { tokens_in: 12, tokens_out: 3 } },
            StreamEvent::Error { code: ErrorCode::UpstreamInterrupted, message: "cut".into() },
        ];
        let wire: String = events.iter().map(StreamEvent::encode).collect();
        let frames = SseDecoder::new().push(wire.as_bytes());
        let back: Vec<_> = frames.iter().filter_map(StreamEvent::from_frame).collect();
        assert_eq!(back, events);
    }

    #[test]
    fn a_split_at_every_byte_gives_the_same_frames() {
        let wire = StreamEvent::Token { delta: "naïve 日本語 🚀".into() }.encode()
            + "data: {\"a\":1}\r\n\r\n"
            + ": keep-alive\n\n"
            + &StreamEvent::Token { delta: "ü".into() }.encode();
        let whole = SseDecoder::new().push(wire.as_bytes());
        assert_eq!(whole.len(), 3);
        for split in 0..=wire.len() {
            assert_eq!(decode_in_pieces(wire.as_bytes(), split), whole, "split at byte {split}");
        }
        assert_eq!(StreamEvent::from_frame(&whole[0]), Some(StreamEvent::Token { delta: "naïve 日本語 🚀".into() }));
    }

    #[test]
    fn byte_by_byte_keeps_multibyte_characters_whole() {
        let wire = StreamEvent::Token { delta: "€😀".into() }.encode();
        let mut d = SseDecoder::new();
        let frames: Vec<_> = wire.as_bytes().iter().flat_map(|b| d.push(std::slice::from_ref(b))).collect();
        assert_eq!(StreamEvent::from_frame(&frames[0]), Some(StreamEvent::Token { delta: "€😀".into() }));
    }

    #[test]
    fn multi_line_data_comments_bare_cr_and_bom() {
        let frames = SseDecoder::new().push(b"\xEF\xBB\xBFdata: one\rdata:two\r\r: comment\n\nevent: x\ndata\n\n");
        assert_eq!(
            frames,
            vec![
                SseFrame { event: "message".into(), data: "one\ntwo".into() },
                SseFrame { event: "x".into(), data: "".into() },
            ]
        );
    }

    #[test]
    fn an_unterminated_frame_is_held_not_dispatched() {
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: {\"partial\"").is_empty());
        assert!(d.pending() > 0);
        assert_eq!(d.push(b"}\n\n").len(), 1);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn foreign_frames_are_not_our_events() {
        assert_eq!(StreamEvent::from_frame(&SseFrame { event: "message".into(), data: "{}".into() }), None);
        assert_eq!(StreamEvent::from_frame(&SseFrame { event: "token".into(), data: "not json".into() }), None);
    }
}
