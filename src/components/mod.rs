mod account;
mod badge;
mod cdn_nav;
mod credentials;
mod form;
mod header;
mod history_table;
mod not_found;

pub use account::{AccountContext, RequireAccount, SignedOutOnly};
pub use badge::{OnOff, When};
pub use cdn_nav::{CdnNav, CdnPage};
pub use credentials::CredentialFields;
pub use form::{ErrorPanel, FormAlert, TextField, action_error, entered_value, field_error};
pub use header::SiteHeader;
pub use history_table::{HistoryEntry, HistoryTable};
pub use not_found::NotFound;
