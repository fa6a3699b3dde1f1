//! Server functions: the portal's HTTP endpoints under `/api`, grouped by domain. Their bodies
//! only connect the request to the rules in `crate::server`.

pub mod auth;
pub mod certificates;
pub mod origin_groups;
pub mod reports;
pub mod resources;
pub mod tokens;

pub use auth::*;
pub use certificates::*;
pub use origin_groups::*;
pub use reports::*;
pub use resources::*;
pub use tokens::*;
