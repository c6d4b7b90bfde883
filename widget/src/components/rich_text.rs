//! Draws parsed markdown into an element with DOM calls only: text always becomes text nodes
//! and the elements come from a fixed list, so model output can never inject markup.

use web_sys::Element;

use crate::dom::{document, element, text};
use crate::markdown::{self, Block, Inline};

/// Replaces `target`'s children with `source` rendered as markdown.
pub fn render(target: &Element, source: &str) {
    text(target, "");
    draw(target, source);
}

/// Where rendered markdown goes: the DOM in the widget, a plain tree in the tests.
pub trait Target: Sized {
    /// Appends a new `<tag>` with these attributes and returns it.
    fn child(&self, tag: &'static str, attrs: &[(&str, &str)]) -> Self;
    /// Appends a text node.
    fn text(&self, text: &str);
}

impl Target for Element {
    fn child(&self, tag: &'static str, attrs: &[(&str, &str)]) -> Self {
        element(self, tag, attrs)
    }

    fn text(&self, words: &str) {
        let _ = self.append_child(&document().create_text_node(words));
    }
}

/// Appends `source` rendered as markdown to `target`.
pub fn draw<T: Target>(target: &T, source: &str) {
    for block in markdown::parse(source) {
        draw_block(target, &block);
    }
}

fn draw_block<T: Target>(parent: &T, block: &Block) {
    match block {
        Block::Paragraph(inlines) => draw_inlines(&parent.child("p", &[]), inlines),
        Block::Heading(_, inlines) => draw_inlines(&parent.child("p", &[("class", "h")]), inlines),
        Block::Code { text: code, .. } => parent.child("pre", &[]).child("code", &[]).text(code),
        Block::List { ordered, start, items } => {
            let start = start.to_string();
            let list = match (*ordered, start.as_str()) {
                (false, _) => parent.child("ul", &[]),
                (true, "1") => parent.child("ol", &[]),
                (true, start) => parent.child("ol", &[("start", start)]),
            };
            for item in items {
                draw_inlines(&list.child("li", &[]), item);
            }
        }
        Block::Quote(inlines) => draw_inlines(&parent.child("blockquote", &[]), inlines),
        Block::Rule => {
            parent.child("hr", &[]);
        }
    }
}

fn draw_inlines<T: Target>(parent: &T, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(words) => parent.text(words),
            Inline::Strong(children) => draw_inlines(&parent.child("strong", &[]), children),
            Inline::Emphasis(children) => draw_inlines(&parent.child("em", &[]), children),
            Inline::Code(code) => parent.child("code", &[]).text(code),
            // A reply's links open outside the host page and get no handle on it.
            Inline::Link { href, children } => {
                let rel = "noopener noreferrer nofollow";
                draw_inlines(&parent.child("a", &[("href", href), ("target", "_blank"), ("rel", rel)]), children);
            }
            Inline::Break => {
                parent.child("br", &[]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use proptest::prelude::*;

    use super::*;

    /// An element as the renderer made it: its tag, attributes and children (text as `#text`).
    #[derive(Clone, Default)]
    struct Node(Rc<RefCell<Drawn>>);

    type Drawn = (String, Vec<(String, String)>, Vec<Node>);

    impl Target for Node {
        fn child(&self, tag: &'static str, attrs: &[(&str, &str)]) -> Self {
            let attrs = attrs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            let node = Node(Rc::new(RefCell::new((tag.to_owned(), attrs, Vec::new()))));
            self.0.borrow_mut().2.push(node.clone());
            node
        }

        fn text(&self, words: &str) {
            let text = vec![("value".to_owned(), words.to_owned())];
            self.0.borrow_mut().2.push(Node(Rc::new(RefCell::new(("#text".to_owned(), text, Vec::new())))));
        }
    }

    impl Node {
        /// Every element below this one (not itself, not text), depth first.
        fn elements(&self) -> Vec<(String, Vec<(String, String)>)> {
            let mut all = Vec::new();
            for child in &self.0.borrow().2 {
                let (tag, attrs, _) = &*child.0.borrow();
                if tag != "#text" {
                    all.push((tag.clone(), attrs.clone()));
                    all.extend(child.elements());
                }
            }
            all
        }
    }

    /// Markdown's own characters, HTML, URLs of every scheme and text in other scripts, so that
    /// the generated replies are mostly markup.
    const PIECES: &[&str] = &[
        "*",
        "**",
        "_",
        "`",
        "```",
        "~~~",
        "[",
        "]",
        "(",
        ")",
        "](",
        "<",
        ">",
        "\\",
        "\n",
        "\n\n",
        " ",
        "  ",
        "#",
        "# ",
        "- ",
        "1. ",
        "3) ",
        "> ",
        "---",
        "a",
        "word",
        "ü",
        "👋",
        "日本",
        "https://e.com/x",
        "http://",
        "mailto:a@b.c",
        "javascript:alert(1)",
        "JAVASCRIPT:",
        "data:text/html,x",
        "vbscript:",
        "//evil.example",
        "/relative",
        "<script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:x\">",
        "\"",
        "'",
        "&lt;",
        "\u{202e}",
    ];

    fn reply() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::collection::vec(prop::sample::select(PIECES), 0..48).prop_map(|p| p.concat()),
            any::<String>(),
        ]
    }

    fn rendered(source: &str) -> Vec<(String, Vec<(String, String)>)> {
        let root = Node::default();
        draw(&root, source);
        root.elements()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the model writes, the reply is drawn with these elements and attributes
        /// only, and every link goes to http(s) or mail, opened outside the page.
        #[test]
        fn only_allowed_elements_and_safe_links(source in reply()) {
            for (tag, attrs) in rendered(&source) {
                let names: Vec<&str> = attrs.iter().map(|(k, _)| k.as_str()).collect();
                let value = |name: &str| attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
                match tag.as_str() {
                    "p" => prop_assert!(names.is_empty() || value("class") == Some("h") && names.len() == 1, "{attrs:?}"),
                    "ol" => prop_assert!(names.is_empty() || names == ["start"], "{attrs:?}"),
                    "a" => {
                        prop_assert_eq!(&names, &["href", "target", "rel"]);
                        let href = value("href").unwrap_or_default().to_ascii_lowercase();
                        prop_assert!(
                            ["http://", "https://", "mailto:"].iter().any(|s| href.starts_with(s)),
                            "a link to {href:?} from {source:?}"
                        );
                        prop_assert_eq!(value("target"), Some("_blank"));
                        prop_assert_eq!(value("rel"), Some("noopener noreferrer nofollow"));
                    }
                    "ul" | "li" | "pre" | "code" | "blockquote" | "hr" | "strong" | "em" | "br" => {
                        prop_assert!(names.is_empty(), "<{tag}> with {attrs:?}");
                    }
                    other => prop_assert!(false, "<{other}> drawn from {source:?}"),
                }
            }
        }
    }
}
