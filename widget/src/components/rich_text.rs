//! Draws parsed markdown into an element with DOM calls only: text always becomes text nodes
//! and the elements come from a fixed list, so model output can never inject markup.

use leptos::prelude::document;
use web_sys::Element;

use crate::dom::{attr, element, text};
use crate::markdown::{self, Block, Inline};

/// Replaces `target`'s children with `source` rendered as markdown.
pub fn render(target: &Element, source: &str) {
    text(target, "");
    for block in markdown::parse(source) {
        draw_block(target, &block);
    }
}

fn draw_block(parent: &Element, block: &Block) {
    match block {
        Block::Paragraph(inlines) => draw_inlines(&element(parent, "p", &[]), inlines),
        Block::Heading(_, inlines) => draw_inlines(&element(parent, "p", &[("class", "h")]), inlines),
        Block::Code { text: code, .. } => text(&element(&element(parent, "pre", &[]), "code", &[]), code),
        Block::List { ordered, start, items } => {
            let list = element(parent, if *ordered { "ol" } else { "ul" }, &[]);
            if *ordered && *start != 1 {
                attr(&list, "start", &start.to_string());
            }
            for item in items {
                draw_inlines(&element(&list, "li", &[]), item);
            }
        }
        Block::Quote(inlines) => draw_inlines(&element(parent, "blockquote", &[]), inlines),
        Block::Rule => {
            element(parent, "hr", &[]);
        }
    }
}

fn draw_inlines(parent: &Element, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(words) => {
                let _ = parent.append_child(&document().create_text_node(words));
            }
            Inline::Strong(children) => draw_inlines(&element(parent, "strong", &[]), children),
            Inline::Emphasis(children) => draw_inlines(&element(parent, "em", &[]), children),
            Inline::Code(code) => text(&element(parent, "code", &[]), code),
            // A reply's links open outside the host page and get no handle on it.
            Inline::Link { href, children } => {
                let rel = "noopener noreferrer nofollow";
                let link = element(parent, "a", &[("href", href), ("target", "_blank"), ("rel", rel)]);
                draw_inlines(&link, children);
            }
            Inline::Break => {
                element(parent, "br", &[]);
            }
        }
    }
}
