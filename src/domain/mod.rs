//! Values of the CDN domain that validate themselves when built, so that the rest of the
//! code never handles an unchecked string. They are shared by the server and the browser.

mod domain_name;
mod email;
mod integration;
mod origin;
mod password;
#[cfg(test)]
mod properties;
mod timestamp;

pub use domain_name::{DomainName, DomainNameError};
pub use email::{EmailAddress, EmailAddressError};
pub use integration::{Integration, IntegrationError};
pub use origin::{Origin, OriginError};
pub use password::{NewPassword, NewPasswordError};
pub use timestamp::Timestamp;
