//! Attacks on the portal over HTTP, each as a browser or a script would send it: forged
//! cross-site requests, stolen or stale sessions, password guessing, forged client addresses and
//! malformed input.
//! Each answer is checked, and so is that nothing changed.

use crate::helpers::*;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Method;
use axum::http::{HeaderName, Request, StatusCode, header};
use cdn_portal::error::{AppError, Limit};
use cdn_portal::on_db;
use cdn_portal::server::client_address::{ForwardedHeader, ProxySettings, TrustedProxies};
use cdn_portal::server::{AbuseLimits, PublicOrigin, Rate, SecuritySettings};
use std::net::SocketAddr;
use std::time::Duration;

/// Everything an attack could change, as text: accounts, resources, history and sessions.
async fn everything(portal: &TestPortal) -> String {
    let rows = |sql: &'static str| async move {
        on_db!(portal.pool.db(), |e| sqlx::query_as::<_, (String,)>(sql).fetch_all(e).await)
            .unwrap()
            .into_iter()
            .map(|(row,)| row)
            .collect::<Vec<_>>()
    };
    // Each row as text, written so that SQLite and PostgreSQL both accept it.
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        rows("SELECT CAST(id AS TEXT) || email FROM accounts ORDER BY id").await,
        rows("SELECT CAST(id AS TEXT) || custom_domain || CAST(websockets AS TEXT) || CAST(version AS TEXT) FROM cdn_resources ORDER BY id").await,
        rows("SELECT CAST(id AS TEXT) || ',' || CAST(resource_id AS TEXT) || ',' || CAST(version AS TEXT) FROM resource_changes ORDER BY id").await,
        rows(if portal.pool.is_postgres() {
            "SELECT id FROM tower_sessions.session ORDER BY id"
        } else {
            "SELECT id FROM tower_sessions ORDER BY id"
        })
        .await,
    )
}

/// What a page elsewhere can make a browser send: the victim's cookie goes along, but the
/// browser names the page's own origin (or nothing at all).
const FORGERIES: [(&str, &[(HeaderName, &str)]); 6] = [
    ("another site's Origin", &[(header::ORIGIN, "https://evil.example")]),
    ("a look-alike Origin", &[(header::ORIGIN, "http://localhost.evil.example")]),
    ("another port's Origin", &[(header::ORIGIN, "http://localhost:8080")]),
    ("Origin null", &[(header::ORIGIN, "null"), (header::REFERER, "http://localhost/cdn")]),
    ("another site's Referer", &[(header::REFERER, "https://evil.example/win-a-prize")]),
    ("no Origin or Referer", &[]),
];

async fn forged(
    portal: &TestPortal,
    endpoint: &str,
    form: &str,
    cookie: &str,
    headers: &[(HeaderName, &str)],
    accept: &str,
) -> Reply {
    let request = with_headers(server_fn_request(endpoint, accept, Some(cookie)), headers);
    portal.send(request.body(Body::from(form.to_owned())).unwrap()).await
}

#[tokio::test]
async fn forged_cross_site_requests_to_every_mutating_endpoint_are_refused_and_change_nothing() {
    let portal = spawn_portal().await;
    let victim = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&victim, "cdn.example.com", "entire_website").await;
    let before = everything(&portal).await;

    let mutations = [
        ("sign_up", "email=mallory%40example.com&password=correct+horse+battery".to_owned()),
        // Log-in forgery signs the victim in to the attacker's account.
        ("log_in", "email=ada%40example.com&password=correct+horse+battery".to_owned()),
        ("log_out", String::new()),
        ("create_resource", "custom_domain=evil.example.com&origin=evil.example&integration=entire_website".to_owned()),
        ("save_content_settings", format!("resource_id={id}&version=1")),
    ];
    for (endpoint, form) in &mutations {
        for (forgery, headers) in FORGERIES {
            for accept in ["application/json", "text/html"] {
                let reply = forged(&portal, endpoint, form, &victim, headers, accept).await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{endpoint} with {forgery} ({accept}): {}", reply.body);
                assert_eq!(reply.app_error(), AppError::Forbidden, "{}", reply.body);
                assert!(!reply.headers.contains_key(header::SET_COOKIE), "{endpoint} with {forgery} touched a session");
            }
        }
        // No state changes over GET, whatever the query says.
        let over_get = portal.get(&format!("/api/{endpoint}?{form}"), Some(&victim)).await;
        assert_eq!(over_get.status, StatusCode::METHOD_NOT_ALLOWED, "GET {endpoint}");
    }
    assert_eq!(everything(&portal).await, before, "nothing changed");
    let still = portal.call("get_resource", &format!("id={id}"), Some(&victim)).await;
    assert_eq!(still.status, StatusCode::OK, "the victim is still signed in");
    assert!(still.resource().options_in_force.websockets);

    // The same requests from the portal's own page go through.
    let legitimate = portal.call("save_content_settings", &format!("resource_id={id}&version=1"), Some(&victim)).await;
    assert_eq!(legitimate.status, StatusCode::OK, "{}", legitimate.body);
    let by_referer = forged(
        &portal,
        "save_content_settings",
        &format!("resource_id={id}&version=2&websockets=on"),
        &victim,
        &[(header::REFERER, "http://localhost/cdn/resources/1/content")],
        "application/json",
    )
    .await;
    assert_eq!(by_referer.status, StatusCode::OK, "Referer counts when the browser sends no Origin");
}

#[tokio::test]
async fn with_a_public_url_configured_only_its_origin_may_change_anything() {
    let portal = spawn_portal_with(SecuritySettings {
        public_origin: Some(PublicOrigin::parse("https://portal.example.com").unwrap()),
        ..test_settings()
    })
    .await;
    let form = "email=ada%40example.com&password=correct+horse+battery";
    let as_host = forged(&portal, "sign_up", form, "", &[(header::ORIGIN, PORTAL_ORIGIN)], "application/json").await;
    assert_eq!(as_host.status, StatusCode::FORBIDDEN, "the Host header is not trusted once the origin is known");
    let public =
        forged(&portal, "sign_up", form, "", &[(header::ORIGIN, "https://portal.example.com")], "application/json")
            .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
}

#[tokio::test]
async fn the_development_cookie_has_no_domain_and_works_over_plain_http() {
    let portal = spawn_portal().await;
    let reply = portal.call("sign_up", "email=ada%40example.com&password=correct+horse+battery", None).await;
    let cookie = reply.set_cookie_header().unwrap();
    assert!(cookie.starts_with("portal_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Domain") && !cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_host_prefixed() {
    let portal = spawn_portal_with(SecuritySettings { secure_cookies: true, ..test_settings() }).await;
    let reply = portal.call("sign_up", "email=ada%40example.com&password=correct+horse+battery", None).await;
    let cookie = reply.set_cookie_header().unwrap();
    assert!(cookie.starts_with("__Host-portal_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let session = reply.session_cookie().unwrap();
    let page = portal.get("/cdn", Some(&session)).await;
    assert!(page.body.contains("No CDN resources yet"), "the prefixed cookie signs in");
}

async fn is_signed_in(portal: &TestPortal, cookie: &str) -> bool {
    let reply = portal.call("list_resources", "", Some(cookie)).await;
    match reply.status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("unexpected {other}: {}", reply.body),
    }
}

#[tokio::test]
async fn a_session_ends_after_its_idle_limit_but_not_while_in_use() {
    let portal =
        spawn_portal_with(SecuritySettings { session_idle_limit: Duration::from_secs(2), ..test_settings() }).await;
    let idle = portal.customer("idle%40example.com").await;
    let busy = portal.customer("busy%40example.com").await;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(is_signed_in(&portal, &busy).await, "a session in use stays signed in past its idle limit");
    }
    assert!(!is_signed_in(&portal, &idle).await, "4 s without a request ends a session with a 2 s idle limit");
    let page = portal.get("/cdn", Some(&idle)).await;
    assert!(page.body.contains(r#"<h1 id="log-in-heading">Log in</h1>"#));
}

#[tokio::test]
async fn a_session_ends_at_its_lifetime_however_busy() {
    let portal =
        spawn_portal_with(SecuritySettings { session_lifetime: Duration::from_secs(2), ..test_settings() }).await;
    // Measured by the clock, not by the pauses: on a busy machine each request takes a while too.
    let before_signing_in = std::time::Instant::now();
    let cookie = portal.customer("ada%40example.com").await;
    let signed_in_at = std::time::Instant::now();
    assert!(is_signed_in(&portal, &cookie).await);
    while is_signed_in(&portal, &cookie).await {
        assert!(signed_in_at.elapsed() < Duration::from_secs(4), "still signed in after the lifetime");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Sign-in times are kept in whole seconds, so the 2 s may end up to a second early.
    let signed_in_for = before_signing_in.elapsed();
    assert!(signed_in_for >= Duration::from_secs(1), "ended too early, after {signed_in_for:?}");
    assert!(!is_signed_in(&portal, &cookie).await, "and it stays ended");
    let fresh = portal.call("log_in", "email=ada%40example.com&password=correct+horse+battery", None).await;
    assert_eq!(fresh.status, StatusCode::OK, "logging in again starts a new lifetime");
}

async fn log_in_from(portal: &TestPortal, email: &str, password: &str, client: &str) -> Reply {
    let form = format!("email={email}&password={password}");
    let mut request = server_fn_call("log_in", None).body(Body::from(form)).unwrap();
    request.extensions_mut().insert(ConnectInfo(client.parse::<SocketAddr>().unwrap()));
    portal.send(request).await
}

#[tokio::test]
async fn guessing_passwords_is_limited_per_account_without_revealing_whether_it_exists() {
    let portal = spawn_portal().await;
    portal.customer("ada%40example.com").await;
    for (n, email) in ["ada%40example.com", "nobody%40example.com"].into_iter().enumerate() {
        // Each guess from another address, so that only the per-account limit applies.
        for guess in 0..5 {
            let wrong =
                log_in_from(&portal, email, "wrong+password", &format!("198.51.100.{}:4000", n * 10 + guess)).await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{email} guess {guess}");
        }
    }
    let mut refusals = Vec::new();
    for email in ["ada%40example.com", "nobody%40example.com"] {
        let refused = log_in_from(&portal, email, "correct+horse+battery", "203.0.113.9:4000").await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits: {}", refused.body);
        let retry_after: u64 = refused.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert!(matches!(refused.app_error(), AppError::RateLimited { limit: Limit::LogIn, .. }), "{}", refused.body);
        assert!(!refused.headers.contains_key(header::SET_COOKIE));
        refusals.push((refused.status, refused.body.replace(char::is_numeric, "")));
    }
    assert_eq!(refusals[0], refusals[1], "an existing and a missing account are refused alike");
}

#[tokio::test]
async fn guessing_from_one_address_is_limited_across_accounts_and_the_limit_passes() {
    let portal = spawn_portal_with(SecuritySettings {
        limits: AbuseLimits {
            log_in_per_account: Rate::per_window(100, Duration::from_secs(2)),
            log_in_per_client_address: Rate::per_window(3, Duration::from_secs(2)),
            ..test_settings().limits
        },
        ..test_settings()
    })
    .await;
    portal.customer("ada%40example.com").await;
    for n in 0..3 {
        let wrong =
            log_in_from(&portal, &format!("user{n}%40example.com"), "wrong+password", "198.51.100.1:4000").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let refused = log_in_from(&portal, "ada%40example.com", "correct+horse+battery", "198.51.100.1:4001").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = log_in_from(&portal, "ada%40example.com", "correct+horse+battery", "192.0.2.77:4000").await;
    assert_eq!(elsewhere.status, StatusCode::OK, "other addresses are not affected: {}", elsewhere.body);

    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let later = log_in_from(&portal, "ada%40example.com", "correct+horse+battery", "198.51.100.1:4002").await;
    assert_eq!(later.status, StatusCode::OK, "the window has passed: {}", later.body);
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let owner_of_other = portal.customer("eve%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;
    let others = portal.create_resource(&owner_of_other, "other.example.com", "entire_website").await;
    let before = everything(&portal).await;

    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        ("save_content_settings", b"resource_id=abc&version=1".to_vec(), StatusCode::BAD_REQUEST),
        ("save_content_settings", format!("resource_id={id}").into_bytes(), StatusCode::BAD_REQUEST),
        ("save_content_settings", format!("resource_id={id}&version=one").into_bytes(), StatusCode::BAD_REQUEST),
        ("save_content_settings", b"resource_id=99999999999999999999999&version=1".to_vec(), StatusCode::BAD_REQUEST),
        (
            "save_content_settings",
            format!("resource_id={id}&version=1&websockets=off").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("save_content_settings", format!("resource_id={}&version=1", id + 100).into_bytes(), StatusCode::NOT_FOUND),
        ("save_content_settings", b"resource_id=-1&version=1".to_vec(), StatusCode::NOT_FOUND),
        ("save_content_settings", format!("resource_id={others}&version=1").into_bytes(), StatusCode::NOT_FOUND),
        ("save_content_settings", format!("resource_id={id}&version=0").into_bytes(), StatusCode::CONFLICT),
        ("get_resource", b"id=%FF%FE".to_vec(), StatusCode::BAD_REQUEST),
        ("resource_history", format!("id={others}").into_bytes(), StatusCode::NOT_FOUND),
        (
            "create_resource",
            b"custom_domain=%FF%FE.example.com&origin=o.example.com&integration=entire_website".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // Raw bytes that are not UTF-8 (percent-encoded ones decode to U+FFFD, then fail validation).
        (
            "create_resource",
            b"custom_domain=\xff\xfe.example.com&origin=\xc3\x28&integration=entire_website".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "create_resource",
            b"custom_domain=a.example.com&origin=o.example.com&integration=%00".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "create_resource",
            format!("custom_domain={}.example.com&origin=o.example.com&integration=entire_website", "a".repeat(300))
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("create_resource", b"origin=o.example.com".to_vec(), StatusCode::BAD_REQUEST),
        ("sign_up", b"email=\xff%40example.com&password=correct+horse+battery".to_vec(), StatusCode::BAD_REQUEST),
        (
            "sign_up",
            b"email=%FF%40example.com&password=correct+horse+battery".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("log_in", b"email=ada%40example.com".to_vec(), StatusCode::BAD_REQUEST),
    ];
    for (endpoint, body, expected) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let reply = portal.send(server_fn_call(endpoint, Some(&cookie)).body(Body::from(body)).unwrap()).await;
        assert_eq!(reply.status, expected, "{endpoint} {shown}: {}", reply.body);
        assert!(!reply.body.is_empty(), "{endpoint} {shown} says what was wrong");
    }

    // A JSON body where a form is expected.
    let json = Request::post("/api/create_resource")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, PORTAL_ORIGIN)
        .header(header::COOKIE, &cookie)
        .body(Body::from(r#"{"custom_domain":"j.example.com","origin":"o.example.com"}"#))
        .unwrap();
    let reply = portal.send(json).await;
    assert!(reply.status.is_client_error(), "{}: {}", reply.status, reply.body);

    assert_eq!(everything(&portal).await, before, "nothing changed");
}

#[tokio::test]
async fn oversized_bodies_are_refused_unread() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let before = everything(&portal).await;
    let huge = format!(
        "custom_domain=big.example.com&origin=o.example.com&integration=entire_website&padding={}",
        "x".repeat(64 * 1024)
    );

    let declared = server_fn_call("create_resource", Some(&cookie))
        .header(header::CONTENT_LENGTH, huge.len())
        .body(Body::from(huge.clone()))
        .unwrap();
    let declared = portal.send(declared).await;
    assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", declared.body);
    assert_eq!(declared.app_error(), AppError::TooLarge);

    // Without a Content-Length header, so only counting the bytes can stop it.
    let undeclared =
        portal.send(server_fn_call("create_resource", Some(&cookie)).body(Body::from(huge)).unwrap()).await;
    assert_eq!(undeclared.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", undeclared.body);

    assert_eq!(everything(&portal).await, before, "nothing changed");
}

/// `request` as it arrives over a connection from `peer`: a proxy, or a visitor talking to the
/// portal directly.
fn from_peer(mut request: Request<Body>, peer: &str) -> Request<Body> {
    request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    request
}

/// A portal behind a proxy on this machine (127.0.0.1) that sets `X-Forwarded-For`, with `limits`.
async fn portal_behind_local_proxy(limits: AbuseLimits) -> TestPortal {
    let proxies =
        ProxySettings { trusted: TrustedProxies::parse("127.0.0.1").unwrap(), header: ForwardedHeader::XForwardedFor };
    spawn_portal_with(SecuritySettings { proxies, limits, ..test_settings() }).await
}

/// The test limits, but for two failed log-ins per client address (and plenty per account).
fn two_guesses_per_address() -> AbuseLimits {
    let minute = Duration::from_secs(60);
    AbuseLimits {
        log_in_per_account: Rate::per_window(100, minute),
        log_in_per_client_address: Rate::per_window(2, minute),
        ..test_settings().limits
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Creates a resource named `domain` through the portal's form and another through the REST API,
/// both sent from `peer` with `X-Forwarded-For: forwarded_for`; the client addresses their
/// histories recorded.
async fn recorded_addresses(portal: &TestPortal, domain: &str, peer: &str, forwarded_for: &str) -> [Option<String>; 2] {
    let cookie = portal.customer(&format!("owner%40{domain}")).await;
    let form = format!("custom_domain=www.{domain}&origin=origin.example.com&integration=entire_website");
    let request = with_headers(server_fn_call("create_resource", Some(&cookie)), &[(X_FORWARDED_FOR, forwarded_for)]);
    let created = portal.send(from_peer(request.body(Body::from(form)).unwrap(), peer)).await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    let location = created.header("location").unwrap();
    let by_portal: i64 = location.rsplit('/').next().unwrap().parse().unwrap();

    let token = portal.api_token(&cookie, "deploy", None).await;
    let body = serde_json::json!({"cname": format!("api.{domain}"), "origin": "origin.example.com", "integration": "entire_website"});
    let request =
        with_headers(api_request(Method::POST, "/cdn/resources", &token.secret), &[(X_FORWARDED_FOR, forwarded_for)])
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
    let created = portal.send(from_peer(request, peer)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let by_api = created.json()["id"].as_i64().unwrap();

    let mut addresses = Vec::new();
    for id in [by_portal, by_api] {
        let history = portal.history(&cookie, id).await;
        assert_eq!(history.len(), 1, "{history:?}");
        addresses.push(history[0].client_address.clone());
    }
    addresses.try_into().unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_recorded() {
    let portal = portal_behind_local_proxy(test_settings().limits).await;
    let through_proxy = recorded_addresses(&portal, "one.example.com", "127.0.0.1:40000", "6.6.6.6, 203.0.113.9").await;
    assert_eq!(through_proxy, [Some("203.0.113.9".to_owned()), Some("203.0.113.9".to_owned())]);
    // A visitor who reaches the portal directly cannot claim another address.
    let direct = recorded_addresses(&portal, "two.example.com", "198.51.100.7:40000", "203.0.113.9").await;
    assert_eq!(direct, [Some("198.51.100.7".to_owned()), Some("198.51.100.7".to_owned())]);
}

#[tokio::test]
async fn without_trusted_proxies_a_forged_forwarding_header_changes_nothing() {
    let portal = spawn_portal().await;
    let forged = recorded_addresses(&portal, "one.example.com", "127.0.0.1:40000", "203.0.113.9").await;
    assert_eq!(forged, [Some("127.0.0.1".to_owned()), Some("127.0.0.1".to_owned())]);

    // Nor does it step round the per-address log-in limit.
    let portal = spawn_portal_with(SecuritySettings { limits: two_guesses_per_address(), ..test_settings() }).await;
    let replies =
        log_ins_from_behind(&portal, "198.51.100.7:40000", ["203.0.113.1", "203.0.113.2", "203.0.113.3"]).await;
    assert_eq!(replies, [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS]);
}

/// Three log-ins sent from `peer`, each with the next of `forwarded_for` in `X-Forwarded-For`:
/// two wrong passwords for `nobody@example.com`, then the right one for `ada@example.com` (signed
/// up first); their statuses.
async fn log_ins_from_behind(portal: &TestPortal, peer: &str, forwarded_for: [&str; 3]) -> [StatusCode; 3] {
    portal.customer("ada%40example.com").await;
    let mut statuses = Vec::new();
    for (n, client) in forwarded_for.into_iter().enumerate() {
        let (email, password) = match n {
            2 => ("ada%40example.com", "correct+horse+battery"),
            _ => ("nobody%40example.com", "wrong+password"),
        };
        let request = with_headers(server_fn_call("log_in", None), &[(X_FORWARDED_FOR, client)])
            .body(Body::from(format!("email={email}&password={password}")))
            .unwrap();
        statuses.push(portal.send(from_peer(request, peer)).await.status);
    }
    statuses.try_into().unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_log_in_limit_counts_each_forwarded_client() {
    let portal = portal_behind_local_proxy(two_guesses_per_address()).await;
    // Two visitors behind the proxy: the one who guessed twice is stopped...
    let guesser = log_ins_from_behind(&portal, "127.0.0.1:40000", ["203.0.113.1", "203.0.113.1", "203.0.113.1"]).await;
    assert_eq!(guesser, [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS]);
    // ...the other, through the same proxy, is not: they are not counted as one.
    let request = with_headers(server_fn_call("log_in", None), &[(X_FORWARDED_FOR, "203.0.113.2")])
        .body(Body::from("email=ada%40example.com&password=correct+horse+battery"))
        .unwrap();
    let other = portal.send(from_peer(request, "127.0.0.1:40001")).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
}
