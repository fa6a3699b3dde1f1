//! The header section that crosses the edge: without the fields that describe one connection,
//! and, towards the origin, with the forwarding fields the edge vouches for.

use crate::admission::list;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::net::{IpAddr, SocketAddr};

/// Fields that describe one connection, not the message (RFC 9110 §7.6.1; `Keep-Alive` and
/// `Proxy-Connection` from earlier practice): never passed on.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("proxy-connection"),
];

/// Removes the hop-by-hop fields, and the fields the `Connection` header names as such, except
/// those that cannot be connection options (see [`may_be_connection_option`]).
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = list(headers, header::CONNECTION)
        .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .filter(may_be_connection_option)
        .collect();
    for name in named.iter().chain(&HOP_BY_HOP) {
        headers.remove(name);
    }
}

/// Drops the fields whose names have an underscore. Origins in the CGI tradition (PHP, WSGI,
/// Rack) read `X_Forwarded_Host` and `X-Forwarded-Host` as one variable, so such a field could
/// stand in for one the edge sets. nginx drops them by default (`underscores_in_headers off`).
pub fn remove_underscored(headers: &mut HeaderMap) {
    let underscored: Vec<HeaderName> = headers.keys().filter(|name| name.as_str().contains('_')).cloned().collect();
    for name in underscored {
        headers.remove(name);
    }
}

/// Whether a `Connection` option may remove `name`. Not the fields meant for every recipient
/// (RFC 9110 §7.6.1 forbids naming them) whose loss would change what the request is: `Host`,
/// which the edge routed by; the WebSocket handshake's `Sec-WebSocket-*`; a body's framing;
/// and the forwarding fields, which the edge sets itself. A token naming one is ignored, not
/// refused, as Traefik fixed the same fault in 2024: once it has no effect, such a request is
/// sloppy, not harmful.
fn may_be_connection_option(name: &HeaderName) -> bool {
    let name = name.as_str();
    !(matches!(name, "host" | "content-length" | "forwarded" | "x-real-ip")
        || name.starts_with("sec-websocket-")
        || name.starts_with("x-forwarded-"))
}

/// The scheme a visitor used, as the origin is told of it (`X-Forwarded-Proto`, `Forwarded: proto=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Sets the forwarding fields for the origin. The edge is the first hop it can vouch for, so:
///
/// - `X-Forwarded-For`: every line the visitor sent, in order, then the visitor's address. Its
///   last entry is the edge's word; those before are the visitor's claim (nginx's
///   `$proxy_add_x_forwarded_for`; Cloudflare appends the same way).
/// - `X-Real-IP`: the visitor's address alone, replacing whatever the visitor sent.
/// - `Forwarded` (RFC 7239): replaced by one element of the edge's, `for=…;host=…;proto=…`. A
///   visitor's `Forwarded` is dropped rather than appended to: a parser refuses the whole field
///   for one malformed element (RFC 7239 §4), and the edge's element would go with it.
/// - `X-Forwarded-Proto`: the `scheme` the visitor used, `http` or `https` (the edge's TLS, not
///   the origin's). `X-Forwarded-Host`: `public_host`, the resource's domain with any port the
///   visitor named. Both replace the visitor's.
pub fn set_forwarding(headers: &mut HeaderMap, visitor: SocketAddr, public_host: &str, scheme: Scheme) {
    let address = visitor.ip().to_string();
    let mut chain: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .collect();
    chain.push(&address);
    let chain = chain.join(", ");
    let node = match visitor.ip() {
        IpAddr::V4(_) => address.clone(),
        IpAddr::V6(_) => format!("\"[{address}]\""),
    };
    let forwarded = format!("for={node};host={};proto={}", quoted_if_needed(public_host), scheme.as_str());
    for (name, value) in [
        ("x-forwarded-for", chain),
        ("x-real-ip", address),
        ("forwarded", forwarded),
        ("x-forwarded-host", public_host.to_owned()),
        ("x-forwarded-proto", scheme.as_str().to_owned()),
    ] {
        // Every value is built from an address and an authority the edge has checked, so none
        // can be refused; `insert` replaces every line the visitor sent.
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(name, value);
        }
    }
}

/// An RFC 7239 value: a token as it is, anything else (a `host:port`) as a quoted string.
fn quoted_if_needed(value: &str) -> String {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if value.bytes().all(tchar) { value.to_owned() } else { format!("\"{value}\"") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap()))
            .collect()
    }

    fn all<'a>(map: &'a HeaderMap, name: &str) -> Vec<&'a str> {
        map.get_all(name).iter().map(|value| value.to_str().unwrap()).collect()
    }

    #[test]
    fn hop_by_hop_fields_and_those_named_in_connection_are_not_passed_on() {
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
    fn connection_cannot_remove_what_the_request_is() {
        let kept = [
            ("host", "www.example.com"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", "13"),
            ("content-length", "5"),
            ("x-forwarded-for", "198.51.100.7"),
            ("forwarded", "for=198.51.100.7"),
            ("x-real-ip", "198.51.100.7"),
        ];
        let mut pairs = vec![(
            "connection",
            "Upgrade, Host, Sec-WebSocket-Key, sec-websocket-version, Content-Length, X-Forwarded-For, Forwarded, X-Real-IP",
        )];
        pairs.extend(kept);
        let mut map = headers(&pairs);
        remove_hop_by_hop(&mut map);
        for (name, value) in kept {
            assert_eq!(all(&map, name), [value], "{name}");
        }
    }

    #[test]
    fn names_with_underscores_are_dropped() {
        let mut map = headers(&[("x_forwarded_host", "evil.example"), ("x_real_ip", "6.6.6.6"), ("x-custom", "kept")]);
        remove_underscored(&mut map);
        assert_eq!(map.keys().map(|name| name.as_str()).collect::<Vec<_>>(), vec!["x-custom"]);
    }

    #[test]
    fn forwarding_fields_are_the_edges_and_keep_the_visitors_chain() {
        let mut map = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-for", "203.0.113.9, 10.0.0.1"),
            ("x-real-ip", "1.1.1.1"),
            ("forwarded", "for=1.1.1.1;host=evil.example"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
        ]);
        set_forwarding(&mut map, "192.0.2.1:5555".parse().unwrap(), "www.example.com:8080", Scheme::Http);
        assert_eq!(all(&map, "x-forwarded-for"), ["198.51.100.7, 203.0.113.9, 10.0.0.1, 192.0.2.1"]);
        assert_eq!(all(&map, "x-real-ip"), ["192.0.2.1"]);
        assert_eq!(all(&map, "forwarded"), ["for=192.0.2.1;host=\"www.example.com:8080\";proto=http"]);
        assert_eq!(all(&map, "x-forwarded-host"), ["www.example.com:8080"]);
        assert_eq!(all(&map, "x-forwarded-proto"), ["http"]);

        let mut v6 = HeaderMap::new();
        set_forwarding(&mut v6, "[2001:db8::1]:443".parse().unwrap(), "www.example.com", Scheme::Https);
        assert_eq!(all(&v6, "x-forwarded-for"), ["2001:db8::1"]);
        assert_eq!(all(&v6, "forwarded"), ["for=\"[2001:db8::1]\";host=www.example.com;proto=https"]);
        assert_eq!(all(&v6, "x-forwarded-proto"), ["https"]);
    }
}
