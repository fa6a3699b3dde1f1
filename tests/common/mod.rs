//! A whole portal per test (router, sessions, server functions, SSR pages) over a fresh
//! database, and requests shaped as a browser on the portal's own pages sends them.
#![allow(dead_code)] // Each test file uses its own part of these helpers.

pub mod visitor;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use cdn_portal::server::db::testing::ScratchDatabase;
use cdn_portal::server::{SecuritySettings, build_router, db};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt;

/// The host the test portal is addressed by, and so the origin of its own pages.
pub const HOST: &str = "localhost";
pub const PORTAL_ORIGIN: &str = "http://localhost";
/// Where requests come from unless a test says otherwise (TEST-NET-1).
pub const CLIENT: &str = "192.0.2.1:50000";

pub struct TestPortal {
    pub router: Router,
    pub database_url: String,
    pub pool: db::Pool,
    /// SQLite, or PostgreSQL when `TEST_POSTGRES_URL` is set: every test runs on both.
    pub database: ScratchDatabase,
}

const REQUEST_TIME_LIMIT: Duration = Duration::from_secs(10);

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// Where the tests' portals look for the browser bundle (`pkg/` below it).
const SITE_ROOT: &str = "target/site";

fn leptos_options(site_root: &str) -> LeptosOptions {
    LeptosOptions::builder().output_name("cdn-portal").site_root(site_root).build()
}

pub async fn spawn_portal() -> TestPortal {
    spawn_portal_with(SecuritySettings::default()).await
}

pub async fn spawn_portal_with(security: SecuritySettings) -> TestPortal {
    spawn(SITE_ROOT, security).await
}

/// A portal serving its browser bundle from `site_root` (its `pkg/` folder).
pub async fn spawn_portal_over_site(site_root: &str) -> TestPortal {
    spawn(site_root, SecuritySettings::default()).await
}

async fn spawn(site_root: &str, security: SecuritySettings) -> TestPortal {
    let database = ScratchDatabase::new().await;
    let database_url = database.url().to_owned();
    portal_over(&database_url, database, site_root, security).await
}

pub async fn router_over(database_url: &str) -> Router {
    let pool = db::connect(database_url).await.unwrap();
    build_router(leptos_options(SITE_ROOT), pool, SecuritySettings::default()).await.unwrap()
}

impl TestPortal {
    /// Sends a request as it arrives over a connection from [`CLIENT`] to [`HOST`].
    pub async fn send(&self, mut request: Request<Body>) -> Reply {
        let what = format!("{} {}", request.method(), request.uri());
        request.headers_mut().entry(header::HOST).or_insert(HOST.parse().unwrap());
        if request.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            request.extensions_mut().insert(ConnectInfo(CLIENT.parse::<SocketAddr>().unwrap()));
        }
        let answer = async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let (parts, body) = response.into_parts();
            (parts, body.collect().await.unwrap().to_bytes())
        };
        // A hang fails the test with the request's name instead of stalling the whole run.
        let (parts, bytes) = tokio::time::timeout(REQUEST_TIME_LIMIT, answer)
            .await
            .unwrap_or_else(|_| panic!("{what} got no answer within {REQUEST_TIME_LIMIT:?}"));
        let (status, headers) = (parts.status, parts.headers);
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A server function call as the hydrated app on one of the portal's pages makes it.
    pub async fn call(&self, endpoint: &str, form: &str, cookie: Option<&str>) -> Reply {
        self.send(server_fn_call(endpoint, cookie).body(Body::from(form.to_owned())).unwrap()).await
    }

    /// A form post as a browser without JavaScript makes it from the page at `referer`.
    pub async fn post_form(&self, endpoint: &str, form: &str, cookie: &str, referer: &str) -> Reply {
        let request = server_fn_request(endpoint, "text/html,application/xhtml+xml", Some(cookie))
            .header(header::ORIGIN, PORTAL_ORIGIN)
            .header(header::REFERER, referer)
            .body(Body::from(form.to_owned()))
            .unwrap();
        self.send(request).await
    }

    /// Signs up a new customer and returns their session cookie.
    pub async fn customer(&self, email: &str) -> String {
        let reply = self.call("sign_up", &format!("email={email}&password=correct+horse+battery"), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        session_cookie(&reply).expect("sign-up sets a session cookie")
    }

    pub async fn create_resource(&self, cookie: &str, domain: &str, integration: &str) -> i64 {
        let form = format!("custom_domain={domain}&origin=origin.example.com&integration={integration}");
        let reply = self.call("create_resource", &form, Some(cookie)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let location = reply.headers[header::LOCATION].to_str().unwrap();
        location.rsplit('/').next().unwrap().parse().unwrap()
    }
}

/// The start of a server function call from the portal's own page, before its body.
pub fn server_fn_call(endpoint: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    server_fn_request(endpoint, "application/json", cookie).header(header::ORIGIN, PORTAL_ORIGIN)
}

/// The start of a form-encoded server function call that says nothing of where it came from.
pub fn server_fn_request(endpoint: &str, accept: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    let request = Request::post(format!("/api/{endpoint}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, accept);
    match cookie {
        Some(cookie) => request.header(header::COOKIE, cookie),
        None => request,
    }
}

/// The first `<input …>` tag of the page that has `attribute`, and only the tag, so that a
/// check for `checked` cannot be answered by the text that follows it.
pub fn input_tag<'a>(body: &'a str, attribute: &str) -> &'a str {
    body.split("<input")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .find(|tag| tag.contains(attribute))
        .unwrap_or_else(|| panic!("no <input> with {attribute} in {body}"))
}

pub fn session_cookie(reply: &Reply) -> Option<String> {
    set_cookie_header(reply).map(|value| value.split(';').next().unwrap().to_owned())
}

/// The whole `Set-Cookie` header of the session cookie, attributes and all.
pub fn set_cookie_header(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("portal_session=") || value.starts_with("__Host-portal_session="))
        .map(str::to_owned)
}

/// A TCP relay between the portal and its PostgreSQL server that a test can cut, as a network
/// failure or a stopped server would: open connections are dropped and new ones refused until
/// it is restored, on the same address.
pub struct DatabaseLink {
    pub addr: SocketAddr,
    up: tokio::sync::watch::Sender<bool>,
}

impl DatabaseLink {
    pub async fn to(upstream: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, mut watch_up) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                while !*watch_up.borrow_and_update() {
                    if watch_up.changed().await.is_err() {
                        return;
                    }
                }
                let accepting = match listener.take() {
                    Some(listener) => listener,
                    None => tokio::net::TcpListener::bind(addr).await.unwrap(),
                };
                let mut relays = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = accepting.accept() => {
                            let Ok((mut client, _)) = accepted else { continue };
                            relays.spawn(async move {
                                if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                                }
                            });
                        }
                        changed = watch_up.changed() => {
                            if changed.is_err() || !*watch_up.borrow_and_update() {
                                break;
                            }
                        }
                    }
                }
                drop(accepting);
                relays.abort_all();
                while relays.join_next().await.is_some() {}
            }
        });
        Self { addr, up }
    }

    /// Drops every connection through the link and refuses new ones.
    pub async fn cut(&self) {
        self.up.send_replace(false);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(self.addr).await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "the database link would not close");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn restore(&self) {
        self.up.send_replace(true);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(self.addr).await.is_err() {
            assert!(std::time::Instant::now() < deadline, "the database link would not reopen");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `database_url` (a PostgreSQL URL) with its server's address replaced by this link's.
    pub fn url_for(&self, database_url: &str) -> String {
        let (scheme, rest) = database_url.split_once("://").unwrap();
        let (user, rest) = rest.rsplit_once('@').map_or(("", rest), |(user, rest)| (user, rest));
        let path = rest.find('/').map_or("", |slash| &rest[slash..]);
        let user = if user.is_empty() { String::new() } else { format!("{user}@") };
        format!("{scheme}://{user}{}{path}", self.addr)
    }

    /// The address of the PostgreSQL server `database_url` names.
    pub async fn server_of(database_url: &str) -> SocketAddr {
        let rest = database_url.split_once("://").unwrap().1;
        let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
        let authority = rest.split(['/', '?']).next().unwrap();
        tokio::net::lookup_host(authority).await.unwrap().next().unwrap()
    }
}

/// A portal over `database_url`, which reaches the scratch `database` some other way (a link).
pub async fn spawn_portal_over(
    database_url: &str,
    database: ScratchDatabase,
    security: SecuritySettings,
) -> TestPortal {
    portal_over(database_url, database, SITE_ROOT, security).await
}

async fn portal_over(
    database_url: &str,
    database: ScratchDatabase,
    site_root: &str,
    security: SecuritySettings,
) -> TestPortal {
    let pool = db::connect(database_url).await.unwrap();
    let router = build_router(leptos_options(site_root), pool.clone(), security).await.unwrap();
    TestPortal { router, database_url: database_url.to_owned(), pool, database }
}
