mod account;
mod badge;
mod credentials;
mod form;
mod header;
mod not_found;

pub use account::{AccountContext, RequireAccount, SignedOutOnly};
pub use badge::{OnOff, When};
pub use credentials::CredentialFields;
pub use form::{ErrorPanel, FormAlert, TextField, action_error, entered_value, field_error};
pub use header::SiteHeader;
pub use not_found::NotFound;
