//! Origin groups (Gcore's `/cdn/origin_groups`): the origins a resource's content comes from,
//! and when the edge moves a request on to the next one. Every query names the owning account,
//! so one customer can never reach another's group. Every change is written with its history
//! record in one write transaction ([`Pool::begin_write`](super::db::Pool::begin_write), the
//! same turn-taking as resources, whose writes make groups too), and reaches the edges for every
//! resource that uses the group by the triggers of migration 0009.
//!
//! - `input`: what a change asks for, validated.
//! - `rows`: the rows of `origin_groups`, and the reads.
//! - `writes`: creating, changing and deleting groups, and the group of one a resource's
//!   `origin` makes.
//! - `history`: how a change is recorded and read back.

mod history;
mod input;
mod rows;
mod writes;

pub use history::history;
pub use input::{GroupSettings, GroupUpdate, parse_cases, parse_sources};
pub(crate) use rows::{by_ids, decode_sources};
pub use rows::{get, get_with_users, list};
pub(crate) use writes::resource_group;
pub use writes::{create, delete, update};
