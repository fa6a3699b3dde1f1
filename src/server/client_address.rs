//! The client address: who a request came from, as far as the portal can tell without being
//! lied to. It is what the per-address limits count and what a resource's history records.
//!
//! By default it is the TCP peer, and forwarding headers are ignored entirely: anyone can write
//! them. Behind a load balancer the peer is the balancer, so every visitor would share its
//! address; there the operator lists the balancer's addresses in `TRUSTED_PROXIES` and names in
//! `FORWARDED_HEADER` the header it sets, and [`ProxySettings::client_address`] walks that
//! header back from the peer through the trusted proxies only (see there).
//!
//! [`identify_client`] works the address out once per request, for every route (pages, server
//! functions, the REST API, the edge feed), and leaves it in the request's extensions as a
//! [`ClientAddress`]; [`of`] reads it back from any request's [`Parts`].

use super::config::ConfigError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::{IpNet, Ipv6Net};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The variable listing the trusted proxies.
pub const TRUSTED_PROXIES_VAR: &str = "TRUSTED_PROXIES";
/// The variable naming the header the trusted proxies set.
pub const FORWARDED_HEADER_VAR: &str = "FORWARDED_HEADER";

/// Where a request came from, as [`identify_client`] found it: in the request's extensions.
/// IPv4 peers seen through an IPv6 socket (`::ffff:192.0.2.1`) are given as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The client address of the request of `parts`, once [`identify_client`] has run on it;
/// `None` for a request that came over no socket the server knows of (a test's router call).
pub fn of(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ClientAddress>().map(|ClientAddress(address)| *address)
}

/// How the portal finds the client address behind proxies: `TRUSTED_PROXIES` and
/// `FORWARDED_HEADER`. The default trusts no proxy: the client is the TCP peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// `TRUSTED_PROXIES`: whose forwarding header is believed.
    pub trusted: TrustedProxies,
    /// `FORWARDED_HEADER`: the one header read, and only from those.
    pub header: ForwardedHeader,
}

/// The proxies whose forwarding header is believed: IP addresses and CIDR networks, IPv4 and
/// IPv6, as `TRUSTED_PROXIES` lists them separated by commas (`10.0.0.0/8, 192.0.2.7, fd00::/8`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads a comma-separated list. An entry that is neither an address nor a network, or a
    /// network of every address (`0.0.0.0/0`, `::/0`, which would let anyone claim any address),
    /// is a [`ConfigError::TrustedProxy`] naming it. Empty entries (a trailing comma) are skipped;
    /// a network written with host bits (`10.1.2.3/8`) means its network (`10.0.0.0/8`).
    pub fn parse(list: &str) -> Result<Self, ConfigError> {
        let mut networks = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            let refused = |reason| ConfigError::TrustedProxy { entry: entry.to_owned(), reason };
            let network = match entry.parse::<IpAddr>() {
                Ok(address) => IpNet::from(address.to_canonical()),
                Err(_) => entry.parse::<IpNet>().map_err(|_| refused("is neither an IP address nor a CIDR network"))?,
            };
            if network.prefix_len() == 0 {
                return Err(refused("would trust every address, so anyone could claim to be anyone"));
            }
            networks.push(network.trunc());
        }
        Ok(Self(networks))
    }

    /// True when no proxy is trusted: the client is always the TCP peer.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `address` (IPv4-mapped IPv6 counting as its IPv4) is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }
}

/// The header the trusted proxies set, as `FORWARDED_HEADER` names it; only that one is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`: the de-facto standard that most load balancers
    /// set (AWS ELB, Google Cloud, nginx's `$proxy_add_x_forwarded_for`, HAProxy's `forwardfor`):
    /// each proxy appends the address it received the request from. `x-forwarded-for`.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"`, RFC 7239: one element
    /// per proxy, whose `for=` parameter is the address it received the request from. `forwarded`.
    Forwarded,
}

impl ForwardedHeader {
    /// `x-forwarded-for` or `forwarded`, in any letter case; anything else is a
    /// [`ConfigError::ForwardedHeader`].
    pub fn parse(name: &str) -> Result<Self, ConfigError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err(ConfigError::ForwardedHeader(name.to_owned())),
        }
    }

    /// The header's name.
    pub fn name(self) -> HeaderName {
        match self {
            Self::XForwardedFor => HeaderName::from_static("x-forwarded-for"),
            Self::Forwarded => axum::http::header::FORWARDED,
        }
    }

    /// The hops the header lists, nearest to the client first: all its lines, in order, joined.
    fn hops(self, headers: &HeaderMap) -> Vec<Hop> {
        let mut hops = Vec::new();
        for line in headers.get_all(self.name()) {
            // A line that is not even text cannot be split: it stands for one hop of garbage.
            let Ok(line) = line.to_str() else {
                hops.push(Hop::Unknown);
                continue;
            };
            match self {
                Self::XForwardedFor => hops.extend(
                    // Lists may have empty elements (RFC 9110 §5.6.1): they name no one.
                    line.split(',').map(str::trim).filter(|entry| !entry.is_empty()).map(x_forwarded_for_entry),
                ),
                Self::Forwarded => {
                    hops.extend(split_outside_quotes(line, ',').into_iter().filter_map(forwarded_element))
                }
            }
        }
        hops
    }
}

/// One entry of a forwarding header: an address, or something that names no address we can
/// use (garbage, RFC 7239's `unknown`, an obfuscated identifier, an element without `for=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hop {
    Address(IpAddr),
    Unknown,
}

impl ProxySettings {
    /// The client address of a request from TCP peer `peer` with `headers`.
    ///
    /// Only trusted proxies are believed, each about the hop just before it: starting from the
    /// peer, while the current address is a trusted proxy, the next address is taken from the
    /// right end of the header's list (the entry that proxy appended); the first address that is
    /// not a trusted proxy is the client. An untrusted peer is the client whatever the header
    /// says, so a visitor who writes the header himself changes nothing. When every address
    /// listed is trusted (requests from inside the proxies' own network), the leftmost is the
    /// client.
    ///
    /// An entry that names no address (garbage, `unknown`, an obfuscated identifier) stops the
    /// walk, and the client is the trusted proxy that passed it on: the nearest hop we can still
    /// vouch for. Anything further left was written by whoever that proxy heard from, possibly
    /// the visitor himself, so believing it would make the address spoofable; the proxy's own
    /// address cannot be chosen by a visitor, and at worst puts the clients it could not name in
    /// one shared bucket of the per-address limits (stricter, never laxer).
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut current = peer.to_canonical();
        if !self.trusted.contains(current) {
            return current;
        }
        for hop in self.header.hops(headers).into_iter().rev() {
            match hop {
                Hop::Address(address) => {
                    current = address;
                    if !self.trusted.contains(address) {
                        return address;
                    }
                }
                Hop::Unknown => return current,
            }
        }
        current
    }
}

/// An `X-Forwarded-For` entry: an address, which some proxies write with a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:4711`) or IPv6 in brackets.
fn x_forwarded_for_entry(entry: &str) -> Hop {
    let address = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6));
    address.map_or(Hop::Unknown, |address| Hop::Address(address.to_canonical()))
}

/// The hop of one `Forwarded` element (RFC 7239 §4: `;`-separated `name=value` pairs, values a
/// token or a quoted string), from its `for=` parameter (§5.2); `None` for an empty element.
fn forwarded_element(element: &str) -> Option<Hop> {
    let element = element.trim();
    if element.is_empty() {
        return None;
    }
    let mut node = None;
    for pair in split_outside_quotes(element, ';').into_iter().filter(|pair| !pair.trim().is_empty()) {
        let Some((name, value)) = pair.split_once('=') else {
            return Some(Hop::Unknown);
        };
        if name.trim().eq_ignore_ascii_case("for") {
            // §4: a parameter must not occur more than once in an element.
            if node.is_some() {
                return Some(Hop::Unknown);
            }
            node = Some(unquoted(value.trim()));
        }
    }
    Some(node.flatten().as_deref().map_or(Hop::Unknown, forwarded_node))
}

/// A `for=` node (RFC 7239 §6): `192.0.2.43`, `[2001:db8::17]`, either with `:port`. `unknown`
/// (§6.2: the proxy does not know or will not say) and an obfuscated identifier (§6.3: `_hidden`)
/// name no address, and neither does an IPv6 address without its brackets, which §6 forbids.
fn forwarded_node(node: &str) -> Hop {
    let host = match node.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, rest)) if rest.is_empty() || is_node_port(rest) => host,
            _ => return Hop::Unknown,
        },
        None => match node.split_once(':') {
            Some((host, port)) if is_node_port(&format!(":{port}")) => host,
            Some(_) => return Hop::Unknown,
            None => node,
        },
    };
    let address = match node.starts_with('[') {
        true => host.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
        false => host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    };
    address.map_or(Hop::Unknown, |address| Hop::Address(address.to_canonical()))
}

/// `:4711`, or an obfuscated port `:_abc` (RFC 7239 §6: `node-port = port / obfport`).
fn is_node_port(port: &str) -> bool {
    let Some(port) = port.strip_prefix(':') else { return false };
    match port.strip_prefix('_') {
        Some(obfuscated) => {
            !obfuscated.is_empty() && obfuscated.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        }
        None => (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// A parameter value as a token or a quoted string (RFC 9110 §5.6.4, backslash escapes
/// undone); `None` for a quoted string that does not end.
fn unquoted(value: &str) -> Option<String> {
    let Some(quoted) = value.strip_prefix('"') else { return Some(value.to_owned()) };
    let mut text = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.push(chars.next()?),
            '"' => return chars.as_str().is_empty().then_some(text),
            c => text.push(c),
        }
    }
    None
}

/// `text` split at each `separator` that is not inside a quoted string.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Middleware, around every route: works out the request's client address from its TCP peer
/// (axum's `ConnectInfo<SocketAddr>`) and `settings`, and leaves it in the request's extensions
/// as a [`ClientAddress`] and in the request's log span (its `client` field). A request that came
/// over no known socket gets none.
pub async fn identify_client(State(settings): State<Arc<ProxySettings>>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let client = settings.client_address(peer.ip(), request.headers());
        tracing::Span::current().record("client", tracing::field::display(client));
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// What per-address limits count `address` as: an IPv4 address as itself (`192.0.2.1`), and an
/// IPv6 address as its /64 network (`2001:db8:1:2::/64`), since one customer line usually owns a
/// whole /64 and counting single IPv6 addresses would let anyone step round a limit by changing
/// address. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) counts as its IPv4 address.
pub fn limit_key(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            Ipv6Net::new(v6, 64).map(|network| network.trunc().to_string()).unwrap_or_else(|_| v6.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn settings(trusted: &str, header: ForwardedHeader) -> ProxySettings {
        ProxySettings { trusted: TrustedProxies::parse(trusted).unwrap(), header }
    }

    fn headers(name: &str, lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    fn ip(address: &str) -> IpAddr {
        address.parse().unwrap()
    }

    /// The client of a request from `peer` with `X-Forwarded-For` lines `lines`.
    fn xff(trusted: &str, peer: &str, lines: &[&str]) -> IpAddr {
        settings(trusted, ForwardedHeader::XForwardedFor).client_address(ip(peer), &headers("x-forwarded-for", lines))
    }

    /// The client of a request from `peer` with `Forwarded` lines `lines`.
    fn forwarded(trusted: &str, peer: &str, lines: &[&str]) -> IpAddr {
        settings(trusted, ForwardedHeader::Forwarded).client_address(ip(peer), &headers("forwarded", lines))
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(xff("", "198.51.100.7", &["203.0.113.9"]), ip("198.51.100.7"));
        assert_eq!(forwarded("", "198.51.100.7", &["for=203.0.113.9"]), ip("198.51.100.7"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(xff("10.0.0.0/8", "198.51.100.7", &["203.0.113.9, 10.0.0.1"]), ip("198.51.100.7"));
        assert_eq!(forwarded("10.0.0.0/8", "198.51.100.7", &["for=203.0.113.9"]), ip("198.51.100.7"));
    }

    #[test]
    fn one_trusted_proxy_is_believed_about_the_hop_before_it_only() {
        assert_eq!(xff("10.0.0.1", "10.0.0.1", &["203.0.113.9"]), ip("203.0.113.9"));
        // The visitor wrote the first entry himself; the proxy appended the address it saw.
        assert_eq!(xff("10.0.0.1", "10.0.0.1", &["6.6.6.6, 203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(xff("10.0.0.1", "10.0.0.1", &["6.6.6.6", "203.0.113.9"]), ip("203.0.113.9"));
        // A trusted proxy that sends no header: it is the client as far as anyone can tell.
        assert_eq!(xff("10.0.0.1", "10.0.0.1", &[]), ip("10.0.0.1"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_back_to_the_first_untrusted_address() {
        let trusted = "10.0.0.0/8, 192.0.2.7, fd00::/8";
        assert_eq!(xff(trusted, "10.1.1.1", &["6.6.6.6, 203.0.113.9, 192.0.2.7, 10.2.2.2"]), ip("203.0.113.9"));
        assert_eq!(xff(trusted, "fd00::1", &["203.0.113.9", "fd00::2"]), ip("203.0.113.9"));
        // An untrusted proxy in the middle is as far as the walk may go.
        assert_eq!(xff(trusted, "10.1.1.1", &["203.0.113.9, 198.51.100.1, 10.2.2.2"]), ip("198.51.100.1"));
        // Everyone trusted: a request from inside the proxies' network; the leftmost is the client.
        assert_eq!(xff(trusted, "10.1.1.1", &["10.3.3.3, 10.2.2.2"]), ip("10.3.3.3"));
    }

    #[test]
    fn addresses_with_ports_brackets_and_ipv4_in_ipv6_are_read() {
        assert_eq!(xff("10.0.0.1", "10.0.0.1", &["203.0.113.9:4711"]), ip("203.0.113.9"));
        assert_eq!(xff("10.0.0.1", "10.0.0.1", &["[2001:db8::1]:4711"]), ip("2001:db8::1"));
        assert_eq!(xff("10.0.0.1", "10.0.0.1", &["[2001:db8::1]"]), ip("2001:db8::1"));
        assert_eq!(xff("10.0.0.1", "::ffff:10.0.0.1", &["::ffff:203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(xff("", "::ffff:198.51.100.7", &[]), ip("198.51.100.7"));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_proxy_that_passed_it_on() {
        let trusted = "10.0.0.0/8";
        assert_eq!(xff(trusted, "10.0.0.1", &["6.6.6.6, not-an-address"]), ip("10.0.0.1"));
        assert_eq!(xff(trusted, "10.0.0.1", &["6.6.6.6, garbage, 10.0.0.2"]), ip("10.0.0.2"));
        assert_eq!(xff(trusted, "10.0.0.1", &["6.6.6.6, 203.0.113.9:99999"]), ip("10.0.0.1"));
        // Garbage left of the first untrusted address is never reached.
        assert_eq!(xff(trusted, "10.0.0.1", &["garbage, 203.0.113.9"]), ip("203.0.113.9"));
        // Empty list elements name no one and are skipped.
        assert_eq!(xff(trusted, "10.0.0.1", &["203.0.113.9, ,", ""]), ip("203.0.113.9"));
        let mut not_text = headers("x-forwarded-for", &["6.6.6.6"]);
        not_text.append("x-forwarded-for", HeaderValue::from_bytes(b"\xff203.0.113.9").unwrap());
        let settings = settings(trusted, ForwardedHeader::XForwardedFor);
        assert_eq!(settings.client_address(ip("10.0.0.1"), &not_text), ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_elements_give_their_for_parameter_quoted_or_not() {
        let trusted = "10.0.0.0/8";
        assert_eq!(forwarded(trusted, "10.0.0.1", &["for=203.0.113.9;proto=https;by=10.0.0.1"]), ip("203.0.113.9"));
        assert_eq!(forwarded(trusted, "10.0.0.1", &["For=\"203.0.113.9:4711\""]), ip("203.0.113.9"));
        assert_eq!(forwarded(trusted, "10.0.0.1", &["for=\"[2001:db8:cafe::17]:4711\""]), ip("2001:db8:cafe::17"));
        assert_eq!(forwarded(trusted, "10.0.0.1", &["for=\"[2001:db8:cafe::17]\""]), ip("2001:db8:cafe::17"));
        assert_eq!(
            forwarded(trusted, "10.0.0.1", &["for=6.6.6.6, for=203.0.113.9;proto=\"a,b;c\", for=10.0.0.2"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            forwarded(trusted, "10.0.0.1", &["for=6.6.6.6", "for=203.0.113.9", "for=10.0.0.2"]),
            ip("203.0.113.9")
        );
        assert_eq!(forwarded(trusted, "10.0.0.1", &["for=10.0.0.3, for=10.0.0.2"]), ip("10.0.0.3"));
        assert_eq!(forwarded(trusted, "10.0.0.1", &["for=\"_hidden:_port\", for=203.0.113.9:_p"]), ip("203.0.113.9"));
    }

    #[test]
    fn unknown_obfuscated_and_broken_forwarded_nodes_stop_the_walk() {
        let trusted = "10.0.0.0/8";
        for broken in [
            "for=6.6.6.6, for=unknown",
            "for=6.6.6.6, for=_hidden",
            "for=6.6.6.6, proto=https",
            "for=6.6.6.6, for=2001:db8::1",
            "for=6.6.6.6, for=\"[2001:db8::1\"",
            "for=6.6.6.6, for=\"203.0.113.9",
            "for=6.6.6.6, for=203.0.113.9;for=6.6.6.7",
            "for=6.6.6.6, for=203.0.113.9:http",
            "for=6.6.6.6, garbage",
        ] {
            assert_eq!(forwarded(trusted, "10.0.0.1", &[broken]), ip("10.0.0.1"), "{broken}");
        }
        assert_eq!(forwarded(trusted, "10.0.0.1", &["for=unknown, for=10.0.0.2"]), ip("10.0.0.2"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let both = {
            let mut both = headers("x-forwarded-for", &["203.0.113.1"]);
            both.append("forwarded", HeaderValue::from_static("for=203.0.113.2"));
            both
        };
        let peer = ip("10.0.0.1");
        assert_eq!(settings("10.0.0.1", ForwardedHeader::XForwardedFor).client_address(peer, &both), ip("203.0.113.1"));
        assert_eq!(settings("10.0.0.1", ForwardedHeader::Forwarded).client_address(peer, &both), ip("203.0.113.2"));
        assert_eq!(forwarded("10.0.0.1", "10.0.0.1", &[]), peer);
    }

    #[test]
    fn trusted_proxies_are_addresses_and_networks_and_nothing_else() {
        let trusted =
            TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.7,fd00::/8 ,::ffff:198.51.100.1, 172.16.5.4/12,").unwrap();
        for inside in ["10.255.0.1", "192.0.2.7", "fd12::1", "::ffff:10.0.0.1", "198.51.100.1", "172.31.0.1"] {
            assert!(trusted.contains(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "192.0.2.8", "fe80::1", "172.32.0.1"] {
            assert!(!trusted.contains(ip(outside)), "{outside}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        for (bad, entry) in [
            ("10.0.0.0/8, localhost", "localhost"),
            ("10.0.0.0/33", "10.0.0.0/33"),
            ("10.0.0", "10.0.0"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::/0", "::/0"),
        ] {
            match TrustedProxies::parse(bad) {
                Err(error @ ConfigError::TrustedProxy { .. }) => {
                    let message = error.to_string();
                    assert!(message.contains(TRUSTED_PROXIES_VAR) && message.contains(entry), "{message}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_header_setting_names_one_of_two_headers() {
        assert_eq!(ForwardedHeader::parse("X-Forwarded-For").unwrap(), ForwardedHeader::XForwardedFor);
        assert_eq!(ForwardedHeader::parse("forwarded").unwrap(), ForwardedHeader::Forwarded);
        assert_eq!(ForwardedHeader::default(), ForwardedHeader::XForwardedFor);
        let error = ForwardedHeader::parse("x-real-ip").unwrap_err();
        assert!(error.to_string().contains(FORWARDED_HEADER_VAR) && error.to_string().contains("x-real-ip"));
    }

    #[test]
    fn limits_count_ipv4_addresses_and_ipv6_networks() {
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(limit_key(ip("2001:db8:1:2::ffff")), limit_key(ip("2001:db8:1:2:aaaa::1")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_eq!(limit_key(ip("::1")), "::/64");
    }

    #[tokio::test]
    async fn the_middleware_leaves_the_address_in_the_request() {
        use axum::body::Body;
        use tower::ServiceExt;
        let settings = Arc::new(settings("127.0.0.1", ForwardedHeader::XForwardedFor));
        let router = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|request: Request| async move {
                    let (parts, _) = request.into_parts();
                    format!("{:?}", of(&parts))
                }),
            )
            .layer(axum::middleware::from_fn_with_state(settings, identify_client));
        let answer = |peer: Option<&str>| {
            let mut request = Request::get("/").header("x-forwarded-for", "203.0.113.9").body(Body::empty()).unwrap();
            if let Some(peer) = peer {
                request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            }
            let router = router.clone();
            async move {
                let body = router.oneshot(request).await.unwrap().into_body();
                String::from_utf8(axum::body::to_bytes(body, 1024).await.unwrap().to_vec()).unwrap()
            }
        };
        assert_eq!(answer(Some("127.0.0.1:5000")).await, "Some(203.0.113.9)");
        assert_eq!(answer(Some("198.51.100.7:5000")).await, "Some(198.51.100.7)");
        assert_eq!(answer(None).await, "None");
    }
}
