//! The public part of a domain's configuration: what the widget needs to look and greet right.
//! Never holds the system prompt or provider settings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WidgetConfig {
    pub title: String,
    pub greeting: String,
    pub starters: Vec<String>,
    pub theme: Theme,
    pub position: Position,
    /// BCP 47 language tag of the UI strings (`en`, `de`, `es`, …).
    pub language: String,
    /// Whether and when the widget asks for the visitor's email.
    pub leads: LeadCapture,
}

impl Default for WidgetConfig {
    fn default() -> Self {
        Self {
            title: "Chat with us".to_owned(),
            greeting: "Hi! How can we help?".to_owned(),
            starters: Vec::new(),
            theme: Theme::default(),
            position: Position::default(),
            language: "en".to_owned(),
            leads: LeadCapture::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Theme {
    /// Launcher, header and visitor bubbles, as `#rrggbb`.
    pub primary: String,
    /// Text on the primary colour.
    pub on_primary: String,
}

impl Default for Theme {
    fn default() -> Self {
        Self { primary: "#2563eb".to_owned(), on_primary: "#ffffff".to_owned() }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    #[default]
    BottomRight,
    BottomLeft,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeadCapture {
    #[default]
    Off,
    /// The email form comes first; chatting starts once it is sent.
    BeforeChat,
    /// A header button opens the email form whenever the visitor wants.
    OnDemand,
}

impl Position {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BottomRight => "bottom-right",
            Self::BottomLeft => "bottom-left",
        }
    }
}

impl LeadCapture {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::BeforeChat => "before-chat",
            Self::OnDemand => "on-demand",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_defaults() {
        let c: WidgetConfig = serde_json::from_str(r##"{"title":"Acme help","theme":{"primary":"#ff0000"}}"##).unwrap();
        assert_eq!(c.title, "Acme help");
        assert_eq!(c.greeting, WidgetConfig::default().greeting);
        assert_eq!(c.theme.primary, "#ff0000");
        assert_eq!(c.theme.on_primary, "#ffffff");
        assert_eq!(c.position, Position::BottomRight);
        assert_eq!(c.leads, LeadCapture::Off);
    }

    #[test]
    fn serde_names_and_as_str_agree() {
        for p in [Position::BottomRight, Position::BottomLeft] {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.as_str()));
        }
        for l in [LeadCapture::Off, LeadCapture::BeforeChat, LeadCapture::OnDemand] {
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{}\"", l.as_str()));
        }
        assert_eq!(Position::BottomLeft.as_str(), "bottom-left");
    }
}
