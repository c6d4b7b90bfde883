//! A web page reduced to what a reader of it would read: its title, its headings and
//! paragraphs, without navigation, scripts and other boilerplate; and the links it holds, for
//! the crawler. HTML from the wild is often broken, so this reads tokens from html5gum (a
//! WHATWG tokenizer, no tree to go wrong; it decodes entities) rather than parsing a document.

use html5gum::{DefaultEmitter, Token, Tokenizer};

use super::chunks::Part;

/// What the page holds for the index and the crawler.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub title: Option<String>,
    pub parts: Vec<Part>,
    /// `href`s of links and of the page's `<base>`, as written.
    pub links: Vec<String>,
    pub base: Option<String>,
    /// `<meta name="robots">` said `noindex`: keep nothing of the page.
    pub noindex: bool,
    /// `<meta name="robots">` said `nofollow`: follow none of its links.
    pub nofollow: bool,
}

/// Elements whose content is never the page's text.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "nav", "header", "footer", "aside",
    "form", "button", "select", "textarea", "dialog", "head",
];
/// Class or id words that mark boilerplate blocks on sites that do not use the elements above.
const BOILERPLATE: &[&str] = &[
    "nav",
    "navbar",
    "navheader",
    "navfooter",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "footer",
    "cookie",
    "skip",
];
/// Elements with no end tag.
const VOID: &[&str] =
    &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];
/// Elements that end a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "br",
    "hr",
    "tr",
    "td",
    "th",
    "table",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "address",
    "details",
    "summary",
    "body",
    "caption",
];

struct Open {
    name: String,
    dropped: bool,
    main: bool,
}

/// Reads the page. When it marks its main content (`<main>`, `<article>` or `role="main"`),
/// only that content counts.
pub fn read(html: &str) -> Page {
    let mut emitter = DefaultEmitter::default();
    // Without it, script and style contents would be read as markup.
    emitter.naively_switch_states(true);
    let mut page = Page::default();
    let mut stack: Vec<Open> = Vec::new();
    // Parts with whether they were inside the main content.
    let mut parts: Vec<(Part, bool)> = Vec::new();
    let mut text = String::new();
    let mut heading: Option<(u8, String)> = None;
    let mut title: Option<String> = None;
    let mut pre = 0usize;
    let flush = |text: &mut String, parts: &mut Vec<(Part, bool)>, main: bool| {
        let t = text.trim();
        if !t.is_empty() {
            parts.push((Part::Paragraph(t.to_owned()), main));
        }
        text.clear();
    };
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        let dropped = stack.iter().any(|o| o.dropped);
        let main = stack.iter().any(|o| o.main);
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let attr = |key: &[u8]| {
                    tag.attributes
                        .iter()
                        .find(|(k, _)| k.as_slice() == key)
                        .map(|(_, v)| String::from_utf8_lossy(&v.value).into_owned())
                };
                match name.as_str() {
                    "a" | "area" => page.links.extend(attr(b"href")),
                    "base" => page.base = page.base.take().or_else(|| attr(b"href")),
                    "meta" if attr(b"name").is_some_and(|n| n.eq_ignore_ascii_case("robots")) => {
                        let content = attr(b"content").unwrap_or_default().to_ascii_lowercase();
                        page.noindex |= content.contains("noindex") || content.contains("none");
                        page.nofollow |= content.contains("nofollow") || content.contains("none");
                    }
                    "title" if title.is_none() => title = Some(String::new()),
                    _ => {}
                }
                if BLOCKS.contains(&name.as_str()) || level(&name).is_some() {
                    flush(&mut text, &mut parts, main);
                }
                if let Some(l) = level(&name) {
                    heading = Some((l, String::new()));
                }
                if VOID.contains(&name.as_str()) || tag.self_closing {
                    continue;
                }
                if name == "pre" {
                    pre += 1;
                }
                let marked = |key: &[u8]| {
                    attr(key).is_some_and(|v| {
                        v.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
                            .any(|w| BOILERPLATE.contains(&w.to_ascii_lowercase().as_str()))
                    })
                };
                let role = attr(b"role").unwrap_or_default();
                stack.push(Open {
                    dropped: DROPPED.contains(&name.as_str())
                        || marked(b"class")
                        || marked(b"id")
                        || attr(b"hidden").is_some()
                        || ["navigation", "banner", "contentinfo", "search"].contains(&role.as_str()),
                    main: name == "main" || name == "article" || role == "main",
                    name,
                });
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if name == "title" {
                    if let Some(t) = title.take() {
                        page.title = Some(collapse(&t)).filter(|t| !t.is_empty());
                    }
                }
                if let (Some(l), Some((open, words))) = (level(&name), heading.as_ref()) {
                    if l == *open {
                        let words = collapse(words);
                        if !words.is_empty() && !dropped {
                            parts.push((Part::Heading(l, words), main));
                        }
                        heading = None;
                        text.clear();
                    }
                }
                let open = stack.iter().rposition(|o| o.name == name);
                // A stray end tag (nothing of its name open) is ignored, as browsers do.
                if BLOCKS.contains(&name.as_str()) && open.is_some() {
                    flush(&mut text, &mut parts, main);
                }
                if let Some(at) = open {
                    if name == "pre" {
                        pre = pre.saturating_sub(1);
                    }
                    stack.truncate(at);
                }
            }
            Token::String(s) => {
                let s = String::from_utf8_lossy(&s.value);
                if let Some(t) = title.as_mut() {
                    t.push_str(&s);
                } else if dropped {
                } else if let Some((_, words)) = heading.as_mut() {
                    words.push_str(&s);
                } else if pre > 0 {
                    text.push_str(&s);
                } else {
                    push_collapsed(&mut text, &s);
                }
            }
            _ => {}
        }
    }
    flush(&mut text, &mut parts, stack.iter().any(|o| o.main));
    let any_main = parts.iter().any(|(_, main)| *main);
    page.parts = parts.into_iter().filter(|(_, main)| *main || !any_main).map(|(p, _)| p).collect();
    page
}

fn level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
        _ => None,
    }
}

/// Runs of white space as one space, trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Appends `s` with its runs of white space as one space.
fn push_collapsed(text: &mut String, s: &str) {
    for (i, word) in s.split_whitespace().enumerate() {
        let space_before = i > 0 || s.starts_with(char::is_whitespace);
        if space_before && !text.is_empty() && !text.ends_with(' ') {
            text.push(' ');
        }
        text.push_str(word);
    }
    if s.ends_with(char::is_whitespace) && !text.is_empty() && !text.ends_with(' ') {
        text.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn paragraphs(page: &Page) -> Vec<&str> {
        page.parts
            .iter()
            .filter_map(|p| match p {
                Part::Paragraph(t) => Some(t.as_str()),
                Part::Heading(..) => None,
            })
            .collect()
    }

    #[test]
    fn keeps_headings_and_paragraphs_and_drops_boilerplate() {
        let page = read(
            r#"<!doctype html><html><head><title> Returns &amp; refunds </title>
            <script>if (a < b) { document.write("<p>not text</p>") }</script><style>p{}</style></head>
            <body><nav><a href="/a">Home</a></nav><div class="navheader">Prev | Next</div>
            <h1>Returns</h1><p>You may return   items
            within <b>30&nbsp;days</b>.</p><ul><li>Unused</li><li>With receipt</li></ul>
            <h2 id="x">Refunds</h2><p>Refunds take 5 days<br>by bank transfer.</p>
            <footer>© Shop <a href="/legal">Legal</a></footer></body></html>"#,
        );
        assert_eq!(page.title.as_deref(), Some("Returns & refunds"));
        assert_eq!(
            page.parts,
            vec![
                Part::Heading(1, "Returns".into()),
                Part::Paragraph("You may return items within 30 days.".into()),
                Part::Paragraph("Unused".into()),
                Part::Paragraph("With receipt".into()),
                Part::Heading(2, "Refunds".into()),
                Part::Paragraph("Refunds take 5 days".into()),
                Part::Paragraph("by bank transfer.".into()),
            ]
        );
        assert_eq!(page.links, ["/a", "/legal"], "links are followed from navigation too");
    }

    #[test]
    fn main_content_wins_where_a_page_marks_it() {
        let page = read("<body><div>Sidebar words</div><main><h1>Doc</h1><p>Body</p></main><div>More</div></body>");
        assert_eq!(page.parts, vec![Part::Heading(1, "Doc".into()), Part::Paragraph("Body".into())]);
    }

    #[test]
    fn broken_markup_keeps_its_text_and_robots_meta_is_read() {
        let page =
            read("<meta name=ROBOTS content='noindex, nofollow'><p>one <i>two<p>three</div></span> four<script>x</p>");
        assert_eq!(paragraphs(&page), ["one two", "three four"]);
        assert!(page.noindex && page.nofollow);
        let page = read("<pre>a\n  b</pre><p>c</p>");
        assert_eq!(paragraphs(&page), ["a\n  b", "c"]);
    }

    proptest! {
        #[test]
        fn no_markup_or_script_survives(words in "[a-z ]{0,40}", noise in ".{0,200}") {
            let html = format!("<p>{words}</p><script>{noise}</script><style>{noise}</style>");
            let page = read(&html);
            let text: String = paragraphs(&page).concat();
            prop_assert_eq!(text, words.split_whitespace().collect::<Vec<_>>().join(" "));
        }

        #[test]
        fn any_input_reads_without_panic(html in ".{0,400}") {
            let page = read(&html);
            for p in paragraphs(&page) {
                prop_assert!(!p.is_empty());
            }
        }
    }
}
