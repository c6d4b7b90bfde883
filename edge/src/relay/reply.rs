//! Folding a provider's stream into one reply, and deciding how it ended.

use shared::{ErrorCode, MessageStatus, Usage};

use crate::error::EdgeError;
use crate::prompt::estimate_tokens;

/// What a provider's stream said, in provider-independent terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// The next piece of the reply text.
    Delta(String),
    /// The provider says the reply is complete (a finish reason); the stream may still carry usage.
    Finished,
    /// Token counts for the whole exchange.
    Usage(Usage),
    /// The prompt's token count alone (formats that report the two counts apart).
    PromptTokens(u32),
    /// The reply's token count so far alone.
    ReplyTokens(u32),
    /// The end-of-stream marker.
    Done,
    /// The provider reported an error in the stream.
    ProviderError(String),
    /// A frame that could not be understood.
    Malformed(String),
}

/// The reply as it stands, fed chunk by chunk.
#[derive(Debug)]
pub struct ReplyBuilder {
    text: String,
    /// Longest text kept; a reply that runs past it is cut there.
    max_bytes: usize,
    tokens_in: Option<u32>,
    tokens_out: Option<u32>,
    finished: bool,
    done: bool,
    broke: Option<String>,
}

/// How a reply ended: what to store and what to tell the visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: MessageStatus,
    pub content: String,
    pub usage: Usage,
    /// Set unless the reply is complete.
    pub error: Option<EdgeError>,
}

impl ReplyBuilder {
    /// A reply of at most `max_bytes` of text.
    pub fn within(max_bytes: usize) -> Self {
        Self {
            text: String::new(),
            max_bytes,
            tokens_in: None,
            tokens_out: None,
            finished: false,
            done: false,
            broke: None,
        }
    }

    /// Takes one chunk; returns the text to relay to the visitor right away, if any.
    pub fn apply(&mut self, chunk: Chunk) -> Option<String> {
        if self.is_over() {
            return None;
        }
        match chunk {
            Chunk::Delta(mut t) => {
                let room = self.max_bytes - self.text.len();
                if t.len() > room {
                    let mut end = room;
                    while !t.is_char_boundary(end) {
                        end -= 1;
                    }
                    t.truncate(end);
                    self.broke = Some(format!("the reply ran past {} bytes", self.max_bytes));
                }
                self.text.push_str(&t);
                return Some(t).filter(|t| !t.is_empty());
            }
            Chunk::Finished => self.finished = true,
            Chunk::Usage(u) => (self.tokens_in, self.tokens_out) = (Some(u.tokens_in), Some(u.tokens_out)),
            Chunk::PromptTokens(n) => self.tokens_in = Some(n),
            Chunk::ReplyTokens(n) => self.tokens_out = Some(n),
            Chunk::Done => self.done = true,
            Chunk::ProviderError(m) => self.broke = Some(format!("provider error: {m}")),
            Chunk::Malformed(m) => self.broke = Some(format!("malformed stream: {m}")),
        }
        None
    }

    /// Whether any reply text has arrived yet.
    pub fn has_text(&self) -> bool {
        !self.text.is_empty()
    }

    /// The reply text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True once nothing more should be read.
    pub fn is_over(&self) -> bool {
        self.done || self.broke.is_some()
    }

    /// Records that the connection failed (`cause`) before the stream ended.
    pub fn broke_off(&mut self, cause: impl Into<String>) {
        if !self.is_over() {
            self.broke = Some(cause.into());
        }
    }

    /// The outcome once the stream has ended or failed. A stream that ends without its end
    /// marker or finish reason was cut off, whatever the transport said.
    pub fn finish(mut self, prompt_tokens_estimate: u32) -> Outcome {
        if !self.done && !self.finished && self.broke.is_none() {
            self.broke = Some("the stream ended before the reply was complete".to_owned());
        }
        // What the provider did not count is estimated.
        let usage = Usage {
            tokens_in: self.tokens_in.unwrap_or(prompt_tokens_estimate),
            tokens_out: self.tokens_out.unwrap_or(if self.text.is_empty() { 0 } else { estimate_tokens(&self.text) }),
        };
        let (status, error) = match self.broke {
            None => (MessageStatus::Complete, None),
            Some(cause) => {
                crate::error::log_error(&format!("reply ended early: {cause}"));
                if self.text.is_empty() {
                    (MessageStatus::Failed, Some(unavailable()))
                } else {
                    (MessageStatus::Interrupted, Some(interrupted()))
                }
            }
        };
        Outcome { status, content: self.text, usage, error }
    }
}

/// The error for a reply that broke off after some text.
pub fn interrupted() -> EdgeError {
    EdgeError::new(ErrorCode::UpstreamInterrupted, "The reply was cut off. What arrived has been kept.")
}

/// The error for a reply that never started.
pub fn unavailable() -> EdgeError {
    EdgeError::new(ErrorCode::UpstreamError, "The assistant is unavailable right now. Please try again in a moment.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(chunks: Vec<Chunk>) -> (Vec<String>, Outcome) {
        let mut r = ReplyBuilder::within(1_000);
        let relayed = chunks.into_iter().filter_map(|c| r.apply(c)).collect();
        (relayed, r.finish(10))
    }

    #[test]
    fn a_full_stream_is_complete_with_the_provider_usage() {
        let (relayed, o) = feed(vec![
            Chunk::Delta("Hel".into()),
            Chunk::Delta("lo".into()),
            Chunk::Finished,
            Chunk::Usage(Usage { tokens_in: 7, tokens_out: 2 }),
            Chunk::Done,
        ]);
        assert_eq!(relayed, ["Hel", "lo"]);
        assert_eq!(
            o,
            Outcome {
                status: MessageStatus::Complete,
                content: "Hello".into(),
                usage: Usage { tokens_in: 7, tokens_out: 2 },
                error: None
            }
        );
    }

    #[test]
    fn without_reported_usage_it_is_estimated() {
        let (_, o) = feed(vec![Chunk::Delta("abcdefgh".into()), Chunk::Done]);
        assert_eq!(o.usage, Usage { tokens_in: 10, tokens_out: estimate_tokens("abcdefgh") });
    }

    #[test]
    fn counts_reported_apart_make_one_usage_and_a_missing_one_is_estimated() {
        let (_, o) = feed(vec![
            Chunk::PromptTokens(30),
            Chunk::Delta("Hi".into()),
            Chunk::ReplyTokens(1),
            Chunk::ReplyTokens(2),
            Chunk::Done,
        ]);
        assert_eq!(o.usage, Usage { tokens_in: 30, tokens_out: 2 });
        let (_, o) = feed(vec![Chunk::PromptTokens(30), Chunk::Delta("abcdefgh".into()), Chunk::Done]);
        assert_eq!(o.usage, Usage { tokens_in: 30, tokens_out: estimate_tokens("abcdefgh") });
    }

    #[test]
    fn an_error_mid_stream_keeps_what_arrived_as_interrupted() {
        let (relayed, o) = feed(vec![
            Chunk::Delta("Part".into()),
            Chunk::ProviderError("overloaded".into()),
            Chunk::Delta("never".into()),
        ]);
        assert_eq!(relayed, ["Part"]);
        assert_eq!(o.status, MessageStatus::Interrupted);
        assert_eq!(o.content, "Part");
        assert_eq!(o.error.unwrap().code, ErrorCode::UpstreamInterrupted);
    }

    #[test]
    fn a_stream_cut_without_end_marker_is_interrupted_or_failed() {
        let (_, o) = feed(vec![Chunk::Delta("Part".into())]);
        assert_eq!(o.status, MessageStatus::Interrupted);
        let (_, o) = feed(vec![]);
        assert_eq!(o.status, MessageStatus::Failed);
        assert_eq!(o.error.unwrap().code, ErrorCode::UpstreamError);
        assert_eq!(o.usage.tokens_out, 0);
    }

    #[test]
    fn a_finish_reason_without_done_marker_still_counts_as_complete() {
        let (_, o) = feed(vec![Chunk::Delta("ok".into()), Chunk::Finished]);
        assert_eq!(o.status, MessageStatus::Complete);
    }

    #[test]
    fn a_broken_connection_after_done_changes_nothing() {
        let mut r = ReplyBuilder::within(1_000);
        r.apply(Chunk::Delta("x".into()));
        r.apply(Chunk::Done);
        r.broke_off("reset");
        assert_eq!(r.finish(1).status, MessageStatus::Complete);
    }

    #[test]
    fn a_reply_past_its_size_is_cut_there_on_a_character_boundary_and_kept_as_interrupted() {
        let mut r = ReplyBuilder::within(7);
        assert_eq!(r.apply(Chunk::Delta("Grüß".into())).as_deref(), Some("Grüß"));
        assert_eq!(r.apply(Chunk::Delta("üü".into())).as_deref(), None, "ü is two bytes: only one byte was left");
        assert!(r.is_over());
        assert_eq!(r.apply(Chunk::Delta("more".into())), None);
        let o = r.finish(1);
        assert_eq!((o.status, o.content.as_str()), (MessageStatus::Interrupted, "Grüß"));
    }
}
