//! One file per page of the console, named after what the page shows.

pub mod analytics;
pub mod audit;
pub mod home;
pub mod inbox;
pub mod keys;
pub mod knowledge;
pub mod leads;
pub mod links;
pub mod shell;
pub mod sign_in;
pub mod sites;
pub mod team;
