//! A visitor leaving contact details for the site owner: `POST /v1/leads`.

use serde::{Deserialize, Serialize};

/// Longest name a lead may carry, in characters.
pub const MAX_LEAD_NAME_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLead {
    pub site: String,
    /// Ties the lead to the visitor's conversation; needs that conversation's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadCreated {
    pub lead_id: String,
}

/// A plausible email address: one `@`, a local part, and a dotted domain whose last label
/// has two or more letters. Deliverability is the site owner's business; this keeps out typos
/// and junk. Stored trimmed, domain lower-cased (ASCII). Any non-ASCII character counts as a
/// letter (internationalised domains), which keeps Unicode tables out of the widget's wasm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (local, domain) = raw.split_once('@')?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            // No dot at either end and no two in a row.
            && local.split('.').all(|part| !part.is_empty())
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
            })
            && labels.last().is_some_and(|tld| {
                tld.chars().count() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic() || !c.is_ascii())
            });
        (raw.len() <= 254 && local_ok && domain_ok && crate::text::is_plain_line(raw))
            .then(|| Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted_and_the_domain_lowercased() {
        assert_eq!(
            Email::parse(" Ada.Lovelace+chat@Example.CO.uk ").unwrap().as_str(),
            "Ada.Lovelace+chat@example.co.uk"
        );
        assert!(Email::parse("x@bücher.de").is_some());
    }

    #[test]
    fn junk_is_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b.c",
            "a b@example.com",
            "a@@example.com",
            "a@exa mple.com",
            ".a@example.com",
            "a..b@example.com",
            "a@-x.com",
            "a@x..com",
            "<script>@x.com",
            "a@example.123",
            "a@exam\nple.com",
            "gnp\u{202E}@example.com",
            "a@exa\u{202E}moc.com",
        ] {
            assert_eq!(Email::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Email::parse(&format!("{}@example.com", "a".repeat(65))), None);
    }

    #[test]
    fn a_lead_names_only_known_fields() {
        let ok: CreateLead = serde_json::from_str(r#"{"site":"site_x_1234","email":"a@b.co"}"#).unwrap();
        assert_eq!(ok.conversation_id, None);
        assert!(serde_json::from_str::<CreateLead>(r#"{"site":"s","email":"a@b.co","org":"x"}"#).is_err());
    }
}
