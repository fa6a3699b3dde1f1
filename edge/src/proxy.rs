//! What the edge does with a visitor's request: find the resource by host, then forward the
//! request to its origins, or open a WebSocket tunnel to one if the resource allows WebSockets,
//! trying the next origin of its group when one fails as the group says (see
//! [`crate::origins`]), so that the visitor never sees an attempt that failed.

use crate::admission::{Admitted, admit, has_token};
use crate::body::{Body, FromOrigin, FromVisitor, TransferCoding, transfer_coding};
use crate::forwarding::{Scheme, remove_hop_by_hop, remove_underscored, set_forwarding};
use crate::metrics::{Metrics, OriginError, UpgradeOutcome};
use crate::origins::{Failure, OriginRegistry, Origins, Source};
use crate::refusal::Refusal;
use crate::routes::{Route, RouteTable, normalize_host};
use crate::settings::Timeouts;
use crate::tls::{OriginTls, origin_server_name};
use crate::traffic::Traffic;
use crate::tunnel;
use bytes::Bytes;
use edge_feed::traffic::{CloseReason, HandshakeRefusal, WsCounter};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body as _, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// A failed attempt at an origin: what the group's rule goes by, what `/metrics` counts, and
/// what the log says.
type Failed = (Failure, OriginError, String);

/// Who sent a request, and over what: what the edge knows of the visitor's connection.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub addr: SocketAddr,
    /// Over HTTPS, the name the connection's handshake asked for (SNI), whose resource's
    /// certificate it got; `None` over plain HTTP.
    pub tls_name: Option<Arc<str>>,
}

impl Visitor {
    pub fn scheme(&self) -> Scheme {
        if self.tls_name.is_some() { Scheme::Https } else { Scheme::Http }
    }

    fn tls(&self) -> bool {
        self.tls_name.is_some()
    }
}

/// What every request handler shares.
pub struct Proxy {
    pub routes: watch::Receiver<Arc<RouteTable>>,
    pub metrics: Arc<Metrics>,
    /// WebSocket traffic per resource, for the portal.
    pub traffic: Arc<Traffic>,
    /// Every origin's state, and the clock it is skipped by.
    pub origins: Arc<OriginRegistry>,
    pub timeouts: Timeouts,
    /// Keeps connections to origins open between requests.
    client: Client<HttpConnector, Body>,
}

impl Proxy {
    pub fn new(
        routes: watch::Receiver<Arc<RouteTable>>,
        metrics: Arc<Metrics>,
        traffic: Arc<Traffic>,
        origins: Arc<OriginRegistry>,
        timeouts: Timeouts,
    ) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeouts.connect));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { routes, metrics, traffic, origins, timeouts, client }
    }

    pub async fn handle(
        self: Arc<Self>,
        visitor: Visitor,
        request: Request<Incoming>,
    ) -> Result<Response<Body>, Infallible> {
        self.metrics.request();
        Ok(match self.route(&visitor, &request) {
            Ok((admitted, route)) if admitted.websocket => self.open_tunnel(&route, &visitor, &admitted, request).await,
            Ok((admitted, route)) => self.forward(&route, &visitor, &admitted, request).await,
            Err(refusal) => {
                let visitor = visitor.addr;
                tracing::debug!(?refusal, %visitor, method = %request.method(), target = %request.uri(), "request refused");
                self.refuse(refusal)
            }
        })
    }

    /// The edge's own answer, counted by reason.
    fn refuse(&self, refusal: Refusal) -> Response<Body> {
        self.metrics.refused(refusal);
        refusal.response()
    }

    /// The request's resource, found by the one authority [`admit`] read, in one configuration,
    /// with the Websockets option applied to a handshake. Over HTTPS, only the resource whose
    /// certificate the handshake chose is served on the connection.
    fn route(&self, visitor: &Visitor, request: &Request<Incoming>) -> Result<(Admitted, Arc<Route>), Refusal> {
        let admitted = admit(request)?;
        let route = {
            let routes = self.routes.borrow();
            let route = routes.route(admitted.authority.as_str()).cloned().ok_or(Refusal::UnknownHost)?;
            if let Some(name) = &visitor.tls_name
                && routes.route(name).map(|chosen| chosen.id) != Some(route.id)
            {
                return Err(Refusal::Misdirected);
            }
            route
        };
        if admitted.websocket && !route.options.websockets {
            self.metrics.upgrade(&route.domain, UpgradeOutcome::Refused);
            self.traffic.count(route.id, WsCounter::Refused(HandshakeRefusal::OptionOff));
            return Err(Refusal::WebSocketsDisabled);
        }
        Ok((admitted, route))
    }

    /// Sends the request to the route's origins in turn ([`Origins::plan`]) until one answers, or
    /// the answer may not be given up on ([`NextRule::moves_on`]). The visitor sees only the
    /// answer relayed, or the edge's 502 (504 if the last attempt timed out).
    async fn forward(
        &self,
        route: &Route,
        visitor: &Visitor,
        admitted: &Admitted,
        request: Request<Incoming>,
    ) -> Response<Body> {
        let (mut parts, body) = request.into_parts();
        let bodiless = body.is_end_stream();
        // A body of unknown length (the visitor's was chunked) goes on chunked, whatever the
        // method: left to itself, hyper sends a GET or HEAD of unknown length as empty.
        let chunked = !bodiless && body.size_hint().exact().is_none();
        to_origin(&mut parts, visitor, admitted, route);
        if chunked {
            parts.headers.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        }
        // Only a request whose answer may be asked for again, and which has no body the edge
        // would have to keep a copy of, is repeated once an origin may have acted on it.
        let repeatable = bodiless && (parts.method == Method::GET || parts.method == Method::HEAD);
        let from_visitor = (!bodiless).then(|| FromVisitor::new(body));
        let (origins, tls) = route.origins(visitor.tls());
        let plan = origins.plan(|| self.origins.now_ms());
        let plan = plan.as_slice();
        let mut gave_up = OriginError::Connect;
        for (index, source) in plan.iter().enumerate() {
            let last = index + 1 == plan.len();
            let body = match &from_visitor {
                None => Empty::new().map_err(|never| match never {}).boxed(),
                Some(held) => match held.attempt() {
                    Some(body) => body,
                    // An earlier attempt sent (some of) it: it cannot be sent again.
                    None => break,
                },
            };
            let Ok(target) = origin_uri(tls.is_some(), source.address(), &parts.uri) else {
                return self.refuse(Refusal::InvalidTarget);
            };
            let mut request = Request::new(body);
            *request.method_mut() = parts.method.clone();
            *request.uri_mut() = target;
            *request.version_mut() = hyper::Version::HTTP_11;
            *request.headers_mut() = headers_for(&mut parts.headers, last);
            request.headers_mut().insert(header::HOST, source.host.clone());
            source.state.attempted();
            let sending = match tls {
                None => self.client.request(request),
                Some(tls) => tls.client(self.timeouts.connect).request(request),
            };
            let sent = tokio::time::timeout(self.timeouts.response, sending).await;
            let failed = match sent {
                // Only a handshake, relayed by `open_tunnel`, may switch protocols: a 101 here would
                // tell the visitor that a tunnel opened where none will.
                Ok(Ok(response)) if response.status() == StatusCode::SWITCHING_PROTOCOLS => (
                    Failure::InvalidHeader,
                    OriginError::Protocol,
                    "a 101 to a request that asked for no upgrade".to_owned(),
                ),
                Ok(Ok(response)) => match self.answered(origins, source, response, repeatable, last) {
                    Ok(answer) => return answer,
                    Err(failure) => failure,
                },
                Ok(Err(_)) if from_visitor.as_ref().is_some_and(FromVisitor::failed) => {
                    return self.refuse(Refusal::InvalidBody);
                }
                // A TLS handshake that failed (a certificate that does not verify) is part of
                // connecting: nothing was sent, so the request moves on as from a refused connection.
                Ok(Err(error)) if error.is_connect() => {
                    let kind = if is_tls_error(&error) { OriginError::Tls } else { OriginError::Connect };
                    (Failure::Unreachable, kind, explained(&error))
                }
                Ok(Err(error)) if is_parse_error(&error) => {
                    (Failure::InvalidHeader, OriginError::Other, explained(&error))
                }
                Ok(Err(error)) => (Failure::Error, OriginError::Other, explained(&error)),
                Err(_) => (Failure::Timeout, OriginError::Timeout, "no answer in time".to_owned()),
            };
            gave_up = failed.1;
            if !self.attempt_failed(route, origins, source, failed, repeatable, last) {
                break;
            }
        }
        self.gave_up(gave_up)
    }

    /// The origin's answer for the visitor, or why the request moves on without it: an answer
    /// the edge cannot relay, or one the group's `proxy_next_upstream` lists (see
    /// [`NextRule::moves_on`](crate::origins::NextRule::moves_on)). The `last` origin's answer is
    /// relayed whatever its status, as nginx relays it: the visitor learns more from the
    /// origin's 503 than from the edge's 502.
    fn answered(
        &self,
        origins: &Origins,
        source: &Source,
        response: Response<Incoming>,
        repeatable: bool,
        last: bool,
    ) -> Result<Response<Body>, Failed> {
        if transfer_coding(response.headers()) == TransferCoding::Other {
            return Err((Failure::InvalidHeader, OriginError::Protocol, "a transfer coding other than chunked".into()));
        }
        let status = Failure::Status(response.status().as_u16());
        if !last && origins.next.moves_on(status, repeatable) {
            return Err((status, OriginError::Other, format!("answered {}", response.status())));
        }
        source.state.answered();
        Ok(self.passed_back(response))
    }

    /// Counts and logs a failed attempt at `source`; whether the request goes on to the next
    /// origin of the plan (false after the `last`).
    fn attempt_failed(
        &self,
        route: &Route,
        origins: &Origins,
        source: &Source,
        failed: Failed,
        repeatable: bool,
        last: bool,
    ) -> bool {
        let (failure, kind, error) = failed;
        source.state.failed(self.origins.now_ms(), failure == Failure::Unreachable);
        let moves_on = !last && origins.next.moves_on(failure, repeatable);
        if let Failure::Status(_) = failure {
            // The origin answered; only the group's rule made it a failure.
            tracing::debug!(resource = route.domain, origin = source.address(), %error, "trying the next origin");
        } else {
            self.metrics.origin_error(kind);
            tracing::warn!(resource = route.domain, origin = source.address(), ?kind, %error, moves_on, "origin request failed");
        }
        moves_on
    }

    /// Sends the handshake to the route's origins in turn, each on a connection of its own, as
    /// [`Proxy::forward`] sends a request. Only a 101 from an origin turns both connections into
    /// a tunnel; any other answer goes back as an ordinary response.
    async fn open_tunnel(
        &self,
        route: &Route,
        visitor: &Visitor,
        admitted: &Admitted,
        mut request: Request<Incoming>,
    ) -> Response<Body> {
        let visitor_upgrade = hyper::upgrade::on(&mut request);
        let (mut parts, _empty) = request.into_parts();
        // A request on a connection of its own takes just the path as its target.
        parts.uri =
            parts.uri.path_and_query().map(|target| Uri::from(target.clone())).unwrap_or_else(|| Uri::from_static("/"));
        to_origin(&mut parts, visitor, admitted, route);
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));

        let (origins, tls) = route.origins(visitor.tls());
        let plan = origins.plan(|| self.origins.now_ms());
        let plan = plan.as_slice();
        let mut gave_up = OriginError::Connect;
        let mut switched = None;
        for (index, source) in plan.iter().enumerate() {
            let last = index + 1 == plan.len();
            let mut request = Request::new(Empty::<Bytes>::new());
            *request.method_mut() = parts.method.clone();
            *request.uri_mut() = parts.uri.clone();
            *request.headers_mut() = headers_for(&mut parts.headers, last);
            request.headers_mut().insert(header::HOST, source.host.clone());
            source.state.attempted();
            let failed = match tokio::time::timeout(self.timeouts.response, self.handshake(source, tls, request)).await
            {
                Ok(Ok(response)) if response.status() != StatusCode::SWITCHING_PROTOCOLS => {
                    // A handshake is repeatable until its 101.
                    match self.answered(origins, source, response, true, last) {
                        Ok(answer) => {
                            self.traffic.count(route.id, WsCounter::Refused(HandshakeRefusal::OriginRefused));
                            return answer;
                        }
                        Err(failure) => failure,
                    }
                }
                // RFC 6455 §4.1: a 101 that does not switch to WebSocket fails the handshake.
                Ok(Ok(response)) if !has_token(response.headers(), header::UPGRADE, "websocket") => {
                    (Failure::InvalidHeader, OriginError::Protocol, "a 101 without Upgrade: websocket".to_owned())
                }
                Ok(Ok(response)) => {
                    source.state.answered();
                    switched = Some(response);
                    break;
                }
                Ok(Err(failure)) => failure,
                Err(_) => (Failure::Timeout, OriginError::Timeout, "no answer to the handshake in time".to_owned()),
            };
            gave_up = failed.1;
            if !self.attempt_failed(route, origins, source, failed, true, last) {
                break;
            }
        }
        let Some(mut response) = switched else {
            self.traffic.count(route.id, WsCounter::Refused(HandshakeRefusal::OriginUnreachable));
            return self.gave_up(gave_up);
        };

        self.metrics.upgrade(&route.domain, UpgradeOutcome::Accepted);
        // Open for the portal from the origin's 101; the guard counts how and when it ends.
        let open = self.traffic.tunnel_opened(route.id);
        let origin_upgrade = hyper::upgrade::on(&mut response);
        let metrics = self.metrics.clone();
        let idle_limit = self.timeouts.tunnel_idle;
        let domain = route.domain.clone();
        tokio::spawn(async move {
            let relaying = async {
                let (visitor, origin) = match tokio::try_join!(visitor_upgrade, origin_upgrade) {
                    Ok(both) => both,
                    Err(error) => {
                        tracing::warn!(resource = domain, %error, "a tunnel could not be opened");
                        return CloseReason::Error;
                    }
                };
                // Both connections are this edge's own streams (served and dialled above), TCP or
                // TLS: taken back out of hyper, they are relayed without its wrappers.
                let _open = metrics.tunnel_opened();
                let counting = tunnel::Counting { metrics: &metrics, resource: open.counters() };
                match tunnel::relay_upgraded(visitor, origin, idle_limit, counting).await {
                    Ok(ended) => {
                        tracing::debug!(resource = domain, ?ended, "tunnel closed");
                        ended.close_reason()
                    }
                    Err(error) => {
                        tracing::error!(resource = domain, error, "a tunnel could not be relayed");
                        CloseReason::Error
                    }
                }
            };
            // When the edge shuts down, the relay is dropped (both connections with it) and the
            // tunnel counted as ended by the shutdown, before the edge's last traffic report.
            let reason = tokio::select! {
                reason = relaying => reason,
                () = open.shutdown() => CloseReason::EdgeShutdown,
            };
            open.end(reason);
        });
        // The origin's 101 as it is: its Upgrade, Connection and Sec-WebSocket-* headers complete the handshake.
        let (parts, _) = response.into_parts();
        Response::from_parts(parts, Empty::new().map_err(|never| match never {}).boxed())
    }

    /// One handshake attempt: a connection of its own to `source`, over TLS when `tls` says
    /// how, and the origin's answer. A TLS handshake that fails counts as a connection that
    /// could not be made, as for a request ([`Proxy::forward`]).
    async fn handshake(
        &self,
        source: &Source,
        tls: Option<&OriginTls>,
        request: Request<Empty<Bytes>>,
    ) -> Result<Response<Incoming>, Failed> {
        let unreachable = |error: String| (Failure::Unreachable, OriginError::Connect, error);
        let stream = tokio::time::timeout(self.timeouts.connect, TcpStream::connect(source.address()))
            .await
            .map_err(|_| unreachable("connect timeout".to_owned()))?
            .map_err(|error| unreachable(error.to_string()))?;
        let _ = stream.set_nodelay(true);
        let Some(tls) = tls else { return send_handshake(stream, request).await };
        let tls_failed = |error: String| (Failure::Unreachable, OriginError::Tls, format!("TLS: {error}"));
        let name = origin_server_name(source.address()).ok_or_else(|| tls_failed("no server name".to_owned()))?;
        let stream = tokio::time::timeout(
            self.timeouts.connect,
            tokio_rustls::TlsConnector::from(tls.config.clone()).connect(name, stream),
        )
        .await
        .map_err(|_| tls_failed("no handshake within the connect timeout".to_owned()))?
        .map_err(|error| tls_failed(error.to_string()))?;
        send_handshake(stream, request).await
    }

    /// The origin's answer for the visitor, without the origin's hop-by-hop headers, framed as
    /// RFC 9112 §6.3 says: `Transfer-Encoding` overrides `Content-Length`, which is dropped
    /// (kept, it would cut the body short once hyper re-frames it). A coding other than
    /// `chunked` was turned down before ([`Proxy::answered`]).
    fn passed_back(&self, response: Response<Incoming>) -> Response<Body> {
        let (mut parts, body) = response.into_parts();
        if transfer_coding(&parts.headers) == TransferCoding::Chunked {
            parts.headers.remove(header::CONTENT_LENGTH);
        }
        remove_hop_by_hop(&mut parts.headers);
        Response::from_parts(parts, FromOrigin::body(body, self.timeouts.response, self.metrics.clone()))
    }

    /// The edge's answer once no origin gave one, after the last attempt's failure: 504 for a
    /// timeout, 502 for anything else.
    fn gave_up(&self, kind: OriginError) -> Response<Body> {
        match kind {
            OriginError::Timeout => answer(StatusCode::GATEWAY_TIMEOUT, "The origin did not answer in time.\n"),
            OriginError::Connect | OriginError::Tls | OriginError::Protocol | OriginError::Other => {
                answer(StatusCode::BAD_GATEWAY, "The origin could not be reached.\n")
            }
        }
    }
}

/// Sends a WebSocket handshake on `stream`, a connection of its own (TCP or TLS, kept whole by
/// hyper so that the tunnel can take it back, see [`tunnel::relay_upgraded`]).
async fn send_handshake<S>(stream: S, request: Request<Empty<Bytes>>) -> Result<Response<Incoming>, Failed>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|error| (Failure::Error, OriginError::Other, error.to_string()))?;
    tokio::spawn(connection.with_upgrades());
    sender.send_request(request).await.map_err(|error| {
        let failure = if error.is_parse() { Failure::InvalidHeader } else { Failure::Error };
        (failure, OriginError::Other, error.to_string())
    })
}

/// The request's header section for one attempt: a copy, but for the `last` attempt, which
/// takes it (a group of one origin copies nothing).
fn headers_for(headers: &mut HeaderMap, last: bool) -> HeaderMap {
    if last { std::mem::take(headers) } else { headers.clone() }
}

/// The error with every cause it wraps, `outer: inner: …`, for the log: the client's own message
/// ("client error (Connect)") says nothing of why, such as a certificate that does not verify.
fn explained(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    for cause in causes(error).skip(1) {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
    }
    text
}

/// Whether the client's error comes from TLS (rustls, which the connectors wrap in I/O errors).
fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    causes(error).any(|cause| cause.is::<rustls::Error>())
}

/// `error`, then what caused it, and so on. An I/O error that wraps another is followed into it
/// (`io::Error::source` skips the wrapped error, going straight to that one's cause).
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |error| match error.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => error.source(),
    })
}

/// Whether the client's error is an answer hyper could not parse (nginx's `invalid_header`).
fn is_parse_error(error: &hyper_util::client::legacy::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(error) = source {
        if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_parse) {
            return true;
        }
        source = error.source();
    }
    false
}

/// Readies the visitor's request for any origin of the resource: over HTTP/1.1, without the
/// visitor's hop-by-hop headers, with the forwarding headers. Each attempt adds its origin's
/// target and `Host` ([`Source::host`]).
fn to_origin(parts: &mut hyper::http::request::Parts, visitor: &Visitor, admitted: &Admitted, route: &Route) {
    parts.version = hyper::Version::HTTP_11;
    remove_hop_by_hop(&mut parts.headers);
    remove_underscored(&mut parts.headers);
    // The hostname the visitor asked for (the custom domain or a secondary hostname), as routing
    // matched it; the origin's `Host` is always the custom domain.
    let hostname = normalize_host(admitted.authority.as_str());
    let public_host = admitted.public_host(hostname.as_deref().unwrap_or(&route.domain));
    set_forwarding(&mut parts.headers, visitor.addr, &public_host, visitor.scheme());
}

/// The target of the edge's request to `origin` (`host:port`), over TLS or not.
fn origin_uri(tls: bool, origin: &str, target: &Uri) -> Result<Uri, hyper::http::Error> {
    let path = target.path_and_query().map(|target| target.as_str()).unwrap_or("/");
    Uri::builder().scheme(if tls { "https" } else { "http" }).authority(origin).path_and_query(path).build()
}

/// A short plain-text answer of the edge's own.
pub fn answer(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response =
        Response::new(Full::new(Bytes::from_static(text.as_bytes())).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_sent_to_the_origin_with_their_path_and_query() {
        let target: Uri = "/chat?room=1".parse().unwrap();
        assert_eq!(
            origin_uri(false, "127.0.0.1:8090", &target).unwrap().to_string(),
            "http://127.0.0.1:8090/chat?room=1"
        );
        assert_eq!(origin_uri(true, "[::1]:443", &target).unwrap().to_string(), "https://[::1]:443/chat?room=1");
    }

    #[test]
    fn a_tls_failure_is_told_with_its_reason_however_deeply_the_connector_wrapped_it() {
        use std::io::{Error, ErrorKind};
        let unverified = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = Error::other(Error::new(ErrorKind::InvalidData, unverified));
        assert!(is_tls_error(&wrapped));
        assert_eq!(explained(&wrapped), "invalid peer certificate: UnknownIssuer");
        let refused = Error::new(ErrorKind::ConnectionRefused, "connection refused");
        assert!(!is_tls_error(&refused));
    }
}
