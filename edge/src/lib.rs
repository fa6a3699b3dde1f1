//! The CDN edge: the reverse proxy that customers' visitors connect to. It routes each request by
//! its host to the resource's origin and obeys the resource's settings as saved in the portal,
//! which it follows through the portal's configuration feed. It serves plain HTTP and, on an
//! address of its own, HTTPS with each resource's certificate ([`tls`]); both go through the
//! same request handling ([`proxy::Proxy`]).

pub mod admission;
pub mod body;
pub mod feed;
pub mod forwarding;
pub mod frames;
pub mod metrics;
pub mod origins;
pub mod portal_client;
pub mod proxy;
pub mod refusal;
pub mod reporter;
pub mod routes;
pub mod settings;
pub mod tls;
pub mod traffic;
pub mod tunnel;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics::Metrics;
use proxy::{Proxy, Visitor};
use reporter::Reporter;
use routes::RouteTable;
use settings::Settings;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use traffic::Traffic;

/// A visitor has this long to send a request's head, so that idle connections cannot pile up.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A visitor has this long to complete a TLS handshake, for the same reason.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`RunningEdge::shut_down`] may take: open tunnels counted, then the last traffic
/// report sent. A service manager waits longer than this before killing the edge.
const SHUTDOWN_WITHIN: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// An edge at work. Dropping it stops accepting connections and following the portal.
pub struct RunningEdge {
    pub addr: SocketAddr,
    /// Where visitors connect over HTTPS; `None` when the edge serves no HTTPS.
    pub tls_addr: Option<SocketAddr>,
    pub admin_addr: SocketAddr,
    metrics: Arc<Metrics>,
    traffic: Arc<Traffic>,
    reporter: Reporter,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningEdge {
    pub fn metrics(&self) -> String {
        self.metrics.render()
    }

    /// WebSocket traffic per resource since the edge started, as it reports it to the portal.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Stops the edge, telling the portal what it relayed to the end, within about
    /// [`SHUTDOWN_WITHIN`] (2 s):
    ///
    /// 1. it stops accepting connections, following the portal and reporting every second (a
    ///    periodic report still on its way could otherwise reach the portal after the last one);
    /// 2. every open tunnel is told ([`Traffic::begin_shutdown`]): each drops its two connections
    ///    and counts itself closed by [`edge_feed::CloseReason::EdgeShutdown`], with its duration;
    ///    the edge waits until the last has been counted ([`Traffic::tunnels_ended`]);
    /// 3. one last report carries every resource's figures ([`Reporter::report_everything`]).
    ///
    /// Past the time limit, the edge stops anyway: the portal then misses the last second.
    pub async fn shut_down(self) {
        let deadline = tokio::time::Instant::now() + SHUTDOWN_WITHIN;
        for task in &self.tasks {
            task.abort();
        }
        self.traffic.begin_shutdown();
        if tokio::time::timeout_at(deadline, self.traffic.tunnels_ended()).await.is_err() {
            tracing::warn!("open tunnels were not all counted in time");
        }
        match tokio::time::timeout_at(deadline, self.reporter.report_everything()).await {
            Ok(Ok(())) => tracing::info!("last traffic report sent"),
            Ok(Err(error)) => tracing::warn!(%error, "the last traffic report failed"),
            Err(_) => tracing::warn!("the last traffic report got no answer in time"),
        }
    }
}

impl Drop for RunningEdge {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts from the configuration saved by the last run (if any), so that visitors are served
/// even while the portal is unreachable, and follows the portal from then on.
pub async fn start(settings: Settings) -> Result<RunningEdge, StartError> {
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr).await.map_err(|source| StartError::Listen { addr, source })
    };
    let listener = bind(settings.listen).await?;
    let tls_listener = match settings.tls_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let admin_listener = bind(settings.admin_listen).await?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: settings.listen, source })?;
    let admin_addr =
        admin_listener.local_addr().map_err(|source| StartError::Listen { addr: settings.admin_listen, source })?;
    let tls_addr = match (&tls_listener, settings.tls_listen) {
        (Some(listener), Some(addr)) => {
            Some(listener.local_addr().map_err(|source| StartError::Listen { addr, source })?)
        }
        _ => None,
    };
    // Read now, so that a system without root certificates is said at start, not at the first
    // request to an HTTPS origin.
    tls::system_roots();

    // One state per origin address for every table this edge builds, so that an origin's
    // failures and counters outlive a configuration change.
    let origins = Arc::new(origins::OriginRegistry::new(settings.timeouts.origin_fail));
    let metrics = Arc::new(Metrics::new(origins.clone()));
    let saved = feed::load(&settings.state_file, &origins).await;
    if let Some(saved) = &saved {
        tracing::info!(
            version = saved.version(),
            resources = saved.resource_count(),
            "starting from the saved configuration"
        );
        metrics.config_applied(saved.version());
    }
    let (routes_sender, routes) = watch::channel(Arc::new(saved.unwrap_or_else(|| RouteTable::new(origins.clone()))));
    let traffic = Arc::new(Traffic::new());
    let proxy =
        Arc::new(Proxy::new(routes.clone(), metrics.clone(), traffic.clone(), origins.clone(), settings.timeouts));
    let reporter = Reporter::new(&settings.feed, traffic.clone());
    let follower =
        feed::Follower::new(settings.feed.clone(), routes_sender, metrics.clone(), settings.state_file.clone());
    let mut tasks = vec![tokio::spawn(serve_visitors(listener, proxy.clone()))];
    if let Some(tls_listener) = tls_listener {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(routes.clone(), metrics.clone()));
        tasks.push(tokio::spawn(serve_tls_visitors(tls_listener, acceptor, proxy)));
    }
    tasks.push(tokio::spawn(serve_admin(admin_listener, metrics.clone(), routes)));
    tasks.push(tokio::spawn(follower.run()));
    tasks.push(tokio::spawn(reporter.clone().run()));
    Ok(RunningEdge { addr, tls_addr, admin_addr, metrics, traffic, reporter, tasks })
}

async fn serve_visitors(listener: TcpListener, proxy: Arc<Proxy>) {
    loop {
        let (stream, addr) = accept(&listener).await;
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, Visitor { addr, tls_name: None }, proxy.clone()));
    }
}

/// HTTPS: each connection's TLS handshake first (the certificate chosen by SNI from the routes
/// in use, see [`tls::SniResolver`]), then the very same request handling as plain HTTP.
async fn serve_tls_visitors(listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor, proxy: Arc<Proxy>) {
    loop {
        let (stream, addr) = accept(&listener).await;
        let _ = stream.set_nodelay(true);
        let (acceptor, proxy) = (acceptor.clone(), proxy.clone());
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    proxy.metrics.tls_handshake(false);
                    return tracing::debug!(%error, visitor = %addr, "TLS handshake failed");
                }
                Err(_) => {
                    proxy.metrics.tls_handshake(false);
                    return tracing::debug!(visitor = %addr, "no TLS handshake in time");
                }
            };
            proxy.metrics.tls_handshake(true);
            // The resolver gave a certificate only for a name, so there is one.
            let tls_name = stream.get_ref().1.server_name().map(Arc::from);
            serve_connection(stream, Visitor { addr, tls_name }, proxy).await;
        });
    }
}

/// Serves one visitor's connection, plain or TLS, until it ends.
async fn serve_connection<S>(stream: S, visitor: Visitor, proxy: Arc<Proxy>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let addr = visitor.addr;
    let service = service_fn(move |request| proxy.clone().handle(visitor.clone(), request));
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    if let Err(error) = connection.await {
        tracing::debug!(%error, visitor = %addr, "visitor connection ended with an error");
    }
}

async fn serve_admin(listener: TcpListener, metrics: Arc<Metrics>, routes: watch::Receiver<Arc<RouteTable>>) {
    loop {
        let (stream, _) = accept(&listener).await;
        let (metrics, routes) = (metrics.clone(), routes.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let answer = match request.uri().path() {
                    "/metrics" => text(StatusCode::OK, "text/plain; version=0.0.4", metrics.render()),
                    "/healthz" => {
                        let (loaded, version) = {
                            let routes = routes.borrow();
                            (routes.is_loaded(), routes.version())
                        };
                        if loaded {
                            text(StatusCode::OK, "text/plain", format!("ok: configuration version {version}\n"))
                        } else {
                            text(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "no configuration yet\n".to_owned())
                        }
                    }
                    _ => text(StatusCode::NOT_FOUND, "text/plain", "not found\n".to_owned()),
                };
                async move { Ok::<_, Infallible>(answer) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// The next connection. A failure (out of file descriptors, typically) is waited out, not spun on.
async fn accept(listener: &TcpListener) -> (tokio::net::TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(error) => {
                tracing::warn!(%error, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    response
}
