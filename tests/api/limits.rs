//! The abuse limits held by two real portal processes over one database (SQLite here, PostgreSQL
//! in the PostgreSQL pass), as behind a load balancer: together they allow exactly what one
//! allows. Every request comes from 127.0.0.1, one client address.

use crate::helpers::replica::two_replicas_with;
use crate::helpers::*;
use axum::http::{Method, StatusCode, header};
use cdn_portal::error::{AppError, Limit};
use futures_util::future::join_all;
use serde_json::Value;

fn log_in_form(email: &str, password: &str) -> String {
    format!("email={email}&password={password}")
}

/// Seconds in `Retry-After`, which every refusal carries.
fn retry_after(reply: &Reply) -> u64 {
    let value = reply.header(header::RETRY_AFTER.as_str()).unwrap_or_else(|| panic!("no Retry-After: {reply:?}"));
    value.parse().unwrap_or_else(|_| panic!("Retry-After {value:?} is not whole seconds"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_together_allow_exactly_the_log_in_attempts_and_sign_ups_of_one() {
    let replicas = two_replicas_with(&[
        ("LOG_IN_ATTEMPTS_PER_ACCOUNT", "4"),
        ("LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS", "6"),
        ("SIGN_UPS_PER_CLIENT_ADDRESS", "3"),
    ])
    .await;
    let (a, b) = (&replicas.a, &replicas.b);
    let through = |n: usize| if n.is_multiple_of(2) { a } else { b };

    // Three sign-ups from one address, taken by either replica; the third has an email that has an
    // account, and counts all the same.
    a.customer("ada%40limits.example").await;
    b.customer("grace%40limits.example").await;
    let taken = a.call("sign_up", &log_in_form("ada%40limits.example", "another+password"), None).await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY, "{taken:?}");
    let fourth = b.call("sign_up", &log_in_form("linus%40limits.example", "a+good+password"), None).await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS, "the fourth sign-up from one address: {fourth:?}");
    assert!((1..=3600).contains(&retry_after(&fourth)), "{fourth:?}");
    assert!(matches!(fourth.app_error(), AppError::RateLimited { limit: Limit::SignUp, .. }), "{}", fourth.body);
    assert!(fourth.session_cookie().is_none());
    let log_in = a.call("log_in", &log_in_form("linus%40limits.example", "a+good+password"), None).await;
    assert_eq!(log_in.status, StatusCode::UNAUTHORIZED, "the refused sign-up made no account: {log_in:?}");

    // Twelve wrong passwords for one account at once, half through each replica (that log-in
    // above was a wrong one for another account, which only the address counts): exactly four are
    // checked, whoever takes them.
    let guess = log_in_form("ada%40limits.example", "wrong+password");
    let guesses = join_all((0..12).map(|n| through(n).call("log_in", &guess, None))).await;
    let statuses: Vec<u16> = guesses.iter().map(|reply| reply.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|status| **status == 401).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|status| **status == 429).count(), 8, "{statuses:?}");
    let right = b.call("log_in", &log_in_form("ada%40limits.example", PASSWORD), None).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits: {right:?}");

    // The address has had 1 + 4 failed attempts of its 6; one more anywhere, then none.
    let sixth = a.call("log_in", &log_in_form("grace%40limits.example", "wrong+password"), None).await;
    assert_eq!(sixth.status, StatusCode::UNAUTHORIZED, "{sixth:?}");
    let seventh = b.call("log_in", &log_in_form("grace%40limits.example", PASSWORD), None).await;
    assert_eq!(seventh.status, StatusCode::TOO_MANY_REQUESTS, "the address is out of attempts: {seventh:?}");
    assert!(matches!(seventh.app_error(), AppError::RateLimited { limit: Limit::LogIn, .. }), "{}", seventh.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_each_api_tokens_rate_and_the_limit_on_failed_token_checks() {
    let replicas = two_replicas_with(&[
        ("API_REQUESTS_PER_SECOND", "1"),
        ("API_BURST", "6"),
        ("API_TOKEN_FAILURES_PER_CLIENT_ADDRESS", "3"),
    ])
    .await;
    let (a, b) = (&replicas.a, &replicas.b);
    let through = |n: usize| if n.is_multiple_of(2) { a } else { b };
    let cookie = a.customer("ada%40limits.example").await;
    let busy = a.api_token(&cookie, "busy", None).await.secret;
    let calm = b.api_token(&cookie, "calm", None).await.secret;

    // Ten requests at once with one token, half through each replica: its burst of six, no more.
    let replies = join_all((0..10).map(|n| through(n).api(&busy, Method::GET, "/cdn/resources", None))).await;
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|status| **status == 200).count(), 6, "{statuses:?}");
    let refused = replies.iter().find(|reply| reply.status == StatusCode::TOO_MANY_REQUESTS).unwrap();
    assert_eq!(retry_after(refused), 1, "a token's next request is allowed within a second: {refused:?}");
    let millis: u64 =
        refused.header("retry-after-ms").expect("retry-after-ms, which Gcore's SDK reads").parse().unwrap();
    assert!((1..=1_000).contains(&millis), "{millis}");
    assert_eq!(refused.header("x-should-retry"), Some("true"), "{refused:?}");
    let body: Value = refused.json();
    assert!(body["message"].as_str().unwrap().starts_with("Too many requests with this API token."), "{body}");
    let other = b.api(&calm, Method::GET, "/cdn/resources", None).await;
    assert_eq!(other.status, StatusCode::OK, "another token has its own rate: {other:?}");

    // Three requests with tokens that do not exist, through either replica; then the address is
    // refused before any token is looked at, so a valid one is refused alike and nothing is learnt.
    let unknown = format!("cdnp_{}", "0".repeat(64));
    for n in 0..3 {
        let reply = through(n).api(&unknown, Method::GET, "/cdn/resources", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    }
    let with_unknown = a.api(&unknown, Method::GET, "/cdn/resources", None).await;
    let with_valid = b.api(&calm, Method::GET, "/cdn/resources", None).await;
    for reply in [&with_unknown, &with_valid] {
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{reply:?}");
        assert!((1..=60).contains(&retry_after(reply)), "{reply:?}");
    }
    let (unknown_body, valid_body): (Value, Value) = (with_unknown.json(), with_valid.json());
    assert_eq!(
        unknown_body["message"].as_str().map(|m| m.replace(char::is_numeric, "")),
        valid_body["message"].as_str().map(|m| m.replace(char::is_numeric, "")),
        "a valid and an unknown token are refused alike"
    );
    assert!(unknown_body["message"].as_str().unwrap().contains("without a valid API token"), "{unknown_body}");
}
