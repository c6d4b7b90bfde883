//! The embeddable chat widget: Leptos (client-side rendered) inside an open shadow root,
//! compiled to wasm and loaded by the tiny `loader/widget.js`.

pub mod api;
pub mod chat;
pub mod components;
pub mod dom;
pub mod i18n;
pub mod json;
pub mod markdown;
pub mod storage;
pub mod style;
pub mod transcript;
pub mod widget;
pub mod wire;
