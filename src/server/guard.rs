//! Checks every request passes before anything can act on it: requests that change state must
//! come from the portal's own pages (cross-site request forgery), must be small, and must be
//! text: every body the portal accepts is UTF-8 (forms, JSON).

use super::config::{PublicOrigin, SecuritySettings};
use super::http_error::{Credentials, ErrorHead};
use super::rest;
use crate::error::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::server_fn::error::FromServerFnError;
use std::sync::Arc;

pub async fn guard_changes(State(settings): State<Arc<SecuritySettings>>, request: Request, next: Next) -> Response {
    if is_safe(request.method()) {
        return next.run(request).await;
    }
    // Forgery rides on credentials a browser adds by itself (the session cookie); the edges'
    // feed and the REST API take tokens that a browser never sends unasked.
    let for_api = rest::handles(request.method(), request.uri().path(), request.headers());
    let by_token = for_api || request.uri().path().starts_with(::edge_feed::PATH_PREFIX);
    let refusal = if for_api { rest::refusal } else { refusal };
    if !by_token && !comes_from_portal(request.headers(), settings.public_origin.as_ref()) {
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            referer = ?request.headers().get(header::REFERER),
            "refused a cross-site request"
        );
        return refusal(AppError::Forbidden);
    }
    // An edge's traffic report carries up to thousands of resources; every other body is small.
    let cap = if request.uri().path() == ::edge_feed::TRAFFIC_PATH {
        settings.max_request_body_bytes.max(::edge_feed::traffic::MAX_REPORT_BYTES)
    } else {
        settings.max_request_body_bytes
    };
    let (parts, body) = request.into_parts();
    let declared_too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length > cap);
    if declared_too_large {
        return refusal(AppError::TooLarge);
    }
    // Read up to the cap here, so a body without a length cannot grow past it either.
    match axum::body::to_bytes(body, cap).await {
        Ok(bytes) if std::str::from_utf8(&bytes).is_ok() => {
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        Ok(_) => refusal(AppError::BadRequest),
        Err(_) => refusal(AppError::TooLarge),
    }
}

/// GET, HEAD and OPTIONS never change anything in the portal, so they need no check.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when the browser says the request was sent by a page of the portal: its `Origin`, or
/// without one its `Referer`, is the portal's public origin, or without a configured one, the
/// host the request was sent to. A request that says nothing of where it came from is refused.
fn comes_from_portal(headers: &HeaderMap, public_origin: Option<&PublicOrigin>) -> bool {
    let Some(source) = source_origin(headers) else {
        return false;
    };
    match public_origin {
        Some(expected) => source == expected.as_str(),
        None => {
            let host = headers.get(header::HOST).and_then(|host| host.to_str().ok());
            let authority = source.split_once("://").map(|(_, authority)| authority);
            matches!((host, authority), (Some(host), Some(authority)) if host.eq_ignore_ascii_case(authority))
        }
    }
}

/// `scheme://host[:port]` of the page that sent the request, lower-cased.
fn source_origin(headers: &HeaderMap) -> Option<String> {
    let text = |value: &HeaderValue| value.to_str().ok().map(str::to_ascii_lowercase);
    if let Some(origin) = headers.get(header::ORIGIN) {
        // "null" is what browsers send from sandboxed frames and privacy-sensitive redirects.
        return text(origin).filter(|origin| origin != "null");
    }
    let referer = text(headers.get(header::REFERER)?)?;
    let uri = referer.parse::<axum::http::Uri>().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
}

/// A refusal of a page's or a server function's request: the error's JSON, as a server function
/// answers it.
fn refusal(error: AppError) -> Response {
    ErrorHead::of(&error, Credentials::Session).respond(([(header::CONTENT_TYPE, "application/json")], error.ser()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap())).collect()
    }

    #[test]
    fn without_a_configured_origin_the_source_must_be_the_requested_host() {
        let ok = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "http://127.0.0.1:3000")]);
        assert!(comes_from_portal(&ok, None));
        let other_port = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "http://127.0.0.1:4000")]);
        assert!(!comes_from_portal(&other_port, None));
        let evil = headers(&[(header::HOST, "portal.example"), (header::ORIGIN, "https://evil.example")]);
        assert!(!comes_from_portal(&evil, None));
        let suffix =
            headers(&[(header::HOST, "portal.example"), (header::ORIGIN, "https://portal.example.evil.example")]);
        assert!(!comes_from_portal(&suffix, None));
    }

    #[test]
    fn referer_counts_only_without_origin_and_silence_is_refused() {
        let by_referer =
            headers(&[(header::HOST, "portal.example"), (header::REFERER, "http://portal.example/cdn?x=1")]);
        assert!(comes_from_portal(&by_referer, None));
        let origin_wins = headers(&[
            (header::HOST, "portal.example"),
            (header::ORIGIN, "https://evil.example"),
            (header::REFERER, "http://portal.example/cdn"),
        ]);
        assert!(!comes_from_portal(&origin_wins, None));
        let null = headers(&[
            (header::HOST, "portal.example"),
            (header::ORIGIN, "null"),
            (header::REFERER, "http://portal.example/"),
        ]);
        assert!(!comes_from_portal(&null, None));
        assert!(!comes_from_portal(&headers(&[(header::HOST, "portal.example")]), None));
    }

    #[test]
    fn a_configured_origin_is_matched_exactly() {
        let public = PublicOrigin::parse("https://portal.example.com").unwrap();
        let ok = headers(&[(header::HOST, "10.0.0.5:3000"), (header::ORIGIN, "https://portal.example.com")]);
        assert!(comes_from_portal(&ok, Some(&public)));
        let plain_http =
            headers(&[(header::HOST, "portal.example.com"), (header::ORIGIN, "http://portal.example.com")]);
        assert!(!comes_from_portal(&plain_http, Some(&public)));
    }
}
