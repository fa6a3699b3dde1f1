use super::config::{Config, ConfigError};
use super::db::{self, DatabaseError, Pool};
use super::seed;
use crate::app::{App, shell};
use crate::error::AppError;
use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::sync::OnceLock;
use tower_sessions::cookie::{SameSite, time::Duration};
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

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
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// Sessions end after this long without a request.
const SESSION_IDLE_LIMIT: Duration = Duration::minutes(30);

/// The portal's routes, found once per process. Finding them renders the app with resource
/// loading switched off for the whole process (a global flag in leptos_server), so a page
/// rendered at that moment by another router would wait forever; once, before any router
/// exists, nothing can be rendering.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole portal as one axum router: pages, server functions, static files and sessions.
pub async fn build_router(leptos_options: LeptosOptions, pool: Pool) -> Result<Router, StartupError> {
    let session_store = SqliteStore::new(pool.clone());
    session_store.migrate().await.map_err(StartupError::Sessions)?;
    let sessions = SessionManagerLayer::new(session_store)
        .with_name("portal_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE_LIMIT));

    let provide_pool = move || provide_context(pool.clone());
    let routes = route_list();
    Ok(Router::new()
        .leptos_routes_with_context(&leptos_options, routes, provide_pool.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(provide_pool, shell))
        .layer(axum::middleware::map_response(status_of_server_fn_errors))
        .layer(sessions)
        .with_state(leptos_options))
}

/// Server functions answer every error with 500; this gives each its own status (401, 404, 422…)
/// so that clients, logs and monitoring can tell a customer's mistake from a fault of ours.
/// Plain form posts are left alone: they are redirected back to their page to show the error.
async fn status_of_server_fn_errors(response: Response) -> Response {
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
    let error = AppError::de(bytes.clone());
    parts.status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::from_parts(parts, Body::from(bytes))
}

/// Starts the portal as configured by the environment and serves until Ctrl-C or SIGTERM.
pub async fn run() -> Result<(), StartupError> {
    let config = Config::from_env()?;
    let pool = db::connect(&config.database_url).await?;
    if config.seed_demo && seed::seed_demo_if_empty(&pool).await.map_err(|_| StartupError::Seed)? {
        tracing::info!(email = seed::DEMO_EMAIL, "created the demo account");
    }
    tokio::spawn(
        SqliteStore::new(pool.clone()).continuously_delete_expired(tokio::time::Duration::from_secs(300)),
    );

    let addr = config.leptos.site_addr;
    let router = build_router(config.leptos, pool).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Listen { addr, source })?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(StartupError::Serve)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate.recv() => {},
    }
}

/// Logs to standard error, filtered by `RUST_LOG` (default: info for the portal, warnings otherwise).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,cdn_portal=info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
