//! What the edge does with a visitor's request: find the resource by host, then forward the
//! request to its origin, or open a WebSocket tunnel to it if the resource allows WebSockets.

use crate::metrics::{Metrics, OriginError, UpgradeOutcome};
use crate::routes::{ResourceRoute, RouteTable};
use crate::settings::Timeouts;
use crate::tunnel;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::watch;

pub type Body = BoxBody<Bytes, hyper::Error>;

/// What every request handler shares.
pub struct Proxy {
    pub routes: watch::Receiver<Arc<RouteTable>>,
    pub metrics: Arc<Metrics>,
    pub timeouts: Timeouts,
    /// Keeps connections to origins open between requests.
    client: Client<HttpConnector, Incoming>,
}

impl Proxy {
    pub fn new(routes: watch::Receiver<Arc<RouteTable>>, metrics: Arc<Metrics>, timeouts: Timeouts) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeouts.connect));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { routes, metrics, timeouts, client }
    }

    pub async fn handle(self: Arc<Self>, visitor: SocketAddr, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        self.metrics.request();
        let host = request_host(&request);
        let route = host.as_ref().and_then(|host| self.routes.borrow().route(host.to_str().ok()?).cloned());
        let (Some(route), Some(host)) = (route, host) else {
            return Ok(answer(StatusCode::NOT_FOUND, "No CDN resource is configured for this host.\n"));
        };
        if is_websocket_upgrade(request.headers()) {
            if !route.websockets {
                self.metrics.upgrade(&route.domain, UpgradeOutcome::Refused);
                return Ok(answer(StatusCode::FORBIDDEN, "WebSockets are disabled for this resource.\n"));
            }
            return Ok(self.open_tunnel(&route, visitor, &host, request).await);
        }
        Ok(self.forward(&route, visitor, &host, request).await)
    }

    async fn forward(&self, route: &ResourceRoute, visitor: SocketAddr, host: &HeaderValue, request: Request<Incoming>) -> Response<Body> {
        let (mut parts, body) = request.into_parts();
        let Ok(target) = origin_uri(&route.origin, &parts.uri) else {
            return answer(StatusCode::BAD_REQUEST, "The request target is not valid.\n");
        };
        to_origin(&mut parts, target, visitor, host);
        let sent = tokio::time::timeout(self.timeouts.response, self.client.request(Request::from_parts(parts, body))).await;
        match sent {
            Ok(Ok(response)) => passed_back(response),
            Ok(Err(error)) if error.is_connect() => self.origin_failed(route, OriginError::Connect, &error),
            Ok(Err(error)) => self.origin_failed(route, OriginError::Other, &error),
            Err(_) => self.origin_failed(route, OriginError::Timeout, &"no answer in time"),
        }
    }

    /// Sends the handshake to the origin on a connection of its own. Only a 101 from the origin
    /// turns both connections into a tunnel; any other answer goes back as an ordinary response.
    async fn open_tunnel(&self, route: &ResourceRoute, visitor: SocketAddr, host: &HeaderValue, mut request: Request<Incoming>) -> Response<Body> {
        let visitor_upgrade = hyper::upgrade::on(&mut request);
        let (mut parts, _empty) = request.into_parts();
        // A request on a connection of its own takes just the path as its target.
        let target = parts.uri.path_and_query().map(|target| Uri::from(target.clone())).unwrap_or_else(|| Uri::from_static("/"));
        to_origin(&mut parts, target, visitor, host);
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));

        let handshake = async {
            let stream = tokio::time::timeout(self.timeouts.connect, TcpStream::connect(route.origin_address()))
                .await
                .map_err(|_| (OriginError::Connect, "connect timeout".to_owned()))?
                .map_err(|error| (OriginError::Connect, error.to_string()))?;
            let _ = stream.set_nodelay(true);
            let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
                .await
                .map_err(|error| (OriginError::Other, error.to_string()))?;
            tokio::spawn(connection.with_upgrades());
            sender
                .send_request(Request::from_parts(parts, Empty::new()))
                .await
                .map_err(|error| (OriginError::Other, error.to_string()))
        };
        let mut response = match tokio::time::timeout(self.timeouts.response, handshake).await {
            Ok(Ok(response)) => response,
            Ok(Err((kind, error))) => return self.origin_failed(route, kind, &error),
            Err(_) => return self.origin_failed(route, OriginError::Timeout, &"no answer to the handshake in time"),
        };
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return passed_back(response);
        }

        self.metrics.upgrade(&route.domain, UpgradeOutcome::Accepted);
        let origin_upgrade = hyper::upgrade::on(&mut response);
        let metrics = self.metrics.clone();
        let idle_limit = self.timeouts.tunnel_idle;
        let domain = route.domain.clone();
        tokio::spawn(async move {
            let (visitor, origin) = match tokio::try_join!(visitor_upgrade, origin_upgrade) {
                Ok(both) => both,
                Err(error) => return tracing::warn!(resource = domain, %error, "a tunnel could not be opened"),
            };
            // Both connections are this edge's own TCP streams (served and dialled above): taken
            // back out of hyper, they are relayed without its wrappers or a lock between halves.
            let (Ok(visitor), Ok(origin)) = (visitor.downcast::<TokioIo<TcpStream>>(), origin.downcast::<TokioIo<TcpStream>>())
            else {
                return tracing::error!(resource = domain, "an upgraded connection was not a TCP stream");
            };
            let (mut visitor_stream, mut origin_stream) = (visitor.io.into_inner(), origin.io.into_inner());
            let (from_visitor, to_visitor) = visitor_stream.split();
            let (from_origin, to_origin) = origin_stream.split();
            let _open = metrics.tunnel_opened();
            let ended = tunnel::relay(
                tunnel::End { reader: from_visitor, writer: to_visitor, early: visitor.read_buf },
                tunnel::End { reader: from_origin, writer: to_origin, early: origin.read_buf },
                idle_limit,
                &metrics,
            )
            .await;
            tracing::debug!(resource = domain, ?ended, "tunnel closed");
        });
        // The origin's 101 as it is: its Upgrade, Connection and Sec-WebSocket-* headers complete the handshake.
        let (parts, _) = response.into_parts();
        Response::from_parts(parts, Empty::new().map_err(|never| match never {}).boxed())
    }

    fn origin_failed(&self, route: &ResourceRoute, kind: OriginError, error: &dyn std::fmt::Display) -> Response<Body> {
        self.metrics.origin_error(kind);
        tracing::warn!(resource = route.domain, origin = route.origin, ?kind, %error, "origin request failed");
        match kind {
            OriginError::Timeout => answer(StatusCode::GATEWAY_TIMEOUT, "The origin did not answer in time.\n"),
            OriginError::Connect | OriginError::Other => {
                answer(StatusCode::BAD_GATEWAY, "The origin could not be reached.\n")
            }
        }
    }
}

impl ResourceRoute {
    /// `host:port` to connect to, with HTTP's port when the origin names none.
    fn origin_address(&self) -> String {
        match self.origin.parse::<hyper::http::uri::Authority>() {
            Ok(authority) if authority.port_u16().is_none() => format!("{}:80", authority.host()),
            _ => self.origin.clone(),
        }
    }
}

/// The host a visitor asked for: from an absolute request target, else the `Host` header.
fn request_host<B>(request: &Request<B>) -> Option<HeaderValue> {
    match request.uri().authority() {
        Some(authority) => HeaderValue::from_str(authority.as_str()).ok(),
        None => request.headers().get(header::HOST).cloned(),
    }
}

/// Readies the visitor's request for the origin: at `target`, over HTTP/1.1, without the
/// visitor's hop-by-hop headers, with the forwarding headers.
fn to_origin(parts: &mut hyper::http::request::Parts, target: Uri, visitor: SocketAddr, host: &HeaderValue) {
    parts.uri = target;
    parts.version = hyper::Version::HTTP_11;
    remove_hop_by_hop(&mut parts.headers);
    add_forwarded(&mut parts.headers, visitor, host);
}

/// The origin's answer for the visitor, without the origin's hop-by-hop headers.
fn passed_back(response: Response<Incoming>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    remove_hop_by_hop(&mut parts.headers);
    Response::from_parts(parts, body.boxed())
}

fn origin_uri(origin: &str, target: &Uri) -> Result<Uri, hyper::http::Error> {
    let path = target.path_and_query().map(|target| target.as_str()).unwrap_or("/");
    Uri::builder().scheme("http").authority(origin).path_and_query(path).build()
}

/// `Connection: upgrade` (among other tokens) with `Upgrade: websocket`.
pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    let has_token = |name: HeaderName, token: &str| {
        headers.get_all(name).iter().filter_map(|value| value.to_str().ok()).any(|value| {
            value.split(',').any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    };
    has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket")
}

/// Headers that describe one connection, not the message, and so must not be passed on
/// (RFC 9110, 7.6.1), including any the `Connection` header names.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        HeaderName::from_static("proxy-connection"),
    ] {
        headers.remove(name);
    }
}

/// Tells the origin who asked and how: the visitor's address appended to any earlier proxies',
/// the scheme, and the host the visitor used.
pub fn add_forwarded(headers: &mut HeaderMap, visitor: SocketAddr, host: &HeaderValue) {
    let visitor = visitor.ip().to_string();
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|value| value.to_str().ok()) {
        Some(earlier) if !earlier.trim().is_empty() => format!("{earlier}, {visitor}"),
        _ => visitor,
    };
    if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
        headers.insert("x-forwarded-for", value);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    headers.insert("x-forwarded-host", host.clone());
}

/// A short plain-text answer of the edge's own.
pub fn answer(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap())).collect()
    }

    #[test]
    fn websocket_upgrades_are_recognised_by_both_headers() {
        assert!(is_websocket_upgrade(&headers(&[("connection", "keep-alive, Upgrade"), ("upgrade", "WebSocket")])));
        assert!(!is_websocket_upgrade(&headers(&[("upgrade", "websocket")])));
        assert!(!is_websocket_upgrade(&headers(&[("connection", "upgrade"), ("upgrade", "h2c")])));
        assert!(!is_websocket_upgrade(&headers(&[("connection", "upgraded"), ("upgrade", "websocket")])));
    }

    #[test]
    fn hop_by_hop_headers_are_not_passed_on() {
        let mut map = headers(&[
            ("connection", "keep-alive, x-secret-hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("accept", "text/html"),
        ]);
        remove_hop_by_hop(&mut map);
        assert_eq!(map.keys().map(|name| name.as_str()).collect::<Vec<_>>(), vec!["accept"]);
    }

    #[test]
    fn forwarded_headers_name_the_visitor_after_earlier_proxies() {
        let mut map = headers(&[("x-forwarded-for", "198.51.100.7")]);
        add_forwarded(&mut map, "192.0.2.1:5555".parse().unwrap(), &HeaderValue::from_static("www.example.com:8080"));
        assert_eq!(map["x-forwarded-for"], "198.51.100.7, 192.0.2.1");
        assert_eq!(map["x-forwarded-proto"], "http");
        assert_eq!(map["x-forwarded-host"], "www.example.com:8080");
    }

    #[test]
    fn requests_are_sent_to_the_origin_with_their_path_and_query() {
        let target: Uri = "/chat?room=1".parse().unwrap();
        assert_eq!(origin_uri("127.0.0.1:8090", &target).unwrap().to_string(), "http://127.0.0.1:8090/chat?room=1");
        let route = ResourceRoute { id: 1, domain: "a.example.com".into(), origin: "origin.example.com".into(), websockets: true };
        assert_eq!(route.origin_address(), "origin.example.com:80");
        let with_port = ResourceRoute { origin: "[::1]:8090".into(), ..route };
        assert_eq!(with_port.origin_address(), "[::1]:8090");
    }
}
