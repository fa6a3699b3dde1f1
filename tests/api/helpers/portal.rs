//! The whole portal (router, sessions, server functions, SSR pages) in this process over a fresh
//! database, driven by requests handed straight to its router.

use super::{CLIENT, HOST, PORTAL_ORIGIN, Portal, Reply, ScratchDatabase};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use cdn_portal::server::{AbuseLimits, Rate, SecuritySettings, build_router, config, db};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt;

/// How long one request may take before the test fails naming it.
const REQUEST_TIME_LIMIT: Duration = Duration::from_secs(10);

/// One portal in this process: what a test sends goes straight to its router.
pub struct TestPortal {
    /// The whole portal, as `cdn-portal` serves it (without a socket).
    pub router: Router,
    /// Its database, for another portal over the same one (a restart, a replica).
    pub database_url: String,
    /// Its database, for checking rows directly.
    pub pool: db::Pool,
    /// SQLite, or PostgreSQL when `TEST_POSTGRES_URL` is set: every test runs on both. Removed
    /// when the portal is dropped.
    _database: ScratchDatabase,
}

impl TestPortal {
    /// The same portal after a restart: a new router (and pool) over the same database.
    pub async fn restarted(self) -> TestPortal {
        TestPortal { router: router_over(&self.database_url).await, ..self }
    }
}

/// The portal's own Leptos settings (its `[package.metadata.leptos]`, as deployed), serving the
/// browser bundle from `site_root` when a test gives one.
fn leptos_options(site_root: Option<&str>) -> LeptosOptions {
    let mut options = config::leptos_options().expect("the portal's Leptos settings");
    if let Some(site_root) = site_root {
        options.site_root = site_root.into();
    }
    options
}

/// The settings of a test's portal: the defaults, but for the sign-up and REST API limits. Every
/// request of a test comes from one address ([`CLIENT`]) and a test's script is far faster than
/// a person's, so those would refuse what each test is about; the tests of the limits themselves
/// set their own. The log-in limits stay as deployed: no test logs in that often.
pub fn test_settings() -> SecuritySettings {
    let defaults = SecuritySettings::default();
    SecuritySettings {
        limits: AbuseLimits {
            sign_up_per_client_address: Rate::per_window(100_000, Duration::from_secs(60)),
            api_requests_per_token: Rate::per_second(100_000, 100_000),
            api_token_failures_per_client_address: Rate::per_window(100_000, Duration::from_secs(60)),
            ..defaults.limits
        },
        ..defaults
    }
}

/// A portal with the [`test_settings`] over a fresh database.
pub async fn spawn_portal() -> TestPortal {
    spawn_portal_with(test_settings()).await
}

/// A portal with these security settings over a fresh database.
pub async fn spawn_portal_with(security: SecuritySettings) -> TestPortal {
    spawn(None, security).await
}

/// A portal serving its browser bundle from `site_root` (its `pkg/` folder).
pub async fn spawn_portal_over_site(site_root: &str) -> TestPortal {
    spawn(Some(site_root), test_settings()).await
}

async fn spawn(site_root: Option<&str>, security: SecuritySettings) -> TestPortal {
    let database = ScratchDatabase::new().await;
    let database_url = database.url().to_owned();
    portal_over(&database_url, database, site_root, security).await
}

/// Another portal (as after a restart) over the database at `database_url`.
pub async fn router_over(database_url: &str) -> Router {
    let pool = db::connect(database_url).await.unwrap();
    build_router(leptos_options(None), pool, test_settings()).await.unwrap()
}

/// A portal over `database_url`, which reaches the scratch `database` some other way (a link).
pub async fn spawn_portal_over(
    database_url: &str,
    database: ScratchDatabase,
    security: SecuritySettings,
) -> TestPortal {
    portal_over(database_url, database, None, security).await
}

async fn portal_over(
    database_url: &str,
    database: ScratchDatabase,
    site_root: Option<&str>,
    security: SecuritySettings,
) -> TestPortal {
    let pool = db::connect(database_url).await.unwrap();
    let router = build_router(leptos_options(site_root), pool.clone(), security).await.unwrap();
    TestPortal { router, database_url: database_url.to_owned(), pool, _database: database }
}

impl Portal for TestPortal {
    /// Sends a request as it arrives over a connection from [`CLIENT`] to [`HOST`] (unless it
    /// names another `Host` or connection).
    async fn send(&self, mut request: Request<Body>) -> Reply {
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
        Reply { status: parts.status, headers: parts.headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    fn origin(&self) -> String {
        PORTAL_ORIGIN.to_owned()
    }
}
