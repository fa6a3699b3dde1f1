//! Why the edge answers a visitor's request itself instead of passing it on: one list, each
//! reason with its status, its words for the visitor and its label in `/metrics`
//! (`cdn_edge_refused_requests_total{reason="…"}`).

use crate::body::Body;
use crate::proxy::answer;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

/// A request the edge will not pass on. Nothing of it reaches an origin, but for
/// [`Refusal::InvalidBody`], found broken only while its body was on its way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// An HTTP/1.1 request without `Host` (RFC 9112 §3.2), or any request that names no host at
    /// all, so that no resource can be chosen: 400.
    MissingHost,
    /// More than one `Host` line, even identical ones (RFC 9112 §3.2): 400, as nginx answers.
    /// Which one was meant is the visitor's secret; an origin might read the other.
    DuplicateHost,
    /// A `Host` value or absolute-form target authority that is not `host[:port]`
    /// (RFC 9110 §7.2), including one with user information (`user@host`, RFC 9110 §4.2.4): 400.
    InvalidHost,
    /// An absolute-form target with a scheme other than `http` or `https` (RFC 9112 §3.2.2): 400.
    UnsupportedScheme,
    /// A target in authority form (`GET www.example.com:80`), which only `CONNECT` may use
    /// (RFC 9112 §3.2.3): it has no path to pass on, and the origin would be asked for `/`: 400.
    InvalidTarget,
    /// `CONNECT`: the edge relays to each resource's own origin, never to an address a visitor
    /// names; a tunnel opened this way would escape the Websockets option too: 405.
    Connect,
    /// A WebSocket handshake with a body (`Content-Length` above 0, or `Transfer-Encoding`).
    /// RFC 6455 §4.1's handshake has none, and an origin that waited for the body would hold the
    /// handshake until it timed out; so it is refused, as Kestrel and Envoy refuse it, rather
    /// than relayed: 400.
    UpgradeWithBody,
    /// A `Transfer-Encoding` other than `chunked` alone (`gzip, chunked`): the edge would pass
    /// the body on decoded from its chunks but still gzip-coded, labelled as plain content.
    /// RFC 9112 §6.1 asks for 501 for a coding a server does not understand; nginx answers so.
    UnsupportedTransferCoding,
    /// A body that broke on the visitor's side while it was being passed on: malformed chunks,
    /// or the visitor gone before its end. The origin had the head and part of the body, and its
    /// connection is closed so that it cannot take them for a whole request: 400, not counted as
    /// an origin error.
    InvalidBody,
    /// No active resource has the host as its custom domain: 404.
    UnknownHost,
    /// A WebSocket handshake for a resource whose Websockets option is off; the origin is not
    /// contacted: 403.
    WebSocketsDisabled,
    /// Over HTTPS, a request for a host of another resource than the one whose certificate the
    /// connection's handshake chose (by SNI): 421 (RFC 9110 §15.5.20). Relayed, it would serve a
    /// resource over HTTPS under another customer's certificate, even one with HTTPS off.
    Misdirected,
}

impl Refusal {
    /// Every reason, in the order `/metrics` lists them.
    pub const ALL: [Refusal; 12] = [
        Refusal::MissingHost,
        Refusal::DuplicateHost,
        Refusal::InvalidHost,
        Refusal::UnsupportedScheme,
        Refusal::InvalidTarget,
        Refusal::Connect,
        Refusal::UpgradeWithBody,
        Refusal::UnsupportedTransferCoding,
        Refusal::InvalidBody,
        Refusal::UnknownHost,
        Refusal::WebSocketsDisabled,
        Refusal::Misdirected,
    ];

    pub fn status(self) -> StatusCode {
        match self {
            Refusal::MissingHost
            | Refusal::DuplicateHost
            | Refusal::InvalidHost
            | Refusal::UnsupportedScheme
            | Refusal::InvalidTarget
            | Refusal::UpgradeWithBody
            | Refusal::InvalidBody => StatusCode::BAD_REQUEST,
            Refusal::UnsupportedTransferCoding => StatusCode::NOT_IMPLEMENTED,
            Refusal::Connect => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::UnknownHost => StatusCode::NOT_FOUND,
            Refusal::WebSocketsDisabled => StatusCode::FORBIDDEN,
            Refusal::Misdirected => StatusCode::MISDIRECTED_REQUEST,
        }
    }

    /// What the visitor reads, one line.
    pub fn text(self) -> &'static str {
        match self {
            Refusal::MissingHost => "The request does not name a host.\n",
            Refusal::DuplicateHost => "The request names its host more than once.\n",
            Refusal::InvalidHost => "The request's host is not a valid host[:port].\n",
            Refusal::UnsupportedScheme => "The request target's scheme is not http or https.\n",
            Refusal::InvalidTarget => "The request target is not valid.\n",
            Refusal::Connect => "CONNECT is not served here.\n",
            Refusal::UpgradeWithBody => "A WebSocket handshake cannot carry a body.\n",
            Refusal::UnsupportedTransferCoding => {
                "The request's transfer coding is not supported; send it chunked or with a length.\n"
            }
            Refusal::InvalidBody => "The request body was malformed or ended early.\n",
            Refusal::UnknownHost => "No CDN resource is configured for this host.\n",
            Refusal::WebSocketsDisabled => "WebSockets are disabled for this resource.\n",
            Refusal::Misdirected => "This connection does not serve the requested host; connect to it anew.\n",
        }
    }

    /// The `reason` label in `/metrics`.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::MissingHost => "missing_host",
            Refusal::DuplicateHost => "duplicate_host",
            Refusal::InvalidHost => "invalid_host",
            Refusal::UnsupportedScheme => "unsupported_scheme",
            Refusal::InvalidTarget => "invalid_target",
            Refusal::Connect => "connect",
            Refusal::UpgradeWithBody => "upgrade_with_body",
            Refusal::UnsupportedTransferCoding => "unsupported_transfer_coding",
            Refusal::InvalidBody => "invalid_body",
            Refusal::UnknownHost => "unknown_host",
            Refusal::WebSocketsDisabled => "websockets_disabled",
            Refusal::Misdirected => "misdirected",
        }
    }

    /// The edge's answer. A malformed request also ends its connection: whatever the visitor
    /// sends next on it (a body it announced, say) is not read as another request.
    pub fn response(self) -> Response<Body> {
        let mut response = answer(self.status(), self.text());
        let headers = response.headers_mut();
        if matches!(self.status(), StatusCode::BAD_REQUEST | StatusCode::NOT_IMPLEMENTED) {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self == Refusal::Connect {
            headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_reason_has_its_own_label_and_an_error_status() {
        for (index, refusal) in Refusal::ALL.iter().enumerate() {
            assert_eq!(*refusal as usize, index, "ALL is in declaration order, as metrics index it");
        }
        let labels: HashSet<_> = Refusal::ALL.iter().map(|refusal| refusal.label()).collect();
        assert_eq!(labels.len(), Refusal::ALL.len());
        for refusal in Refusal::ALL {
            assert!(refusal.status().is_client_error() || refusal == Refusal::UnsupportedTransferCoding, "{refusal:?}");
            assert!(refusal.text().ends_with(".\n"), "{refusal:?}");
        }
        let response = Refusal::DuplicateHost.response();
        assert_eq!(response.headers()[header::CONNECTION], "close");
        assert_eq!(Refusal::Connect.response().status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(!Refusal::WebSocketsDisabled.response().headers().contains_key(header::CONNECTION));
    }
}
