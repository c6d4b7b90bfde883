//! `/v1/auth/...`: people signing in to run an organization (the console), with a session
//! cookie. Servers use API keys instead (`/v1/admin`, `Authorization: Bearer`).

use serde::{Deserialize, Serialize};

use crate::access::{MemberRole, Permission};
use crate::field::FieldError;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: long enough for any passphrase or manager, short enough that
/// hashing it costs nothing extra.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest display name, in characters.
pub const MAX_USER_NAME_CHARS: usize = 100;

/// The rules a new password follows that need no list: its length. (The edge also refuses the
/// most common passwords.)
pub fn check_password_length(field: &str, password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(field, format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(field, format!("must be at most {MAX_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

/// The address an account is known by: a plausible email, lower-cased whole (Unicode letters
/// included), so one person has one account however they type it. Invitations store it and
/// sign-in looks it up in this form.
pub fn account_email(raw: &str) -> Option<String> {
    crate::Email::parse(raw).map(|e| e.as_str().to_lowercase())
}

pub fn check_user_name(name: &str) -> Result<(), FieldError> {
    crate::field::text_within("name", name, MAX_USER_NAME_CHARS, true)?;
    if name.contains(['\n', '\t']) {
        return Err(FieldError::new("name", "must be one line"));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: i64,
}

/// One organization the user belongs to, with what their role there lets them do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipView {
    pub organization_id: String,
    pub organization_name: String,
    pub role: MemberRole,
    pub permissions: Vec<Permission>,
}

/// `GET /v1/auth/me`, and the answer to signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user: UserView,
    pub memberships: Vec<MembershipView>,
    /// When the session ends if it is not used before (idle expiry), and at the latest.
    pub session_idle_expires_at: i64,
    pub session_expires_at: i64,
}

/// Accepting an invitation. A person new here names themselves and chooses a password; one who
/// already has an account gives its password, which stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub password: String,
}

/// Setting a password with a one-time reset link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub token: String,
    pub password: String,
}

/// Changing one's own password while signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_measured_in_characters() {
        assert!(check_password_length("password", "ünïcödé-ok").is_ok());
        assert_eq!(check_password_length("password", "short").unwrap_err().field, "password");
        assert!(check_password_length("password", &"x".repeat(257)).is_err());
    }

    #[test]
    fn an_account_is_one_address_however_it_is_typed() {
        assert_eq!(account_email(" Zoë.Ünal@Example.DE ").as_deref(), Some("zoë.ünal@example.de"));
        assert_eq!(account_email("ADA@EXAMPLE.COM"), account_email("ada@example.com"));
        assert_eq!(account_email("not an email"), None);
    }

    #[test]
    fn names_are_one_plain_line() {
        assert!(check_user_name("Ada Lovelace").is_ok());
        for bad in ["", "  ", "a\nb", "a\u{7}"] {
            assert!(check_user_name(bad).is_err(), "{bad:?}");
        }
    }
}
