//! Rules for short text from outside (names, emails, log excerpts) that is shown on one line:
//! in a table, a CSV export, an email header, a log.

/// Characters that reorder the text around them when displayed (Trojan Source, CVE-2021-42574).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `s` holds no control character (CR and LF among them, which split lines and forge
/// headers) and no bidirectional control.
pub fn is_plain_line(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || is_bidi_control(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_controls_and_reordering_are_not_plain() {
        assert!(is_plain_line("Ada Lovelace, Zürich 日本 👋"));
        for bad in ["a\rb", "a\nb", "tab\t", "nul\0", "esc\x1b[31m", "gnp.exe\u{202E}", "\u{2066}x\u{2069}", "\u{200F}"]
        {
            assert!(!is_plain_line(bad), "{bad:?}");
        }
    }
}
