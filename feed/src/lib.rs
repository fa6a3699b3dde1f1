//! The contract of the configuration feed between the portal, which serves it, and its CDN
//! edges, which follow it: both depend on this crate, so the compiler holds them to one wire
//! format, one set of paths and one token rule.
//!
//! The exchange, JSON over HTTP/1.1, each request carrying the header [`AUTHORIZATION`] with the
//! value [`authorization`]`(token)` (`Bearer <token>`):
//!
//! 1. `GET` [`CONFIG_PATH`] (`/edge/v1/config`): 200 with a snapshot, a [`ConfigUpdate`] with
//!    `full: true`.
//! 2. `GET` [`changes_path`]`(N, W)` (`/edge/v1/config?after=N&wait_ms=W`): 200 with the
//!    changes after version N, a [`ConfigUpdate`] with `full: false`, as soon as there are any;
//!    204 when none came within W milliseconds (the portal holds at most [`MAX_WAIT`]). A version
//!    N that the portal never reached (its data was replaced) gets a snapshot instead.
//! 3. `POST` [`STATUS_PATH`] (`/edge/v1/status`) with a [`StatusReport`]: 204; the portal now
//!    counts the edge as serving that version.
//! 4. `POST` [`TRAFFIC_PATH`] (`/edge/v1/traffic`) with a [`TrafficReport`] every
//!    [`TRAFFIC_INTERVAL`]: 204; the edge's WebSocket traffic per resource (see [`traffic`]).
//!
//! A missing or wrong token is 401 on every path, a malformed report 400, a report with an
//! invalid edge name ([`is_valid_edge_name`]) 422, and a portal that cannot reach its database 503;
//! an edge keeps serving what it has and asks again. The tests at the end of this file pin the
//! JSON of every message: a change to the wire format is a change to them.

use serde::{Deserialize, Serialize};
use std::time::Duration;

pub mod traffic;
pub use traffic::{
    CloseReason, DURATION_BOUNDS_S, HandshakeRefusal, ResourceTraffic, TRAFFIC_FRESH_FOR, TRAFFIC_INTERVAL,
    TRAFFIC_PATH, TrafficReport, WsCounter, duration_quantile,
};

/// A configuration version: 0 before any change, then one more for each change the portal
/// commits, never reused. An unsigned whole number on the wire; the portal's SQL stores it as
/// a signed 64-bit integer and converts at its database boundary.
pub type Version = u64;

/// A CDN resource's id in the portal: a positive whole number, as the portal's database numbers
/// its rows (signed 64-bit there, and so here).
pub type ResourceId = i64;

/// Every path of the feed starts with this; the portal takes tokens, not sessions, below it.
pub const PATH_PREFIX: &str = "/edge/v1/";
/// `GET`: the snapshot, or with a query ([`changes_path`]) the changes after a version.
pub const CONFIG_PATH: &str = "/edge/v1/config";
/// `POST`: an edge's [`StatusReport`].
pub const STATUS_PATH: &str = "/edge/v1/status";

/// The header that carries the token (lower case, as HTTP/2 and `http::HeaderName` spell it).
pub const AUTHORIZATION: &str = "authorization";
/// The authentication scheme: the header's value is this, one space, then the token.
pub const AUTH_SCHEME: &str = "Bearer";

/// The environment variable that holds the token, on the portal and on every edge alike.
pub const TOKEN_VAR: &str = "EDGE_FEED_TOKEN";
/// The shortest token either side accepts, in bytes, so that it cannot be guessed.
pub const MIN_TOKEN_LEN: usize = 16;

/// The longest the portal holds a request for changes, whatever `wait_ms` asks for.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// The longest edge name a [`StatusReport`] may carry, in bytes.
pub const MAX_EDGE_NAME_LEN: usize = 64;

/// Whether `token` is long enough to be the feed's token ([`MIN_TOKEN_LEN`] bytes or more).
pub fn is_long_enough(token: &str) -> bool {
    token.len() >= MIN_TOKEN_LEN
}

/// The [`AUTHORIZATION`] header's value that presents `token`: `Bearer <token>`.
pub fn authorization(token: &str) -> String {
    format!("{AUTH_SCHEME} {token}")
}

/// The token an [`AUTHORIZATION`] header's value presents, or `None` when it is not
/// `Bearer <token>` (the scheme is matched exactly, case included).
pub fn presented_token(header_value: &str) -> Option<&str> {
    header_value.strip_prefix(AUTH_SCHEME)?.strip_prefix(' ')
}

/// The path and query of a request for the changes after version `after`, held up to `wait`
/// (sent in whole milliseconds): `/edge/v1/config?after=N&wait_ms=W`.
pub fn changes_path(after: Version, wait: Duration) -> String {
    format!("{CONFIG_PATH}?after={after}&wait_ms={}", wait.as_millis())
}

/// Whether `name` may name an edge in a [`StatusReport`]: 1 to [`MAX_EDGE_NAME_LEN`] ASCII
/// letters, digits, `.`, `_` or `-`.
pub fn is_valid_edge_name(name: &str) -> bool {
    (1..=MAX_EDGE_NAME_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The query of a `GET` [`CONFIG_PATH`]: none for a snapshot, both (see [`changes_path`]) for
/// the changes after a version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedQuery {
    /// The version the edge serves: answer with what changed after it.
    pub after: Option<Version>,
    /// How long, in milliseconds, the portal may hold the request until something changes
    /// (at most [`MAX_WAIT`]); 0 when absent.
    pub wait_ms: Option<u64>,
}

/// One message of the feed, and the edge's saved state on disk (a snapshot).
///
/// JSON: `{"version": 9, "full": true, "resources": [EdgeResource…], "removed": [3]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigUpdate {
    /// The portal's configuration version once this update is applied.
    pub version: Version,
    /// True for a whole snapshot, which replaces everything the edge has; false for the
    /// resources changed since the version the edge asked from.
    pub full: bool,
    /// Each resource added or changed (every resource, in a snapshot), as it is now.
    pub resources: Vec<EdgeResource>,
    /// Ids of resources that were removed or deactivated: the edge no longer serves them.
    /// Always sent; absent reads as none.
    #[serde(default)]
    pub removed: Vec<ResourceId>,
}

impl ConfigUpdate {
    /// A whole snapshot at `version`: `resources` is everything, nothing is removed.
    pub fn snapshot(version: Version, resources: Vec<EdgeResource>) -> Self {
        Self { version, full: true, resources, removed: Vec::new() }
    }

    /// The changes that lead to `version`: `resources` changed, `removed` gone.
    pub fn changes(version: Version, resources: Vec<EdgeResource>, removed: Vec<ResourceId>) -> Self {
        Self { version, full: false, resources, removed }
    }
}

/// What an edge needs of a CDN resource, and nothing more.
///
/// JSON: `{"id": 3, "domain": "a.example.com", "secondary_hostnames": ["b.example.com"],
/// "origin": "127.0.0.1:8090", "websockets": true}`, the [`ResourceOptions`] written beside the
/// other fields, not nested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeResource {
    pub id: ResourceId,
    /// The custom domain visitors ask for, lower case, without a trailing dot. The origin is
    /// told this one as `Host` whichever of the resource's hostnames the visitor asked for
    /// (Gcore: "the Host header value is equal to the first CNAME").
    pub domain: String,
    /// More custom domains of the resource, in the same form as `domain`: a visitor asking for
    /// one of them reaches the same origin under the same settings. Always sent; absent (from
    /// a portal, or state saved, before there were any) reads as none.
    #[serde(default)]
    pub secondary_hostnames: Vec<String>,
    /// `host[:port]` of the resource's first origin (port 80 when absent): the first enabled
    /// non-backup source of its origin group. An edge from before origin groups serves this one
    /// alone; a current edge follows [`EdgeResource::origin_group`].
    pub origin: String,
    /// Where the edge sends the resource's requests and when it moves on to the next origin.
    /// Always sent by a current portal; absent (an older portal, or state saved before origin
    /// groups) reads as `None`, which [`EdgeResource::origins`] serves as a group of `origin` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_group: Option<OriginGroup>,
    /// Gcore's `originProtocol`: the scheme the edge speaks to the resource's origins. Absent
    /// (an older portal, or state saved before HTTPS) reads as [`OriginProtocol::Http`], and
    /// `Http` is not written, so that a message without HTTPS is what it was before.
    #[serde(default, skip_serializing_if = "OriginProtocol::is_http")]
    pub origin_protocol: OriginProtocol,
    /// The certificate the edge presents for the resource's hostnames over HTTPS: present only
    /// while the resource has HTTPS on (Gcore's `sslEnabled`) with a certificate (`sslData`).
    /// Absent, the edge answers a TLS handshake for these names with an alert, as for a name
    /// it does not serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsCertificate>,
    /// PEM certificates of the authorities the customer trusts for their private origins (Gcore's
    /// trusted CA certificates), in addition to the system's roots, when the edge speaks HTTPS to
    /// an origin. Absent: the system's roots alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_ca: Option<String>,
    /// What the resource's customer chose for how the edge serves it.
    #[serde(flatten)]
    pub options: ResourceOptions,
}

impl EdgeResource {
    /// The origin group the edge follows: [`EdgeResource::origin_group`], or when the portal sent
    /// none, a group of [`EdgeResource::origin`] alone that moves on only when it cannot connect.
    pub fn origins(&self) -> OriginGroup {
        self.origin_group.clone().unwrap_or_else(|| OriginGroup::of_one(&self.origin))
    }
}

/// A resource's origin group as the edge obeys it (Gcore's origin group, its API's
/// `/cdn/origin_groups/{id}`, without what only the portal needs: its name and disabled sources).
///
/// JSON: `{"id": 7, "sources": [{"source": "a.example.com:8080", "backup": false}],
/// "use_next": true, "proxy_next_upstream": ["error", "timeout", "http_502"]}`.
///
/// How an edge uses it:
/// - Requests are spread evenly over the primaries (`backup: false`); the backups are used only
///   while no primary can be reached.
/// - A connection refused, or not made within the edge's connect timeout, always moves the
///   request on to the next origin, whatever `use_next` says: nothing reached the origin, so
///   repeating it is safe.
/// - With `use_next`, the cases in `proxy_next_upstream` also move it on, but only before any
///   byte reached the visitor and only for a request that can be repeated safely (`GET`,
///   `HEAD`, or a WebSocket handshake before its `101`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginGroup {
    /// The group's id in the portal (Gcore's `originGroup`): a positive whole number.
    pub id: OriginGroupId,
    /// The group's enabled origins, in the customer's order; the portal never sends a disabled
    /// one, nor a group without an enabled primary.
    pub sources: Vec<OriginSource>,
    /// Gcore's `use_next`: whether the answers listed in `proxy_next_upstream` move a request
    /// on to the next origin.
    pub use_next: bool,
    /// Gcore's `proxy_next_upstream`: the cases that move a request on when `use_next` is set.
    pub proxy_next_upstream: Vec<NextUpstream>,
}

/// An origin group's id in the portal: a positive whole number (signed 64-bit there, and so here).
pub type OriginGroupId = i64;

impl OriginGroup {
    /// A group of one primary origin, `host[:port]`, with no `use_next`: what a resource from
    /// before origin groups had. Its id, 0, names no group in the portal.
    pub fn of_one(origin: &str) -> Self {
        Self {
            id: 0,
            sources: vec![OriginSource { source: origin.to_owned(), backup: false }],
            use_next: false,
            proxy_next_upstream: Vec::new(),
        }
    }
}

/// One enabled origin of an [`OriginGroup`].
///
/// JSON: `{"source": "a.example.com:8080", "backup": false}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginSource {
    /// `host[:port]` of the origin; port 80 when absent (Gcore's `source`).
    pub source: String,
    /// Gcore's `backup`: used only while none of the group's primaries can be reached.
    pub backup: bool,
}

/// A case that sends a request on to the next origin of its group (Gcore's `proxy_next_upstream`
/// values, which are nginx's: <https://nginx.org/r/proxy_next_upstream>). On the wire, the
/// names [`NextUpstream::as_str`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextUpstream {
    /// An error while connecting to the origin, sending it the request or reading the response
    /// header.
    Error,
    /// A timeout while connecting to the origin, sending it the request or reading the response
    /// header.
    Timeout,
    /// The origin answered with an empty or invalid response header.
    InvalidHeader,
    /// The origin answered 403.
    #[serde(rename = "http_403")]
    Http403,
    /// The origin answered 404.
    #[serde(rename = "http_404")]
    Http404,
    /// The origin answered 429.
    #[serde(rename = "http_429")]
    Http429,
    /// The origin answered 500.
    #[serde(rename = "http_500")]
    Http500,
    /// The origin answered 502.
    #[serde(rename = "http_502")]
    Http502,
    /// The origin answered 503.
    #[serde(rename = "http_503")]
    Http503,
    /// The origin answered 504.
    #[serde(rename = "http_504")]
    Http504,
}

impl NextUpstream {
    /// Every case, in the order Gcore's documentation lists them.
    pub const ALL: [Self; 10] = [
        Self::Error,
        Self::Timeout,
        Self::InvalidHeader,
        Self::Http403,
        Self::Http404,
        Self::Http429,
        Self::Http500,
        Self::Http502,
        Self::Http503,
        Self::Http504,
    ];

    /// The case's name on the wire and in Gcore's API: `error`, `timeout`, `invalid_header`,
    /// `http_403` and so on.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::InvalidHeader => "invalid_header",
            Self::Http403 => "http_403",
            Self::Http404 => "http_404",
            Self::Http429 => "http_429",
            Self::Http500 => "http_500",
            Self::Http502 => "http_502",
            Self::Http503 => "http_503",
            Self::Http504 => "http_504",
        }
    }

    /// The case named `name` ([`NextUpstream::as_str`]), or `None` for any other string.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|case| case.as_str() == name)
    }

    /// The origin's status code the case stands for: `Some(403)` for `http_403`, and so on;
    /// `None` for `error`, `timeout` and `invalid_header`.
    pub const fn status(self) -> Option<u16> {
        match self {
            Self::Error | Self::Timeout | Self::InvalidHeader => None,
            Self::Http403 => Some(403),
            Self::Http404 => Some(404),
            Self::Http429 => Some(429),
            Self::Http500 => Some(500),
            Self::Http502 => Some(502),
            Self::Http503 => Some(503),
            Self::Http504 => Some(504),
        }
    }
}

/// Gcore's `originProtocol`: how the edge speaks to a resource's origins. On the wire, Gcore's
/// upper-case names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OriginProtocol {
    /// Plain HTTP (and `ws://`), whatever the visitor used: the default.
    #[default]
    Http,
    /// HTTPS (and `wss://`), the origin's certificate verified against the system's roots and
    /// the resource's [`EdgeResource::origin_ca`]; port 443 when a source names none.
    Https,
    /// The scheme the visitor used: HTTPS to the origin for a visitor who came over HTTPS.
    Match,
}

impl OriginProtocol {
    /// Whether the edge speaks TLS to the origin for a visitor who came over TLS (`visitor_tls`).
    pub fn origin_tls(self, visitor_tls: bool) -> bool {
        match self {
            Self::Http => false,
            Self::Https => true,
            Self::Match => visitor_tls,
        }
    }

    /// Whether this is the default, [`OriginProtocol::Http`].
    pub fn is_http(&self) -> bool {
        *self == Self::Http
    }

    /// The protocol Gcore's name names (`HTTP`, `HTTPS` or `MATCH`, exactly), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Http, Self::Https, Self::Match].into_iter().find(|protocol| protocol.as_str() == name)
    }

    /// Gcore's name: `HTTP`, `HTTPS` or `MATCH`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "HTTP",
            Self::Https => "HTTPS",
            Self::Match => "MATCH",
        }
    }
}

/// A certificate an edge presents over HTTPS, with its private key (Gcore's `sslData`).
///
/// JSON: `{"id": 5, "certificate_chain": "-----BEGIN CERTIFICATE-----…", "private_key":
/// "-----BEGIN PRIVATE KEY-----…"}`. The key travels only in the feed, whose every request
/// carries the feed token; `Debug` never shows it, so that no log line can.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsCertificate {
    /// The certificate's id in the portal (Gcore's `sslData`): a positive whole number. A new id
    /// or a new chain for the same id is a replaced certificate.
    pub id: i64,
    /// PEM: the resource's certificate first, then each one that signed the one before it.
    pub certificate_chain: String,
    /// PEM (PKCS #8, PKCS #1 or SEC 1): the certificate's private key, checked by the portal to
    /// match it.
    pub private_key: String,
}

impl std::fmt::Debug for TlsCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsCertificate")
            .field("id", &self.id)
            .field("certificate_chain", &format_args!("{} bytes of PEM", self.certificate_chain.len()))
            .field("private_key", &format_args!("(never shown)"))
            .finish()
    }
}

/// A resource's options as the edge obeys them. Each is a field of its [`EdgeResource`]'s JSON
/// object, under the name given here. An option added later takes `#[serde(default = …)]`, the
/// value that changes nothing, so that an edge still reads its saved state and an older portal's
/// messages (the portal's checklist: `src/options/mod.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceOptions {
    /// Whether the edge answers WebSocket upgrades (passes the handshake on to the origin);
    /// when false it refuses them with 403.
    pub websockets: bool,
}

/// The body of a `POST` [`STATUS_PATH`]: this edge serves this version.
///
/// JSON: `{"edge": "edge-1", "version": 9}`; any other field makes it malformed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReport {
    /// The edge's name, unique among the portal's edges; see [`is_valid_edge_name`].
    pub edge: String,
    /// The configuration version the edge serves.
    pub version: Version,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    /// `json` reads as `value` and `value` writes as `json`, to the byte.
    fn pinned<T: Serialize + DeserializeOwned + PartialEq + Debug>(json: &str, value: T) {
        assert_eq!(serde_json::from_str::<T>(json).unwrap(), value, "{json}");
        assert_eq!(serde_json::to_string(&value).unwrap(), json);
    }

    fn resource(id: ResourceId, domain: &str, origin: &str, websockets: bool) -> EdgeResource {
        EdgeResource {
            id,
            domain: domain.into(),
            secondary_hostnames: vec![],
            origin: origin.into(),
            origin_group: None,
            origin_protocol: OriginProtocol::Http,
            tls: None,
            origin_ca: None,
            options: ResourceOptions { websockets },
        }
    }

    #[test]
    fn a_resource_over_https() {
        pinned(
            r#"{"id":3,"domain":"a.example.com","secondary_hostnames":[],"origin":"o.example.com","origin_protocol":"MATCH","tls":{"id":5,"certificate_chain":"C","private_key":"K"},"origin_ca":"CA","websockets":true}"#,
            EdgeResource {
                origin_protocol: OriginProtocol::Match,
                tls: Some(TlsCertificate { id: 5, certificate_chain: "C".into(), private_key: "K".into() }),
                origin_ca: Some("CA".into()),
                ..resource(3, "a.example.com", "o.example.com", true)
            },
        );
        let shown =
            format!("{:?}", TlsCertificate { id: 5, certificate_chain: "C".into(), private_key: "SECRET".into() });
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(OriginProtocol::Match.origin_tls(true) && !OriginProtocol::Match.origin_tls(false));
        assert!(OriginProtocol::Https.origin_tls(false) && !OriginProtocol::Http.origin_tls(true));
    }

    #[test]
    fn a_snapshot() {
        pinned(
            r#"{"version":9,"full":true,"resources":[{"id":3,"domain":"a.example.com","secondary_hostnames":["b.example.com"],"origin":"127.0.0.1:8090","websockets":true}],"removed":[]}"#,
            ConfigUpdate::snapshot(
                9,
                vec![EdgeResource {
                    secondary_hostnames: vec!["b.example.com".into()],
                    ..resource(3, "a.example.com", "127.0.0.1:8090", true)
                }],
            ),
        );
    }

    #[test]
    fn changes() {
        pinned(
            r#"{"version":10,"full":false,"resources":[{"id":4,"domain":"b.example.com","secondary_hostnames":[],"origin":"origin.example.com","websockets":false}],"removed":[]}"#,
            ConfigUpdate::changes(10, vec![resource(4, "b.example.com", "origin.example.com", false)], vec![]),
        );
    }

    #[test]
    fn a_removal() {
        pinned(
            r#"{"version":11,"full":false,"resources":[],"removed":[3,4]}"#,
            ConfigUpdate::changes(11, vec![], vec![3, 4]),
        );
        let without_removed: ConfigUpdate =
            serde_json::from_str(r#"{"version":1,"full":true,"resources":[]}"#).unwrap();
        assert_eq!(without_removed, ConfigUpdate::snapshot(1, vec![]));
    }

    #[test]
    fn a_resource_from_before_secondary_hostnames_reads_as_having_none() {
        let older = r#"{"id":3,"domain":"a.example.com","origin":"127.0.0.1:8090","websockets":true}"#;
        assert_eq!(
            serde_json::from_str::<EdgeResource>(older).unwrap(),
            resource(3, "a.example.com", "127.0.0.1:8090", true)
        );
    }

    #[test]
    fn a_resource_needs_every_field_and_ignores_unknown_ones() {
        let missing = r#"{"id":3,"domain":"a.example.com","origin":"127.0.0.1:8090"}"#;
        assert!(serde_json::from_str::<EdgeResource>(missing).is_err());
        let extra = r#"{"id":3,"domain":"a.example.com","origin":"127.0.0.1:8090","websockets":true,"later":1}"#;
        assert_eq!(
            serde_json::from_str::<EdgeResource>(extra).unwrap(),
            resource(3, "a.example.com", "127.0.0.1:8090", true)
        );
    }

    #[test]
    fn a_resource_with_its_origin_group() {
        let group = OriginGroup {
            id: 7,
            sources: vec![
                OriginSource { source: "a.example.com:8080".into(), backup: false },
                OriginSource { source: "b.example.com".into(), backup: true },
            ],
            use_next: true,
            proxy_next_upstream: vec![NextUpstream::Error, NextUpstream::Timeout, NextUpstream::Http502],
        };
        pinned(
            r#"{"id":3,"domain":"a.example.com","secondary_hostnames":[],"origin":"a.example.com:8080","origin_group":{"id":7,"sources":[{"source":"a.example.com:8080","backup":false},{"source":"b.example.com","backup":true}],"use_next":true,"proxy_next_upstream":["error","timeout","http_502"]},"websockets":true}"#,
            EdgeResource {
                origin_group: Some(group.clone()),
                ..resource(3, "a.example.com", "a.example.com:8080", true)
            },
        );
        let with = EdgeResource { origin_group: Some(group.clone()), ..resource(3, "a", "x", true) };
        assert_eq!(with.origins(), group);
    }

    #[test]
    fn a_resource_from_before_origin_groups_is_served_by_its_origin_alone() {
        let older = resource(3, "a.example.com", "127.0.0.1:8090", true);
        assert_eq!(
            older.origins(),
            OriginGroup {
                id: 0,
                sources: vec![OriginSource { source: "127.0.0.1:8090".into(), backup: false }],
                use_next: false,
                proxy_next_upstream: vec![],
            }
        );
    }

    #[test]
    fn next_upstream_cases_go_by_gcores_names() {
        for case in NextUpstream::ALL {
            assert_eq!(serde_json::to_string(&case).unwrap(), format!("\"{}\"", case.as_str()));
            assert_eq!(NextUpstream::from_name(case.as_str()), Some(case));
        }
        assert_eq!(NextUpstream::Http429.status(), Some(429));
        assert_eq!(NextUpstream::InvalidHeader.status(), None);
        for unknown in ["http_501", "HTTP_502", "non_idempotent", ""] {
            assert_eq!(NextUpstream::from_name(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn a_status_report() {
        pinned(r#"{"edge":"edge-1","version":11}"#, StatusReport { edge: "edge-1".into(), version: 11 });
        for malformed in [
            r#"{"edge":"edge-1","version":11,"extra":true}"#,
            r#"{"edge":"edge-1","version":-1}"#,
            r#"{"edge":"edge-1","version":"one"}"#,
            r#"{"edge":"edge-1"}"#,
        ] {
            assert!(serde_json::from_str::<StatusReport>(malformed).is_err(), "{malformed}");
        }
    }

    #[test]
    fn the_query_for_changes_reads_back_as_written() {
        let path = changes_path(7, Duration::from_secs(25));
        assert_eq!(path, "/edge/v1/config?after=7&wait_ms=25000");
        let (route, query) = path.split_once('?').unwrap();
        assert_eq!(route, CONFIG_PATH);
        assert_eq!(
            serde_urlencoded::from_str::<FeedQuery>(query).unwrap(),
            FeedQuery { after: Some(7), wait_ms: Some(25_000) }
        );
        assert_eq!(serde_urlencoded::from_str::<FeedQuery>("").unwrap(), FeedQuery::default());
    }

    #[test]
    fn every_path_is_under_the_prefix() {
        for path in [CONFIG_PATH, STATUS_PATH, TRAFFIC_PATH] {
            assert!(path.starts_with(PATH_PREFIX), "{path}");
        }
    }

    #[test]
    fn the_token_travels_as_a_bearer_token() {
        assert_eq!(authorization("0123456789abcdef"), "Bearer 0123456789abcdef");
        assert_eq!(presented_token("Bearer 0123456789abcdef"), Some("0123456789abcdef"));
        for refused in ["bearer 0123456789abcdef", "Bearer0123456789abcdef", "0123456789abcdef", ""] {
            assert_eq!(presented_token(refused), None, "{refused}");
        }
        assert!(is_long_enough("0123456789abcdef"));
        assert!(!is_long_enough("0123456789abcde"));
    }

    #[test]
    fn edge_names_are_short_and_plain() {
        for valid in ["edge-1", "eu.west_2", &"e".repeat(MAX_EDGE_NAME_LEN)] {
            assert!(is_valid_edge_name(valid), "{valid}");
        }
        for invalid in ["", "<script>", "edge 1", "édge", &"e".repeat(MAX_EDGE_NAME_LEN + 1)] {
            assert!(!is_valid_edge_name(invalid), "{invalid}");
        }
    }
}
