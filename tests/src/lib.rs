//! The black-box test harness: the real edge under `wrangler dev` (workerd + local D1), the
//! scripted stand-in LLM, and a client that reads the edge's Server-Sent Events as they come.

pub mod app;
pub mod bare_relay;
pub mod browser;
pub mod client;
pub mod db;
pub mod embedding_server;
pub mod host_site;
pub mod inspector;
pub mod journeys;
pub mod measure;
pub mod pasted_site;
pub mod stand_in;
pub mod verification_site;

pub use app::App;
