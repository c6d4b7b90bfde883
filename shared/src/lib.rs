//! The wire contract between the widget and the edge: request and response bodies,
//! stream events, error codes, limits, the typed values both sides parse input into, and the
//! site owner's API (`admin`) with the provider settings a domain may carry (`provider`), and
//! the widget's words in each language it speaks (`i18n`).

pub mod access;
pub mod admin;
pub mod auth;
pub mod config;
pub mod conversation;
pub mod error;
pub mod export;
pub mod field;
pub mod hostname;
pub mod i18n;
pub mod lead;
pub mod limits;
pub mod look;
pub mod message;
pub mod model;
pub mod provider;
pub mod site_key;
pub mod sse;
pub mod text;

pub use access::{MemberRole, Permission};
pub use config::{LeadCapture, Position, Theme, WidgetConfig};
pub use conversation::{ConversationCreated, CreateConversation, History, PageUrl, PostMessage, VisitorId};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use hostname::Hostname;
pub use lead::{CreateLead, Email, LeadCreated};
pub use message::{
    ClientMessageId, Feedback, MessageStatus, MessageText, MessageView, Rating, Role, SourceRef, StopReply, Usage,
};
pub use model::ModelId;
pub use site_key::SiteKey;
pub use sse::{SseDecoder, SseFrame, StreamEvent};
