//! CDN resources: the rules for creating and changing them, and their rows in the database.
//! Every query names the owning account, so one customer can never reach another's resource.
//! Every change is written with its history record in one write transaction
//! ([`Pool::begin_write`](super::db::Pool::begin_write)), so that concurrent writers, in this
//! process or another replica, queue for their turn instead of failing half-way or losing each
//! other's changes.
//!
//! - `input`: what a change asks for, validated.
//! - `writes`: creating, changing and deleting, each with its history.
//! - `history`: how a change is recorded and read back.
//! - `rows`: the rows of `cdn_resources`, and the reads.

mod history;
mod input;
mod rows;
mod writes;

#[cfg(test)]
pub(crate) mod tests;

pub use history::history;
pub use input::{Actor, HttpsSettings, NewResource, OriginChoice, ResourceUpdate, domain_taken_message};
pub use rows::{Order, ResourceFilter, active, ensure_owned, get, owned_ids, page};
pub use writes::{create, delete, insert, set_option, set_websockets, try_create, update};
