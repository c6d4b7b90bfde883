//! A small, safe markdown subset for assistant replies.
//!
//! The parser turns text into a typed tree that the widget renders with DOM text nodes and a fixed set of
//! elements, so raw HTML in a reply (`<img onerror=…>`) is never interpreted: it stays literal text. Parsing is
//! total: any input, including a prefix of a reply that is still streaming in, yields a tree, and an unfinished
//! construct (`**bold`, `[link](`) falls back to literal text, except an unclosed code fence, which stays open.

/// A block-level element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The lines of one paragraph; soft line breaks become [`Inline::Break`].
    Paragraph(Vec<Inline>),
    /// `#`..`######`; the level is 1..=6.
    Heading(u8, Vec<Inline>),
    /// A ```` ``` ```` or `~~~` fence; `lang` is the first word of the info string. An unclosed fence runs to the
    /// end of the input.
    Code { lang: String, text: String },
    /// `-`, `*`, `+` or `1.`/`1)` items; continuation lines and nested lists are flattened into the item.
    List { ordered: bool, start: u32, items: Vec<Vec<Inline>> },
    /// Consecutive `>` lines.
    Quote(Vec<Inline>),
    /// `---`, `***` or `___`.
    Rule,
}

/// An inline element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Literal text, including any HTML in the source.
    Text(String),
    /// `**x**` or `__x__`.
    Strong(Vec<Inline>),
    /// `*x*` or `_x_`.
    Emphasis(Vec<Inline>),
    /// `` `x` `` or ``` ``x`` ```.
    Code(String),
    /// `[text](url)` or a bare `https://…` URL. Only `http:`, `https:` and `mailto:` destinations become links.
    Link { href: String, children: Vec<Inline> },
    /// A line break inside a block.
    Break,
}

/// Parses a reply into blocks; never fails.
pub fn parse(src: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open = Open::None;
    for line in src.lines() {
        if let Open::Code { ch, len, indent, text, .. } = &mut open {
            if is_fence_close(line.trim(), *ch, *len) {
                close(&mut blocks, &mut open);
            } else {
                // Content lines lose up to the opening fence's indentation, so a fence inside a list item reads right.
                let spaces = line.len() - line.trim_start_matches(' ').len();
                text.push_str(&line[spaces.min(*indent)..]);
                text.push('\n');
            }
            continue;
        }
        let body = line.trim();
        let indent = line.len() - line.trim_start().len();
        let kind = classify(body);

        // An indented line continues the current list item (so nested lists and multi-paragraph items are
        // flattened into it), as does a plain line directly under the item (CommonMark's lazy continuation).
        if let Open::List { items, gap, .. } = &mut open {
            let continues = match kind {
                Line::Blank | Line::Fence { .. } => false,
                Line::Text(_) => indent > 0 || !*gap,
                _ => indent > 0,
            };
            if continues {
                if let Some(item) = items.last_mut() {
                    item.push('\n');
                    item.push_str(body);
                    *gap = false;
                    continue;
                }
            }
        }

        match kind {
            // A blank line ends a paragraph or quote; a list stays open in case another item follows.
            Line::Blank => match &mut open {
                Open::List { gap, .. } => *gap = true,
                _ => close(&mut blocks, &mut open),
            },
            Line::Text(text) => match &mut open {
                Open::Paragraph(para) => {
                    para.push('\n');
                    para.push_str(text);
                }
                _ => {
                    close(&mut blocks, &mut open);
                    open = Open::Paragraph(text.to_string());
                }
            },
            Line::Quote(text) => match &mut open {
                Open::Quote(quote) => {
                    quote.push('\n');
                    quote.push_str(text);
                }
                _ => {
                    close(&mut blocks, &mut open);
                    open = Open::Quote(text.to_string());
                }
            },
            Line::Item { ordered, number, text } => match &mut open {
                Open::List { ordered: same, items, gap, .. } if *same == ordered => {
                    items.push(text.to_string());
                    *gap = false;
                }
                _ => {
                    close(&mut blocks, &mut open);
                    open = Open::List { ordered, start: number, items: vec![text.to_string()], gap: false };
                }
            },
            Line::Heading(level, text) => {
                close(&mut blocks, &mut open);
                blocks.push(Block::Heading(level, inlines(text, false)));
            }
            Line::Rule => {
                close(&mut blocks, &mut open);
                blocks.push(Block::Rule);
            }
            Line::Fence { ch, len, lang } => {
                close(&mut blocks, &mut open);
                open = Open::Code { ch, len, indent, lang: lang.to_string(), text: String::new() };
            }
        }
    }
    close(&mut blocks, &mut open);
    blocks
}

/// The block currently collecting lines.
enum Open {
    None,
    Paragraph(String),
    Quote(String),
    /// `gap` is set after a blank line: only another item or an indented line keeps the list going.
    List {
        ordered: bool,
        start: u32,
        items: Vec<String>,
        gap: bool,
    },
    /// The closing fence repeats `ch` at least `len` times; `indent` is the opening fence's.
    Code {
        ch: u8,
        len: usize,
        indent: usize,
        lang: String,
        text: String,
    },
}

/// Turns the open block (its lines joined by `\n`) into a finished one.
fn close(blocks: &mut Vec<Block>, open: &mut Open) {
    let block = match std::mem::replace(open, Open::None) {
        Open::None => return,
        Open::Paragraph(text) => Block::Paragraph(inlines(&text, false)),
        Open::Quote(text) => Block::Quote(inlines(&text, false)),
        Open::List { ordered, start, items, .. } => {
            Block::List { ordered, start, items: items.iter().map(|item| inlines(item, false)).collect() }
        }
        Open::Code { lang, mut text, .. } => {
            text.pop(); // the newline after the last line
            Block::Code { lang, text }
        }
    };
    blocks.push(block);
}

/// What a line (trimmed, outside a code fence) starts.
enum Line<'a> {
    Blank,
    Fence { ch: u8, len: usize, lang: &'a str },
    Heading(u8, &'a str),
    Rule,
    Quote(&'a str),
    Item { ordered: bool, number: u32, text: &'a str },
    Text(&'a str),
}

fn classify(body: &str) -> Line<'_> {
    let b = body.as_bytes();
    let Some(&first) = b.first() else {
        return Line::Blank;
    };
    let run = run_len(b, 0);
    match first {
        b'`' | b'~' if run >= 3 => {
            let info = body[run..].trim();
            // A backtick in the info string means this is inline code at the start of a line, not a fence.
            if first == b'~' || !info.contains('`') {
                return Line::Fence { ch: first, len: run, lang: info.split_whitespace().next().unwrap_or("") };
            }
        }
        b'#' if run <= 6 && matches!(b.get(run), None | Some(b' ' | b'\t')) => {
            return Line::Heading(run as u8, heading_text(&body[run..]));
        }
        b'>' => return Line::Quote(body[1..].trim_start()),
        _ => {}
    }
    // Checked before list items, since `* * *` and `- - -` are rules.
    let marks = b.iter().filter(|&&c| c == first).count();
    if matches!(first, b'-' | b'*' | b'_') && marks >= 3 && b.iter().all(|&c| matches!(c, b' ' | b'\t') || c == first) {
        return Line::Rule;
    }
    list_item(body).unwrap_or(Line::Text(body))
}

/// A heading's text without the optional closing `#`s (kept when they are part of a word, as in `C#`).
fn heading_text(rest: &str) -> &str {
    let text = rest.trim();
    let stripped = text.trim_end_matches('#');
    if stripped.is_empty() || stripped.ends_with([' ', '\t']) {
        stripped.trim_end()
    } else {
        text
    }
}

fn list_item(body: &str) -> Option<Line<'_>> {
    let b = body.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let (ordered, marker) = match b.first()? {
        b'-' | b'*' | b'+' => (false, 1),
        _ if (1..=9).contains(&digits) && matches!(b.get(digits), Some(b'.' | b')')) => (true, digits + 1),
        _ => return None,
    };
    let rest = &body[marker..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    // Nine digits always fit a u32.
    let number = if ordered { body[..digits].parse().unwrap_or(1) } else { 1 };
    Some(Line::Item { ordered, number, text: rest.trim_start() })
}

fn is_fence_close(body: &str, ch: u8, len: usize) -> bool {
    body.len() >= len && body.bytes().all(|c| c == ch)
}

/// Length of the run of the byte at `i`.
fn run_len(b: &[u8], i: usize) -> usize {
    b[i..].iter().take_while(|&&c| c == b[i]).count()
}

/// An inline token before emphasis is resolved.
enum Tok {
    Node(Inline),
    Delim(Delim),
}

/// A run of `*` or `_` that may still pair up into emphasis; `n` is what is left of the `len` it started with.
#[derive(Clone, Copy)]
struct Delim {
    ch: u8,
    n: usize,
    len: usize,
    open: bool,
    close: bool,
}

/// Parses inline markup. Inside link text (`in_link`) links and autolinks are not recognised, as they cannot nest.
///
/// Every construct starts at an ASCII byte and ends on a char boundary, so all slicing below is UTF-8 safe.
fn inlines(s: &str, in_link: bool) -> Vec<Inline> {
    let b = s.as_bytes();
    let mut toks = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < b.len() {
        let found = match b[i] {
            b'\\' if b.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                Some((Tok::Node(Inline::Text(s[i + 1..i + 2].to_string())), i + 2))
            }
            // A backslash at the end of a line is CommonMark's hard break; ours are all breaks anyway.
            b'\\' if b.get(i + 1) == Some(&b'\n') => Some((Tok::Node(Inline::Break), i + 2)),
            b'\n' => Some((Tok::Node(Inline::Break), i + 1)),
            b'`' => {
                let n = run_len(b, i);
                let span = code_span(s, i, n);
                if span.is_none() {
                    // An unmatched run stays literal as a whole: its tail must not open a shorter span.
                    i += n;
                    continue;
                }
                span
            }
            b'*' | b'_' => {
                let n = run_len(b, i);
                Some((Tok::Delim(delim(s, i, n)), i + n))
            }
            b'[' if !in_link => link(s, i),
            b'h' if !in_link => autolink(s, i),
            _ => None,
        };
        match found {
            Some((tok, end)) => {
                if text_start < i {
                    toks.push(Tok::Node(Inline::Text(s[text_start..i].to_string())));
                }
                toks.push(tok);
                i = end;
                text_start = end;
            }
            None => i += 1,
        }
    }
    if text_start < b.len() {
        toks.push(Tok::Node(Inline::Text(s[text_start..].to_string())));
    }
    resolve_emphasis(&mut toks);
    finish(toks)
}

/// Whether a delimiter run can open and/or close emphasis, from the characters around it.
fn delim(s: &str, i: usize, n: usize) -> Delim {
    let ch = s.as_bytes()[i];
    let before = s[..i].chars().next_back();
    let after = s[i + n..].chars().next();
    let left = after.is_some_and(|c| !c.is_whitespace());
    let right = before.is_some_and(|c| !c.is_whitespace());
    let (open, close) = if ch == b'_' {
        // An underscore inside a word (snake_case_name) is not emphasis.
        (left && !before.is_some_and(is_word_char), right && !after.is_some_and(is_word_char))
    } else {
        (left, right)
    };
    Delim { ch, n, len: n, open, close }
}

/// Letters and digits, with every non-ASCII char counted as one: that covers umlauts and CJK without pulling
/// Unicode tables into the wasm.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || !c.is_ascii()
}

/// Pairs closers with the nearest matching opener, left to right (CommonMark's delimiter algorithm, simplified).
fn resolve_emphasis(toks: &mut Vec<Tok>) {
    let mut i = 0;
    while i < toks.len() {
        let closer = match toks[i] {
            Tok::Delim(d) if d.close => d,
            _ => {
                i += 1;
                continue;
            }
        };
        let opener = (0..i).rev().find_map(|j| match toks[j] {
            Tok::Delim(o) if pairs(o, closer) => Some((j, o)),
            _ => None,
        });
        let Some((j, opener)) = opener else {
            i += 1;
            continue;
        };
        let k = if opener.n >= 2 && closer.n >= 2 { 2 } else { 1 };
        let inner = finish(toks.drain(j + 1..i).collect());
        toks.insert(j + 1, Tok::Node(if k == 2 { Inline::Strong(inner) } else { Inline::Emphasis(inner) }));
        // The closer is now at j + 2; what is left of it may still close an earlier opener.
        i = j + 2;
        if shrink(&mut toks[i], k) {
            toks.remove(i);
        }
        if shrink(&mut toks[j], k) {
            toks.remove(j);
            i -= 1;
        }
    }
}

/// Whether `opener` can be closed by `closer`, including CommonMark's "rule of three" so that `*a**b**c*` nests.
fn pairs(opener: Delim, closer: Delim) -> bool {
    let can_be_both = opener.close || closer.open;
    let rule_of_three = can_be_both
        && (opener.len + closer.len).is_multiple_of(3)
        && !(opener.len.is_multiple_of(3) && closer.len.is_multiple_of(3));
    opener.open && opener.ch == closer.ch && !rule_of_three
}

/// Uses up `k` characters of a delimiter; true when none are left.
fn shrink(tok: &mut Tok, k: usize) -> bool {
    match tok {
        Tok::Delim(d) => {
            d.n -= k;
            d.n == 0
        }
        Tok::Node(_) => false,
    }
}

/// Turns tokens into inlines: unpaired delimiters become literal text, and adjacent texts merge.
fn finish(toks: Vec<Tok>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    for tok in toks {
        let node = match tok {
            Tok::Node(node) => node,
            Tok::Delim(d) => Inline::Text(char::from(d.ch).to_string().repeat(d.n)),
        };
        if let (Inline::Text(text), Some(Inline::Text(prev))) = (&node, out.last_mut()) {
            prev.push_str(text);
            continue;
        }
        out.push(node);
    }
    out
}

/// A code span opened by the `n` backticks at `i`, closed by the next run of exactly `n`.
fn code_span(s: &str, i: usize, n: usize) -> Option<(Tok, usize)> {
    let b = s.as_bytes();
    let mut j = i + n;
    while j < b.len() {
        if b[j] != b'`' {
            j += 1;
            continue;
        }
        let m = run_len(b, j);
        if m == n {
            let code = s[i + n..j].replace('\n', " ");
            // One space on each side is padding, so that `` ` `` can show a backtick.
            let padded = code.starts_with(' ') && code.ends_with(' ') && code.bytes().any(|c| c != b' ');
            let code = if padded { code[1..code.len() - 1].to_string() } else { code };
            return Some((Tok::Node(Inline::Code(code)), j + n));
        }
        j += m;
    }
    None
}

/// `[text](destination "title")` at `i`. A destination with a disallowed scheme yields the source as plain text.
fn link(s: &str, i: usize) -> Option<(Tok, usize)> {
    let b = s.as_bytes();
    let text_end = matching(b, i, b'[', b']')?;
    if b.get(text_end + 1) != Some(&b'(') {
        return None;
    }
    let end = matching(b, text_end + 1, b'(', b')')?;
    let dest = s[text_end + 2..end].split_whitespace().next().unwrap_or("");
    let dest = dest.strip_prefix('<').and_then(|d| d.strip_suffix('>')).unwrap_or(dest);
    let node = if is_allowed_href(dest) {
        Inline::Link { href: dest.to_string(), children: inlines(&s[i + 1..text_end], true) }
    } else {
        Inline::Text(s[i..=end].to_string())
    };
    Some((Tok::Node(node), end + 1))
}

/// Index of the bracket closing the one at `i`, honouring nesting and backslash escapes.
fn matching(b: &[u8], i: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// Allow-list of schemes, so `javascript:`, `data:` and the like can never reach an `href`.
fn is_allowed_href(href: &str) -> bool {
    has_scheme(href, &["http:", "https:", "mailto:"])
}

/// A web page's address: what a reply's sources may link to.
pub fn is_web_href(href: &str) -> bool {
    has_scheme(href, &["http:", "https:"])
}

fn has_scheme(href: &str, schemes: &[&str]) -> bool {
    let href = href.trim();
    schemes.iter().any(|scheme| href.get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(scheme)))
}

/// A bare `http://` or `https://` URL at `i` that does not start mid-word.
fn autolink(s: &str, i: usize) -> Option<(Tok, usize)> {
    let rest = &s[i..];
    let scheme = ["https://", "http://"].into_iter().find(|p| rest.starts_with(*p))?;
    if s[..i].chars().next_back().is_some_and(is_word_char) {
        return None;
    }
    let end = rest.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')).unwrap_or(rest.len());
    let mut url = &rest[..end];
    // Punctuation after a URL belongs to the sentence (or the markup) around it; a `)` stays only when it closes a
    // `(` inside the URL, as in Wikipedia links.
    loop {
        url = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_', '~', '\'']);
        if url.ends_with(')') && url.matches('(').count() < url.matches(')').count() {
            url = &url[..url.len() - 1];
        } else {
            break;
        }
    }
    if url.len() == scheme.len() {
        return None;
    }
    let node = Inline::Link { href: url.to_string(), children: vec![Inline::Text(url.to_string())] };
    Some((Tok::Node(node), i + url.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_string())
    }

    fn link(href: &str, children: Vec<Inline>) -> Inline {
        Inline::Link { href: href.to_string(), children }
    }

    /// The inlines of a source that parses to exactly one paragraph.
    fn para(src: &str) -> Vec<Inline> {
        match parse(src).as_slice() {
            [Block::Paragraph(inlines)] => inlines.clone(),
            other => panic!("expected one paragraph for {src:?}, got {other:?}"),
        }
    }

    #[test]
    fn paragraphs_are_split_by_blank_lines_and_soft_breaks_kept() {
        assert_eq!(
            parse("one\ntwo  \r\n\n\nthree"),
            vec![
                Block::Paragraph(vec![text("one"), Inline::Break, text("two")]),
                Block::Paragraph(vec![text("three")]),
            ]
        );
        assert_eq!(parse(""), vec![]);
        assert_eq!(parse("\n  \n"), vec![]);
    }

    #[test]
    fn headings() {
        assert_eq!(parse("# One"), vec![Block::Heading(1, vec![text("One")])]);
        assert_eq!(parse("###### *Six* ##"), vec![Block::Heading(6, vec![Inline::Emphasis(vec![text("Six")])])]);
        assert_eq!(parse("## C#"), vec![Block::Heading(2, vec![text("C#")])]);
        assert_eq!(parse("#"), vec![Block::Heading(1, vec![])]);
        assert_eq!(para("####### seven"), vec![text("####### seven")]);
        assert_eq!(para("#hashtag"), vec![text("#hashtag")]);
        assert_eq!(
            parse("intro\n# Title\nbody"),
            vec![
                Block::Paragraph(vec![text("intro")]),
                Block::Heading(1, vec![text("Title")]),
                Block::Paragraph(vec![text("body")]),
            ]
        );
    }

    #[test]
    fn code_fences_keep_their_content_verbatim() {
        let src = "```rust title\nlet x = **1**;\n\n<script>alert(1)</script>\n```\nafter";
        assert_eq!(
            parse(src),
            vec![
                Block::Code { lang: "rust".into(), text: "let x = **1**;\n\n<script>alert(1)</script>".into() },
                Block::Paragraph(vec![text("after")]),
            ]
        );
        assert_eq!(parse("~~~\n```\n~~~~"), vec![Block::Code { lang: String::new(), text: "```".into() }]);
        assert_eq!(parse("```\n```"), vec![Block::Code { lang: String::new(), text: String::new() }]);
    }

    #[test]
    fn unclosed_code_fence_runs_to_the_end() {
        assert_eq!(parse("```py\nprint(1)\n``"), vec![Block::Code { lang: "py".into(), text: "print(1)\n``".into() }]);
        assert_eq!(parse("```"), vec![Block::Code { lang: String::new(), text: String::new() }]);
    }

    #[test]
    fn indented_fence_in_a_list_loses_its_indentation() {
        assert_eq!(
            parse("1. Run:\n   ```sh\n   make\n     indented\n   ```\n2. Done"),
            vec![
                Block::List { ordered: true, start: 1, items: vec![vec![text("Run:")]] },
                Block::Code { lang: "sh".into(), text: "make\n  indented".into() },
                Block::List { ordered: true, start: 2, items: vec![vec![text("Done")]] },
            ]
        );
    }

    #[test]
    fn inline_code_at_line_start_is_not_a_fence() {
        assert_eq!(para("```a``` b"), vec![Inline::Code("a".into()), text(" b")]);
        assert_eq!(para("``` `a` ```"), vec![Inline::Code("`a`".into())]);
    }

    #[test]
    fn unordered_lists() {
        let expected = Block::List { ordered: false, start: 1, items: vec![vec![text("a")], vec![text("b")]] };
        for marker in ["-", "*", "+"] {
            assert_eq!(parse(&format!("{marker} a\n{marker} b")), vec![expected.clone()]);
        }
    }

    #[test]
    fn ordered_lists_keep_their_start() {
        assert_eq!(
            parse("3) three\n4) **four**"),
            vec![Block::List {
                ordered: true,
                start: 3,
                items: vec![vec![text("three")], vec![Inline::Strong(vec![text("four")])]],
            }]
        );
        assert_eq!(para("3.14 is pi"), vec![text("3.14 is pi")]);
        assert_eq!(para("1234567890. too long"), vec![text("1234567890. too long")]);
    }

    #[test]
    fn list_items_take_continuation_and_nested_lines() {
        assert_eq!(
            parse("- a\n  more\n  - nested\nlazy\n- b"),
            vec![Block::List {
                ordered: false,
                start: 1,
                items: vec![
                    vec![
                        text("a"),
                        Inline::Break,
                        text("more"),
                        Inline::Break,
                        text("- nested"),
                        Inline::Break,
                        text("lazy")
                    ],
                    vec![text("b")],
                ],
            }]
        );
    }

    #[test]
    fn blank_lines_between_items_keep_one_list() {
        assert_eq!(
            parse("1. a\n\n   detail\n\n2. b\n\nafter"),
            vec![
                Block::List {
                    ordered: true,
                    start: 1,
                    items: vec![vec![text("a"), Inline::Break, text("detail")], vec![text("b")]],
                },
                Block::Paragraph(vec![text("after")]),
            ]
        );
        // A different kind of marker starts a new list.
        assert_eq!(parse("- a\n1. b").len(), 2);
    }

    #[test]
    fn a_list_interrupts_a_paragraph() {
        assert_eq!(
            parse("Options:\n- a"),
            vec![
                Block::Paragraph(vec![text("Options:")]),
                Block::List { ordered: false, start: 1, items: vec![vec![text("a")]] },
            ]
        );
    }

    #[test]
    fn quotes() {
        assert_eq!(
            parse("> one\n>two *em*\n\nafter"),
            vec![
                Block::Quote(vec![text("one"), Inline::Break, text("two "), Inline::Emphasis(vec![text("em")])]),
                Block::Paragraph(vec![text("after")]),
            ]
        );
    }

    #[test]
    fn rules() {
        for src in ["---", "***", "___", "* * *", " - - - -"] {
            assert_eq!(parse(src), vec![Block::Rule], "{src}");
        }
        assert_eq!(para("--"), vec![text("--")]);
        assert_eq!(para("***bold italic***"), vec![Inline::Emphasis(vec![Inline::Strong(vec![text("bold italic")])])]);
    }

    #[test]
    fn strong_emphasis_and_code() {
        assert_eq!(
            para("**a** __b__ *c* _d_ `e` ``f ` g``"),
            vec![
                Inline::Strong(vec![text("a")]),
                text(" "),
                Inline::Strong(vec![text("b")]),
                text(" "),
                Inline::Emphasis(vec![text("c")]),
                text(" "),
                Inline::Emphasis(vec![text("d")]),
                text(" "),
                Inline::Code("e".into()),
                text(" "),
                Inline::Code("f ` g".into()),
            ]
        );
        assert_eq!(para("`<b>*x*</b>`"), vec![Inline::Code("<b>*x*</b>".into())]);
        assert_eq!(para("2 * 3 * 4"), vec![text("2 * 3 * 4")]);
    }

    #[test]
    fn nested_strong_and_emphasis() {
        assert_eq!(
            para("**a *b* c**"),
            vec![Inline::Strong(vec![text("a "), Inline::Emphasis(vec![text("b")]), text(" c")])]
        );
        assert_eq!(
            para("*a **b** c*"),
            vec![Inline::Emphasis(vec![text("a "), Inline::Strong(vec![text("b")]), text(" c")])]
        );
        assert_eq!(para("_a **b**_"), vec![Inline::Emphasis(vec![text("a "), Inline::Strong(vec![text("b")])])]);
        assert_eq!(
            para("*a**b**c*"),
            vec![Inline::Emphasis(vec![text("a"), Inline::Strong(vec![text("b")]), text("c")])]
        );
    }

    #[test]
    fn underscores_inside_words_are_literal() {
        assert_eq!(para("use snake_case_name here"), vec![text("use snake_case_name here")]);
        assert_eq!(
            para("_my_var_ and __init__"),
            vec![Inline::Emphasis(vec![text("my_var")]), text(" and "), Inline::Strong(vec![text("init")])]
        );
    }

    #[test]
    fn backslash_escapes() {
        assert_eq!(para(r"\*not em\* \_x\_ \[y\](z) \a"), vec![text(r"*not em* _x_ [y](z) \a")]);
        assert_eq!(para(r"\\"), vec![text(r"\")]);
        assert_eq!(para("hard\\\nbreak"), vec![text("hard"), Inline::Break, text("break")]);
    }

    #[test]
    fn links() {
        assert_eq!(
            para(r#"see [the **docs** _here_](https://example.com/a_(b) "Title")."#),
            vec![
                text("see "),
                link(
                    "https://example.com/a_(b)",
                    vec![
                        text("the "),
                        Inline::Strong(vec![text("docs")]),
                        text(" "),
                        Inline::Emphasis(vec![text("here")])
                    ]
                ),
                text("."),
            ]
        );
        assert_eq!(para("[mail](mailto:a@b.c)"), vec![link("mailto:a@b.c", vec![text("mail")])]);
        assert_eq!(para("[x]( HTTPS://e.com )"), vec![link("HTTPS://e.com", vec![text("x")])]);
        assert_eq!(para("[x](<http://e.com>)"), vec![link("http://e.com", vec![text("x")])]);
        // A URL as link text stays text: links cannot nest.
        assert_eq!(para("[https://e.com](https://e.com)"), vec![link("https://e.com", vec![text("https://e.com")])]);
        assert_eq!(para("[not a link] (x)"), vec![text("[not a link] (x)")]);
    }

    #[test]
    fn disallowed_link_schemes_stay_source_text() {
        for src in [
            "[x](javascript:alert(1))",
            "[x]( JAVASCRIPT:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
            "[x](/relative)",
            "[x](https)",
            "[x]()",
        ] {
            assert_eq!(para(src), vec![text(src)], "{src}");
        }
        assert_eq!(para("a [**x**](javascript:y) b"), vec![text("a [**x**](javascript:y) b")]);
    }

    #[test]
    fn bare_autolinks() {
        let url = |u: &str| link(u, vec![text(u)]);
        assert_eq!(para("Go to https://e.com/x?y=1."), vec![text("Go to "), url("https://e.com/x?y=1"), text(".")]);
        assert_eq!(para("(see http://e.com)!"), vec![text("(see "), url("http://e.com"), text(")!")]);
        assert_eq!(
            para("https://en.wikipedia.org/wiki/Rust_(programming_language), ok"),
            vec![url("https://en.wikipedia.org/wiki/Rust_(programming_language)"), text(", ok")]
        );
        assert_eq!(para("**https://e.com**"), vec![Inline::Strong(vec![url("https://e.com")])]);
        assert_eq!(para("https://e.com/snake_case_x"), vec![url("https://e.com/snake_case_x")]);
        assert_eq!(para("nohttps://e.com https:// ftp://e.com"), vec![text("nohttps://e.com https:// ftp://e.com")]);
    }

    #[test]
    fn html_is_literal_text() {
        for src in [
            "<img src=x onerror=alert(1)>",
            "<script>",
            "<script>alert(1)</script>",
            "<b>x</b>",
            "<a href=\"javascript:alert(1)\">x</a>",
        ] {
            assert_eq!(para(src), vec![text(src)], "{src}");
        }
        assert_eq!(
            para("<a href=\"https://e.com\">x</a>"),
            vec![text("<a href=\""), link("https://e.com", vec![text("https://e.com")]), text("\">x</a>")]
        );
    }

    #[test]
    fn multi_byte_text() {
        assert_eq!(
            para("**Grüße** 👋 _日本語_ *über*\n中文**粗体**"),
            vec![
                Inline::Strong(vec![text("Grüße")]),
                text(" 👋 "),
                Inline::Emphasis(vec![text("日本語")]),
                text(" "),
                Inline::Emphasis(vec![text("über")]),
                Inline::Break,
                text("中文"),
                Inline::Strong(vec![text("粗体")]),
            ]
        );
        assert_eq!(parse("# Ärger 🎉"), vec![Block::Heading(1, vec![text("Ärger 🎉")])]);
        assert_eq!(
            para("😀 https://e.com/ü"),
            vec![text("😀 "), link("https://e.com/ü", vec![text("https://e.com/ü")])]
        );
        assert_eq!(para("straße_und_weg"), vec![text("straße_und_weg")]);
        assert_eq!(para("ä_ö_ü"), vec![text("ä_ö_ü")]);
    }

    #[test]
    fn unclosed_inline_markup_stays_text() {
        assert_eq!(para("**bold"), vec![text("**bold")]);
        assert_eq!(para("a *b"), vec![text("a *b")]);
        assert_eq!(para("`code"), vec![text("`code")]);
        assert_eq!(para("[link"), vec![text("[link")]);
        assert_eq!(para("[link]("), vec![text("[link](")]);
        assert_eq!(para("[link](https://e.c"), vec![text("[link]("), link("https://e.c", vec![text("https://e.c")])]);
    }

    const SAMPLE: &str = "# Title 🎉\n\nSome **bold**, *em*, ***both***, `code`, snake_case, \\*esc\\*, \
        [a **link**](https://e.com/ä) and https://e.com/x.\nSecond line with Grüße and 日本語.\n\n\
        - item one\n  continued\n- item _two_\n\n3. three\n4) four\n\n> quoted *text*\n> more\n\n---\n\n\
        ```rust\nfn main() { println!(\"<b>hi</b>\"); }\n```\n\n~~~\ntilde\n~~~\n\n\
        <img src=x onerror=alert(1)> [x](javascript:alert(1))\n";

    #[test]
    fn every_streaming_prefix_parses() {
        for (i, _) in SAMPLE.char_indices() {
            parse(&SAMPLE[..i]);
        }
        // Mid-fence, the code block is already open.
        let end = SAMPLE.find("fn main").unwrap();
        assert_eq!(parse(&SAMPLE[..end]).last(), Some(&Block::Code { lang: "rust".into(), text: String::new() }));
        let blocks = parse(SAMPLE);
        assert_eq!(blocks.len(), 9);
        assert!(blocks.contains(&Block::Rule));
    }

    #[test]
    fn streaming_unclosed_bold_shows_the_markers() {
        let end = SAMPLE.find("**bold").unwrap() + "**bo".len();
        match parse(&SAMPLE[..end]).last() {
            Some(Block::Paragraph(inlines)) => assert_eq!(inlines.last(), Some(&text("Some **bo"))),
            other => panic!("{other:?}"),
        }
        assert_eq!(para("Here is **bold tex"), vec![text("Here is **bold tex")]);
    }
}
