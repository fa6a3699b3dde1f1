//! Values of the CDN domain that validate themselves when built, so that the rest of the
//! code never handles an unchecked string. They are shared by the server and the browser.

mod domain_name;
mod email;
mod integration;
mod next_upstream_policy;
mod origin;
mod origin_group_name;
mod origin_source;
mod origin_sources;
mod password;
#[cfg(test)]
mod properties;
mod resource_text;
mod secondary_hostnames;
mod timestamp;

pub use domain_name::{DomainName, DomainNameError};
pub use email::{EmailAddress, EmailAddressError};
pub use integration::{Integration, IntegrationError};
pub use next_upstream_policy::{NextUpstreamPolicy, NextUpstreamPolicyError};
pub use origin::{Origin, OriginError};
pub use origin_group_name::{MAX_ORIGIN_GROUP_NAME_CHARS, OriginGroupName, OriginGroupNameError};
pub use origin_source::OriginSource;
pub use origin_sources::{MAX_ORIGIN_SOURCES, OriginSources, OriginSourcesError};
pub use password::{NewPassword, NewPasswordError};
pub use resource_text::{
    MAX_RESOURCE_DESCRIPTION_CHARS, MAX_RESOURCE_NAME_CHARS, ResourceDescription, ResourceName, ResourceTextError,
};
pub use secondary_hostnames::{MAX_SECONDARY_HOSTNAMES, SecondaryHostnames, SecondaryHostnamesError};
pub use timestamp::Timestamp;
