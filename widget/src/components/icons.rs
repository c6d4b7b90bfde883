//! Inline SVG icons (24×24 paths), so the widget loads no images.

use web_sys::{Element, Node};

use crate::dom::svg;

pub const BUBBLE: &str = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
pub const CLOSE: &str =
    "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z";
pub const RESTART: &str = "M12 5V1L7 6l5 5V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z";
pub const MAIL: &str = "M3 5h18v14H3zm2 2v.5l7 4.5 7-4.5V7zm0 2.9V17h14V9.9l-7 4.5z";
pub const THUMB_UP: &str = "M2 21h4V9H2zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6-.1-.3a1.5 1.5 0 0 0-.4-1L13 1 7.6 6.6A2 2 0 0 0 7 8v11a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1.2-.7z";
pub const THUMB_DOWN: &str = "M22 3h-4v12h4zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6.1.3c0 .4.2.8.4 1L11 23l5.4-5.6A2 2 0 0 0 17 16V5a2 2 0 0 0-2-2H6a2 2 0 0 0-1.8 1.2l-3 7.1L1 12z";

/// Appends the icon drawn by `path` to `parent`; returns its `<path>`, whose `d` can change.
pub fn icon(parent: &Node, path: &str) -> Element {
    let icon = svg(parent, "svg", &[("viewBox", "0 0 24 24"), ("aria-hidden", "true"), ("focusable", "false")]);
    svg(&icon, "path", &[("d", path)])
}
