//! The one error type that crosses from the server to the browser. Each variant carries only
//! what a customer may read; details of internal failures are logged on the server and
//! replaced by [`AppError::Internal`] before anything is sent.
//!
//! This module is compiled for the browser too, so it holds only the error's data and words.
//! The server's side lives in `crate::server`: the status and headers of each error
//! (`server::http_error`), how a database error becomes one (ibid.), and how a failure's cause
//! is kept for the request's log (`server::error_log`, `AppError::internal`).

use crate::domain::DomainName;
use crate::model::{CdnResource, Certificate, OriginGroup};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please log in to continue.")]
    Unauthenticated,
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    #[error("This page does not exist, or it belongs to another account.")]
    NotFound,
    #[error("{}", .0.summary())]
    Invalid(FieldErrors),
    #[error("The request was incomplete or malformed. Reload the page and try again.")]
    BadRequest,
    #[error(
        "This request did not come from the portal's own pages, so nothing was changed. Reload the page and try again."
    )]
    Forbidden,
    /// The form was loaded before someone else saved; it carries what is stored now.
    #[error(
        "This resource was changed elsewhere, so your change was not saved. The page now shows the current settings; review them and save again to re-apply your change."
    )]
    Conflict(Box<CdnResource>),
    /// The origin group's form was loaded before someone else saved; it carries what is stored now.
    #[error(
        "This origin group was changed elsewhere, so your change was not saved. The page now shows the current settings; review them and save again to re-apply your change."
    )]
    GroupConflict(Box<OriginGroup>),
    /// An origin group that resources use cannot be deleted; it carries their custom domains.
    #[error("{}", group_in_use_message(.0))]
    GroupInUse(Vec<DomainName>),
    /// The certificate was loaded before someone else replaced it; it carries what is stored now.
    #[error(
        "This certificate was replaced elsewhere, so your change was not saved. The page now shows the current certificate; review it and try again."
    )]
    CertificateConflict(Box<Certificate>),
    /// A certificate that resources use cannot be deleted; it carries their custom domains.
    #[error("{}", certificate_in_use_message(.0))]
    CertificateInUse(Vec<DomainName>),
    /// A trusted CA certificate that resources name cannot be deleted; it carries their custom
    /// domains.
    #[error("{}", trusted_ca_in_use_message(.0))]
    TrustedCaInUse(Vec<DomainName>),
    #[error("The request was too large. Nothing was changed.")]
    TooLarge,
    /// One of the portal's abuse limits (`crate::server::limits`) was reached: nothing was done.
    /// `retry_after_ms`: how long until one more is allowed, in milliseconds.
    #[error("{} Try again in {}.", .limit.reached(), wait_in_words(*.retry_after_ms))]
    RateLimited { limit: Limit, retry_after_ms: u64 },
    #[error("The portal could not be reached. Check your connection and try again.")]
    Unreachable,
    /// The database could not be reached, or too many passwords are waiting to be checked
    /// (`PASSWORD_HASH_QUEUE`); whatever was asked was not done, and nothing was half-done.
    #[error("The portal is temporarily unavailable, so nothing was changed. Please try again in a minute.")]
    Unavailable,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
}

/// Why an origin group cannot be deleted, naming the resources that use it.
fn group_in_use_message(resources: &[DomainName]) -> String {
    let names: Vec<&str> = resources.iter().map(DomainName::as_str).collect();
    let (these, it) = if names.len() == 1 { ("CDN resource", "it") } else { ("CDN resources", "each") };
    format!(
        "This origin group is used by the {these} {}, so it was not deleted. Switch {it} to another origin group first.",
        names.join(", ")
    )
}

/// Why a certificate cannot be deleted, naming the resources that use it.
fn certificate_in_use_message(resources: &[DomainName]) -> String {
    let names: Vec<&str> = resources.iter().map(DomainName::as_str).collect();
    let (these, it) = if names.len() == 1 { ("CDN resource", "it") } else { ("CDN resources", "each") };
    format!(
        "This certificate is used by the {these} {}, so it was not deleted. Choose another certificate for {it}, or turn its HTTPS off and remove the certificate, first.",
        names.join(", ")
    )
}

fn trusted_ca_in_use_message(resources: &[DomainName]) -> String {
    let names: Vec<&str> = resources.iter().map(DomainName::as_str).collect();
    let (these, it) = if names.len() == 1 { ("CDN resource", "it") } else { ("CDN resources", "each") };
    format!(
        "This CA certificate is trusted for the origin of the {these} {}, so it was not deleted. Choose another CA for {it}, or none, first.",
        names.join(", ")
    )
}

/// Which limit a [`AppError::RateLimited`] request reached; the settings of each are listed in the
/// README's settings table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Limit {
    /// Log-in attempts, per email address tried and per client address.
    LogIn,
    /// Sign-ups per client address.
    SignUp,
    /// REST API requests per API token.
    ApiRequests,
    /// REST API requests with a missing or invalid token, per client address.
    ApiTokenChecks,
}

impl Limit {
    /// What happened, in a sentence for the customer.
    pub fn reached(self) -> &'static str {
        match self {
            Limit::LogIn => "Too many log-in attempts.",
            Limit::SignUp => "Too many sign-ups came from your network.",
            Limit::ApiRequests => "Too many requests with this API token.",
            Limit::ApiTokenChecks => "Too many requests without a valid API token came from your address.",
        }
    }
}

/// "3 seconds", "1 second", "5 minutes": whole units, rounded up, so the wait said is never short.
fn wait_in_words(milliseconds: u64) -> String {
    let seconds = milliseconds.div_ceil(1000).max(1);
    let (count, unit) = if seconds < 120 { (seconds, "second") } else { (seconds.div_ceil(60), "minute") };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

/// Messages about individual form fields, keyed by the field's form name, and optionally what
/// was entered: a form posted without JavaScript is shown again from the redirect's URL alone,
/// and would otherwise come back empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    entered: Vec<EnteredValue>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnteredValue {
    pub field: String,
    pub value: String,
}

/// Longer values are not carried back: they travel in a URL, and no valid field is this long.
const MAX_ENTERED_LEN: usize = 300;

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl ToString) {
        self.errors.push(FieldError { field: field.to_owned(), message: message.to_string() });
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|error| error.field == field).map(|error| error.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Each field with its message.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.errors.iter().map(|error| (error.field.as_str(), error.message.as_str()))
    }

    /// What was entered in `field`, if it was kept with [`AppError::keeping_entered`].
    pub fn entered(&self, field: &str) -> Option<&str> {
        self.entered.iter().find(|entered| entered.field == field).map(|entered| entered.value.as_str())
    }

    /// `Ok(())` when nothing was added, so validation can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() { Ok(()) } else { Err(AppError::Invalid(self)) }
    }

    fn summary(&self) -> String {
        match self.errors.as_slice() {
            [only] => only.message.clone(),
            _ => "Some fields need your attention.".to_owned(),
        }
    }
}

impl AppError {
    pub fn invalid_field(field: &str, message: impl ToString) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    /// The message for one form field, if this error is about that field.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        match self {
            AppError::Invalid(errors) => errors.for_field(field),
            _ => None,
        }
    }

    /// What was entered in `field` of the form this error is about (see [`FieldErrors`]).
    pub fn entered(&self, field: &str) -> Option<&str> {
        match self {
            AppError::Invalid(errors) => errors.entered(field),
            _ => None,
        }
    }

    /// Keeps the form's entered values with a validation error, so the form can show them again.
    /// Never pass secrets: the values travel back in a URL when JavaScript is off.
    pub fn keeping_entered<'a>(self, values: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        match self {
            AppError::Invalid(mut errors) => {
                errors.entered = values
                    .into_iter()
                    .filter(|(_, value)| value.len() <= MAX_ENTERED_LEN)
                    .map(|(field, value)| EnteredValue { field: field.to_owned(), value: value.to_owned() })
                    .collect();
                AppError::Invalid(errors)
            }
            other => other,
        }
    }

    /// What is stored now, when this error is a refused save of an outdated form.
    pub fn current_resource(&self) -> Option<&CdnResource> {
        match self {
            AppError::Conflict(current) => Some(current),
            _ => None,
        }
    }

    /// What is stored now, when this error is a refused replacement of an outdated certificate.
    pub fn current_certificate(&self) -> Option<&Certificate> {
        match self {
            AppError::CertificateConflict(current) => Some(current),
            _ => None,
        }
    }

    /// What is stored now, when this error is a refused save of an outdated origin group form.
    pub fn current_group(&self) -> Option<&OriginGroup> {
        match self {
            AppError::GroupConflict(current) => Some(current),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::BadRequest,
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            other => {
                leptos::logging::error!("server function failed: {other}");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_found_by_field() {
        let mut errors = FieldErrors::default();
        errors.add("custom_domain", "Enter a domain name.");
        errors.add("origin", "Enter an origin.");
        let error = errors.into_result().unwrap_err();
        assert_eq!(error.for_field("origin"), Some("Enter an origin."));
        assert_eq!(error.for_field("integration"), None);
        assert_eq!(error.to_string(), "Some fields need your attention.");
        assert_eq!(AppError::invalid_field("email", "Taken.").to_string(), "Taken.");
        assert_eq!(FieldErrors::default().into_result(), Ok(()));
    }

    #[test]
    fn framework_errors_never_carry_their_details_to_the_customer() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::ServerError("secret".into()));
        assert_eq!(error, AppError::Internal);
        let error = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(error, AppError::BadRequest);
        assert!(!error.to_string().contains("missing field"));
    }

    #[test]
    fn a_rate_limit_says_when_to_try_again() {
        let error = |limit, retry_after_ms| AppError::RateLimited { limit, retry_after_ms }.to_string();
        assert_eq!(error(Limit::LogIn, 42_000), "Too many log-in attempts. Try again in 42 seconds.");
        assert!(error(Limit::LogIn, 1).ends_with("Try again in 1 second."), "never less than a second");
        assert!(error(Limit::ApiRequests, 1_001).ends_with("Try again in 2 seconds."), "rounded up");
        assert_eq!(error(Limit::SignUp, 600_000), "Too many sign-ups came from your network. Try again in 10 minutes.");
    }

    #[test]
    fn survives_the_trip_through_json() {
        let error = AppError::invalid_field("origin", "Bad port.").keeping_entered([("origin", "o.example.com:99999")]);
        let bytes = error.ser();
        assert_eq!(AppError::de(bytes), error);
    }

    #[test]
    fn entered_values_are_kept_only_on_validation_errors_and_only_when_short() {
        let long = "a".repeat(MAX_ENTERED_LEN + 1);
        let error = AppError::invalid_field("origin", "Bad port.")
            .keeping_entered([("origin", "o.example.com:99999"), ("custom_domain", long.as_str())]);
        assert_eq!(error.entered("origin"), Some("o.example.com:99999"));
        assert_eq!(error.entered("custom_domain"), None);
        assert_eq!(AppError::NotFound.keeping_entered([("origin", "x")]).entered("origin"), None);
    }
}
