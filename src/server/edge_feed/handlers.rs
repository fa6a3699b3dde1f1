//! The feed's HTTP endpoints (paths, messages and token scheme per the `edge-feed` crate): the
//! configuration, held open until something changes, and the edges' reports of what they serve.

use super::queries::{changes_after, record_status, snapshot};
use super::wake::ConfigChanges;
use crate::error::AppError;
use crate::server::db::Pool;
use crate::server::http_error::{Credentials, ErrorHead};
use crate::server::ws_traffic::Recorder;
use ::edge_feed::{
    CONFIG_PATH, FeedQuery, MAX_EDGE_NAME_LEN, MAX_WAIT, STATUS_PATH, StatusReport, TRAFFIC_PATH, TrafficReport,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;

/// Each waiting request also looks again this often, in case a wake-up was missed.
const RECHECK: Duration = Duration::from_millis(500);

/// What the feed's handlers share: the database, the token edges must present, and the wake-ups.
#[derive(Clone)]
pub struct EdgeFeed {
    pool: Pool,
    token: Arc<str>,
    changes: ConfigChanges,
    traffic: Recorder,
}

impl EdgeFeed {
    /// `token` is the configured one, already checked against the contract's rule. Starts the
    /// task that records traffic reports ([`Recorder`]), on the current tokio runtime.
    pub fn new(pool: Pool, token: String, changes: ConfigChanges) -> Self {
        let traffic = Recorder::new(pool.clone());
        Self { pool, token: token.into(), changes, traffic }
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let presented = headers
            .get(::edge_feed::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(::edge_feed::presented_token)
            .unwrap_or_default();
        constant_time_eq(presented.as_bytes(), self.token.as_bytes())
    }
}

/// The feed's routes, for the portal to merge; edges authenticate with their token, they have no session.
pub fn router(feed: EdgeFeed) -> Router {
    Router::new()
        .route(CONFIG_PATH, axum::routing::get(config))
        .route(STATUS_PATH, axum::routing::post(status))
        .route(TRAFFIC_PATH, axum::routing::post(traffic))
        .with_state(feed)
}

/// Compares without stopping at the first difference, so that timing does not give the token away.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

/// `GET /edge/v1/config`: the snapshot; `?after=N&wait_ms=W`: the changes after version N, held
/// up to W ms until there are some (204 if none came).
pub async fn config(State(feed): State<EdgeFeed>, headers: HeaderMap, Query(query): Query<FeedQuery>) -> Response {
    if !feed.authorized(&headers) {
        return unauthorized();
    }
    let Some(after) = query.after else {
        return match snapshot(&feed.pool).await {
            Ok(update) => Json(update).into_response(),
            Err(error) => error_response(error),
        };
    };
    let wait = Duration::from_millis(query.wait_ms.unwrap_or(0)).min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribed before looking, so that a change committed in between still wakes us.
    let mut changed = feed.changes.subscribe();
    loop {
        match changes_after(&feed.pool, after).await {
            Ok(Some(update)) => return Json(update).into_response(),
            Ok(None) => {}
            Err(error) => return error_response(error),
        }
        tokio::select! {
            _ = changed.changed() => {}
            _ = tokio::time::sleep(RECHECK) => {}
            _ = tokio::time::sleep_until(deadline) => return StatusCode::NO_CONTENT.into_response(),
        }
    }
}

/// `POST /edge/v1/status` `{"edge": "edge-1", "version": N}`: this edge serves version N.
pub async fn status(
    State(feed): State<EdgeFeed>,
    headers: HeaderMap,
    report: Result<Json<StatusReport>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if !feed.authorized(&headers) {
        return unauthorized();
    }
    let Ok(Json(report)) = report else {
        return malformed_report();
    };
    if !::edge_feed::is_valid_edge_name(&report.edge) {
        return invalid_edge_name();
    }
    match record_status(&feed.pool, &report.edge, report.version).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        // A version past what the database holds, which no portal ever reaches.
        Err(AppError::BadRequest) => malformed_report(),
        Err(error) => error_response(error),
    }
}

/// `POST /edge/v1/traffic` with a [`TrafficReport`]: this edge's WebSocket traffic per resource,
/// recorded as of the portal's clock.
pub async fn traffic(
    State(feed): State<EdgeFeed>,
    headers: HeaderMap,
    report: Result<Json<TrafficReport>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if !feed.authorized(&headers) {
        return unauthorized();
    }
    let Ok(Json(report)) = report else {
        return malformed_traffic();
    };
    if !::edge_feed::is_valid_edge_name(&report.edge) {
        return invalid_edge_name();
    }
    match feed.traffic.record(report, std::time::SystemTime::now()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(AppError::BadRequest) => malformed_traffic(),
        Err(error) => error_response(error),
    }
}

fn invalid_edge_name() -> Response {
    let rule = format!("edge names are 1-{MAX_EDGE_NAME_LEN} letters, digits, '.', '_' or '-'\n");
    (StatusCode::UNPROCESSABLE_ENTITY, rule).into_response()
}

fn malformed_traffic() -> Response {
    let shape = "expected {\"edge\": name, \"boot\": 1-64 letters or digits, \"resources\": [{\"id\": positive, once each, \"open\": number, \"counters\": {name: number}}] (at most 1000)}\n";
    (StatusCode::BAD_REQUEST, shape).into_response()
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, "edge feed token required\n").into_response()
}

fn malformed_report() -> Response {
    (StatusCode::BAD_REQUEST, "expected {\"edge\": name, \"version\": number}\n").into_response()
}

/// Edges keep serving what they have and ask again; either way the details stay in our log.
fn error_response(error: AppError) -> Response {
    ErrorHead::of(&error, Credentials::Bearer).respond("the feed is unavailable, try again\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_compared_whole() {
        assert!(constant_time_eq(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!constant_time_eq(b"0123456789abcdef", b"0123456789abcdeX"));
        assert!(!constant_time_eq(b"0123456789abcdef", b"0123456789abcde"));
        assert!(!constant_time_eq(b"", b"0123456789abcdef"));
    }
}
