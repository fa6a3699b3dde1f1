//! SSL certificates (Gcore's `/cdn/sslData`): a customer's certificate chain and private key,
//! which the edges present for the resources that use it over HTTPS.
//!
//! - `pem`: what is checked of an upload, and which host names a certificate covers.
//! - `sealing`: private keys encrypted at rest.

pub mod pem;
pub mod sealing;
