//! Which origins serve which custom domain (a resource's own and its secondary hostnames), and
//! whether it takes WebSockets: the edge's copy of
//! the portal's settings. A table is never changed in place; each update from the portal builds
//! a whole new table, checked before it replaces the old one, so that no request ever sees a
//! half-applied configuration. A request holds the route it started with: a change reaches the
//! requests that come after it, and never an open tunnel, which holds its own two connections.
//! Likewise a TLS handshake takes its certificate from the table in use ([`RouteTable::certificate`]),
//! read once when the table was built.

use crate::admission::parse_authority;
use crate::origins::{NextRule, OriginRegistry, Origins, Source};
use crate::tls::{OriginTls, ServedCertificate, origin_client_config, served_certificate};
/// The feed's messages, as the contract crate shared with the portal defines them.
pub use edge_feed::{ConfigUpdate, EdgeResource};
use edge_feed::{OriginProtocol, ResourceId, Version};
use hyper::header::HeaderValue;
use rustls::sign::CertifiedKey;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

/// HTTP's port, an origin's when its source names none and the edge speaks plain HTTP to it.
const HTTP_PORT: u16 = 80;
/// HTTPS's port, an origin's when its source names none and the edge speaks HTTPS to it.
const HTTPS_PORT: u16 = 443;

/// A resource as the edge serves it: the portal's settings, and what the edge derives from them
/// once, when a table is built, rather than for each request.
#[derive(Debug)]
pub struct Route {
    pub resource: EdgeResource,
    /// The origins of its group ([`EdgeResource::origins`]) by the scheme the edge speaks to them
    /// ([`EdgeResource::origin_protocol`]); see [`Route::origins`].
    upstream: Upstream,
    /// The certificate its hostnames present over HTTPS: `None` while HTTPS is off, or when the
    /// portal's certificate could not be read (logged when the table was built).
    pub certificate: Option<ServedCertificate>,
}

/// A route's origins, each with `host:port` to connect to (the scheme's port, 80 or 443, when the
/// source names none) and the `Host` it receives, whatever the visitor sent: the resource's
/// domain, which routing and the Websockets option went by, with the origin's port unless it is
/// the scheme's. That is the authority of the edge's own request (RFC 9110 §7.2): an origin that
/// checks `Host` against its own address (Autobahn's server does) accepts it, and the edge's
/// listening port never reaches the origin. `Match` keeps both sets, since a source without a
/// port is a different address for each scheme.
#[derive(Debug)]
enum Upstream {
    Http(Origins),
    Https(Origins, OriginTls),
    Match { http: Origins, https: Origins, tls: OriginTls },
}

impl Route {
    /// The origins a visitor's request goes to, and how the edge speaks TLS to them (`None`:
    /// plain HTTP), for a visitor who came over TLS (`visitor_tls`) or not: Gcore's
    /// `originProtocol` ([`OriginProtocol::origin_tls`]).
    pub fn origins(&self, visitor_tls: bool) -> (&Origins, Option<&OriginTls>) {
        match &self.upstream {
            Upstream::Http(origins) => (origins, None),
            Upstream::Https(origins, tls) => (origins, Some(tls)),
            Upstream::Match { http, .. } if !visitor_tls => (http, None),
            Upstream::Match { https, tls, .. } => (https, Some(tls)),
        }
    }
}

impl Deref for Route {
    type Target = EdgeResource;

    fn deref(&self) -> &EdgeResource {
        &self.resource
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUpdate {
    /// The resource's custom domain or one of its secondary hostnames.
    #[error("resource {id}: {domain:?} is not a lower-case host name")]
    Domain { id: ResourceId, domain: String },
    /// No source of the resource's origin group is `host[:port]` (or it has none): nothing
    /// could serve it. A group with some valid sources is served by those.
    #[error("resource {id}: origin {origin:?} is not host[:port]")]
    Origin { id: ResourceId, origin: String },
    #[error("resource {id} and resource {other} both claim {domain}")]
    DuplicateDomain { id: ResourceId, other: ResourceId, domain: String },
    #[error("a change from version {from} cannot follow version {to}")]
    OutOfOrder { from: Version, to: Version },
}

#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    /// The origins' shared state, handed on from each table to the next: one per edge.
    origins: Arc<OriginRegistry>,
    /// False only for the empty table an edge starts with before any configuration arrives;
    /// a portal without resources sends an empty table at version 0, and that one is loaded.
    loaded: bool,
    version: Version,
    by_id: HashMap<ResourceId, Arc<Route>>,
    /// Every hostname of every resource: its custom domain and its secondary hostnames.
    by_domain: HashMap<String, Arc<Route>>,
}

impl RouteTable {
    /// The empty table an edge starts with, its origins' state kept in `origins`.
    pub fn new(origins: Arc<OriginRegistry>) -> Self {
        Self { origins, ..Self::default() }
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn resource_count(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// The resource for a request's `Host` header, in any case, with or without port: the one
    /// whose custom domain or secondary hostname it is.
    pub fn route(&self, host: &str) -> Option<&Arc<Route>> {
        self.by_domain.get(normalize_host(host)?.as_ref())
    }

    /// The certificate for a TLS handshake that asks for `server_name` (SNI): that of the
    /// resource with this custom domain or secondary hostname, if it serves HTTPS.
    pub fn certificate(&self, server_name: &str) -> Option<Arc<CertifiedKey>> {
        let route = self.route(server_name)?;
        route.certificate.as_ref().map(|served| served.0.clone())
    }

    /// The table after `update`, or why the update cannot be applied (then nothing changes).
    pub fn apply(&self, update: &ConfigUpdate) -> Result<RouteTable, InvalidUpdate> {
        if !update.full && update.version < self.version {
            return Err(InvalidUpdate::OutOfOrder { from: update.version, to: self.version });
        }
        let mut by_id = if update.full { HashMap::new() } else { self.by_id.clone() };
        for id in &update.removed {
            by_id.remove(id);
        }
        for resource in &update.resources {
            by_id.insert(resource.id, Arc::new(check(resource, &self.origins)?));
        }
        let mut by_domain = HashMap::with_capacity(by_id.len());
        for resource in by_id.values() {
            for hostname in std::iter::once(&resource.domain).chain(&resource.secondary_hostnames) {
                if let Some(other) = by_domain.insert(hostname.clone(), resource.clone()) {
                    return Err(InvalidUpdate::DuplicateDomain {
                        id: resource.id,
                        other: other.id,
                        domain: hostname.clone(),
                    });
                }
            }
        }
        Ok(RouteTable { origins: self.origins.clone(), loaded: true, version: update.version, by_id, by_domain })
    }

    /// The whole table as one snapshot, to be saved and loaded again.
    pub fn snapshot(&self) -> ConfigUpdate {
        let mut resources: Vec<EdgeResource> = self.by_id.values().map(|route| route.resource.clone()).collect();
        resources.sort_by_key(|route| route.id);
        ConfigUpdate::snapshot(self.version, resources)
    }
}

/// The resource as the edge serves it, if its settings are what the portal promises. A source
/// of its group that is not `host[:port]` is skipped (and logged), so that one bad address does
/// not stop the whole configuration; a group left with none refuses the update, as a bad
/// `origin` did before groups.
fn check(resource: &EdgeResource, registry: &OriginRegistry) -> Result<Route, InvalidUpdate> {
    let is_host_name = |domain: &str| {
        !domain.is_empty()
            && domain.len() <= 253
            && domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    };
    for domain in std::iter::once(&resource.domain).chain(&resource.secondary_hostnames) {
        if !is_host_name(domain) {
            return Err(InvalidUpdate::Domain { id: resource.id, domain: domain.clone() });
        }
    }
    let upstream = match resource.origin_protocol {
        OriginProtocol::Http => Upstream::Http(origins(resource, registry, HTTP_PORT)?),
        OriginProtocol::Https => Upstream::Https(origins(resource, registry, HTTPS_PORT)?, origin_tls(resource)),
        OriginProtocol::Match => Upstream::Match {
            http: origins(resource, registry, HTTP_PORT)?,
            https: origins(resource, registry, HTTPS_PORT)?,
            tls: origin_tls(resource),
        },
    };
    // A certificate that cannot be served is the resource's problem alone: its hostnames get the
    // alert of a name served without HTTPS, and every other resource goes on.
    let certificate = resource.tls.as_ref().and_then(|tls| {
        served_certificate(tls)
            .inspect_err(|error| {
                tracing::warn!(
                    resource = resource.id,
                    certificate = tls.id,
                    %error,
                    "not serving HTTPS for the resource: its certificate cannot be used"
                );
            })
            .ok()
    });
    Ok(Route { resource: resource.clone(), upstream, certificate })
}

fn origin_tls(resource: &EdgeResource) -> OriginTls {
    OriginTls::new(origin_client_config(resource.id, resource.origin_ca.as_deref()))
}

/// The origins of the resource's group, a source without a port at `default_port`.
fn origins(resource: &EdgeResource, registry: &OriginRegistry, default_port: u16) -> Result<Origins, InvalidUpdate> {
    let group = resource.origins();
    let (mut primaries, mut backups) = (Vec::new(), Vec::new());
    for source in &group.sources {
        let Some(origin) = origin(&resource.domain, &source.source, default_port, registry) else {
            // Said once, not once per scheme.
            if default_port == HTTP_PORT || resource.origin_protocol == OriginProtocol::Https {
                tracing::warn!(
                    resource = resource.id,
                    source = source.source,
                    "skipping an origin that is not host[:port]"
                );
            }
            continue;
        };
        if source.backup { backups.push(origin) } else { primaries.push(origin) }
    }
    if primaries.is_empty() && backups.is_empty() {
        let origin = group.sources.first().map_or_else(|| resource.origin.clone(), |source| source.source.clone());
        return Err(InvalidUpdate::Origin { id: resource.id, origin });
    }
    let next = NextRule::new(group.use_next, &group.proxy_next_upstream);
    Ok(Origins::new(primaries, backups, next))
}

/// The origin `source` (`host[:port]`) of the resource at `domain`, reached at `default_port`
/// when it names none, or `None` if it is not one.
fn origin(domain: &str, source: &str, default_port: u16, registry: &OriginRegistry) -> Option<Source> {
    let (authority, port) = parse_authority(source.as_bytes())?;
    let port = port.unwrap_or(default_port);
    let host = if port == default_port { domain.to_owned() } else { format!("{domain}:{port}") };
    let host = HeaderValue::try_from(host).ok()?;
    Some(Source { state: registry.state(&format!("{}:{port}", authority.host())), host })
}

/// `Host` header to table key: the port and a trailing dot dropped, lower case. `None` for
/// anything that is not a host name (an IP address never names a resource either).
/// Borrowed unless the host has upper-case letters, as few visitors' browsers send.
pub fn normalize_host(host: &str) -> Option<Cow<'_, str>> {
    if host.starts_with('[') {
        return None;
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return None,
        None => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    match name {
        "" => None,
        name if name.bytes().any(|b| b.is_ascii_uppercase()) => Some(Cow::Owned(name.to_ascii_lowercase())),
        name => Some(Cow::Borrowed(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use edge_feed::{OriginGroup, OriginSource, ResourceOptions};

    fn route(id: ResourceId, domain: &str, websockets: bool) -> EdgeResource {
        EdgeResource {
            id,
            domain: domain.into(),
            secondary_hostnames: vec![],
            origin: "127.0.0.1:8090".into(),
            origin_group: None,
            origin_protocol: ::edge_feed::OriginProtocol::Http,
            tls: None,
            origin_ca: None,
            options: ResourceOptions { websockets },
        }
    }

    fn with_hostnames(resource: EdgeResource, hostnames: &[&str]) -> EdgeResource {
        EdgeResource { secondary_hostnames: hostnames.iter().map(|name| (*name).to_owned()).collect(), ..resource }
    }

    #[test]
    fn each_secondary_hostname_routes_to_its_resource_until_removed() {
        let resource = with_hostnames(route(1, "www.example.com", true), &["shop.example.com", "old.example.net"]);
        let table = RouteTable::default().apply(&full(1, vec![resource, route(2, "b.example.com", true)])).unwrap();
        for host in ["www.example.com", "Shop.Example.com:8080", "old.example.net."] {
            assert_eq!(table.route(host).map(|r| r.id), Some(1), "{host}");
        }
        let route_host = |table: &RouteTable, host: &str| first(table.route(host).unwrap()).host.clone();
        assert_eq!(
            route_host(&table, "shop.example.com"),
            "www.example.com:8090",
            "the origin is told the custom domain"
        );
        let changed = table
            .apply(&ConfigUpdate::changes(
                2,
                vec![with_hostnames(route(1, "www.example.com", true), &["shop.example.com"])],
                vec![],
            ))
            .unwrap();
        assert!(changed.route("old.example.net").is_none(), "a removed hostname no longer routes");
        assert_eq!(changed.route("shop.example.com").map(|r| r.id), Some(1));
        assert_eq!(changed.snapshot().resources[0].secondary_hostnames, ["shop.example.com"]);
    }

    #[test]
    fn a_hostname_claimed_twice_or_malformed_is_refused() {
        let table = RouteTable::default();
        let clash = full(
            1,
            vec![route(1, "a.example.com", true), with_hostnames(route(2, "b.example.com", true), &["a.example.com"])],
        );
        assert!(matches!(table.apply(&clash), Err(InvalidUpdate::DuplicateDomain { .. })));
        let own = full(1, vec![with_hostnames(route(1, "a.example.com", true), &["a.example.com"])]);
        assert!(matches!(table.apply(&own), Err(InvalidUpdate::DuplicateDomain { .. })));
        let upper = full(1, vec![with_hostnames(route(1, "a.example.com", true), &["B.example.com"])]);
        assert!(matches!(table.apply(&upper), Err(InvalidUpdate::Domain { .. })));
    }

    fn first(route: &Route) -> &Source {
        route.origins(false).0.all().next().unwrap()
    }

    fn grouped(resource: EdgeResource, sources: &[(&str, bool)]) -> EdgeResource {
        let sources =
            sources.iter().map(|(source, backup)| OriginSource { source: (*source).to_owned(), backup: *backup });
        EdgeResource {
            origin_group: Some(OriginGroup {
                id: 7,
                sources: sources.collect(),
                use_next: false,
                proxy_next_upstream: vec![],
            }),
            ..resource
        }
    }

    fn addresses(route: &Route) -> Vec<(&str, &str)> {
        route.origins(false).0.all().map(|source| (source.address(), source.host.to_str().unwrap())).collect()
    }

    #[test]
    fn a_group_gives_each_origin_its_address_and_host_and_skips_a_bad_source() {
        let resource = grouped(
            route(1, "www.example.com", true),
            &[("b.example.net", true), ("a.example.net:8081", false), ("http://bad/", false), ("a.example.net", false)],
        );
        let table = RouteTable::default().apply(&full(1, vec![resource])).unwrap();
        let served = table.route("www.example.com").unwrap();
        assert_eq!(
            addresses(served),
            [
                ("a.example.net:8081", "www.example.com:8081"),
                ("a.example.net:80", "www.example.com"),
                ("b.example.net:80", "www.example.com"),
            ],
            "primaries first, in the group's order; the bad source skipped"
        );
        assert_eq!(served.origins(false).0.plan(|| 0).as_slice()[0].address(), "a.example.net:8081");

        let all_bad = grouped(route(2, "b.example.com", true), &[("http://bad/", false), ("x@y", true)]);
        assert!(matches!(
            table.apply(&ConfigUpdate::changes(2, vec![all_bad], vec![])),
            Err(InvalidUpdate::Origin { id: 2, .. })
        ));
        let none = grouped(route(2, "b.example.com", true), &[]);
        assert!(table.apply(&ConfigUpdate::changes(2, vec![none], vec![])).is_err());
    }

    #[test]
    fn https_to_origins_reaches_a_source_without_port_at_443_and_match_keeps_both_schemes() {
        let with = |protocol: OriginProtocol, origin: &str| EdgeResource {
            origin_protocol: protocol,
            origin: origin.into(),
            ..route(1, "www.example.com", true)
        };
        let served = |resource: EdgeResource, visitor_tls: bool| {
            let table = RouteTable::default().apply(&full(1, vec![resource])).unwrap();
            let route = table.route("www.example.com").unwrap().clone();
            let (origins, tls) = route.origins(visitor_tls);
            let source = origins.all().next().unwrap();
            (source.address().to_owned(), source.host.to_str().unwrap().to_owned(), tls.is_some())
        };
        let expect = |address: &str, host: &str, tls: bool| (address.to_owned(), host.to_owned(), tls);
        for visitor_tls in [false, true] {
            assert_eq!(
                served(with(OriginProtocol::Http, "o.example.net"), visitor_tls),
                expect("o.example.net:80", "www.example.com", false)
            );
            assert_eq!(
                served(with(OriginProtocol::Https, "o.example.net"), visitor_tls),
                expect("o.example.net:443", "www.example.com", true)
            );
            assert_eq!(
                served(with(OriginProtocol::Https, "o.example.net:8443"), visitor_tls),
                expect("o.example.net:8443", "www.example.com:8443", true)
            );
        }
        assert_eq!(
            served(with(OriginProtocol::Match, "o.example.net"), false),
            expect("o.example.net:80", "www.example.com", false)
        );
        assert_eq!(
            served(with(OriginProtocol::Match, "o.example.net"), true),
            expect("o.example.net:443", "www.example.com", true)
        );
    }

    #[test]
    fn a_handshake_finds_the_certificate_of_the_resource_it_names_if_it_can_be_served() {
        let generated =
            rcgen::generate_simple_self_signed(vec!["a.example.com".to_owned(), "b.example.com".to_owned()]).unwrap();
        let certificate = edge_feed::TlsCertificate {
            id: 5,
            certificate_chain: generated.cert.pem(),
            private_key: generated.signing_key.serialize_pem(),
        };
        let served = EdgeResource { tls: Some(certificate.clone()), ..route(1, "a.example.com", true) };
        let served = with_hostnames(served, &["b.example.com"]);
        let unusable = EdgeResource {
            tls: Some(edge_feed::TlsCertificate { private_key: "not a key".into(), ..certificate }),
            ..route(2, "c.example.com", true)
        };
        let plain = route(3, "d.example.com", true);
        let table = RouteTable::default().apply(&full(1, vec![served, unusable, plain])).unwrap();
        for name in ["a.example.com", "B.Example.com"] {
            assert!(table.certificate(name).is_some(), "{name}");
        }
        for name in ["c.example.com", "d.example.com", "e.example.com", ""] {
            assert!(table.certificate(name).is_none(), "{name}");
        }
        assert!(table.route("c.example.com").is_some(), "a certificate that cannot be used leaves HTTP served");
    }

    #[test]
    fn routes_naming_one_origin_share_its_state_from_table_to_table() {
        let registry = Arc::new(OriginRegistry::default());
        let a = grouped(route(1, "a.example.com", true), &[("o.example.net", false)]);
        let b = grouped(route(2, "b.example.com", true), &[("p.example.net", false), ("o.example.net:80", true)]);
        let table = RouteTable::new(registry.clone()).apply(&full(1, vec![a.clone(), b])).unwrap();
        first(table.route("a.example.com").unwrap()).state.failed(0, true);
        let b_route = table.route("b.example.com").unwrap();
        assert!(b_route.origins(false).0.all().nth(1).unwrap().state.is_skipped(1), "one state per address");
        let changed = table.apply(&ConfigUpdate::changes(2, vec![a], vec![2])).unwrap();
        assert!(first(changed.route("a.example.com").unwrap()).state.is_skipped(1), "kept by the next table");
        drop(table);
        let in_use: Vec<_> = registry.in_use().iter().map(|state| state.address().to_owned()).collect();
        assert_eq!(in_use, ["o.example.net:80"], "an origin no route names is forgotten");
    }

    fn full(version: Version, resources: Vec<EdgeResource>) -> ConfigUpdate {
        ConfigUpdate::snapshot(version, resources)
    }

    #[test]
    fn hosts_are_matched_without_port_case_or_trailing_dot() {
        let table = RouteTable::default().apply(&full(1, vec![route(1, "www.example.com", true)])).unwrap();
        for host in ["www.example.com", "WWW.Example.COM", "www.example.com:8080", "www.example.com."] {
            assert_eq!(table.route(host).map(|r| r.id), Some(1), "{host}");
        }
        for host in ["example.com", "www.example.com.evil", "[::1]:80", "www.example.com:x", ""] {
            assert!(table.route(host).is_none(), "{host}");
        }
    }

    #[test]
    fn the_origin_is_told_the_resources_domain_with_the_origins_own_port() {
        let with_origin = |origin: &str| EdgeResource { origin: origin.into(), ..route(1, "www.example.com", true) };
        for (origin, address, host) in [
            ("origin.example.com", "origin.example.com:80", "www.example.com"),
            ("origin.example.com:80", "origin.example.com:80", "www.example.com"),
            ("[::1]:8090", "[::1]:8090", "www.example.com:8090"),
            ("127.0.0.1:", "127.0.0.1:80", "www.example.com"),
        ] {
            let table = RouteTable::default().apply(&full(1, vec![with_origin(origin)])).unwrap();
            let route = first(table.route("WWW.example.com:8080").unwrap());
            assert_eq!((route.address(), route.host.to_str().unwrap()), (address, host), "{origin}");
        }
        for origin in ["user@origin.example.com", "origin.example.com:+80", "origin.example.com:70000", ""] {
            assert!(RouteTable::default().apply(&full(1, vec![with_origin(origin)])).is_err(), "{origin}");
        }
    }

    #[test]
    fn a_change_replaces_its_resource_and_keeps_the_others() {
        let table = RouteTable::default()
            .apply(&full(3, vec![route(1, "a.example.com", true), route(2, "b.example.com", false)]))
            .unwrap();
        let changed = table
            .apply(&ConfigUpdate {
                version: 4,
                full: false,
                resources: vec![route(1, "a.example.com", false)],
                removed: vec![],
            })
            .unwrap();
        assert_eq!(changed.version(), 4);
        assert!(!changed.route("a.example.com").unwrap().options.websockets);
        assert!(table.route("a.example.com").unwrap().options.websockets, "the old table is untouched");
        assert_eq!(changed.route("b.example.com").unwrap().id, 2);

        let removed =
            changed.apply(&ConfigUpdate { version: 5, full: false, resources: vec![], removed: vec![2] }).unwrap();
        assert!(removed.route("b.example.com").is_none());
        assert_eq!(removed.resource_count(), 1);
    }

    #[test]
    fn any_applied_configuration_counts_as_loaded_even_an_empty_one() {
        assert!(!RouteTable::default().is_loaded());
        assert!(RouteTable::default().apply(&full(0, vec![])).unwrap().is_loaded());
    }

    #[test]
    fn a_snapshot_replaces_everything() {
        let table = RouteTable::default().apply(&full(3, vec![route(1, "a.example.com", true)])).unwrap();
        let replaced = table.apply(&full(1, vec![route(9, "z.example.com", true)])).unwrap();
        assert!(replaced.route("a.example.com").is_none());
        assert_eq!(replaced.version(), 1, "a snapshot may go back, when the portal's data was replaced");
        assert_eq!(RouteTable::default().apply(&replaced.snapshot()).unwrap().snapshot(), replaced.snapshot());
    }

    #[test]
    fn a_bad_update_is_refused_whole() {
        let table = RouteTable::default().apply(&full(3, vec![route(1, "a.example.com", true)])).unwrap();
        let bad_origin = EdgeResource { origin: "http://x/y".into(), ..route(2, "b.example.com", true) };
        let update = ConfigUpdate {
            version: 4,
            full: false,
            resources: vec![route(1, "a.example.com", false), bad_origin],
            removed: vec![],
        };
        assert!(matches!(table.apply(&update), Err(InvalidUpdate::Origin { id: 2, .. })));
        let upper =
            ConfigUpdate { version: 4, full: false, resources: vec![route(2, "B.example.com", true)], removed: vec![] };
        assert!(matches!(table.apply(&upper), Err(InvalidUpdate::Domain { .. })));
        let twice = full(4, vec![route(1, "a.example.com", true), route(2, "a.example.com", true)]);
        assert!(matches!(table.apply(&twice), Err(InvalidUpdate::DuplicateDomain { .. })));
        let stale = ConfigUpdate { version: 2, full: false, resources: vec![], removed: vec![] };
        assert!(matches!(table.apply(&stale), Err(InvalidUpdate::OutOfOrder { .. })));
    }
}
