//! The fixture every test starts from: a portal over a fresh database (in this process, or as
//! real `cdn-portal` processes), and what a test needs of it on demand through [`Portal`]: a
//! signed-in customer, an API token, a resource, a save, its history.

pub mod certs;
mod client;
pub mod database;
pub mod edge;
pub mod link;
mod page;
mod portal;
pub mod replica;
mod reply;
pub mod visitor;
pub mod wire;

// The parents [`database`] expects (shared with the library's unit tests, see there).
use cdn_portal::server::db::{Pool, connect};

pub use client::{
    ApiToken, PASSWORD, Portal, api_request, form_value, server_fn_call, server_fn_request, with_headers,
};
pub use database::{ScratchDatabase, fresh_database};
pub use page::input_tag;
pub use portal::{
    TestPortal, router_over, spawn_portal, spawn_portal_over, spawn_portal_over_site, spawn_portal_with, test_settings,
};
pub use reply::Reply;

/// The host the in-process portal is addressed by, and so the origin of its own pages.
pub const HOST: &str = "localhost";
pub const PORTAL_ORIGIN: &str = "http://localhost";
/// Where requests to the in-process portal come from unless a test says otherwise (TEST-NET-1).
pub const CLIENT: &str = "192.0.2.1:50000";
