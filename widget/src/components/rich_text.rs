//! Draws parsed markdown into an element with DOM calls only: text always becomes text nodes
//! and the elements come from a fixed list, so model output can never inject markup.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};

use crate::markdown::{self, Block, Inline};

/// Replaces `target`'s children with `source` rendered as markdown.
pub fn render(target: &Element, source: &str) {
    let Some(doc) = target.owner_document() else {
        return;
    };
    target.set_text_content(None);
    for block in markdown::parse(source) {
        if let Some(node) = block_node(&doc, &block) {
            let _ = target.append_child(&node);
        }
    }
}

fn block_node(doc: &Document, block: &Block) -> Option<Node> {
    let el = match block {
        Block::Paragraph(inlines) => with_inlines(doc, "p", inlines)?,
        Block::Heading(_, inlines) => {
            let p = with_inlines(doc, "p", inlines)?;
            p.set_class_name("h");
            p
        }
        Block::Code { text, .. } => {
            let pre = doc.create_element("pre").ok()?;
            let code = doc.create_element("code").ok()?;
            code.set_text_content(Some(text));
            pre.append_child(&code).ok()?;
            pre
        }
        Block::List { ordered, start, items } => {
            let list = doc.create_element(if *ordered { "ol" } else { "ul" }).ok()?;
            if *ordered && *start != 1 {
                list.set_attribute("start", &start.to_string()).ok()?;
            }
            for item in items {
                list.append_child(&with_inlines(doc, "li", item)?.into()).ok()?;
            }
            list
        }
        Block::Quote(inlines) => with_inlines(doc, "blockquote", inlines)?,
        Block::Rule => doc.create_element("hr").ok()?,
    };
    Some(el.unchecked_into())
}

fn with_inlines(doc: &Document, tag: &str, inlines: &[Inline]) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    for inline in inlines {
        el.append_child(&inline_node(doc, inline)?).ok()?;
    }
    Some(el)
}

fn inline_node(doc: &Document, inline: &Inline) -> Option<Node> {
    let node: Node = match inline {
        Inline::Text(text) => doc.create_text_node(text).into(),
        Inline::Strong(children) => with_inlines(doc, "strong", children)?.into(),
        Inline::Emphasis(children) => with_inlines(doc, "em", children)?.into(),
        Inline::Code(text) => {
            let code = doc.create_element("code").ok()?;
            code.set_text_content(Some(text));
            code.into()
        }
        Inline::Link { href, children } => {
            let a = with_inlines(doc, "a", children)?;
            a.set_attribute("href", href).ok()?;
            // A reply's links open outside the host page and get no handle on it.
            a.set_attribute("target", "_blank").ok()?;
            a.set_attribute("rel", "noopener noreferrer nofollow").ok()?;
            a.into()
        }
        Inline::Break => doc.create_element("br").ok()?.into(),
    };
    Some(node)
}
