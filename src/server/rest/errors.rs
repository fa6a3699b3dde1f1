//! The API's one error shape: a message, and a message per offending field. Its status and
//! headers are those of the portal's error it answers (see [`ErrorHead`]).

use super::input::EntityTag;
use crate::error::{AppError, FieldErrors};
use crate::server::http_error::{Credentials, ErrorHead, SHOULD_RETRY};
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::{ToResponse, ToSchema};

/// What went wrong. Details of failures on our side are logged, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub message: String,
    /// A message per offending field, keyed by the field's path in the request
    /// (for example `origin` or `options.websockets.enabled`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(required = false)]
    pub errors: BTreeMap<String, String>,
}

// The error answers the operations share, described once for the OpenAPI document. Every one but
// 503 also carries `x-should-retry: false` (see `http_error::retry_can_help`).

/// The body is not JSON of the operation's shape: bad syntax, a wrong type, an unknown field, or `null`.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct MalformedBody(#[allow(dead_code)] ErrorBody);

/// No valid API token: send `Authorization: APIKey <token>`.
#[derive(ToResponse)]
#[response(headers(("WWW-Authenticate" = String, description = "`APIKey`"), ("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct NoValidToken(#[allow(dead_code)] ErrorBody);

/// The portal's database cannot be reached for now; nothing was changed. Try again later.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "Seconds to wait before trying again")))]
pub struct Unavailable(#[allow(dead_code)] ErrorBody);

/// The account has another origin group of this name.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct GroupNameTaken(#[allow(dead_code)] ErrorBody);

/// The body's `originGroup` names no origin group of the token's account.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct NoSuchOriginGroup(#[allow(dead_code)] ErrorBody);

/// There is no resource with this id in the token's account.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct NoSuchResource(#[allow(dead_code)] ErrorBody);

/// The resource changed since the ETag given in `If-Match`; nothing was changed.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct ChangedSince(#[allow(dead_code)] ErrorBody);

/// The body is over 16 KiB.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct BodyTooLarge(#[allow(dead_code)] ErrorBody);

/// The query string cannot be read, or names a parameter this API does not offer (`errors` names it).
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct BadQuery(#[allow(dead_code)] ErrorBody);

/// A query value is out of range, or not a valid domain name or date; `errors` names the parameter.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct InvalidQuery(#[allow(dead_code)] ErrorBody);

/// The custom domain, or a secondary hostname, is already used by a CDN resource.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct DomainTaken(#[allow(dead_code)] ErrorBody);

/// Invalid values; `errors` has a message per field.
#[derive(ToResponse)]
#[response(headers(("x-should-retry" = String, description = "`false`: the same request would get the same answer (Gcore's SDK then does not retry).")))]
pub struct InvalidValues(#[allow(dead_code)] ErrorBody);

/// Not standard, but read by every Stainless-made client (Gcore's SDK among them) before
/// `Retry-After`: how long to wait, in milliseconds.
pub const RETRY_AFTER_MS: axum::http::HeaderName = axum::http::HeaderName::from_static("retry-after-ms");

/// Too many requests: with this token (per second, see the README), or without a valid token
/// from this address. Nothing was done; try again after `Retry-After`.
#[derive(ToResponse)]
#[response(headers(
    ("Retry-After" = u32, description = "Whole seconds to wait before trying again"),
    ("retry-after-ms" = u64, description = "The same wait in milliseconds (read first by Gcore's SDK)"),
    ("x-should-retry" = String, description = "`true`: the same request will succeed after the wait.")
))]
pub struct TooManyRequests(#[allow(dead_code)] ErrorBody);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// `Retry-After`, `WWW-Authenticate`: from [`ErrorHead::of`]. Boxed: most errors have none,
    /// and an `Err` this size is passed around often.
    headers: Box<HeaderMap>,
}

impl ApiError {
    /// An answer with the status and headers of `error` and this message.
    fn answering(error: &AppError, message: impl Into<String>) -> Self {
        Self::with_head(ErrorHead::of(error, Credentials::ApiKey), message)
    }

    fn with_head(ErrorHead { status, headers }: ErrorHead, message: impl Into<String>) -> Self {
        Self {
            status,
            headers: Box::new(headers),
            body: ErrorBody { message: message.into(), errors: BTreeMap::new() },
        }
    }

    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.body.errors.insert(field.into(), message.into());
        self
    }

    pub fn unauthenticated() -> Self {
        Self::answering(
            &AppError::Unauthenticated,
            "Send a valid API token: Authorization: APIKey <token>. Tokens are created in the portal under API tokens; revoked and expired tokens are refused.",
        )
    }

    /// The request could not be read as the operation's JSON (syntax, types, unknown fields).
    pub fn malformed(field: Option<String>, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        let error = Self::answering(&AppError::BadRequest, format!("The request body is not valid: {problem}"));
        match field {
            Some(field) => error.with_field(field, problem),
            None => error,
        }
    }

    pub fn bad_query(problem: impl std::fmt::Display) -> Self {
        Self::answering(&AppError::BadRequest, format!("The query string is not valid: {problem}"))
    }

    /// Values of the right type that are not allowed: each field's message says why.
    pub fn invalid(errors: BTreeMap<String, String>) -> Self {
        let message = match errors.values().collect::<Vec<_>>().as_slice() {
            [only] => (*only).clone(),
            _ => "Some fields have invalid values; see errors.".to_owned(),
        };
        let mut error = Self::answering(&AppError::Invalid(FieldErrors::default()), message);
        error.body.errors = errors;
        error
    }

    /// No origin group with the path's id in the token's account.
    pub fn no_such_group() -> Self {
        Self::answering(&AppError::NotFound, "There is no origin group with this id in your account.")
    }

    pub fn no_such_certificate() -> Self {
        Self::answering(&AppError::NotFound, "There is no SSL certificate with this id in your account.")
    }

    pub fn no_such_trusted_ca() -> Self {
        Self::answering(&AppError::NotFound, "There is no trusted CA certificate with this id in your account.")
    }

    pub fn not_found() -> Self {
        Self::answering(&AppError::NotFound, "There is no CDN resource with this id in your account.")
    }

    /// A query parameter this API does not read: `offered_later` for one of Gcore's filters this
    /// CDN has no meaning for (yet), so the script's author knows it was not a typo.
    pub fn unknown_parameter(name: &str, gcore_filter: bool) -> Self {
        let message = if gcore_filter {
            format!("The query parameter `{name}` is one of Gcore's filters, but this CDN does not offer it (yet).")
        } else {
            format!("Unknown query parameter `{name}`.")
        };
        Self::answering(&AppError::BadRequest, message.clone()).with_field(name, message)
    }

    /// No such operation: a path under the API's that names nothing (404, also for a resource
    /// path whose id is not a number).
    pub fn no_such_operation(method: &str, path: &str) -> Self {
        Self::answering(
            &AppError::NotFound,
            format!(
                "There is no operation {method} {path} in this API; see the OpenAPI document at {}.",
                crate::model::OPENAPI_PATH
            ),
        )
    }

    /// One of Gcore's operations that this CDN does not offer: 501, with why.
    pub fn not_offered(message: impl Into<String>) -> Self {
        Self::with_head(ErrorHead { status: StatusCode::NOT_IMPLEMENTED, headers: HeaderMap::new() }, message)
    }

    /// A path that exists, with a method it does not take; `Allow` lists those it does.
    pub fn method_not_allowed(method: &str, path: &str, allow: HeaderValue) -> Self {
        let mut error = Self::with_head(
            ErrorHead { status: StatusCode::METHOD_NOT_ALLOWED, headers: HeaderMap::new() },
            format!("{path} does not take {method}; it takes {}.", allow.to_str().unwrap_or_default()),
        );
        error.headers.insert(header::ALLOW, allow);
        error
    }

    /// A 409 of the API's own (a malformed `If-Match`, a name taken): it has no stored resource
    /// to carry, as [`AppError::Conflict`] does, and no headers.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::with_head(ErrorHead { status: StatusCode::CONFLICT, headers: HeaderMap::new() }, message)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Unauthenticated | AppError::InvalidCredentials => Self::unauthenticated(),
            AppError::NotFound => Self::not_found(),
            AppError::Invalid(fields) => Self::invalid(
                fields.iter().map(|(field, message)| (api_field_name(field).to_owned(), message.to_owned())).collect(),
            ),
            AppError::Conflict(current) => Self::conflict(format!(
                "The resource was changed after you read it; its ETag is now {}. Get it again, then repeat your change.",
                EntityTag::of(&current)
            )),
            AppError::GroupConflict(current) => Self::conflict(format!(
                "The origin group was changed after you read it; its ETag is now {}. Get it again, then repeat your change.",
                EntityTag::of_group(&current)
            )),
            AppError::GroupInUse(_) | AppError::CertificateInUse(_) | AppError::TrustedCaInUse(_) => {
                Self::conflict(error.to_string())
            }
            AppError::CertificateConflict(current) => Self::conflict(format!(
                "The certificate was replaced after you read it; it is now at version {}. Get it again, then repeat your change.",
                current.version
            )),
            AppError::TooLarge => Self::answering(&error, "The request body is too large."),
            AppError::BadRequest => Self::malformed(None, "it is not UTF-8 text."),
            AppError::Forbidden => Self::answering(&error, "This request is not allowed."),
            AppError::RateLimited { retry_after_ms, .. } => {
                let mut limited = Self::answering(&error, error.to_string());
                // The wait to the millisecond, which Gcore's SDK (Stainless' `_base_client.py`)
                // reads before `Retry-After`'s whole seconds; and a plain "do retry", which it obeys.
                limited.headers.insert(RETRY_AFTER_MS, HeaderValue::from(retry_after_ms));
                limited.headers.insert(SHOULD_RETRY, HeaderValue::from_static("true"));
                limited
            }
            AppError::Unavailable => Self::answering(&error, error.to_string()),
            // The browser's own error: the API answers it as a fault of ours.
            AppError::Unreachable | AppError::Internal => {
                Self::answering(&AppError::Internal, AppError::Internal.to_string())
            }
        }
    }
}

/// The portal's form names for fields that the API calls otherwise.
fn api_field_name(portal_field: &str) -> &str {
    match portal_field {
        "custom_domain" => "cname",
        "secondary_hostnames" => "secondaryHostnames",
        "origin_group" => "originGroup",
        "ssl_data" => "sslData",
        "ssl_enabled" => "sslEnabled",
        "origin_protocol" => "originProtocol",
        other => other,
    }
}

pub use crate::server::http_error::UNAVAILABLE_RETRY_AFTER_SECONDS;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        ErrorHead { status: self.status, headers: *self.headers }.advising_retries().respond(Json(self.body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_a_retry_cannot_fix_say_so_and_the_others_do_not() {
        let conflict = ApiError::conflict("changed").into_response();
        assert_eq!(conflict.headers()["x-should-retry"], "false");
        let not_offered = ApiError::not_offered("no").into_response();
        assert_eq!(not_offered.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(not_offered.headers()["x-should-retry"], "false");
        let unavailable = ApiError::from(AppError::Unavailable).into_response();
        assert!(unavailable.headers().contains_key(header::RETRY_AFTER));
        assert!(!unavailable.headers().contains_key("x-should-retry"));
        let busy =
            ApiError::from(AppError::RateLimited { limit: crate::error::Limit::ApiRequests, retry_after_ms: 2_300 })
                .into_response();
        assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            (&busy.headers()["x-should-retry"], &busy.headers()["retry-after-ms"]),
            (&"true".parse::<HeaderValue>().unwrap(), &"2300".parse::<HeaderValue>().unwrap())
        );
        assert_eq!(busy.headers()[header::RETRY_AFTER], "3");
    }

    #[test]
    fn portal_errors_become_api_errors_without_internal_details() {
        let invalid = ApiError::from(AppError::invalid_field("custom_domain", "Taken."));
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(invalid.body.errors.get("cname").map(String::as_str), Some("Taken."));
        assert_eq!(invalid.body.message, "Taken.");
        let internal = ApiError::from(AppError::Internal);
        assert_eq!(internal.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(internal.body.errors.is_empty());
        let unauthenticated = ApiError::unauthenticated().into_response();
        assert_eq!(unauthenticated.headers()[axum::http::header::WWW_AUTHENTICATE], "APIKey");
    }
}
