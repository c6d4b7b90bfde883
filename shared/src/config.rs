//! The public part of a domain's configuration: what the widget needs to look and greet right.
//! Never holds the system prompt or provider settings. An owner's config is checked before
//! it is stored.

use serde::{Deserialize, Serialize};

use crate::field::{text_within, FieldError};

/// Starter prompts a domain may show, and how long each may be.
pub const MAX_STARTERS: usize = 6;
pub const MAX_STARTER_CHARS: usize = 120;
pub const MAX_TITLE_CHARS: usize = 80;
pub const MAX_GREETING_CHARS: usize = 500;

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

    /// A script tag's `data-position`: `bottom-left` or `left`, `bottom-right` or `right`.
    pub fn from_tag(s: &str) -> Option<Self> {
        match s {
            "bottom-left" | "left" => Some(Self::BottomLeft),
            "bottom-right" | "right" => Some(Self::BottomRight),
            _ => None,
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

/// `#rgb` or `#rrggbb`: the only colours the widget will paint with.
pub fn is_hex_colour(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|h| matches!(h.len(), 3 | 6) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The darker of the two text colours the widget puts on its theme colour: pure black, so the
/// better of the two always meets WCAG AA (4.58:1 at worst).
pub const DARK_TEXT: &str = "#000000";

/// WCAG 2's relative luminance of `#rgb` or `#rrggbb` (0 black to 1 white).
pub fn relative_luminance(hex: &str) -> Option<f64> {
    if !is_hex_colour(hex) {
        return None;
    }
    let h = &hex[1..];
    let n = h.len() / 3;
    let channel = |i: usize| -> Option<f64> {
        let part = &h[i * n..(i + 1) * n];
        let v = u8::from_str_radix(&part.repeat(3 - n), 16).ok()?;
        let c = f64::from(v) / 255.0;
        Some(if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(1)? + 0.0722 * channel(2)?)
}

/// WCAG 2's contrast ratio of two colours, from 1 (none) to 21; AA asks 4.5 for text.
pub fn contrast_ratio(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (relative_luminance(a)?, relative_luminance(b)?);
    Some((la.max(lb) + 0.05) / (la.min(lb) + 0.05))
}

/// White or dark text on `primary`, whichever contrasts more: the console's choice for a new
/// theme colour, and the launcher's for a script tag's `data-color` (`look`).
pub fn readable_on(primary: &str) -> &'static str {
    let l = relative_luminance(primary).unwrap_or(0.0);
    if 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 {
        "#ffffff"
    } else {
        DARK_TEXT
    }
}

/// A BCP 47-shaped tag (`en`, `de-CH`, `zh-Hant-TW`): letters and digits in hyphenated parts.
fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    first_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Checks the public widget settings an owner submits.
pub fn check_widget_config(c: &WidgetConfig) -> Result<(), FieldError> {
    text_within("config.title", &c.title, MAX_TITLE_CHARS, true)?;
    text_within("config.greeting", &c.greeting, MAX_GREETING_CHARS, false)?;
    if c.starters.len() > MAX_STARTERS {
        return Err(FieldError::new("config.starters", format!("at most {MAX_STARTERS} starter prompts")));
    }
    for (i, s) in c.starters.iter().enumerate() {
        text_within(&format!("config.starters[{i}]"), s, MAX_STARTER_CHARS, true)?;
    }
    if !is_hex_colour(&c.theme.primary) {
        return Err(FieldError::new("config.theme.primary", "must be a colour like #2563eb"));
    }
    if !is_hex_colour(&c.theme.on_primary) {
        return Err(FieldError::new("config.theme.on_primary", "must be a colour like #ffffff"));
    }
    if !is_language_tag(&c.language) {
        return Err(FieldError::new("config.language", "must be a language tag like en or de-CH"));
    }
    Ok(())
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

    #[test]
    fn colours_must_be_hex() {
        assert!(is_hex_colour("#fff") && is_hex_colour("#0F766E"));
        for bad in ["fff", "#ffff", "#ggg", "red", "#fff;background:url(x)", ""] {
            assert!(!is_hex_colour(bad), "{bad}");
        }
    }

    #[test]
    fn contrast_follows_wcag() {
        assert_eq!(contrast_ratio("#000", "#fff").map(|r| (r * 100.0).round()), Some(2100.0));
        assert_eq!(contrast_ratio("#2563eb", "#2563eb"), Some(1.0));
        assert!(contrast_ratio("#767676", "#ffffff").is_some_and(|r| (4.5..4.6).contains(&r)));
        assert_eq!(contrast_ratio("red", "#fff"), None);
        assert_eq!(readable_on("#2563eb"), "#ffffff");
        assert_eq!(readable_on("#fde047"), DARK_TEXT);
    }

    proptest::proptest! {
        /// Whatever the theme colour, the text the widget's rule puts on it meets WCAG AA.
        #[test]
        fn the_readable_text_always_meets_aa(r in 0u8.., g in 0u8.., b in 0u8..) {
            let primary = format!("#{r:02x}{g:02x}{b:02x}");
            let ratio = contrast_ratio(&primary, readable_on(&primary)).unwrap_or(0.0);
            proptest::prop_assert!(ratio >= 4.5, "{primary}: {ratio}");
        }
    }

    #[test]
    fn widget_config_checks_name_the_field() {
        let mut c = WidgetConfig::default();
        assert_eq!(check_widget_config(&c), Ok(()));
        c.theme.primary = "red".into();
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.theme.primary");
        let c = WidgetConfig { starters: vec!["ok".into(), " ".into()], ..Default::default() };
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.starters[1]");
        let mut c = WidgetConfig { language: "english please".into(), ..Default::default() };
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.language");
        c.language = "de-CH".into();
        assert_eq!(check_widget_config(&c), Ok(()));
        c.title = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(check_widget_config(&c).unwrap_err().field, "config.title");
    }
}
