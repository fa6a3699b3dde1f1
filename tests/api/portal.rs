//! The portal served whole (router, sessions, server functions, SSR pages) over a fresh
//! database per test, driven by HTTP requests as a browser would send them.

use crate::helpers::*;
use axum::http::{StatusCode, header};
use cdn_portal::error::AppError;

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict() {
    let portal = spawn_portal().await;
    let reply = portal.call("sign_up", "email=ada%40example.com&password=correct+horse+battery", None).await;
    let set_cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
}

#[tokio::test]
async fn signing_up_signs_in_and_a_restart_keeps_the_session() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;

    let page = portal.get("/cdn", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No CDN resources yet"), "{}", page.body);
    assert!(page.body.contains("ada@example.com"));

    let portal = portal.restarted().await;
    let page = portal.get("/cdn", Some(&cookie)).await;
    assert!(page.body.contains("No CDN resources yet"), "still signed in after a restart");
}

#[tokio::test]
async fn logging_out_ends_the_session_for_good() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;

    let reply = portal.call("log_out", "", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::OK);

    let page = portal.get("/cdn", Some(&cookie)).await;
    assert!(page.body.contains("Log in"));
    assert!(!page.body.contains("cdn.example.com"), "the old cookie shows no data");
    let call = portal.call("list_resources", "", Some(&cookie)).await;
    assert_eq!(call.app_error(), AppError::Unauthenticated, "{}", call.body);
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logging_in_checks_the_password_and_issues_a_new_session_id() {
    let portal = spawn_portal().await;
    let first = portal.customer("ada%40example.com").await;

    let wrong = portal.call("log_in", "email=ada%40example.com&password=wrong+password", Some(&first)).await;
    assert_eq!(wrong.app_error(), AppError::InvalidCredentials, "{}", wrong.body);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    let right = portal.call("log_in", "email=ADA%40example.com&password=correct+horse+battery", Some(&first)).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
    let second = right.session_cookie().expect("a new session cookie");
    assert_ne!(first, second, "the session id changes at log-in");
    let page = portal.get("/cdn", Some(&second)).await;
    assert!(page.body.contains("No CDN resources yet"));

    // Without JavaScript the browser comes back to the page it logged in from, minus the
    // details of the refused attempt before.
    let referer = "http://localhost/cdn?__path=%2Fapi%2Flog_in&__err=e30";
    let form = "email=ada%40example.com&password=correct+horse+battery";
    let plain = portal.post_form("log_in", form, &second, referer).await;
    assert_eq!(plain.status, StatusCode::FOUND);
    assert_eq!(plain.headers[header::LOCATION], "/cdn");
}

#[tokio::test]
async fn signed_out_visitors_get_the_log_in_form_and_never_the_data() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;

    for path in ["/", "/cdn", "/cdn/new", &format!("/cdn/resources/{id}"), &format!("/cdn/resources/{id}/content")] {
        let page = portal.get(path, None).await;
        assert!(page.body.contains(r#"<h1 id="log-in-heading">Log in</h1>"#), "{path}: {}", page.body);
        assert!(!page.body.contains("cdn.example.com"), "{path} leaks data");
    }
    let call = portal.call("get_resource", &format!("id={id}"), None).await;
    assert_eq!(call.app_error(), AppError::Unauthenticated, "{}", call.body);
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
    assert!(!call.body.contains("cdn.example.com"));
}

#[tokio::test]
async fn resources_of_other_customers_and_missing_ones_are_404() {
    let portal = spawn_portal().await;
    let owner = portal.customer("ada%40example.com").await;
    let stranger = portal.customer("eve%40example.com").await;
    let id = portal.create_resource(&owner, "cdn.example.com", "entire_website").await;

    let own = portal.get(&format!("/cdn/resources/{id}/content"), Some(&owner)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("cdn.example.com"));

    for path in [
        format!("/cdn/resources/{id}"),
        format!("/cdn/resources/{id}/content"),
        format!("/cdn/resources/{}", id + 1000),
        "/cdn/resources/not-a-number".to_owned(),
        "/no/such/page".to_owned(),
    ] {
        let page = portal.get(&path, Some(&stranger)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("Page not found"), "{path}");
        assert!(!page.body.contains("cdn.example.com"), "{path} leaks data");
    }
    let list = portal.get("/cdn", Some(&stranger)).await;
    assert!(!list.body.contains("cdn.example.com"));
}

#[tokio::test]
async fn server_functions_trust_the_session_not_the_ids_they_are_sent() {
    let portal = spawn_portal().await;
    let owner = portal.customer("ada%40example.com").await;
    let stranger = portal.customer("eve%40example.com").await;
    let id = portal.create_resource(&owner, "cdn.example.com", "entire_website").await;

    let forged = portal.save_websockets(&stranger, id, 1, false).await;
    assert_eq!(forged.app_error(), AppError::NotFound, "{}", forged.body);
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let peek = portal.call("get_resource", &format!("id={id}"), Some(&stranger)).await;
    assert_eq!(peek.app_error(), AppError::NotFound, "{}", peek.body);
    assert!(!peek.body.contains("cdn.example.com"), "{}", peek.body);

    let still = portal.call("get_resource", &format!("id={id}"), Some(&owner)).await;
    assert!(still.resource().options_in_force.websockets, "unchanged: {}", still.body);
}

#[tokio::test]
async fn saving_websockets_is_stored_and_shown() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;

    let saved = portal.save_websockets(&cookie, id, 1, false).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(!saved.resource().options_in_force.websockets, "{}", saved.body);

    let page = portal.get(&format!("/cdn/resources/{id}/content"), Some(&cookie)).await;
    let switch = input_tag(&page.body, r#"role="switch""#);
    assert!(!switch.contains("checked"), "{switch}");

    let saved = portal.save_websockets(&cookie, id, 2, true).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let page = portal.get(&format!("/cdn/resources/{id}/content"), Some(&cookie)).await;
    let switch = input_tag(&page.body, r#"role="switch""#);
    assert!(switch.contains("checked"), "{switch}");
}

#[tokio::test]
async fn plain_form_posts_come_back_to_the_page_with_the_outcome() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;
    let page = format!("http://localhost/cdn/resources/{id}/content");

    let saved = portal.post_form("save_content_settings", &format!("resource_id={id}&version=1"), &cookie, &page).await;
    assert_eq!(saved.status, StatusCode::FOUND);
    assert_eq!(saved.headers[header::LOCATION], format!("/cdn/resources/{id}/content?saved=1"));
    let shown = portal.get(&format!("/cdn/resources/{id}/content?saved=1"), Some(&cookie)).await;
    assert!(shown.body.contains("Changes saved"), "{}", shown.body);

    let refused = portal
        .post_form("save_content_settings", &format!("resource_id={id}&version=2&websockets=yes"), &cookie, &page)
        .await;
    assert_eq!(refused.status, StatusCode::FOUND);
    let location = refused.headers[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with(&page) && location.contains("__err="), "{location}");
    let still = portal.call("get_resource", &format!("id={id}"), Some(&cookie)).await;
    assert!(!still.resource().options_in_force.websockets, "a refused save changes nothing");
}

#[tokio::test]
async fn a_refused_plain_form_post_shows_the_form_again_with_what_was_entered() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let form = "custom_domain=my_site.example.com&origin=origin.example.com%3A70000&integration=static_assets";

    let refused = portal.post_form("create_resource", form, &cookie, "http://localhost/cdn/new").await;
    assert_eq!(refused.status, StatusCode::FOUND);
    let location = refused.headers[header::LOCATION].to_str().unwrap();
    let page = portal.get(location.trim_start_matches("http://localhost"), Some(&cookie)).await;
    assert!(page.body.contains(r#"value="my_site.example.com""#), "{}", page.body);
    assert!(page.body.contains(r#"value="origin.example.com:70000""#), "{}", page.body);
    let static_assets = input_tag(&page.body, r#"value="static_assets""#);
    assert!(static_assets.contains("checked"), "{static_assets}");
    let entire_website = input_tag(&page.body, r#"value="entire_website""#);
    assert!(!entire_website.contains("checked"), "{entire_website}");
    assert_eq!(
        portal.call("list_resources", "", Some(&cookie)).await.body,
        r#"{"resources":[],"open_now":[],"total":0,"page":1}"#,
        "nothing was created"
    );
}

#[tokio::test]
async fn creating_a_resource_rejects_bad_input_and_taken_domains() {
    let portal = spawn_portal().await;
    let first = portal.customer("ada%40example.com").await;
    let second = portal.customer("eve%40example.com").await;
    portal.create_resource(&first, "cdn.example.com", "static_assets").await;

    let taken = portal
        .call(
            "create_resource",
            "custom_domain=CDN.example.com&origin=o.example.com&integration=entire_website",
            Some(&second),
        )
        .await;
    let AppError::Invalid(errors) = taken.app_error() else { panic!("{}", taken.body) };
    assert!(errors.iter().any(|(_, message)| message.contains("already used")), "{}", taken.body);
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);

    let bad = portal
        .call("create_resource", "custom_domain=not+a+domain&origin=http%3A%2F%2Fo.example.com", Some(&second))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = bad.app_error();
    for field in ["custom_domain", "origin", "integration"] {
        assert!(error.for_field(field).is_some(), "{field}: {}", bad.body);
    }

    let malformed = portal.call("create_resource", "custom_domain=x.example.com", Some(&second)).await;
    assert_eq!(malformed.app_error(), AppError::BadRequest, "{}", malformed.body);
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);

    let list = portal.call("list_resources", "", Some(&second)).await;
    assert_eq!(list.body, r#"{"resources":[],"open_now":[],"total":0,"page":1}"#, "nothing was created");
}

/// Finding the routes switches resource loading off process-wide for a moment; it must never
/// happen while a page is being rendered, however many routers the process builds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_another_router_never_stalls_a_page_being_rendered() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;

    // Each step has a limit, so that a hang fails this test by name instead of stalling the whole
    // run (a run in CI once waited here until its own limit ended it); a request has its own.
    let builder = tokio::spawn(async move {
        for round in 0..20 {
            let database = within_step_limit(format!("scratch database {round}"), ScratchDatabase::new()).await;
            let _another = within_step_limit(format!("router {round}"), router_over(database.url())).await;
        }
    });
    for _ in 0..60 {
        let page = portal.get(&format!("/cdn/resources/{id}/content"), Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
    }
    tokio::time::timeout(20 * STEP_TIME_LIMIT, builder)
        .await
        .expect("the routers were built in time")
        .expect("building the routers did not panic");
}

/// The longest one step of building a router may take: a new database and its migrations take
/// well under a second here.
const STEP_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `work`'s result, or a panic naming `what` when it takes longer than [`STEP_TIME_LIMIT`].
async fn within_step_limit<T>(what: String, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP_TIME_LIMIT, work)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {STEP_TIME_LIMIT:?}"))
}

#[tokio::test]
async fn pages_and_api_answers_are_compressed_for_browsers_that_accept_it() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let request = |encoding: Option<&str>| {
        let mut request =
            axum::http::Request::get("/cdn").header(header::ACCEPT, "text/html").header(header::COOKIE, &cookie);
        if let Some(encoding) = encoding {
            request = request.header(header::ACCEPT_ENCODING, encoding);
        }
        request.body(axum::body::Body::empty()).unwrap()
    };
    let plain = portal.send(request(None)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(plain.body.contains("CDN resources"));
    for encoding in ["br", "gzip"] {
        let compressed = portal.send(request(Some(encoding))).await;
        assert_eq!(compressed.status, StatusCode::OK);
        assert_eq!(compressed.headers[header::CONTENT_ENCODING], encoding);
        assert!(!compressed.body.contains("CDN resources"), "{encoding} is not plain text");
    }
    let document = portal
        .send(
            axum::http::Request::get("/cdn/openapi.json")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(document.headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn the_list_shows_fifty_resources_a_page_by_custom_domain() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    for n in 0..55 {
        portal.create_resource(&cookie, &format!("r{n:02}.example.com"), "static_assets").await;
    }
    let rows = |body: &str| body.matches("<tr>").count() - 1; // less the header row
    let first = portal.get("/cdn", Some(&cookie)).await;
    assert_eq!(rows(&first.body), 50);
    assert!(first.body.contains("r00.example.com") && first.body.contains("r49.example.com"));
    assert!(!first.body.contains("r50.example.com"));
    assert!(first.body.contains("Showing 1–50 of 55"), "{}", first.body);
    assert!(first.body.contains(r#"href="/cdn?page=2""#) && !first.body.contains("Previous page"));

    let second = portal.get("/cdn?page=2", Some(&cookie)).await;
    assert_eq!(rows(&second.body), 5);
    assert!(second.body.contains("Showing 51–55 of 55") && second.body.contains("r54.example.com"));
    assert!(second.body.contains(r#"href="/cdn""#) && !second.body.contains("Next page"));

    let past_the_end = portal.get("/cdn?page=9", Some(&cookie)).await;
    assert!(past_the_end.body.contains("Showing 51–55 of 55"), "the last page instead");
    for odd in ["/cdn?page=0", "/cdn?page=many"] {
        assert!(portal.get(odd, Some(&cookie)).await.body.contains("Showing 1–50 of 55"), "{odd}");
    }
}

#[tokio::test]
async fn the_browser_bundle_is_sent_as_compressed_at_build_time_in_the_encoding_the_browser_takes() {
    let site = tempfile::tempdir().unwrap();
    let bundle = site.path().join("pkg");
    std::fs::create_dir(&bundle).unwrap();
    // Stand-ins whose bytes tell the files apart; a file compressed again on its way would not
    // come back byte for byte.
    std::fs::write(bundle.join("cdn-portal.js"), "export const raw = true;").unwrap();
    std::fs::write(bundle.join("cdn-portal.js.br"), "compressed once with brotli -q 11").unwrap();
    std::fs::write(bundle.join("cdn-portal.js.gz"), "compressed once with gzip -9").unwrap();
    let stylesheet = "main { margin: 0 }\n".repeat(50);
    std::fs::write(bundle.join("cdn-portal.css"), &stylesheet).unwrap();
    let portal = spawn_portal_over_site(site.path().to_str().unwrap()).await;

    let fetch = |path: &'static str, accepted: &'static str| {
        let request = axum::http::Request::get(path).header(header::ACCEPT_ENCODING, accepted);
        portal.send(request.body(axum::body::Body::empty()).unwrap())
    };
    let brotli = fetch("/pkg/cdn-portal.js", "gzip, br").await;
    assert_eq!(brotli.status, StatusCode::OK);
    assert_eq!(brotli.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(brotli.headers[header::CONTENT_TYPE], "text/javascript");
    assert_eq!(brotli.body, "compressed once with brotli -q 11");
    assert_eq!(brotli.headers[header::VARY], "accept-encoding");

    let gzip = fetch("/pkg/cdn-portal.js", "gzip").await;
    assert_eq!(gzip.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(gzip.body, "compressed once with gzip -9");

    let plain = fetch("/pkg/cdn-portal.js", "identity").await;
    assert!(!plain.headers.contains_key(header::CONTENT_ENCODING), "{:?}", plain.headers);
    assert_eq!(plain.body, "export const raw = true;");

    // Without files compressed in advance, the portal compresses as it sends.
    let on_the_fly = fetch("/pkg/cdn-portal.css", "br").await;
    assert_eq!(on_the_fly.status, StatusCode::OK);
    assert_eq!(on_the_fly.headers[header::CONTENT_ENCODING], "br");
    assert_ne!(on_the_fly.body, stylesheet);

    assert_eq!(fetch("/pkg/missing.js", "br").await.status, StatusCode::NOT_FOUND);
}
