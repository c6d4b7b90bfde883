//! One file per page of the console, named after what the page shows; `sources` and `gaps` are
//! the knowledge page's sections beside its entries.

pub mod analytics;
pub mod audit;
pub mod gaps;
pub mod home;
pub mod inbox;
pub mod keys;
pub mod knowledge;
pub mod leads;
pub mod links;
pub mod shell;
pub mod sign_in;
pub mod sites;
pub mod sources;
pub mod team;
