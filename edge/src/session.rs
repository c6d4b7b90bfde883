//! A signed-in person's session: a cookie holding 256 random bits (the database keeps their
//! SHA-256), valid while used within the idle time and never beyond its absolute end. Served
//! over HTTPS the cookie is `__Host-session` (Secure, this origin only, path `/`); over plain
//! HTTP in local development it is `session`, which browsers would otherwise refuse to keep.

use crate::secret;

const SECURE_NAME: &str = "__Host-session";
const PLAIN_NAME: &str = "session";

/// How long sessions live (`SESSION_IDLE_MINUTES`, `SESSION_MAX_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub idle_ms: i64,
    pub max_ms: i64,
}

impl Default for SessionTimes {
    fn default() -> Self {
        Self { idle_ms: 12 * 3_600_000, max_ms: 30 * 86_400_000 }
    }
}

impl SessionTimes {
    /// When a session seen last at `last_seen_at` ends, given its absolute end.
    pub fn ends_at(&self, last_seen_at: i64, expires_at: i64) -> i64 {
        (last_seen_at + self.idle_ms).min(expires_at)
    }

    /// Whether a use at `now` should move the session's idle end along: at most a few times per
    /// idle period, so reading pages does not write to the database on every request.
    pub fn worth_touching(&self, last_seen_at: i64, now: i64) -> bool {
        now - last_seen_at >= (self.idle_ms / 8).min(60_000)
    }
}

/// The cookie's name for a request that came over HTTPS (`secure`) or not.
fn name(secure: bool) -> &'static str {
    if secure {
        SECURE_NAME
    } else {
        PLAIN_NAME
    }
}

/// The session secret of a `Cookie` header, if it carries one of the right name and shape.
pub fn from_cookie_header(header: Option<&str>, secure: bool) -> Option<String> {
    let want = name(secure);
    header?.split(';').filter_map(|pair| pair.trim().split_once('=')).find_map(|(k, v)| {
        (k.trim() == want).then(|| secret::presented(v.trim_matches('"')).map(str::to_owned)).flatten()
    })
}

/// The `Set-Cookie` value that starts a session lasting at most `max_age_ms`.
pub fn set_cookie(secret: &str, secure: bool, max_age_ms: i64) -> String {
    let secure_attr = if secure { "; Secure" } else { "" };
    format!("{}={secret}; HttpOnly{secure_attr}; SameSite=Lax; Path=/; Max-Age={}", name(secure), max_age_ms / 1000)
}

/// The `Set-Cookie` value that makes the browser forget the session.
pub fn clear_cookie(secure: bool) -> String {
    let secure_attr = if secure { "; Secure" } else { "" };
    format!("{}=; HttpOnly{secure_attr}; SameSite=Lax; Path=/; Max-Age=0", name(secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_host_bound_over_https_and_read_back_by_its_own_name() {
        let s = "ab".repeat(32);
        let set = set_cookie(&s, true, 30 * 86_400_000);
        assert_eq!(set, format!("__Host-session={s}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=2592000"));
        assert!(!set_cookie(&s, false, 1000).contains("Secure"));
        let header = format!("theme=dark; __Host-session={s}; other=1");
        assert_eq!(from_cookie_header(Some(&header), true), Some(s.clone()));
        // The plain name is not read over HTTPS, where only the __Host- cookie is trusted.
        assert_eq!(from_cookie_header(Some(&format!("session={s}")), true), None);
        assert_eq!(from_cookie_header(Some(&format!("session={s}")), false), Some(s.clone()));
        assert_eq!(from_cookie_header(Some("session=abc"), false), None);
        assert_eq!(from_cookie_header(None, false), None);
        assert!(clear_cookie(true).contains("Max-Age=0"));
    }

    #[test]
    fn a_session_ends_when_idle_or_at_its_absolute_end_whichever_comes_first() {
        let t = SessionTimes { idle_ms: 1000, max_ms: 10_000 };
        assert_eq!(t.ends_at(5000, 10_000), 6000);
        assert_eq!(t.ends_at(9500, 10_000), 10_000);
        assert!(!t.worth_touching(5000, 5100) && t.worth_touching(5000, 5200));
        let d = SessionTimes::default();
        assert!(!d.worth_touching(0, 59_999) && d.worth_touching(0, 60_000));
    }
}
