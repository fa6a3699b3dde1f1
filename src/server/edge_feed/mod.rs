//! The configuration feed that CDN edges follow: a snapshot of what every resource needs at the
//! edge, then the changes after a version, answered as soon as they are committed (long
//! polling). Edges authenticate with a token shared by configuration, never with a customer's
//! session, and report back which version they serve.
//!
//! The messages, paths, authentication scheme and token rule are the `edge-feed` crate's
//! (`feed/`), which the edge depends on too; this module is the portal's side of them:
//! - `wake`: waking the requests that wait for changes, when this process, another replica
//!   (PostgreSQL notifications) or another process on the same SQLite file commits one;
//! - `handlers`: the HTTP endpoints and their token check;
//! - `queries`: the SQL behind them, and how far a resource's change has reached the edges.

mod handlers;
mod queries;
mod wake;

pub use ::edge_feed::{ConfigUpdate, EdgeResource, FeedQuery, ResourceOptions, StatusReport, Version};
pub use handlers::{EdgeFeed, config, router, status, traffic};
pub use queries::{EDGE_SILENCE_LIMIT, changes_after, record_status, rollout, rollouts, snapshot};
pub use wake::{ConfigChanges, wake_on_other_processes_changes, wake_on_other_replicas_changes};
