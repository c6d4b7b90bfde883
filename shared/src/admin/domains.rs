//! `/v1/admin/domains`: the organization's websites, each with its widget config, system
//! prompt, provider and limits settings, and the proof that the organization controls it.

use serde::{Deserialize, Serialize};

use super::check_name;
use crate::field::{text_within, FieldError};
use crate::limits::LimitsConfig;
use crate::message::{MessageText, Role};
use crate::provider::LlmConfig;
use crate::{Hostname, WidgetConfig};

pub const MAX_SYSTEM_PROMPT_CHARS: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDomain {
    pub hostname: Hostname,
    #[serde(default)]
    pub name: Option<String>,
    /// Further hostnames the site answers for (`www.`, a staging host).
    #[serde(default)]
    pub aliases: Vec<Hostname>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub config: Option<WidgetConfig>,
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub llm: Option<LlmConfig>,
    #[serde(default)]
    pub limits: Option<LimitsConfig>,
}

/// Fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateDomain {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub config: Option<WidgetConfig>,
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub llm: Option<LlmConfig>,
    #[serde(default)]
    pub limits: Option<LimitsConfig>,
    /// Replaces the list of further hostnames.
    #[serde(default)]
    pub aliases: Option<Vec<Hostname>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainView {
    pub id: String,
    pub hostname: String,
    pub aliases: Vec<String>,
    /// The public key for the script tag's `data-site`.
    pub site_key: String,
    pub name: String,
    pub active: bool,
    pub config: WidgetConfig,
    pub system_prompt: String,
    pub llm: LlmConfig,
    pub limits: LimitsConfig,
    /// Whether the organization proved it controls the hostname, and how to prove it.
    pub verification: Verification,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where the edge looks for a site's verification token over HTTPS.
pub const VERIFICATION_PATH: &str = "/.well-known/chat-widget-verification";
/// The DNS name, under the hostname, whose TXT record may carry the token instead.
pub const VERIFICATION_DNS_LABEL: &str = "_chat-widget-verification";
/// What the TXT record says before the token.
pub const VERIFICATION_TXT_PREFIX: &str = "chat-widget-verification=";

/// Proof that an organization controls a site's hostname. Several organizations may register
/// one hostname; only one that can publish its token there verifies it. The widget works
/// without it; what acts on the site from outside (crawling it) requires it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub status: VerificationStatus,
    /// How the token was found, when verified.
    pub method: Option<VerificationMethod>,
    pub verified_at: Option<i64>,
    /// The site's own token: publish it either way below, then ask for a check.
    pub token: String,
    /// Serve the token (as a line of a plain text file) at this address.
    pub http_url: String,
    /// Or set a TXT record of this name ...
    pub dns_name: String,
    /// ... with this value.
    pub dns_value: String,
    /// The last check, and what it found if it failed.
    pub checked_at: Option<i64>,
    pub last_error: Option<String>,
}

impl Verification {
    /// The instructions for `hostname` with `token`, and the state the store keeps.
    pub fn new(
        hostname: &str,
        token: String,
        verified: Option<(VerificationMethod, i64)>,
        checked_at: Option<i64>,
        last_error: Option<String>,
    ) -> Self {
        Self {
            status: if verified.is_some() { VerificationStatus::Verified } else { VerificationStatus::Unverified },
            method: verified.map(|(m, _)| m),
            verified_at: verified.map(|(_, at)| at),
            http_url: format!("https://{hostname}{VERIFICATION_PATH}"),
            dns_name: format!("{VERIFICATION_DNS_LABEL}.{hostname}"),
            dns_value: format!("{VERIFICATION_TXT_PREFIX}{token}"),
            token,
            checked_at,
            last_error,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Verified,
    Unverified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    /// The token was served at [`VERIFICATION_PATH`].
    Http,
    /// The token was in a TXT record at [`VERIFICATION_DNS_LABEL`].
    Dns,
}

impl VerificationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Dns => "dns",
        }
    }
}

/// Turns of the preview's conversation sent with a message: the console keeps the
/// conversation and sends it whole, up to this many.
pub const MAX_PREVIEW_TURNS: usize = 40;
/// A turn of that conversation: a reply the assistant gave, or an earlier message.
pub const MAX_PREVIEW_TURN_CHARS: usize = 32_000;

/// `POST /v1/admin/domains/{id}/preview`: a message to the site's assistant from the console's
/// preview, answered as a visitor's would be (the site's model, knowledge and budget) but with
/// the instructions being edited. Nothing of it is stored but its usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewMessage {
    /// The new message, as a visitor's: trimmed, non-empty, within their limit.
    pub content: MessageText,
    /// The preview's conversation before it, oldest first.
    #[serde(default)]
    pub history: Vec<PreviewTurn>,
    /// The instructions as they are being edited; absent, the saved ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewTurn {
    /// `user` or `assistant`.
    pub role: Role,
    pub content: String,
}

impl PreviewMessage {
    pub fn check(&self) -> Result<(), FieldError> {
        if let Some(p) = &self.system_prompt {
            text_within("system_prompt", p, MAX_SYSTEM_PROMPT_CHARS, false)?;
        }
        if self.history.len() > MAX_PREVIEW_TURNS {
            return Err(FieldError::new("history", format!("at most {MAX_PREVIEW_TURNS} turns")));
        }
        for (i, turn) in self.history.iter().enumerate() {
            if turn.role == Role::System {
                return Err(FieldError::new(format!("history[{i}].role"), "must be user or assistant"));
            }
            if turn.content.chars().count() > MAX_PREVIEW_TURN_CHARS {
                let message = format!("must be at most {MAX_PREVIEW_TURN_CHARS} characters");
                return Err(FieldError::new(format!("history[{i}].content"), message));
            }
        }
        Ok(())
    }
}

/// Checks the owner-editable text of a domain.
pub fn check_domain_text(name: Option<&str>, system_prompt: Option<&str>) -> Result<(), FieldError> {
    if let Some(n) = name {
        check_name("name", n)?;
    }
    if let Some(p) = system_prompt {
        text_within("system_prompt", p, MAX_SYSTEM_PROMPT_CHARS, false)?;
    }
    Ok(())
}
