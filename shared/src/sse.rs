//! Server-Sent Events: the events the edge streams to the widget, and a byte-level decoder
//! that the edge uses on the provider's stream and the widget on the edge's.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::message::{SourceRef, Usage};

/// What the edge streams while answering a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The passages of the site's knowledge the reply is given, before its first token.
    Sources { sources: Vec<SourceRef> },
    /// The next piece of the reply.
    Token { delta: String },
    /// The reply is complete and stored.
    Done { message_id: String, usage: Usage },
    /// The reply could not be completed; what arrived before is stored.
    Error { code: ErrorCode, message: String },
}

#[derive(Serialize, Deserialize)]
struct SourcesData {
    sources: Vec<SourceRef>,
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
            Self::Sources { .. } => "sources",
            Self::Token { .. } => "token",
            Self::Done { .. } => "done",
            Self::Error { .. } => "error",
        }
    }

    /// The event as it goes on the wire: `event: NAME\ndata: JSON\n\n`.
    pub fn encode(&self) -> String {
        let data = match self {
            Self::Sources { sources } => serde_json::to_string(&SourcesData { sources: sources.clone() }),
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
            "sources" => {
                serde_json::from_str::<SourcesData>(&frame.data).ok().map(|d| Self::Sources { sources: d.sources })
            }
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
/// A frame, like what [`SseDecoder::pending`] counts, is at most three bytes for each byte it was
/// read from (a byte of a broken character becomes U+FFFD), so whoever bounds what is pushed
/// between frames bounds the frames.
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

    use proptest::prelude::*;
    use proptest::sample::Index;

    /// `bytes` pushed in pieces cut at `cuts`.
    fn decode_in_pieces(bytes: &[u8], cuts: &[Index]) -> Vec<SseFrame> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut d = SseDecoder::new();
        let mut frames = Vec::new();
        let mut from = 0;
        for to in at.into_iter().chain([bytes.len()]) {
            frames.extend(d.push(&bytes[from..to]));
            from = to;
        }
        frames
    }

    /// Text without line breaks, as a field's value is.
    fn line() -> impl Strategy<Value = String> {
        any::<String>().prop_map(|s| s.replace(['\r', '\n'], " "))
    }

    /// A frame as a server may write it: maybe a name, one or more data lines, maybe a comment.
    fn frame() -> impl Strategy<Value = (Option<String>, Vec<String>, Option<String>)> {
        (proptest::option::of(line()), proptest::collection::vec(line(), 1..4), proptest::option::of(line()))
    }

    /// A valid stream of `frames` with one line ending throughout, maybe after a byte order mark,
    /// and the frames a reader must see in it.
    fn stream(
        frames: &[(Option<String>, Vec<String>, Option<String>)],
        ending: &str,
        bom: bool,
    ) -> (Vec<u8>, Vec<SseFrame>) {
        let mut wire = if bom { "\u{feff}".to_owned() } else { String::new() };
        let mut expected = Vec::new();
        for (event, data, comment) in frames {
            if let Some(c) = comment {
                wire += &format!(":{c}{ending}");
            }
            if let Some(e) = event {
                wire += &format!("event: {e}{ending}");
            }
            for d in data {
                wire += &format!("data: {d}{ending}");
            }
            wire += ending;
            let event = event.clone().filter(|e| !e.is_empty()).unwrap_or_else(|| "message".to_owned());
            expected.push(SseFrame { event, data: data.join("\n") });
        }
        (wire.into_bytes(), expected)
    }

    fn event() -> impl Strategy<Value = StreamEvent> {
        prop_oneof![
            any::<String>().prop_map(|delta| StreamEvent::Token { delta }),
            proptest::collection::vec((any::<String>(), any::<String>(), any::<Option<String>>()), 0..4).prop_map(
                |s| StreamEvent::Sources {
                    sources: s.into_iter().map(|(id, title, url)| SourceRef { id, title, url }).collect()
                }
            ),
            (any::<String>(), any::<u32>(), any::<u32>()).prop_map(|(message_id, tokens_in, tokens_out)| {
                StreamEvent::Done { message_id, usage: Usage { tokens_in, tokens_out } }
            }),
            (proptest::sample::select(ErrorCode::ALL.to_vec()), any::<String>())
                .prop_map(|(code, message)| StreamEvent::Error { code, message }),
        ]
    }

    proptest! {
        #[test]
        fn any_split_of_a_valid_stream_gives_its_frames(
            frames in proptest::collection::vec(frame(), 0..6),
            ending in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
            bom in any::<bool>(),
            cuts in proptest::collection::vec(any::<Index>(), 0..12),
        ) {
            let (wire, expected) = stream(&frames, ending, bom);
            prop_assert_eq!(decode_in_pieces(&wire, &cuts), expected);
        }

        #[test]
        fn our_events_come_back_whole_however_the_stream_is_cut(
            events in proptest::collection::vec(event(), 0..6),
            cuts in proptest::collection::vec(any::<Index>(), 0..12),
        ) {
            let wire: String = events.iter().map(StreamEvent::encode).collect();
            let back: Vec<_> = decode_in_pieces(wire.as_bytes(), &cuts).iter().filter_map(StreamEvent::from_frame).collect();
            prop_assert_eq!(back, events);
        }

        /// Whatever arrives, however cut: no panic, the frames of reading it byte by byte, and no
        /// frame (nor what is held) above three bytes per byte read since the frame before.
        #[test]
        fn any_bytes_decode_within_bounds(
            bytes in proptest::collection::vec(any::<u8>(), 0..1024),
            cuts in proptest::collection::vec(any::<Index>(), 0..12),
        ) {
            let mut d = SseDecoder::new();
            let mut bytewise = Vec::new();
            let mut since_frame = 0;
            for b in &bytes {
                since_frame += 1;
                for f in d.push(std::slice::from_ref(b)) {
                    prop_assert!(f.event.len() + f.data.len() <= 3 * since_frame, "{f:?} from {since_frame} bytes");
                    since_frame = 0;
                    bytewise.push(f);
                }
                prop_assert!(d.pending() <= 3 * since_frame);
            }
            prop_assert_eq!(decode_in_pieces(&bytes, &cuts), bytewise);
        }
    }

    #[test]
    fn events_round_trip_through_the_wire_form() {
        let events = [
            StreamEvent::Sources {
                sources: vec![SourceRef {
                    id: "s1".into(),
                    title: "FAQ".into(),
                    url: Some("https://a.example/faq".into()),
                }],
            },
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
