//! The conversation as the visitor sees it, and how it moves: a message is sent, the reply
//! waits for its first token, streams, and ends complete, interrupted, failed or stopped.
//! Plain data, so every transition is tested on the host.

use shared::admin::domains::PreviewTurn;
use shared::message::{MessageStatus, MessageView, Rating, Role, SourceRef};
use shared::sse::StreamEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Sent, no token yet: the typing indicator shows.
    Waiting,
    Streaming,
    Complete,
    /// Ended early after some text arrived; the text is kept.
    Interrupted,
    /// Ended without any text.
    Failed,
    /// The visitor pressed stop.
    Stopped,
}

impl Status {
    /// The reply is still coming.
    pub fn in_progress(self) -> bool {
        matches!(self, Self::Waiting | Self::Streaming)
    }

    /// The reply ended without being complete, not by the visitor's choice: it may be retried.
    pub fn broke_off(self) -> bool {
        matches!(self, Self::Failed | Self::Interrupted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Local identity for the list; stable while the entry lives.
    pub key: u32,
    /// The edge's message id, once known (feedback needs it).
    pub id: Option<String>,
    pub role: Role,
    pub content: String,
    pub status: Status,
    pub rating: Option<Rating>,
    /// Where a reply's answer comes from: pages and documents of the site's knowledge.
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    entries: Vec<Entry>,
    next_key: u32,
}

impl Transcript {
    pub fn from_history(messages: Vec<MessageView>) -> Self {
        let mut t = Self::default();
        for m in messages.into_iter().filter(|m| m.role != Role::System) {
            let status = match m.status {
                MessageStatus::Complete => Status::Complete,
                MessageStatus::Interrupted => Status::Interrupted,
                MessageStatus::Failed => Status::Failed,
            };
            t.push(Some(m.id), m.role, m.content, status);
            if let Some(e) = t.entries.last_mut() {
                e.sources = m.sources;
            }
        }
        t
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, key: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What was said, as the console's preview sends it along: the newest turns with text, at
    /// most `max` of them and `max_chars` in all, oldest first.
    pub fn turns(&self, max: usize, max_chars: usize) -> Vec<PreviewTurn> {
        let mut chars = 0;
        let mut said: Vec<PreviewTurn> = self
            .entries
            .iter()
            .rev()
            .filter(|e| !e.content.is_empty())
            .take(max)
            .take_while(|e| {
                chars += e.content.chars().count();
                chars <= max_chars
            })
            .map(|e| PreviewTurn { role: e.role, content: e.content.clone() })
            .collect();
        said.reverse();
        said
    }

    /// A reply is on its way: nothing new may be sent until it ends.
    pub fn busy(&self) -> bool {
        self.reply().is_some_and(|e| e.status.in_progress())
    }

    /// The visitor's message and a waiting reply under it.
    pub fn send(&mut self, text: &str) {
        self.push(None, Role::User, text.to_owned(), Status::Complete);
        self.push(None, Role::Assistant, String::new(), Status::Waiting);
    }

    /// One event of the reply stream. Returns true when it ended the reply.
    pub fn apply(&mut self, event: StreamEvent) -> bool {
        let Some(reply) = self.open_reply() else {
            return false;
        };
        match event {
            StreamEvent::Sources { sources } => {
                reply.sources = sources;
                false
            }
            StreamEvent::Token { delta } => {
                reply.content.push_str(&delta);
                reply.status = Status::Streaming;
                false
            }
            StreamEvent::Done { message_id, .. } => {
                reply.id = Some(message_id);
                reply.status = Status::Complete;
                true
            }
            StreamEvent::Error { .. } => {
                reply.status = ended_early(&reply.content);
                true
            }
        }
    }

    /// The stream ended without a `done` or `error` event (connection lost): same as an error.
    pub fn cut(&mut self) {
        if let Some(reply) = self.open_reply() {
            reply.status = ended_early(&reply.content);
        }
    }

    pub fn stop(&mut self) {
        if let Some(reply) = self.open_reply() {
            reply.status = Status::Stopped;
        }
    }

    /// The message was refused before any reply began (rate limit, network): the visitor's
    /// message and its reply are taken back, so the text can go back into the composer.
    pub fn withdraw(&mut self) -> Option<String> {
        if !self.reply().is_some_and(|e| e.status == Status::Waiting) {
            return None;
        }
        self.entries.pop();
        self.entries.pop().map(|e| e.content)
    }

    /// The text to send again for a failed or interrupted last reply; the failed exchange is
    /// removed from view (the edge keeps its record) and resending appends it anew.
    pub fn retry(&mut self) -> Option<String> {
        let last = self.entries.last()?;
        if last.role != Role::Assistant || !last.status.broke_off() {
            return None;
        }
        let question = self.entries.iter().rev().nth(1).filter(|e| e.role == Role::User)?.content.clone();
        self.entries.truncate(self.entries.len() - 2);
        Some(question)
    }

    pub fn rate(&mut self, key: u32, rating: Rating) -> Option<String> {
        let e = self.entries.iter_mut().find(|e| e.key == key && e.role == Role::Assistant)?;
        e.rating = Some(rating);
        e.id.clone()
    }

    fn push(&mut self, id: Option<String>, role: Role, content: String, status: Status) {
        self.entries.push(Entry { key: self.next_key, id, role, content, status, rating: None, sources: Vec::new() });
        self.next_key += 1;
    }

    fn reply(&self) -> Option<&Entry> {
        self.entries.last().filter(|e| e.role == Role::Assistant)
    }

    fn open_reply(&mut self) -> Option<&mut Entry> {
        self.entries.last_mut().filter(|e| e.role == Role::Assistant && e.status.in_progress())
    }
}

/// How a reply that ended without `done` is marked: what arrived is kept.
fn ended_early(content: &str) -> Status {
    if content.is_empty() {
        Status::Failed
    } else {
        Status::Interrupted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::error::ErrorCode;
    use shared::message::Usage;

    fn token(s: &str) -> StreamEvent {
        StreamEvent::Token { delta: s.to_owned() }
    }

    fn done(id: &str) -> StreamEvent {
        StreamEvent::Done { message_id: id.to_owned(), usage: Usage::default() }
    }

    fn error() -> StreamEvent {
        StreamEvent::Error { code: ErrorCode::UpstreamError, message: "x".to_owned() }
    }

    fn last(t: &Transcript) -> &Entry {
        t.entries().last().unwrap()
    }

    #[test]
    fn a_reply_waits_streams_and_completes() {
        let mut t = Transcript::default();
        t.send("hello");
        assert!(t.busy());
        assert_eq!(last(&t).status, Status::Waiting);
        assert!(!t.apply(token("Hi")));
        assert_eq!(last(&t).status, Status::Streaming);
        assert!(!t.apply(token(" there")));
        assert!(t.apply(done("m1")));
        assert!(!t.busy());
        assert_eq!(last(&t).content, "Hi there");
        assert_eq!(last(&t).id.as_deref(), Some("m1"));
        assert_eq!(last(&t).status, Status::Complete);
        assert_eq!(t.entries()[0].content, "hello");
    }

    #[test]
    fn an_error_fails_an_empty_reply_and_interrupts_a_partial_one() {
        let mut t = Transcript::default();
        t.send("a");
        t.apply(error());
        assert_eq!(last(&t).status, Status::Failed);
        t.send("b");
        t.apply(token("par"));
        t.apply(error());
        assert_eq!(last(&t).status, Status::Interrupted);
        assert_eq!(last(&t).content, "par");
    }

    #[test]
    fn the_preview_sends_what_was_said_newest_last_within_its_limits() {
        let mut t = Transcript::default();
        t.send("a");
        t.apply(token("reply a"));
        t.apply(done("m1"));
        t.send("b");
        t.apply(error());
        t.send("c");
        let said: Vec<(Role, String)> = t.turns(10, 100).into_iter().map(|p| (p.role, p.content)).collect();
        let expected = [(Role::User, "a"), (Role::Assistant, "reply a"), (Role::User, "b"), (Role::User, "c")];
        assert_eq!(said, expected.map(|(r, c)| (r, c.to_owned())), "replies without text are left out");
        let newest: Vec<String> = t.turns(2, 100).into_iter().map(|p| p.content).collect();
        assert_eq!(newest, ["b", "c"]);
        let within: Vec<String> = t.turns(10, 8).into_iter().map(|p| p.content).collect();
        assert_eq!(within, ["b", "c"], "the reply of 7 characters would pass 8 in all");
    }

    #[test]
    fn a_cut_stream_ends_like_an_error() {
        let mut t = Transcript::default();
        t.send("a");
        t.apply(token("part"));
        t.cut();
        assert_eq!(last(&t).status, Status::Interrupted);
        assert!(!t.busy());
    }

    #[test]
    fn events_after_the_end_change_nothing() {
        let mut t = Transcript::default();
        t.send("a");
        t.apply(token("x"));
        t.stop();
        assert_eq!(last(&t).status, Status::Stopped);
        assert!(!t.apply(token("late")));
        t.apply(done("m"));
        assert_eq!(last(&t).content, "x");
        assert_eq!(last(&t).status, Status::Stopped);
    }

    #[test]
    fn a_refused_message_goes_back_to_the_composer() {
        let mut t = Transcript::default();
        t.send("first");
        t.apply(done("m"));
        t.send("second");
        assert_eq!(t.withdraw().as_deref(), Some("second"));
        assert_eq!(t.entries().len(), 2);
        assert_eq!(t.withdraw(), None, "a finished reply is not withdrawn");
    }

    #[test]
    fn retry_resends_the_question_of_a_failed_reply_only() {
        let mut t = Transcript::default();
        t.send("q1");
        t.apply(done("m1"));
        assert_eq!(t.retry(), None);
        t.send("q2");
        t.apply(error());
        assert_eq!(t.retry().as_deref(), Some("q2"));
        assert_eq!(t.entries().len(), 2);
    }

    #[test]
    fn history_is_restored_without_system_messages() {
        let view = |id: &str, role, content: &str, status| MessageView {
            id: id.to_owned(),
            role,
            content: content.to_owned(),
            status,
            created_at: 0,
            sources: Vec::new(),
        };
        let faq = SourceRef { id: "s1".into(), title: "FAQ".into(), url: Some("https://a.example/faq".into()) };
        let t = Transcript::from_history(vec![
            view("s", Role::System, "sys", MessageStatus::Complete),
            view("u", Role::User, "hi", MessageStatus::Complete),
            MessageView { sources: vec![faq.clone()], ..view("a", Role::Assistant, "he", MessageStatus::Interrupted) },
        ]);
        assert_eq!(t.entries().len(), 2);
        assert_eq!(last(&t).sources, [faq]);
        assert_eq!(last(&t).status, Status::Interrupted);
        assert_eq!(last(&t).id.as_deref(), Some("a"));
        assert!(!t.busy());
    }

    #[test]
    fn a_replys_sources_arrive_before_its_text_and_stay() {
        let mut t = Transcript::default();
        t.send("q");
        let doc = SourceRef { id: "s2".into(), title: "Manual".into(), url: None };
        assert!(!t.apply(StreamEvent::Sources { sources: vec![doc.clone()] }));
        assert_eq!(last(&t).status, Status::Waiting, "still waiting for the first token");
        t.apply(StreamEvent::Token { delta: "a".into() });
        t.apply(done("m1"));
        assert_eq!(last(&t).sources, [doc]);
        assert!(t.entries()[0].sources.is_empty());
    }

    #[test]
    fn only_replies_can_be_rated() {
        let mut t = Transcript::default();
        t.send("q");
        t.apply(done("m1"));
        let (user, reply) = (t.entries()[0].key, t.entries()[1].key);
        assert_eq!(t.rate(user, Rating::Up), None);
        assert_eq!(t.rate(reply, Rating::Down).as_deref(), Some("m1"));
        assert_eq!(t.entry(reply).unwrap().rating, Some(Rating::Down));
    }
}
