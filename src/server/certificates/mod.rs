//! SSL certificates (Gcore's `/cdn/sslData`): a customer's certificate chain and private key,
//! which the edges present for the resources that use it over HTTPS.
//!
//! - `pem`: what is checked of an upload, and which host names a certificate covers.
//! - `sealing`: private keys encrypted at rest.
//! - `store`: the rows of `ssl_certificates` (migration 0010): reads, uploads, replacements,
//!   deletions, and what the feed sends.

pub mod pem;
pub mod sealing;
mod store;

pub use store::{MAX_NAME_CHARS, check_upload, create, delete, get, list, parse_name, replace};
pub(crate) use store::{coverage_in, tls_by_ids};
