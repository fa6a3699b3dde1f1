//! The edge's first reading of a visitor's request: the one authority it is for, and whether it
//! is a WebSocket opening handshake. Routing, the Websockets option, the `Host` the origin
//! receives and the forwarding headers all take the authority from here, so that no two of them
//! can read a different host from the same request.

use crate::body::{TransferCoding, transfer_coding};
use crate::refusal::Refusal;
use hyper::header::{self, HeaderMap, HeaderName};
use hyper::http::uri::Authority;
use hyper::{Method, Request, Version};

/// A request the edge has read and may pass on.
#[derive(Debug, PartialEq, Eq)]
pub struct Admitted {
    /// The authority the visitor asked for: an absolute-form target's, which replaces `Host`
    /// (RFC 9112 §3.2.2), else `Host`'s. Validated: `host[:port]`, no user information.
    pub authority: Authority,
    /// The port `authority` names, if any.
    pub port: Option<u16>,
    /// An HTTP/1.1 WebSocket opening handshake without a body (RFC 6455 §4.1), to be relayed
    /// only if the resource allows WebSockets. Anything else is an ordinary request.
    pub websocket: bool,
}

/// Reads `request`, or says why it cannot be passed on. Checks, in this order: the method, the
/// `Host` lines, the target, the body's framing, then the handshake's body.
pub fn admit<B: hyper::body::Body>(request: &Request<B>) -> Result<Admitted, Refusal> {
    if request.method() == Method::CONNECT {
        return Err(Refusal::Connect);
    }
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (_, Some(_)) => return Err(Refusal::DuplicateHost),
        (Some(value), None) if !value.is_empty() => Some(checked(value.as_bytes())?),
        // An empty `Host` is what a client sends when the target has no authority (RFC 9112
        // §3.2): the same as none here, as no resource has an empty name.
        (Some(_), None) | (None, None) => None,
    };
    let version = request.version();
    if host.is_none() && version != Version::HTTP_10 {
        return Err(Refusal::MissingHost);
    }
    let uri = request.uri();
    let authority = match uri.scheme_str() {
        // Absolute form: its authority is the request's, whatever `Host` says.
        Some(scheme) => {
            if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                return Err(Refusal::UnsupportedScheme);
            }
            let target = uri.authority().ok_or(Refusal::InvalidHost)?;
            checked(target.as_str().as_bytes())?
        }
        // Authority form (`GET www.example.com:80`) is for CONNECT only, asterisk form for
        // OPTIONS only (RFC 9112 §3.2.3, §3.2.4).
        None if uri.authority().is_some() => return Err(Refusal::InvalidTarget),
        None if uri.path() == "*" && request.method() != Method::OPTIONS => return Err(Refusal::InvalidTarget),
        None => host.ok_or(Refusal::MissingHost)?,
    };
    if transfer_coding(request.headers()) == TransferCoding::Other {
        return Err(Refusal::UnsupportedTransferCoding);
    }
    let websocket = version == Version::HTTP_11 && is_websocket_upgrade(request.headers());
    // RFC 9110 §7.8: an `Upgrade` in an HTTP/1.0 request is ignored; the request goes on as an
    // ordinary one, and the upgrade headers are dropped with the other hop-by-hop ones.
    if websocket && !request.body().is_end_stream() {
        return Err(Refusal::UpgradeWithBody);
    }
    let (authority, port) = authority;
    Ok(Admitted { authority, port, websocket })
}

impl Admitted {
    /// The host the visitor asked for as the origin is told of it (`X-Forwarded-Host`,
    /// `Forwarded: host=`): the resource's `domain`, which routing matched, with the port the
    /// visitor named, if any.
    pub fn public_host(&self, domain: &str) -> String {
        match self.port {
            Some(port) => format!("{domain}:{port}"),
            None => domain.to_owned(),
        }
    }
}

/// `host[:port]` as RFC 9110 §7.2 allows it in `Host` and RFC 3986 §3.2 in a target, with the
/// port it names (if any). `None` for user information (`user@host`, which RFC 9110 §4.2.4 asks
/// a recipient to treat as an error), an empty host, or a port that is not digits fitting 16
/// bits (RFC 3986 allows it empty, meaning none).
pub fn parse_authority(value: &[u8]) -> Option<(Authority, Option<u16>)> {
    let authority = Authority::try_from(value).ok()?;
    let text = authority.as_str();
    if text.contains('@') || authority.host().is_empty() {
        return None;
    }
    // Without user information, the host is where the authority starts; the port is what follows.
    let port = match text[authority.host().len()..].strip_prefix(':') {
        None | Some("") => None,
        // All digits first: `u16::from_str` alone would take `+80`.
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => Some(port.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    Some((authority, port))
}

fn checked(value: &[u8]) -> Result<(Authority, Option<u16>), Refusal> {
    parse_authority(value).ok_or(Refusal::InvalidHost)
}

/// `Connection: upgrade` (among other tokens, on any of its lines, in any case) with
/// `Upgrade: websocket` (RFC 6455 §4.1).
pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    has_token(headers, header::CONNECTION, "upgrade") && has_token(headers, header::UPGRADE, "websocket")
}

/// Whether a comma-separated list header holds `token`, on any of its lines, in any case.
pub fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    list(headers, name).any(|element| element.eq_ignore_ascii_case(token))
}

/// The elements of a comma-separated list header (RFC 9110 §5.6.1), across all its lines, trimmed,
/// empty ones skipped. A line that is not visible ASCII counts as one element, `?`, which names
/// nothing: it can match no token and no field name, yet is not taken for an empty list.
pub fn list(headers: &HeaderMap, name: HeaderName) -> impl Iterator<Item = &str> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::Full;

    /// A request as hyper hands it over: `target`, `version`, header lines in order, a body.
    fn request(target: &str, version: Version, headers: &[(&str, &str)], body: &'static str) -> Request<Full<Bytes>> {
        let method = if target.contains(' ') { target.split(' ').next().unwrap() } else { "GET" };
        let target = target.rsplit(' ').next().unwrap();
        let mut builder = Request::builder().method(method).uri(target).version(version);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Full::new(Bytes::from_static(body.as_bytes()))).unwrap()
    }

    fn get(target: &str, headers: &[(&str, &str)]) -> Result<Admitted, Refusal> {
        admit(&request(target, Version::HTTP_11, headers, ""))
    }

    const HANDSHAKE: [(&str, &str); 2] = [("connection", "keep-alive, Upgrade"), ("upgrade", "WebSocket")];

    #[test]
    fn an_absolute_form_target_names_the_authority_whatever_host_says() {
        let admitted = get("http://on.example/chat", &[("host", "off.example")]).unwrap();
        assert_eq!((admitted.authority.as_str(), admitted.port), ("on.example", None));
        let admitted = get("HTTPS://on.example:8443/", &[("host", "on.example:8443")]).unwrap();
        assert_eq!((admitted.authority.as_str(), admitted.port), ("on.example:8443", Some(8443)));
        assert_eq!(admitted.public_host("on.example"), "on.example:8443");
        assert_eq!(get("ws://on.example/", &[("host", "on.example")]), Err(Refusal::UnsupportedScheme));
        assert_eq!(get("on.example:80", &[("host", "on.example")]), Err(Refusal::InvalidTarget), "authority form");
        assert_eq!(get("*", &[("host", "on.example")]), Err(Refusal::InvalidTarget), "asterisk form, not OPTIONS");
        assert!(admit(&request("OPTIONS *", Version::HTTP_11, &[("host", "on.example")], "")).is_ok());
        let gzip = [("host", "on.example"), ("transfer-encoding", "gzip, chunked")];
        assert_eq!(admit(&request("POST /", Version::HTTP_11, &gzip, "5")), Err(Refusal::UnsupportedTransferCoding));
        assert_eq!(get("http://user@on.example/", &[("host", "on.example")]), Err(Refusal::InvalidHost));
        // HTTP/1.1 asks for `Host` even then (RFC 9112 §3.2); HTTP/1.0 does not.
        assert_eq!(get("http://on.example/", &[]), Err(Refusal::MissingHost));
        let old = admit(&request("http://on.example/", Version::HTTP_10, &[], "")).unwrap();
        assert_eq!(old.authority.as_str(), "on.example");
    }

    #[test]
    fn host_must_be_one_valid_line() {
        assert_eq!(get("/", &[("host", "on.example"), ("host", "off.example")]), Err(Refusal::DuplicateHost));
        assert_eq!(get("/", &[("host", "on.example"), ("host", "on.example")]), Err(Refusal::DuplicateHost));
        assert_eq!(get("/", &[]), Err(Refusal::MissingHost));
        assert_eq!(get("/", &[("host", "")]), Err(Refusal::MissingHost));
        assert_eq!(admit(&request("/", Version::HTTP_10, &[], "")), Err(Refusal::MissingHost));
        for invalid in [
            "on example",
            "user@on.example",
            "on.example:+80",
            "on.example:65536",
            "on.example:x",
            "on.example/x",
            ":80",
        ] {
            assert_eq!(get("/", &[("host", invalid)]), Err(Refusal::InvalidHost), "{invalid}");
        }
        for (valid, port) in
            [("on.example", None), ("ON.Example:8080", Some(8080)), ("on.example:", None), ("[::1]:80", Some(80))]
        {
            let admitted = get("/", &[("host", valid)]).unwrap();
            assert_eq!((admitted.authority.as_str(), admitted.port), (valid, port));
        }
        assert_eq!(
            admit(&request("CONNECT on.example:443", Version::HTTP_11, &[("host", "on.example:443")], "")),
            Err(Refusal::Connect)
        );
    }

    #[test]
    fn only_a_bodiless_http_1_1_handshake_is_a_websocket() {
        assert!(get("/", &[("host", "on.example"), HANDSHAKE[0], HANDSHAKE[1]]).unwrap().websocket);
        assert!(!get("/", &[("host", "on.example"), ("upgrade", "websocket")]).unwrap().websocket);
        assert!(!get("/", &[("host", "on.example"), ("connection", "upgrade"), ("upgrade", "h2c")]).unwrap().websocket);
        assert!(
            !get("/", &[("host", "on.example"), ("connection", "upgraded"), ("upgrade", "websocket")])
                .unwrap()
                .websocket
        );
        let split =
            [("host", "on.example"), ("connection", "keep-alive"), ("connection", "upgrade"), ("upgrade", "websocket")];
        assert!(get("/", &split).unwrap().websocket, "tokens on several lines count");

        let old =
            admit(&request("/", Version::HTTP_10, &[("host", "on.example"), HANDSHAKE[0], HANDSHAKE[1]], "")).unwrap();
        assert!(!old.websocket, "RFC 9110 §7.8: HTTP/1.0 cannot upgrade");
        let headers = [("host", "on.example"), HANDSHAKE[0], HANDSHAKE[1], ("content-length", "5")];
        assert_eq!(admit(&request("/", Version::HTTP_11, &headers, "hello")), Err(Refusal::UpgradeWithBody));
        assert!(
            admit(&request("/", Version::HTTP_10, &headers, "hello")).is_ok(),
            "an ordinary request may have a body"
        );
    }
}
