//! The edge's JSON as the widget reads and writes it (through `json`, hand-written for size).
//! The shapes are those of the shared serde types, and the tests below pin every one of them to
//! those types, so the wire format is still defined once, in `shared`.

use shared::admin::domains::PreviewMessage;
use shared::conversation::{ConversationCreated, CreateConversation, History, PostMessage};
use shared::error::{ErrorBody, ErrorCode, ErrorDetail};
use shared::lead::CreateLead;
use shared::message::{Feedback, MessageStatus, MessageView, Role, SourceRef, StopReply, Usage};
use shared::sse::{SseFrame, StreamEvent};
use shared::{LeadCapture, Position, Theme, WidgetConfig};

use crate::json::{quote, FromJson, Json, ToJson};

/// The first of `all` whose wire name is `name`.
fn named<T: Copy>(name: Option<&str>, all: &[T], wire: fn(T) -> &'static str) -> Option<T> {
    let name = name?;
    all.iter().copied().find(|t| wire(*t) == name)
}

impl FromJson for WidgetConfig {
    /// Like the serde type (`#[serde(default)]`): what is missing keeps its default.
    fn from_json(v: &Json) -> Option<Self> {
        let mut c = Self::default();
        let text = |name: &str, into: &mut String| {
            if let Some(s) = v.string(name) {
                *into = s;
            }
        };
        text("title", &mut c.title);
        text("greeting", &mut c.greeting);
        text("language", &mut c.language);
        if let Some(Json::Array(items)) = v.get("starters") {
            c.starters = items.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect();
        }
        if let Some(theme) = v.get("theme") {
            let d = Theme::default();
            c.theme = Theme {
                primary: theme.string("primary").unwrap_or(d.primary),
                on_primary: theme.string("on_primary").unwrap_or(d.on_primary),
            };
        }
        let all = [Position::BottomRight, Position::BottomLeft];
        if let Some(p) = named(v.get("position").and_then(Json::as_str), &all, Position::as_str) {
            c.position = p;
        }
        let all = [LeadCapture::Off, LeadCapture::BeforeChat, LeadCapture::OnDemand];
        if let Some(l) = named(v.get("leads").and_then(Json::as_str), &all, LeadCapture::as_str) {
            c.leads = l;
        }
        Some(c)
    }
}

impl FromJson for ConversationCreated {
    fn from_json(v: &Json) -> Option<Self> {
        Some(Self { conversation_id: v.string("conversation_id")?, token: v.string("token")? })
    }
}

impl FromJson for History {
    fn from_json(v: &Json) -> Option<Self> {
        let Json::Array(items) = v.get("messages")? else {
            return None;
        };
        Some(Self {
            conversation_id: v.string("conversation_id")?,
            messages: items.iter().map(MessageView::from_json).collect::<Option<_>>()?,
            token: v.string("token"),
        })
    }
}

impl FromJson for MessageView {
    fn from_json(v: &Json) -> Option<Self> {
        let roles = [Role::User, Role::Assistant, Role::System];
        let statuses = [MessageStatus::Complete, MessageStatus::Interrupted, MessageStatus::Failed];
        Some(Self {
            id: v.string("id")?,
            role: named(v.get("role")?.as_str(), &roles, Role::as_str)?,
            content: v.string("content")?,
            status: named(v.get("status")?.as_str(), &statuses, MessageStatus::as_str)?,
            created_at: v.int("created_at")?,
            sources: match v.get("sources") {
                Some(s) => sources(s)?,
                None => Vec::new(),
            },
        })
    }
}

impl FromJson for ErrorBody {
    fn from_json(v: &Json) -> Option<Self> {
        let e = v.get("error")?;
        let code = named(e.get("code")?.as_str(), &ErrorCode::ALL, ErrorCode::as_str)?;
        Some(Self { error: ErrorDetail { code, message: e.string("message")? } })
    }
}

/// A reply's sources: `[{"id", "title", "url"?}]`.
fn sources(v: &Json) -> Option<Vec<SourceRef>> {
    let Json::Array(items) = v else { return None };
    items
        .iter()
        .map(|s| Some(SourceRef { id: s.string("id")?, title: s.string("title")?, url: s.string("url") }))
        .collect()
}

/// One event of a reply's stream; `None` for frames that are not ours.
pub fn event(frame: &SseFrame) -> Option<StreamEvent> {
    let data = Json::parse(&frame.data)?;
    match frame.event.as_str() {
        "sources" => Some(StreamEvent::Sources { sources: sources(data.get("sources")?)? }),
        "token" => Some(StreamEvent::Token { delta: data.string("delta")? }),
        "done" => {
            let usage = data.get("usage")?;
            Some(StreamEvent::Done {
                message_id: data.string("message_id")?,
                usage: Usage { tokens_in: usage.u32("tokens_in")?, tokens_out: usage.u32("tokens_out")? },
            })
        }
        "error" => Some(StreamEvent::Error {
            code: named(data.get("code")?.as_str(), &ErrorCode::ALL, ErrorCode::as_str)?,
            message: data.string("message")?,
        }),
        _ => None,
    }
}

impl ToJson for CreateConversation {
    fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("site", Some(&self.site)),
            ("visitor_id", self.visitor_id.as_deref()),
            ("page_url", self.page_url.as_deref()),
        ]
    }
}

impl ToJson for PostMessage {
    fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("content", Some(&self.content)), ("client_message_id", self.client_message_id.as_deref())]
    }
}

impl ToJson for CreateLead {
    fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("site", Some(&self.site)),
            ("conversation_id", self.conversation_id.as_deref()),
            ("email", Some(&self.email)),
            ("name", self.name.as_deref()),
            ("message", self.message.as_deref()),
        ]
    }
}

impl ToJson for Feedback {
    fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("conversation_id", Some(&self.conversation_id)), ("rating", Some(self.rating.as_str()))]
    }
}

impl ToJson for StopReply {
    fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("client_message_id", Some(&self.client_message_id))]
    }
}

/// The console's preview asks with the conversation it keeps: the one body with a list, so it
/// is written here rather than through the flat [`ToJson`].
pub fn preview_message(m: &PreviewMessage) -> String {
    let mut out = String::from("{\"content\":");
    quote(&mut out, m.content.as_str());
    out.push_str(",\"history\":[");
    for (i, turn) in m.history.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"role\":");
        quote(&mut out, turn.role.as_str());
        out.push_str(",\"content\":");
        quote(&mut out, &turn.content);
        out.push('}');
    }
    out.push(']');
    if let Some(prompt) = &m.system_prompt {
        out.push_str(",\"system_prompt\":");
        quote(&mut out, prompt);
    }
    out.push('}');
    out
}

/// Also how the widget keeps the conversation it can come back to (`storage::Session`).
impl ToJson for ConversationCreated {
    fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("conversation_id", Some(&self.conversation_id)), ("token", Some(&self.token))]
    }
}

#[cfg(test)]
mod tests {
    use shared::admin::domains::PreviewTurn;
    use shared::message::{MessageText, Rating};
    use shared::sse::SseDecoder;

    use super::*;
    use crate::json::decode;

    /// Text that exercises the escapes: quotes, backslashes, controls, non-ASCII, astral.
    const AWKWARD: &str = "a \"quote\" \\ back/slash\n\r\t\u{8}\u{c}\u{1}\u{1f} ünï 日本 🚀 \u{2028}";

    fn serde_to<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).expect("serialises")
    }

    #[test]
    fn reads_what_serde_writes_for_every_response() {
        let config = WidgetConfig {
            title: AWKWARD.into(),
            greeting: "Hallo".into(),
            starters: vec!["one".into(), AWKWARD.into()],
            theme: Theme { primary: "#ff0000".into(), on_primary: "#000".into() },
            position: Position::BottomLeft,
            language: "de".into(),
            leads: LeadCapture::OnDemand,
        };
        assert_eq!(decode::<WidgetConfig>(&serde_to(&config)), Some(config));
        for leads in [LeadCapture::Off, LeadCapture::BeforeChat, LeadCapture::OnDemand] {
            let config = WidgetConfig { leads, ..WidgetConfig::default() };
            assert_eq!(decode::<WidgetConfig>(&serde_to(&config)), Some(config));
        }

        let created = ConversationCreated { conversation_id: "c1".into(), token: "v1.d.sig".into() };
        assert_eq!(decode::<ConversationCreated>(&serde_to(&created)), Some(created));

        let messages = [Role::User, Role::Assistant, Role::System]
            .into_iter()
            .zip([MessageStatus::Complete, MessageStatus::Interrupted, MessageStatus::Failed])
            .enumerate()
            .map(|(i, (role, status))| MessageView {
                id: format!("m{i}"),
                role,
                content: AWKWARD.into(),
                status,
                created_at: 1_763_900_000_000 + i as i64,
                sources: match role {
                    Role::Assistant => vec![SourceRef { id: "s1".into(), title: AWKWARD.into(), url: None }],
                    _ => Vec::new(),
                },
            })
            .collect();
        let history = History { conversation_id: "c1".into(), messages, token: None };
        assert_eq!(decode::<History>(&serde_to(&history)), Some(history.clone()));
        let history = History { token: Some("v2.d.1.ab".into()), ..history };
        assert_eq!(decode::<History>(&serde_to(&history)), Some(history));

        for code in ErrorCode::ALL {
            let body = ErrorBody::new(code, AWKWARD);
            assert_eq!(decode::<ErrorBody>(&serde_to(&body)), Some(body));
        }
    }

    #[test]
    fn a_config_takes_defaults_for_what_is_missing_or_unknown() {
        let c = decode::<WidgetConfig>(r##"{"title":"Acme","theme":{"primary":"#f00"},"position":"top","new":1}"##);
        let d = WidgetConfig::default();
        assert_eq!(
            c,
            Some(WidgetConfig {
                title: "Acme".into(),
                theme: Theme { primary: "#f00".into(), ..d.theme.clone() },
                ..d
            })
        );
    }

    #[test]
    fn responses_missing_what_they_need_are_refused() {
        assert_eq!(decode::<ConversationCreated>(r#"{"conversation_id":"c1"}"#), None);
        assert_eq!(decode::<History>(r#"{"conversation_id":"c1","messages":[{"id":"m"}]}"#), None);
        assert_eq!(decode::<ErrorBody>(r#"{"error":{"code":"no_such_code","message":"x"}}"#), None);
        assert_eq!(decode::<ErrorBody>("<html>502 Bad Gateway</html>"), None);
    }

    #[test]
    fn reads_every_stream_event_the_edge_writes() {
        let mut events = vec![
            StreamEvent::Sources {
                sources: vec![
                    SourceRef {
                        id: "s1".into(),
                        title: AWKWARD.into(),
                        url: Some("https://a.example/faq?x=1&y".into()),
                    },
                    SourceRef { id: "s2".into(), title: "Manual".into(), url: None },
                ],
            },
            StreamEvent::Token { delta: AWKWARD.into() },
            StreamEvent::Done { message_id: "m9".into(), usage: Usage { tokens_in: 12, tokens_out: u32::MAX } },
        ];
        events.extend(ErrorCode::ALL.map(|code| StreamEvent::Error { code, message: AWKWARD.into() }));
        let wire: String = events.iter().map(StreamEvent::encode).collect();
        let frames = SseDecoder::new().push(wire.as_bytes());
        assert_eq!(frames.iter().filter_map(event).collect::<Vec<_>>(), events);
        assert_eq!(event(&SseFrame { event: "message".into(), data: "{}".into() }), None);
        assert_eq!(event(&SseFrame { event: "token".into(), data: "not json".into() }), None);
    }

    #[test]
    fn writes_every_request_byte_for_byte_as_serde() {
        let conv = |visitor_id: Option<&str>, page_url: Option<&str>| CreateConversation {
            site: "site_demo".into(),
            visitor_id: visitor_id.map(Into::into),
            page_url: page_url.map(Into::into),
        };
        for v in [conv(None, None), conv(Some("v1"), None), conv(Some("v1"), Some(AWKWARD))] {
            assert_eq!(v.to_json(), serde_to(&v));
            assert_eq!(serde_json::from_str::<CreateConversation>(&v.to_json()).ok(), Some(v));
        }
        for client_message_id in [None, Some("0123456789abcdef".to_owned())] {
            let v = PostMessage { content: AWKWARD.into(), client_message_id };
            assert_eq!(v.to_json(), serde_to(&v));
        }
        let lead = CreateLead {
            site: "s".into(),
            conversation_id: Some("c".into()),
            email: "a@b.co".into(),
            name: Some(AWKWARD.into()),
            message: Some("m".into()),
        };
        assert_eq!(lead.to_json(), serde_to(&lead));
        let lead = CreateLead { conversation_id: None, name: None, message: None, ..lead };
        assert_eq!(lead.to_json(), serde_to(&lead));
        for rating in [Rating::Up, Rating::Down] {
            let v = Feedback { conversation_id: "c".into(), rating };
            assert_eq!(v.to_json(), serde_to(&v));
        }
        let stop = StopReply { client_message_id: "abc_DEF-123".into() };
        assert_eq!(stop.to_json(), serde_to(&stop));
        let turn = |role, content: &str| PreviewTurn { role, content: content.into() };
        let asked = MessageText::parse(AWKWARD).expect("a message");
        for (history, system_prompt) in [
            (vec![], None),
            (vec![turn(Role::User, "hi")], Some(AWKWARD.to_owned())),
            (vec![turn(Role::User, AWKWARD), turn(Role::Assistant, "")], Some(String::new())),
        ] {
            let v = PreviewMessage { content: asked.clone(), history, system_prompt };
            assert_eq!(preview_message(&v), serde_to(&v));
            assert_eq!(serde_json::from_str::<PreviewMessage>(&preview_message(&v)).ok(), Some(v));
        }
    }

    #[test]
    fn a_saved_session_reads_back() {
        let s = ConversationCreated { conversation_id: "c1".into(), token: AWKWARD.into() };
        assert_eq!(decode::<ConversationCreated>(&s.to_json()), Some(s));
    }
}
