//! Errors logged in the request that caused them. Every request runs in a span (`request`: its
//! method, path and client address, then its status and latency in milliseconds once answered),
//! and a failure of ours is logged once, inside that span, with its whole cause chain, when the
//! request is answered.
//!
//! Why the cause travels beside the error and not in it: [`AppError`] crosses to the browser, so it
//! stays plain data (serializable, comparable, compiled to wasm) and [`AppError::Internal`] says
//! nothing about what went wrong. The cause is kept on the server instead, in the request's
//! [`Failures`]: [`AppError::internal`] and [`AppError::unavailable`] put it there and hand back
//! the plain error, and [`log_failures`], just inside the request span, logs what was put there
//! once the answer is ready. The axum way of carrying it in a response extension does not reach
//! far enough here: a server function's error, or a page's, is turned into a response by Leptos,
//! which keeps no extensions, and a page's data loads run in tasks of their own, outside the
//! request's span. So each request's record is found where the error is made: through a task-local
//! in the request's own task (the REST API, the feed, server functions), through the request in
//! Leptos's context in a page's data loads, and through [`carried`] in a task spawned to finish a
//! database write. An error made outside any request (a background task, a test) is logged on the
//! spot.

use crate::error::AppError;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::TraceLayer;
use tracing::{Level, Span};

/// What went wrong on our side, kept for the log: what was being done, and why it failed.
type Cause = Box<dyn Error + Send + Sync>;

impl AppError {
    /// A fault of ours: `cause` (an error, whose `source()` chain is kept, or a message) is logged
    /// with `context` in the request's log, and the customer is told only that something went wrong.
    pub fn internal(context: &str, cause: impl Into<Cause>) -> Self {
        Failure { level: Level::ERROR, context: context.to_owned(), cause: cause.into() }.record();
        AppError::Internal
    }

    /// Something the portal depends on (the database, the session store) cannot be reached for now,
    /// or is too busy (the queue of password checks is full):
    /// logged as a warning like [`AppError::internal`], answered 503 so the customer tries again.
    pub fn unavailable(context: &str, cause: impl Into<Cause>) -> Self {
        Failure { level: Level::WARN, context: context.to_owned(), cause: cause.into() }.record();
        AppError::Unavailable
    }
}

struct Failure {
    level: Level,
    context: String,
    cause: Cause,
}

impl Failure {
    /// Into the record of the request being served, or, outside any request, into the log now.
    fn record(self) {
        match Failures::current() {
            Some(failures) => failures.0.0.lock().unwrap_or_else(PoisonError::into_inner).push(self),
            None => self.log(None),
        }
    }

    fn log(&self, status: Option<u16>) {
        let cause = cause_chain(&*self.cause);
        let context = &self.context;
        if self.level == Level::WARN {
            tracing::warn!(status, %cause, "{context}");
        } else {
            tracing::error!(status, %cause, "{context}");
        }
    }
}

/// `cause`, then each error it came from, joined by ": " (as `anyhow` shows a chain).
fn cause_chain(cause: &(dyn Error + 'static)) -> String {
    let mut chain = cause.to_string();
    let mut source = cause.source();
    while let Some(next) = source {
        chain.push_str(": ");
        chain.push_str(&next.to_string());
        source = next.source();
    }
    chain
}

/// The failures of one request, not yet logged. Shared by every task working for the request.
#[derive(Clone, Default)]
pub struct Failures(Arc<Recorded>);

#[derive(Default)]
struct Recorded(Mutex<Vec<Failure>>);

/// A page's data load can outlive its request (the visitor left): what it records afterwards is
/// logged when the last task holding the record is done, rather than lost.
impl Drop for Recorded {
    fn drop(&mut self) {
        for failure in self.0.get_mut().unwrap_or_else(PoisonError::into_inner).drain(..) {
            failure.log(None);
        }
    }
}

tokio::task_local! {
    static FAILURES: Failures;
}

impl Failures {
    /// The record of the request this code works for, if it works for one.
    fn current() -> Option<Self> {
        FAILURES.try_with(Clone::clone).ok().or_else(|| {
            // A page's data loads run in tasks of their own, with the request in Leptos's context.
            leptos::prelude::use_context::<Parts>()?.extensions.get::<Failures>().cloned()
        })
    }

    /// Logs what was recorded, in the caller's span; how many failures there were.
    fn log(&self, status: u16) -> usize {
        let failures = std::mem::take(&mut *self.0.0.lock().unwrap_or_else(PoisonError::into_inner));
        for failure in &failures {
            failure.log(Some(status));
        }
        failures.len()
    }
}

/// `work`, to be spawned, still recording its failures in the record of the request that spawns it.
pub fn carried<T>(work: impl Future<Output = T>) -> impl Future<Output = T> {
    let failures = Failures::current();
    async move {
        match failures {
            Some(failures) => FAILURES.scope(failures, work).await,
            None => work.await,
        }
    }
}

/// Middleware, just inside the request span: gives the request its record of failures, and logs
/// them once it is answered. A server error with no recorded cause is logged too, so that every
/// 5xx answer has its line in the log; but for 501, the REST API's deliberate answer to a Gcore
/// operation this CDN does not offer, which is no failure (a customer's script calling `purge`
/// must not page anyone).
pub async fn log_failures(mut request: Request, next: Next) -> Response {
    let failures = Failures::default();
    request.extensions_mut().insert(failures.clone());
    let response = FAILURES.scope(failures.clone(), next.run(request)).await;
    let status = response.status();
    if failures.log(status.as_u16()) == 0 && status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
        tracing::error!(status = status.as_u16(), "answered with a server error of no recorded cause");
    }
    response
}

/// `router` with every request in its span (outermost) and its failures logged inside it.
pub fn with_request_log(router: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            // The path without the query: a query can carry what a customer entered.
            tracing::info_span!(
                "request",
                method = %request.method(),
                path = %request.uri().path(),
                // Filled in by `client_address::identify_client`, inside this span.
                client = tracing::field::Empty,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            )
        })
        .on_request(())
        .on_response(|response: &Response, latency: Duration, span: &Span| {
            span.record("status", response.status().as_u16());
            span.record("latency_ms", u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
            tracing::debug!("answered");
        })
        // A 5xx is logged by `log_failures`, with its cause; what is left is a body that broke
        // while it was being sent.
        .on_failure(|failure: ServerErrorsFailureClass, _latency: Duration, _span: &Span| {
            if let ServerErrorsFailureClass::Error(error) = failure {
                tracing::error!(%error, "the answer could not be sent");
            }
        });
    router.layer(axum::middleware::from_fn(log_failures)).layer(trace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use std::io;
    use tower::ServiceExt;
    use tracing_subscriber::fmt::MakeWriter;

    /// Collects what the test's subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the disk is full")]
    struct DiskFull;

    #[derive(Debug, thiserror::Error)]
    #[error("could not write the journal")]
    struct JournalWrite(#[source] DiskFull);

    async fn send(router: Router, path: &str) -> (StatusCode, String) {
        let log = Captured::default();
        let subscriber = tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let response =
            with_request_log(router).oneshot(Request::post(path).body(Body::empty()).unwrap()).await.unwrap();
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        (response.status(), text)
    }

    #[tokio::test]
    async fn an_internal_error_is_logged_once_in_its_request_with_its_causes() {
        let router = Router::new().route(
            "/cdn/save",
            axum::routing::post(|| async {
                let error = AppError::internal("could not save the resource", JournalWrite(DiskFull));
                (error.http_status(), error.to_string()).into_response()
            }),
        );
        let (status, log) = send(router, "/cdn/save?secret=1").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let lines: Vec<&str> = log.lines().filter(|line| line.contains("ERROR")).collect();
        assert_eq!(lines.len(), 1, "{log}");
        for expected in [
            "method=POST",
            "path=/cdn/save",
            "could not save the resource",
            "could not write the journal: the disk is full",
            "status=500",
        ] {
            assert!(lines[0].contains(expected), "{expected} missing from {log}");
        }
        assert!(!log.contains("secret"), "{log}");
    }

    #[tokio::test]
    async fn a_server_error_without_a_recorded_cause_is_still_logged_once() {
        let router = Router::new().route("/x", axum::routing::post(|| async { StatusCode::BAD_GATEWAY }));
        let (status, log) = send(router, "/x").await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert_eq!(log.lines().filter(|line| line.contains("ERROR")).count(), 1, "{log}");
        assert!(log.contains("status=502") && log.contains("path=/x"), "{log}");
    }

    #[tokio::test]
    async fn a_spawned_database_task_records_in_the_request_that_spawned_it() {
        let router = Router::new().route(
            "/x",
            axum::routing::post(|| async {
                let work = carried(async { AppError::unavailable("the database is unavailable", "pool timed out") });
                tokio::spawn(work).await.unwrap().http_status()
            }),
        );
        let (status, log) = send(router, "/x").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let lines: Vec<&str> = log.lines().filter(|line| line.contains("WARN") || line.contains("ERROR")).collect();
        assert_eq!(lines.len(), 1, "{log}");
        assert!(lines[0].contains("path=/x") && lines[0].contains("pool timed out"), "{log}");
    }

    #[tokio::test]
    async fn the_request_span_names_the_client_address() {
        use crate::server::client_address::{ProxySettings, identify_client};
        use axum::extract::ConnectInfo;
        let router = Router::new()
            .route("/x", axum::routing::post(|| async { AppError::internal("could not save", "boom").http_status() }))
            .layer(axum::middleware::from_fn_with_state(Arc::new(ProxySettings::default()), identify_client));
        let log = Captured::default();
        let subscriber = tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let mut request = Request::post("/x").body(Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo("198.51.100.7:4000".parse::<std::net::SocketAddr>().unwrap()));
        with_request_log(router).oneshot(request).await.unwrap();
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("client=198.51.100.7"), "{text}");
    }

    #[test]
    fn a_page_data_load_records_in_its_request_through_leptos_context() {
        let failures = Failures::default();
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.extensions.insert(failures.clone());
        // Outside the request's task: only the request in Leptos's context leads to its record.
        leptos::prelude::Owner::new().with(|| {
            leptos::prelude::provide_context(parts);
            let _ = AppError::internal("could not load the page", "boom");
        });
        assert_eq!(failures.log(500), 1);
    }
}
