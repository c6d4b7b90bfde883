//! The embeddable chat widget: Leptos's signals and effects (`reactive_graph`) driving plain DOM
//! views inside an open shadow root, compiled to wasm and loaded by `loader/widget.js`.

pub mod api;
pub mod chat;
pub mod components;
pub mod dom;
pub mod json;
pub mod markdown;
pub mod storage;
pub mod style;
pub mod transcript;
pub mod widget;
pub mod wire;
