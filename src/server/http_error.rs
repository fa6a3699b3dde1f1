//! An [`AppError`] as HTTP: the one place that decides the status and headers of an error answer,
//! whichever surface sends it (server functions, the request guard, the REST API, the edges' feed,
//! a page drawn with an `ErrorPanel`). Each surface keeps its own
//! body (the error's JSON for server functions, `{message, errors}` for the API, text for the feed,
//! HTML for pages) and takes the head from [`ErrorHead::of`].
//!
//! Also here, because it decides which error a customer sees: how a database error becomes an
//! [`AppError`] (503 when the database cannot be reached, 500 otherwise). It is server-only, so
//! `crate::error`, which the browser compiles too, knows nothing of sqlx or of the server.

use crate::error::AppError;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header, response::Parts};
use axum::response::{IntoResponse, Response};

/// What a client is told to wait, in seconds (`Retry-After`), before trying again while the
/// database is unreachable.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u32 = 5;

/// Whether the client should send the same request again: not standard, but Gcore's SDK (and
/// every Stainless-made client: `_should_retry` in its `_base_client.py`) obeys it, and without it
/// retries 408, 409, 429 and every 5xx, twice, with back-off.
pub const SHOULD_RETRY: HeaderName = HeaderName::from_static("x-should-retry");

/// Whether the same request, sent again unchanged, can succeed: after a wait (429 with
/// `Retry-After`, 503 while the database is unreachable, 408), or a fault of ours that may pass
/// (500, 502, 504). Any other error (a 4xx about the request itself, a conflict that needs a new
/// read, 501 for what is not offered) answers the same every time.
pub fn retry_can_help(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::REQUEST_TIMEOUT
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// The credentials the answering surface takes, which a 401 names in `WWW-Authenticate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// The portal's session cookie, got from the log-in form: there is no HTTP scheme to name,
    /// so a 401 carries no challenge.
    Session,
    /// `Authorization: APIKey <token>` (the REST API).
    ApiKey,
    /// `Authorization: Bearer <token>` (the edges' feed).
    Bearer,
}

impl Credentials {
    fn scheme(self) -> Option<&'static str> {
        match self {
            Credentials::Session => None,
            Credentials::ApiKey => Some("APIKey"),
            Credentials::Bearer => Some("Bearer"),
        }
    }
}

/// The status and headers of an error answer, without its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorHead {
    pub status: StatusCode,
    /// `Retry-After` (seconds) on a 429 and a 503; `WWW-Authenticate` on a 401 of a surface
    /// that takes an HTTP scheme.
    pub headers: HeaderMap,
}

impl ErrorHead {
    /// The status and headers `error` is answered with by a surface that takes `credentials`.
    pub fn of(error: &AppError, credentials: Credentials) -> Self {
        let (status, retry_after_seconds) = status_and_wait(error);
        let mut headers = HeaderMap::new();
        if let Some(seconds) = retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED
            && let Some(scheme) = credentials.scheme()
        {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
        }
        Self { status, headers }
    }

    /// This head with [`SHOULD_RETRY`]`: false` when [`retry_can_help`] says a retry cannot help,
    /// for a surface whose clients retry by themselves (the REST API).
    pub fn advising_retries(mut self) -> Self {
        if !retry_can_help(self.status) {
            self.headers.insert(SHOULD_RETRY, HeaderValue::from_static("false"));
        }
        self
    }

    /// The answer: this head with `body` (which sets its own `Content-Type`).
    pub fn respond(self, body: impl IntoResponse) -> Response {
        (self.status, self.headers, body).into_response()
    }

    /// Puts this head on an answer whose body is already made.
    pub fn apply_to(self, parts: &mut Parts) {
        parts.status = self.status;
        parts.headers.extend(self.headers);
    }
}

/// The status of each error, and how long to wait before trying again where that is known.
fn status_and_wait(error: &AppError) -> (StatusCode, Option<u64>) {
    match error {
        AppError::Unauthenticated | AppError::InvalidCredentials => (StatusCode::UNAUTHORIZED, None),
        AppError::NotFound => (StatusCode::NOT_FOUND, None),
        AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, None),
        AppError::BadRequest => (StatusCode::BAD_REQUEST, None),
        AppError::Forbidden => (StatusCode::FORBIDDEN, None),
        AppError::Conflict(_)
        | AppError::GroupConflict(_)
        | AppError::GroupInUse(_)
        | AppError::CertificateConflict(_)
        | AppError::CertificateInUse(_)
        | AppError::TrustedCaInUse(_) => (StatusCode::CONFLICT, None),
        AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None),
        // Whole seconds (RFC 9110 §10.2.3), rounded up so that a client waiting this long is allowed.
        AppError::RateLimited { retry_after_ms, .. } => {
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after_ms.div_ceil(1000).max(1)))
        }
        // Only the browser produces `Unreachable`, when the portal did not answer at all.
        AppError::Unreachable | AppError::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, Some(UNAVAILABLE_RETRY_AFTER_SECONDS.into()))
        }
        AppError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, None),
    }
}

impl AppError {
    /// The status this error is answered with, on every surface (see [`ErrorHead::of`]).
    pub fn http_status(&self) -> StatusCode {
        status_and_wait(self).0
    }
}

/// A query that failed because the database could not be reached is [`AppError::Unavailable`]
/// (try again); any other is a fault of ours, [`AppError::Internal`]. The cause is kept for the
/// request's log either way (see [`super::error_log`]).
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if super::db::is_unavailable(&error) {
            AppError::unavailable("the database is unavailable", error)
        } else {
            AppError::internal("database error", error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DomainName, Integration, Origin, Timestamp};
    use crate::model::CdnResource;
    use crate::server::rest::ApiError;
    use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};

    fn stored_resource() -> CdnResource {
        CdnResource {
            id: 7,
            account_id: 1,
            custom_domain: DomainName::parse("cdn.example.com").unwrap(),
            secondary_hostnames: Default::default(),
            name: None,
            description: None,
            origin: Origin::parse("origin.example.com").unwrap(),
            origin_group: crate::model::OriginGroupRef {
                id: 2,
                name: crate::domain::OriginGroupName::parse("origin.example.com").unwrap(),
            },
            integration: Integration::EntireWebsite,
            options: crate::options::ResourceOptions::default(),
            options_in_force: crate::options::OptionsInForce::defaults(Integration::EntireWebsite),
            active: true,
            ssl_enabled: false,
            ssl_data: None,
            proxy_ssl_ca: None,
            origin_protocol: Default::default(),
            created_at: Timestamp::from_unix_seconds(0),
            updated_at: Timestamp::from_unix_seconds(0),
            version: 3,
        }
    }

    fn stored_certificate() -> crate::model::Certificate {
        crate::model::Certificate {
            id: 4,
            name: "Site".into(),
            subject_cn: "cdn.example.com".into(),
            subject_alt: vec!["cdn.example.com".into()],
            issuer: "CN=CA".into(),
            not_before: Timestamp::from_unix_seconds(0),
            not_after: Timestamp::from_unix_seconds(1),
            used_by: Vec::new(),
            version: 1,
            expiry: crate::model::CertificateExpiry::Expired,
        }
    }

    fn stored_group() -> crate::model::OriginGroup {
        crate::model::OriginGroup {
            id: 2,
            account_id: 1,
            name: crate::domain::OriginGroupName::parse("Main").unwrap(),
            sources: crate::domain::OriginSources::one(Origin::parse("origin.example.com").unwrap()),
            next_upstream: Default::default(),
            created_at: Timestamp::from_unix_seconds(0),
            updated_at: Timestamp::from_unix_seconds(0),
            version: 4,
        }
    }

    fn every_variant() -> Vec<AppError> {
        vec![
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::NotFound,
            AppError::invalid_field("origin", "Bad port."),
            AppError::BadRequest,
            AppError::Forbidden,
            AppError::Conflict(Box::new(stored_resource())),
            AppError::GroupConflict(Box::new(stored_group())),
            AppError::GroupInUse(vec![DomainName::parse("cdn.example.com").unwrap()]),
            AppError::CertificateConflict(Box::new(stored_certificate())),
            AppError::CertificateInUse(vec![DomainName::parse("cdn.example.com").unwrap()]),
            AppError::TrustedCaInUse(vec![DomainName::parse("cdn.example.com").unwrap()]),
            AppError::TooLarge,
            AppError::RateLimited { limit: crate::error::Limit::LogIn, retry_after_ms: 41_200 },
            AppError::Unreachable,
            AppError::Unavailable,
            AppError::Internal,
        ]
    }

    #[test]
    fn every_error_has_its_status_and_headers() {
        let table: [(&str, u16, Option<&str>, Option<&str>); 17] = [
            // variant, status, Retry-After, WWW-Authenticate (REST API)
            ("Unauthenticated", 401, None, Some("APIKey")),
            ("InvalidCredentials", 401, None, Some("APIKey")),
            ("NotFound", 404, None, None),
            ("Invalid", 422, None, None),
            ("BadRequest", 400, None, None),
            ("Forbidden", 403, None, None),
            ("Conflict", 409, None, None),
            ("GroupConflict", 409, None, None),
            ("GroupInUse", 409, None, None),
            ("CertificateConflict", 409, None, None),
            ("CertificateInUse", 409, None, None),
            ("TrustedCaInUse", 409, None, None),
            ("TooLarge", 413, None, None),
            ("RateLimited", 429, Some("42"), None),
            ("Unreachable", 503, Some("5"), None),
            ("Unavailable", 503, Some("5"), None),
            ("Internal", 500, None, None),
        ];
        for (error, (variant, status, retry_after, challenge)) in every_variant().iter().zip(table) {
            assert!(format!("{error:?}").starts_with(variant), "{error:?} is not {variant}");
            let head = ErrorHead::of(error, Credentials::ApiKey);
            let header = |name| head.headers.get(name).map(|value: &HeaderValue| value.to_str().unwrap());
            assert_eq!(head.status, status, "{variant}");
            assert_eq!(error.http_status(), status, "{variant}");
            assert_eq!(header(header::RETRY_AFTER), retry_after, "{variant}");
            assert_eq!(header(header::WWW_AUTHENTICATE), challenge, "{variant}");
            assert_eq!(head.headers.len(), usize::from(retry_after.is_some()) + usize::from(challenge.is_some()));
            // The portal's pages and server functions sign in with a form, not an HTTP scheme.
            let session = ErrorHead::of(error, Credentials::Session);
            assert_eq!(session.status, status);
            assert!(!session.headers.contains_key(header::WWW_AUTHENTICATE), "{variant}");
        }
        assert_eq!(
            ErrorHead::of(&AppError::Unauthenticated, Credentials::Bearer).headers[header::WWW_AUTHENTICATE],
            "Bearer"
        );
    }

    #[test]
    fn only_errors_a_retry_cannot_fix_tell_clients_not_to_retry() {
        let advice = |status: u16| {
            let head = ErrorHead { status: StatusCode::from_u16(status).unwrap(), headers: HeaderMap::new() };
            head.advising_retries().headers.get(SHOULD_RETRY).map(|value| value.to_str().unwrap().to_owned())
        };
        for status in [400, 401, 403, 404, 405, 409, 413, 422, 501] {
            assert_eq!(advice(status).as_deref(), Some("false"), "{status}");
        }
        for status in [408, 429, 500, 502, 503, 504] {
            assert_eq!(advice(status), None, "{status}");
        }
    }

    #[tokio::test]
    async fn the_rest_api_and_server_functions_answer_with_the_same_head() {
        for error in every_variant() {
            let expected = ErrorHead::of(&error, Credentials::ApiKey);
            let rest = ApiError::from(error.clone()).into_response();
            // The API has no use for the browser's `Unreachable`: it is answered as a fault of ours.
            if error != AppError::Unreachable {
                assert_eq!(rest.status(), expected.status, "{error:?}");
                assert_eq!(rest.headers().get(header::RETRY_AFTER), expected.headers.get(header::RETRY_AFTER));
                assert_eq!(
                    rest.headers().get(header::WWW_AUTHENTICATE),
                    expected.headers.get(header::WWW_AUTHENTICATE)
                );
            }
            // Leptos answers every failed server function with 500 and the error's JSON.
            let expected = ErrorHead::of(&error, Credentials::Session);
            let failed = Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .header(SERVER_FN_ERROR_HEADER, "/api/x")
                .body(axum::body::Body::from(error.ser()))
                .unwrap();
            let answered = crate::server::app::status_of_server_fn_errors(failed).await;
            assert_eq!(answered.status(), expected.status, "{error:?}");
            for (name, value) in &expected.headers {
                assert_eq!(answered.headers().get(name), Some(value), "{error:?}");
            }
        }
    }
}
