//! SSL certificates (Gcore's `/cdn/sslData`): a customer's certificate chain and private key,
//! which the edges present for the resources that use it over HTTPS.
//!
//! - `pem`: what is checked of an upload, and which host names a certificate covers.
//! - `row`: what the portal reads of a certificate of either kind.
//! - `sealing`: private keys encrypted at rest.
//! - `store`: the rows of `ssl_certificates` (migration 0010): reads, uploads, replacements,
//!   deletions, and what the feed sends.
//! - `trusted_cas`: trusted CA certificates (Gcore's `/cdn/sslCertificates`, migration 0011)
//!   which a resource names for its origin (Gcore's `proxy_ssl_ca`).

pub mod pem;
mod row;
pub mod sealing;
mod store;
mod trusted_cas;

pub use store::{MAX_NAME_CHARS, check_upload, create, delete, get, list, parse_name, replace, reseal_old_keys};
pub(crate) use store::{coverage_in, tls_by_ids};
pub(crate) use trusted_cas::{NO_SUCH_TRUSTED_CA, origin_cas_by_ids, trusted_ca_in};
pub use trusted_cas::{check_ca_upload, create_ca, delete_ca, get_ca, list_cas, replace_ca};
