//! Everything that runs only on the server: configuration, the database, sessions and the
//! rules behind each server function. Server functions in `crate::api` stay thin and call in here.

pub mod accounts;
pub mod api_tokens;
mod app;
pub mod certificates;
pub mod change_log;
pub mod client_address;
pub mod config;
pub mod db;
pub mod edge_feed;
pub mod error_log;
mod guard;
pub mod http_error;
pub mod limits;
pub mod origin_groups;
pub mod passwords;
pub mod request;
pub mod resources;
pub mod rest;
pub mod seed;
pub mod sessions;
pub mod ws_traffic;

pub use app::{SECURE_SESSION_COOKIE, SESSION_COOKIE, StartupError, build_router, init_tracing, run};
pub use config::{PublicOrigin, SecuritySettings};
pub use limits::{AbuseLimits, Rate};
