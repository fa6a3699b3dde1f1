//! What a server function knows about the request it serves: the database, the signed-in
//! account (from the session, never from the browser's arguments) and how it was sent.

use super::db::Pool;
use super::limits::Limits;
use super::resources::Actor;
use crate::domain::Timestamp;
use crate::error::AppError;
use axum::http::{header, request::Parts};
use leptos::prelude::use_context;
use leptos::server_fn::error::ServerFnUrlError;
use std::net::IpAddr;
use std::time::Duration;
use tower_sessions::Session;

const ACCOUNT_ID_KEY: &str = "account_id";
const SIGNED_IN_AT_KEY: &str = "signed_in_at";
const LAST_SEEN_KEY: &str = "last_seen";

/// How long a session stays signed in: `idle_limit` after its last request (the session layer
/// expires it), and `lifetime` after log-in however busy (checked here).
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    pub idle_limit: Duration,
    pub lifetime: Duration,
}

/// Sessions live in the database: when it cannot be reached, the customer is told to try again
/// in a moment, not that something broke.
fn session_failed(context: &str, error: tower_sessions::session::Error) -> AppError {
    match error {
        tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend(cause)) => {
            AppError::unavailable(&format!("{context}: the session store is unavailable"), cause)
        }
        other => AppError::internal(context, other),
    }
}

pub fn pool() -> Result<Pool, AppError> {
    use_context::<Pool>().ok_or_else(|| AppError::internal("request", "no database pool in context"))
}

async fn session() -> Result<Session, AppError> {
    // A visitor who stops a page (or follows a link) before it is drawn takes the request's
    // context with it, while the page's data loads may still be running: with no one left to
    // answer, that is no failure to log as one.
    if use_context::<Parts>().is_none() && use_context::<Pool>().is_none() {
        tracing::debug!("a page's data load outlived its request: the visitor left");
        return Err(AppError::Internal);
    }
    leptos_axum::extract::<Session>().await.map_err(|error| AppError::internal("session layer is missing", error))
}

/// Wakes the edges' configuration feed: call after committing a change an edge must know of.
pub fn config_committed() {
    if let Some(changes) = use_context::<super::edge_feed::ConfigChanges>() {
        changes.committed();
    }
}

/// The abuse limits, shared by every replica through the database.
pub fn limits() -> Result<Limits, AppError> {
    use_context::<Limits>().ok_or_else(|| AppError::internal("request", "no limits in context"))
}

/// The address the request came from, when the server knows it: the TCP peer, or behind
/// trusted proxies the address they forwarded (see [`super::client_address`]).
pub async fn client_address() -> Option<IpAddr> {
    use_context::<Parts>().as_ref().and_then(super::client_address::of)
}

/// The account this request's session is signed in to, if any. A session past its lifetime
/// is ended here, whatever its recent activity.
pub async fn signed_in_account_id() -> Result<Option<i64>, AppError> {
    let session = session().await?;
    let read = |error| session_failed("could not read the session", error);
    let Some(account_id) = session.get::<i64>(ACCOUNT_ID_KEY).await.map_err(read)? else {
        return Ok(None);
    };
    let limits =
        use_context::<SessionLimits>().ok_or_else(|| AppError::internal("request", "no session limits in context"))?;
    let now = Timestamp::now().unix_seconds();
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT_KEY).await.map_err(read)?;
    let within_lifetime = signed_in_at
        .map(|at| now.saturating_sub(at))
        .is_some_and(|age| age >= 0 && (age as u64) < limits.lifetime.as_secs());
    if !within_lifetime {
        sign_out().await?;
        return Ok(None);
    }
    // The session layer pushes the idle expiry back only when the session changes. Changing it
    // on every request would write to the database for every page; once per 1/30 of the idle
    // limit keeps the limit within a minute (of 30) at a small fraction of the writes.
    let touch_every = (limits.idle_limit.as_secs() / 30) as i64;
    let last_seen = session.get::<i64>(LAST_SEEN_KEY).await.map_err(read)?;
    if last_seen.is_none_or(|seen| now.saturating_sub(seen) >= touch_every) {
        session
            .insert(LAST_SEEN_KEY, now)
            .await
            .map_err(|error| session_failed("could not write the session", error))?;
    }
    Ok(Some(account_id))
}

/// The signed-in account, or [`AppError::Unauthenticated`]: the gate of every customer action.
pub async fn require_account_id() -> Result<i64, AppError> {
    signed_in_account_id().await?.ok_or(AppError::Unauthenticated)
}

/// The signed-in customer acting through the portal, as recorded in a resource's history.
pub async fn portal_actor() -> Result<Actor, AppError> {
    Ok(Actor::portal(require_account_id().await?, client_address().await))
}

pub async fn sign_in(account_id: i64) -> Result<(), AppError> {
    let session = session().await?;
    // A new id at sign-in: an id planted in the browser beforehand never becomes signed in.
    session.cycle_id().await.map_err(|error| session_failed("could not renew the session id", error))?;
    let write = |error| session_failed("could not write the session", error);
    session.insert(ACCOUNT_ID_KEY, account_id).await.map_err(write)?;
    session.insert(SIGNED_IN_AT_KEY, Timestamp::now().unix_seconds()).await.map_err(write)
}

const ISSUED_TOKEN_KEY: &str = "issued_api_token";

/// Keeps a just-issued token for the next page, which shows its secret once.
pub async fn keep_issued_token(issued: &crate::model::IssuedToken) -> Result<(), AppError> {
    session()
        .await?
        .insert(ISSUED_TOKEN_KEY, issued)
        .await
        .map_err(|error| session_failed("could not write the session", error))
}

/// The token kept by [`keep_issued_token`], removed from the session as it is read.
pub async fn take_issued_token() -> Result<Option<crate::model::IssuedToken>, AppError> {
    session().await?.remove(ISSUED_TOKEN_KEY).await.map_err(|error| session_failed("could not read the session", error))
}

pub async fn sign_out() -> Result<(), AppError> {
    session().await?.flush().await.map_err(|error| session_failed("could not end the session", error))
}

/// True when a browser posted an HTML form itself (no JavaScript), and so will follow a redirect
/// to show the outcome; an island (the Content section's form) asks for data instead and
/// updates the page in place.
pub fn is_plain_form_post() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// The page a plain form post came from, as a path on this portal without the error details
/// an earlier refused post left in its query; `None` without a usable Referer.
pub fn referring_page() -> Option<String> {
    let parts = use_context::<Parts>()?;
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    page_of_referer(referer)
}

/// Only the path and query are kept, so the answer never leads to another site ("//host" would).
fn page_of_referer(referer: &str) -> Option<String> {
    let mut referer = referer.to_owned();
    ServerFnUrlError::<AppError>::strip_error_info(&mut referer);
    let uri = referer.parse::<axum::http::Uri>().ok()?;
    let path = uri.path();
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    // Stripping leaves an empty query ("/cdn?") when the error details were all it had.
    Some(match uri.query().filter(|query| !query.is_empty()) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::page_of_referer;

    #[test]
    fn the_referring_page_loses_error_details_and_never_leaves_the_portal() {
        assert_eq!(page_of_referer("http://localhost:3000/cdn").as_deref(), Some("/cdn"));
        assert_eq!(page_of_referer("http://localhost/cdn?__path=%2Fapi%2Flog_in&__err=eyJ9").as_deref(), Some("/cdn"));
        assert_eq!(
            page_of_referer("http://localhost/cdn/resources/3/content?saved=1&__err=x").as_deref(),
            Some("/cdn/resources/3/content?saved=1")
        );
        assert_eq!(page_of_referer("https://evil.example//evil.example/x"), None);
        assert_eq!(page_of_referer("not a url"), None);
    }
}
