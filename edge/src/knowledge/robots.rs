//! `robots.txt`: what a site asks crawlers to leave alone. The rules of the group for our
//! agent, or else for `*`, decide; the longest matching rule wins and `Allow` wins a tie
//! (RFC 9309), with `*` and a closing `$` in paths.

/// The name the crawler gives in `User-Agent` and looks for in `robots.txt`.
pub const AGENT: &str = "ChatEdgeBot";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Robots {
    /// (allow, path pattern)
    rules: Vec<(bool, String)>,
}

impl Robots {
    /// Reads a `robots.txt`; anything unreadable in it is ignored, as crawlers do.
    pub fn parse(text: &str) -> Self {
        let mut ours: Option<Vec<(bool, String)>> = None;
        let mut anyone: Option<Vec<(bool, String)>> = None;
        // The agents the current group names, and whether its rules have begun.
        let mut agents: Vec<String> = Vec::new();
        let mut in_rules = false;
        let mut rules: Vec<(bool, String)> = Vec::new();
        let mut close = |agents: &mut Vec<String>, rules: &mut Vec<(bool, String)>| {
            for a in agents.iter() {
                if a == "*" {
                    anyone.get_or_insert_with(Vec::new).extend(rules.iter().cloned());
                } else if AGENT.to_ascii_lowercase().starts_with(a.as_str()) {
                    ours.get_or_insert_with(Vec::new).extend(rules.iter().cloned());
                }
            }
            agents.clear();
            rules.clear();
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "user-agent" => {
                    if in_rules {
                        close(&mut agents, &mut rules);
                        in_rules = false;
                    }
                    agents.push(value.to_ascii_lowercase());
                }
                "allow" | "disallow" if !agents.is_empty() => {
                    in_rules = true;
                    // An empty Disallow allows everything: no rule.
                    if !value.is_empty() {
                        rules.push((key.trim().eq_ignore_ascii_case("allow"), value.to_owned()));
                    }
                }
                _ => {}
            }
        }
        close(&mut agents, &mut rules);
        Self { rules: ours.or(anyone).unwrap_or_default() }
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                if best.is_none_or(|(l, a)| len > l || (len == l && *allow && !a)) {
                    best = Some((len, *allow));
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Whether `pattern` (a path prefix, where `*` is any run and a final `$` the end) matches.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut pieces = pattern.split('*');
    let Some(first) = pieces.next() else { return true };
    let Some(mut rest) = path.strip_prefix(first) else { return false };
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        if last && anchored {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    !anchored || rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_group_wins_over_anyones_and_the_longest_rule_decides() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /\n\n# ours\nUser-agent: ChatEdgeBot\nUser-agent: other\nDisallow: /private/\n\
             Allow: /private/open*.html$\nDisallow: /*.pdf$\n",
        );
        assert!(r.allows("/"));
        assert!(r.allows("/docs/a.html"));
        assert!(!r.allows("/private/x.html"));
        assert!(r.allows("/private/open-1.html"));
        assert!(!r.allows("/private/open-1.html?x"));
        assert!(!r.allows("/files/a.pdf"));
        assert!(r.allows("/files/a.pdf.html"));
    }

    #[test]
    fn anyones_rules_apply_when_we_are_not_named() {
        let r = Robots::parse("user-agent: *\ndisallow: /secret\nDisallow:\n");
        assert!(!r.allows("/secret/page"));
        assert!(!r.allows("/secret"));
        assert!(r.allows("/public"));
        assert!(Robots::parse("").allows("/anything"));
        assert!(Robots::parse("garbage\n\u{0}:::\nDisallow: /x").allows("/x"), "rules outside a group count for none");
    }
}
