use super::client_address;
use super::config::{Config, ConfigError, SecuritySettings};
use super::db::{self, DatabaseError, Pool};
use super::edge_feed::{self, ConfigChanges, EdgeFeed};
use super::error_log::with_request_log;
use super::guard::guard_changes;
use super::http_error::{Credentials, ErrorHead};
use super::limits::{Limits, RateStore};
use super::request::SessionLimits;
use super::rest;
use super::seed;
use super::sessions::SessionStore;
use crate::app::{App, shell};
use crate::error::AppError;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;
use tower_sessions::cookie::{SameSite, time::Duration};
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("could not prepare the session store: {0}")]
    Sessions(sqlx::Error),
    #[error("could not seed the demo account (see the log above)")]
    Seed,
    #[error("could not re-encrypt SSL private keys with the current key (see the log above)")]
    Reseal,
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// The portal's routes, found once per process. Finding them renders the app with resource
/// loading switched off for the whole process (a global flag in leptos_server), so a page
/// rendered at that moment by another router would wait forever; once, before any router
/// exists, nothing can be rendering.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The session cookie's name over plain HTTP (local development).
pub const SESSION_COOKIE: &str = "portal_session";
/// Over HTTPS: browsers keep a `__Host-` cookie only if it is Secure, for this host alone and
/// for every path, so neither a sibling subdomain nor plain HTTP can plant or read it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-portal_session";

/// The whole portal as one axum router: pages, server functions, static files and sessions.
pub async fn build_router(
    leptos_options: LeptosOptions,
    pool: Pool,
    security: SecuritySettings,
) -> Result<Router, StartupError> {
    let session_store = SessionStore::new(&pool);
    session_store.migrate().await.map_err(StartupError::Sessions)?;
    let idle_limit = Duration::try_from(security.session_idle_limit).unwrap_or(Duration::minutes(30));
    let sessions = SessionManagerLayer::new(session_store)
        .with_name(if security.secure_cookies { SECURE_SESSION_COOKIE } else { SESSION_COOKIE })
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_secure(security.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle_limit));

    let limits = Limits::new(RateStore::new(pool.clone()), security.limits);
    let config_changes = ConfigChanges::default();
    if security.edge_feed_token.is_some() {
        match &pool {
            Pool::Postgres(postgres) => {
                tokio::spawn(edge_feed::wake_on_other_replicas_changes(postgres.clone(), config_changes.clone()));
            }
            Pool::Sqlite(..) => {
                tokio::spawn(edge_feed::wake_on_other_processes_changes(pool.clone(), config_changes.clone()));
            }
        }
    }
    let edge_routes = match &security.edge_feed_token {
        Some(token) => edge_feed::router(EdgeFeed::new(pool.clone(), token.clone(), config_changes.clone())),
        None => Router::new(),
    };
    let api = rest::router(pool.clone(), config_changes.clone(), limits.clone());
    let session_limits = SessionLimits { idle_limit: security.session_idle_limit, lifetime: security.session_lifetime };
    let provide_request_context = move || {
        provide_context(pool.clone());
        provide_context(limits.clone());
        provide_context(session_limits);
        provide_context(config_changes.clone());
    };
    let routes = route_list();
    // The browser bundle, compressed once at build time (`make build` writes `.br` and `.gz`
    // beside each file) at a level too slow to use per request; a file without them is
    // compressed as it goes, like everything else.
    let bundle_path = format!("/{}", leptos_options.site_pkg_dir);
    let bundle = ServeDir::new(Path::new(&*leptos_options.site_root).join(&*leptos_options.site_pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    let bundle = Router::new()
        .nest_service(&bundle_path, bundle)
        .layer(axum::middleware::map_response(varies_with_accepted_encoding));
    let portal = Router::new()
        .merge(bundle)
        .leptos_routes_with_context(&leptos_options, routes, provide_request_context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(provide_request_context, shell))
        .layer(axum::middleware::map_response(status_of_server_fn_errors))
        .layer(sessions)
        .with_state(leptos_options)
        // Edges authenticate with their token; they have no session.
        .merge(edge_routes);
    // The REST API and the portal's pages share paths, so the API is chosen before any route
    // is matched, and it never meets the session layer: it takes API tokens only.
    let proxies = Arc::new(security.proxies.clone());
    let router = Router::new()
        .fallback_service(portal)
        .layer(axum::middleware::from_fn_with_state(api, rest::dispatch))
        // Pages and JSON, compressed as they go (brotli level 5: a page in well under a
        // millisecond). A response that is compressed already is left as it is.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)))
        // A refused request never reaches a session, a database or a handler.
        .layer(axum::middleware::from_fn_with_state(Arc::new(security), guard_changes))
        // Before anything that counts or records the client address: every route sees it.
        .layer(axum::middleware::from_fn_with_state(proxies, client_address::identify_client));
    // Outermost: every request, refused or not, is logged in its span with its failures.
    Ok(with_request_log(router))
}

/// A cache between the portal and a browser (a CDN, say) must keep one copy per encoding, or it
/// would hand brotli to a browser that asked for gzip.
async fn varies_with_accepted_encoding(mut response: Response) -> Response {
    response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Server functions answer every error with 500; this gives each its own status (401, 404, 422…)
/// so that clients, logs and monitoring can tell a customer's mistake from a fault of ours.
/// Plain form posts are left alone: they are redirected back to their page to show the error.
pub(super) async fn status_of_server_fn_errors(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Errors are a few hundred bytes of JSON; anything bigger is not ours to reinterpret.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    // Undecodable bodies come back as `AppError::Internal`, and so keep their 500.
    ErrorHead::of(&AppError::de(bytes.clone()), Credentials::Session).apply_to(&mut parts);
    Response::from_parts(parts, Body::from(bytes))
}

/// Starts the portal as configured by the environment and serves until Ctrl-C or SIGTERM.
pub async fn run() -> Result<(), StartupError> {
    let config = Config::from_env()?;
    super::passwords::configure(config.security.password_hashing);
    super::certificates::sealing::configure(config.key_sealer.clone());
    let pool = db::connect(&config.database_url).await?;
    // Key rotation: nothing stays sealed with an old key once a portal has started with the new one.
    let resealed =
        super::certificates::reseal_old_keys(&pool, &config.key_sealer).await.map_err(|_| StartupError::Reseal)?;
    if resealed > 0 {
        tracing::info!(resealed, "re-encrypted SSL private keys with the current SSL_KEY_ENCRYPTION_KEY");
    }
    let seeded =
        if config.seed_demo { seed::seed_demo_if_empty(&pool).await.map_err(|_| StartupError::Seed)? } else { None };
    if let Some(account_id) = seeded {
        tracing::info!(email = seed::DEMO_EMAIL, "created the demo account");
        if let Some(certificate) = &config.demo_certificate {
            seed::serve_demo_over_https(&pool, account_id, certificate).await.map_err(|_| StartupError::Seed)?;
            tracing::info!("the demo resources serve HTTPS with the demo certificate");
        }
    }
    let addr = config.leptos.site_addr;
    // After the router is built: building it creates the session table.
    let router = build_router(config.leptos, pool.clone(), config.security).await?;
    tokio::spawn(housekeeping(SessionStore::new(&pool), RateStore::new(pool.clone()), pool.clone()));
    tokio::spawn(crate::server::ws_traffic::keep_rolling_up(pool.clone()));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| StartupError::Listen { addr, source })?;
    tracing::info!("listening on http://{addr}");
    // The peer address of each connection, from which `client_address::identify_client` finds
    // the client address.
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(StartupError::Serve)
}

/// Every few minutes, for as long as the portal runs (once per process, not per router): expired
/// sessions are deleted, and so are the counters of limits whose allowance is whole again (see
/// `limits::RateStore::forget_refilled`; without this a flood from many addresses would leave a
/// row for each behind), and WebSocket traffic past retention (`ws_traffic::prune`). A failure
/// (the database is down) is logged and the next round tries again, where the session store's own
/// loop would stop for good.
async fn housekeeping(sessions: SessionStore, limits: RateStore, pool: Pool) {
    let mut rounds = tokio::time::interval(tokio::time::Duration::from_secs(300));
    loop {
        rounds.tick().await;
        if let Err(error) = sessions.delete_expired().await {
            tracing::warn!(%error, "could not delete expired sessions; trying again later");
        }
        if let Err(error) = limits.forget_refilled().await {
            tracing::warn!(%error, "could not delete used-up rate limit counters; trying again later");
        }
        match crate::server::ws_traffic::prune(&pool, std::time::SystemTime::now()).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted WebSocket traffic rows past retention"),
            Err(error) => {
                tracing::warn!(%error, "could not delete WebSocket traffic past retention; trying again later")
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate.recv() => {},
    }
}

/// Logs to standard error, filtered by `RUST_LOG` (default: info for the portal, warnings otherwise).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,cdn_portal=info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
