//! The edge's requests to the portal: the configuration feed, status reports and traffic reports
//! all go to the same base address with the same shared-secret header, built here once.

use crate::settings::FeedSettings;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// An HTTP client for the portal at `portal_url`, authenticated with the feed token. Cheap to
/// clone: clones share one pool of connections.
#[derive(Clone)]
pub struct PortalClient {
    client: Client<HttpConnector, Full<Bytes>>,
    /// `http://host:port`, without a trailing slash.
    portal_url: String,
    token: String,
}

impl PortalClient {
    /// A client for the portal the feed settings name.
    pub fn new(settings: &FeedSettings) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { client, portal_url: settings.portal_url.clone(), token: settings.token.clone() }
    }

    /// A request to `path` (such as [`edge_feed::STATUS_PATH`]) at the portal, with the feed's
    /// `Authorization` header and a JSON content type.
    pub fn request(&self, method: Method, path: &str, body: Bytes) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = format!("{}{path}", self.portal_url).parse().unwrap_or_default();
        let headers = request.headers_mut();
        if let Ok(token) = HeaderValue::from_str(&edge_feed::authorization(&self.token)) {
            headers.insert(HeaderName::from_static(edge_feed::AUTHORIZATION), token);
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request
    }

    /// Sends a request built by [`PortalClient::request`], without a time limit of its own: the
    /// caller bounds it as its use demands (a long poll waits far longer than a report).
    pub async fn send(&self, request: Request<Full<Bytes>>) -> Result<Response<Incoming>, String> {
        self.client.request(request).await.map_err(|error| error.to_string())
    }
}
