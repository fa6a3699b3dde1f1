//! Which origin serves which custom domain (a resource's own and its secondary hostnames), and
//! whether it takes WebSockets: the edge's copy of
//! the portal's settings. A table is never changed in place; each update from the portal builds
//! a whole new table, checked before it replaces the old one, so that no request ever sees a
//! half-applied configuration.

use crate::admission::parse_authority;
/// The feed's messages, as the contract crate shared with the portal defines them.
pub use edge_feed::{ConfigUpdate, EdgeResource};
use edge_feed::{ResourceId, Version};
use hyper::header::HeaderValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

/// A resource as the edge serves it: the portal's settings, and what the edge derives from them
/// once, when a table is built, rather than for each request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub resource: EdgeResource,
    /// `host:port` to connect to, with HTTP's port (80) when the origin names none.
    pub origin_address: String,
    /// The `Host` the origin receives, whatever the visitor sent: the resource's domain, which
    /// routing and the Websockets option went by, with the origin's port unless it is 80. That is
    /// the authority of the edge's own request (RFC 9110 §7.2): an origin that checks `Host`
    /// against its own address (Autobahn's server does) accepts it, and the edge's listening
    /// port never reaches the origin.
    pub origin_host: HeaderValue,
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
    #[error("resource {id}: origin {origin:?} is not host[:port]")]
    Origin { id: ResourceId, origin: String },
    #[error("resource {id} and resource {other} both claim {domain}")]
    DuplicateDomain { id: ResourceId, other: ResourceId, domain: String },
    #[error("a change from version {from} cannot follow version {to}")]
    OutOfOrder { from: Version, to: Version },
}

#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    /// False only for the empty table an edge starts with before any configuration arrives;
    /// a portal without resources sends an empty table at version 0, and that one is loaded.
    loaded: bool,
    version: Version,
    by_id: HashMap<ResourceId, Arc<Route>>,
    /// Every hostname of every resource: its custom domain and its secondary hostnames.
    by_domain: HashMap<String, Arc<Route>>,
}

impl RouteTable {
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
            by_id.insert(resource.id, Arc::new(check(resource)?));
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
        Ok(RouteTable { loaded: true, version: update.version, by_id, by_domain })
    }

    /// The whole table as one snapshot, to be saved and loaded again.
    pub fn snapshot(&self) -> ConfigUpdate {
        let mut resources: Vec<EdgeResource> = self.by_id.values().map(|route| route.resource.clone()).collect();
        resources.sort_by_key(|route| route.id);
        ConfigUpdate::snapshot(self.version, resources)
    }
}

/// The resource as the edge serves it, if its settings are what the portal promises.
fn check(resource: &EdgeResource) -> Result<Route, InvalidUpdate> {
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
    let invalid_origin = || InvalidUpdate::Origin { id: resource.id, origin: resource.origin.clone() };
    let (origin, port) = parse_authority(resource.origin.as_bytes()).ok_or_else(invalid_origin)?;
    let port = port.unwrap_or(80);
    let origin_host = if port == 80 { resource.domain.clone() } else { format!("{}:{port}", resource.domain) };
    Ok(Route {
        resource: resource.clone(),
        origin_address: format!("{}:{port}", origin.host()),
        origin_host: HeaderValue::try_from(origin_host).map_err(|_| invalid_origin())?,
    })
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

    use edge_feed::ResourceOptions;

    fn route(id: ResourceId, domain: &str, websockets: bool) -> EdgeResource {
        EdgeResource {
            id,
            domain: domain.into(),
            secondary_hostnames: vec![],
            origin: "127.0.0.1:8090".into(),
            origin_group: None,
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
        let route_host = |table: &RouteTable, host: &str| table.route(host).unwrap().origin_host.clone();
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
            let route = table.route("WWW.example.com:8080").unwrap();
            assert_eq!(
                (route.origin_address.as_str(), route.origin_host.to_str().unwrap()),
                (address, host),
                "{origin}"
            );
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
