//! What the edge does with a visitor's request: find the resource by host, then forward the
//! request to its origin, or open a WebSocket tunnel to it if the resource allows WebSockets.

use crate::admission::{Admitted, admit, has_token};
use crate::body::{Body, FromOrigin, FromVisitor, TransferCoding, transfer_coding};
use crate::forwarding::{remove_hop_by_hop, remove_underscored, set_forwarding};
use crate::metrics::{Metrics, OriginError, UpgradeOutcome};
use crate::refusal::Refusal;
use crate::routes::{Route, RouteTable, normalize_host};
use crate::settings::Timeouts;
use crate::tunnel;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body as _, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::watch;

/// What every request handler shares.
pub struct Proxy {
    pub routes: watch::Receiver<Arc<RouteTable>>,
    pub metrics: Arc<Metrics>,
    pub timeouts: Timeouts,
    /// Keeps connections to origins open between requests.
    client: Client<HttpConnector, Body>,
}

impl Proxy {
    pub fn new(routes: watch::Receiver<Arc<RouteTable>>, metrics: Arc<Metrics>, timeouts: Timeouts) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeouts.connect));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { routes, metrics, timeouts, client }
    }

    pub async fn handle(
        self: Arc<Self>,
        visitor: SocketAddr,
        request: Request<Incoming>,
    ) -> Result<Response<Body>, Infallible> {
        self.metrics.request();
        Ok(match self.route(&request) {
            Ok((admitted, route)) if admitted.websocket => self.open_tunnel(&route, visitor, &admitted, request).await,
            Ok((admitted, route)) => self.forward(&route, visitor, &admitted, request).await,
            Err(refusal) => {
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
    /// with the Websockets option applied to a handshake.
    fn route(&self, request: &Request<Incoming>) -> Result<(Admitted, Arc<Route>), Refusal> {
        let admitted = admit(request)?;
        let route = self.routes.borrow().route(admitted.authority.as_str()).cloned().ok_or(Refusal::UnknownHost)?;
        if admitted.websocket && !route.options.websockets {
            self.metrics.upgrade(&route.domain, UpgradeOutcome::Refused);
            return Err(Refusal::WebSocketsDisabled);
        }
        Ok((admitted, route))
    }

    async fn forward(
        &self,
        route: &Route,
        visitor: SocketAddr,
        admitted: &Admitted,
        request: Request<Incoming>,
    ) -> Response<Body> {
        let (mut parts, body) = request.into_parts();
        let Ok(target) = origin_uri(&route.origin_address, &parts.uri) else {
            return self.refuse(Refusal::InvalidTarget);
        };
        // A body of unknown length (the visitor's was chunked) goes on chunked, whatever the
        // method: left to itself, hyper sends a GET or HEAD of unknown length as empty.
        let chunked = !body.is_end_stream() && body.size_hint().exact().is_none();
        to_origin(&mut parts, target, visitor, admitted, route);
        if chunked {
            parts.headers.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        }
        let (body, from_visitor) = FromVisitor::new(body);
        let sent =
            tokio::time::timeout(self.timeouts.response, self.client.request(Request::from_parts(parts, body))).await;
        match sent {
            // Only a handshake, relayed by `open_tunnel`, may switch protocols: a 101 here would
            // tell the visitor that a tunnel opened where none will.
            Ok(Ok(response)) if response.status() == StatusCode::SWITCHING_PROTOCOLS => {
                self.origin_failed(route, OriginError::Protocol, &"a 101 to a request that asked for no upgrade")
            }
            Ok(Ok(response)) => self.passed_back(route, response),
            Ok(Err(_)) if from_visitor.failed() => self.refuse(Refusal::InvalidBody),
            Ok(Err(error)) if error.is_connect() => self.origin_failed(route, OriginError::Connect, &error),
            Ok(Err(error)) => self.origin_failed(route, OriginError::Other, &error),
            Err(_) => self.origin_failed(route, OriginError::Timeout, &"no answer in time"),
        }
    }

    /// Sends the handshake to the origin on a connection of its own. Only a 101 from the origin
    /// turns both connections into a tunnel; any other answer goes back as an ordinary response.
    async fn open_tunnel(
        &self,
        route: &Route,
        visitor: SocketAddr,
        admitted: &Admitted,
        mut request: Request<Incoming>,
    ) -> Response<Body> {
        let visitor_upgrade = hyper::upgrade::on(&mut request);
        let (mut parts, _empty) = request.into_parts();
        // A request on a connection of its own takes just the path as its target.
        let target =
            parts.uri.path_and_query().map(|target| Uri::from(target.clone())).unwrap_or_else(|| Uri::from_static("/"));
        to_origin(&mut parts, target, visitor, admitted, route);
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));

        let handshake = async {
            let stream = tokio::time::timeout(self.timeouts.connect, TcpStream::connect(route.origin_address.as_str()))
                .await
                .map_err(|_| (OriginError::Connect, "connect timeout".to_owned()))?
                .map_err(|error| (OriginError::Connect, error.to_string()))?;
            let _ = stream.set_nodelay(true);
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
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
            return self.passed_back(route, response);
        }
        // RFC 6455 §4.1: a 101 that does not switch to WebSocket fails the handshake.
        if !has_token(response.headers(), header::UPGRADE, "websocket") {
            return self.origin_failed(route, OriginError::Protocol, &"a 101 without Upgrade: websocket");
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
            let (Ok(visitor), Ok(origin)) =
                (visitor.downcast::<TokioIo<TcpStream>>(), origin.downcast::<TokioIo<TcpStream>>())
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

    /// The origin's answer for the visitor, without the origin's hop-by-hop headers, framed as
    /// RFC 9112 §6.3 says: `Transfer-Encoding` overrides `Content-Length`, which is dropped
    /// (kept, it would cut the body short once hyper re-frames it).
    fn passed_back(&self, route: &Route, response: Response<Incoming>) -> Response<Body> {
        let (mut parts, body) = response.into_parts();
        match transfer_coding(&parts.headers) {
            TransferCoding::Other => {
                return self.origin_failed(route, OriginError::Protocol, &"a transfer coding other than chunked");
            }
            TransferCoding::Chunked => {
                parts.headers.remove(header::CONTENT_LENGTH);
            }
            TransferCoding::None => {}
        }
        remove_hop_by_hop(&mut parts.headers);
        Response::from_parts(parts, FromOrigin::body(body, self.timeouts.response, self.metrics.clone()))
    }

    fn origin_failed(&self, route: &Route, kind: OriginError, error: &dyn std::fmt::Display) -> Response<Body> {
        self.metrics.origin_error(kind);
        tracing::warn!(resource = route.domain, origin = route.origin, ?kind, %error, "origin request failed");
        match kind {
            OriginError::Timeout => answer(StatusCode::GATEWAY_TIMEOUT, "The origin did not answer in time.\n"),
            OriginError::Connect | OriginError::Protocol | OriginError::Other => {
                answer(StatusCode::BAD_GATEWAY, "The origin could not be reached.\n")
            }
        }
    }
}

/// Readies the visitor's request for the origin: at `target`, over HTTP/1.1, without the
/// visitor's hop-by-hop headers, with the resource's `Host` and the forwarding headers.
fn to_origin(
    parts: &mut hyper::http::request::Parts,
    target: Uri,
    visitor: SocketAddr,
    admitted: &Admitted,
    route: &Route,
) {
    parts.uri = target;
    parts.version = hyper::Version::HTTP_11;
    remove_hop_by_hop(&mut parts.headers);
    remove_underscored(&mut parts.headers);
    parts.headers.insert(header::HOST, route.origin_host.clone());
    // The hostname the visitor asked for (the custom domain or a secondary hostname), as routing
    // matched it; the origin's `Host` is always the custom domain.
    let hostname = normalize_host(admitted.authority.as_str());
    set_forwarding(&mut parts.headers, visitor, &admitted.public_host(hostname.as_deref().unwrap_or(&route.domain)));
}

fn origin_uri(origin: &str, target: &Uri) -> Result<Uri, hyper::http::Error> {
    let path = target.path_and_query().map(|target| target.as_str()).unwrap_or("/");
    Uri::builder().scheme("http").authority(origin).path_and_query(path).build()
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
        assert_eq!(origin_uri("127.0.0.1:8090", &target).unwrap().to_string(), "http://127.0.0.1:8090/chat?room=1");
    }
}
