//! Counters the edge keeps of its work, rendered in Prometheus' text format on the admin address.

use crate::origins::OriginRegistry;
use crate::refusal::Refusal;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UpgradeOutcome {
    /// The origin answered 101 and a tunnel was opened.
    Accepted,
    /// WebSockets are off for the resource; the origin was not contacted.
    Refused,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OriginError {
    /// Refused, unreachable, or no connection within the connect timeout.
    Connect,
    /// Connected, but the TLS handshake with an HTTPS origin failed: most often, a certificate
    /// that does not verify. Moves the request on to the next origin, as [`OriginError::Connect`].
    Tls,
    /// Connected, but no answer within the response timeout, or its body stalled for as long.
    Timeout,
    /// An answer that breaks the protocol the edge relays: a 101 to a request that asked for
    /// no upgrade, or a 101 to a handshake that does not switch to WebSocket.
    Protocol,
    /// Anything else, such as a malformed answer or a connection cut mid-answer.
    Other,
}

/// Why a visitor's TLS handshake got no certificate (and so an alert).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnservedName {
    /// No SNI: the edge never picks a certificate for a visitor who names no host.
    NoName,
    /// A name no resource serves over HTTPS.
    UnknownName,
}

#[derive(Default)]
pub struct Metrics {
    requests: AtomicU64,
    /// Indexed like [`Refusal::ALL`].
    refused: [AtomicU64; Refusal::ALL.len()],
    upgrades: Mutex<BTreeMap<(String, UpgradeOutcome), u64>>,
    open_tunnels: AtomicI64,
    bytes_to_origin: AtomicU64,
    bytes_to_visitor: AtomicU64,
    origin_errors: Mutex<BTreeMap<OriginError, u64>>,
    config_version: AtomicU64,
    tls_handshakes_done: AtomicU64,
    tls_handshakes_failed: AtomicU64,
    /// Indexed like [`UnservedName`]'s variants.
    tls_unserved: [AtomicU64; 2],
    /// Attempts and failures per origin, for the origins in the configuration only.
    origins: Arc<OriginRegistry>,
}

impl Metrics {
    /// Counters that list, per origin, what `origins` counts.
    pub fn new(origins: Arc<OriginRegistry>) -> Self {
        Self { origins, ..Self::default() }
    }

    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused(&self, refusal: Refusal) {
        self.refused[refusal as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn upgrade(&self, domain: &str, outcome: UpgradeOutcome) {
        let mut upgrades = self.upgrades.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *upgrades.entry((domain.to_owned(), outcome)).or_default() += 1;
    }

    pub fn origin_error(&self, kind: OriginError) {
        let mut errors = self.origin_errors.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *errors.entry(kind).or_default() += 1;
    }

    /// Counts a tunnel as open until the returned guard is dropped.
    pub fn tunnel_opened(&self) -> OpenTunnel<'_> {
        self.open_tunnels.fetch_add(1, Ordering::Relaxed);
        OpenTunnel(self)
    }

    pub fn relayed_to_origin(&self, bytes: usize) {
        self.bytes_to_origin.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn relayed_to_visitor(&self, bytes: usize) {
        self.bytes_to_visitor.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts a visitor's TLS handshake, done or failed (for any reason, alert, timeout or not TLS at all).
    pub fn tls_handshake(&self, done: bool) {
        let counter = if done { &self.tls_handshakes_done } else { &self.tls_handshakes_failed };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a handshake that got no certificate, by why.
    pub fn unserved_name(&self, why: UnservedName) {
        self.tls_unserved[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn config_applied(&self, version: u64) {
        self.config_version.store(version, Ordering::Relaxed);
    }

    pub fn open_tunnels(&self) -> i64 {
        self.open_tunnels.load(Ordering::Relaxed)
    }

    /// Everything, in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let metric = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        metric(&mut out, "cdn_edge_requests_total", "counter", "Requests received from visitors.");
        let _ = writeln!(out, "cdn_edge_requests_total {}", self.requests.load(Ordering::Relaxed));

        metric(
            &mut out,
            "cdn_edge_refused_requests_total",
            "counter",
            "Requests the edge answered itself, passing nothing on, by reason.",
        );
        for refusal in Refusal::ALL {
            let count = self.refused[refusal as usize].load(Ordering::Relaxed);
            let _ = writeln!(out, "cdn_edge_refused_requests_total{{reason=\"{}\"}} {count}", refusal.label());
        }

        metric(
            &mut out,
            "cdn_edge_websocket_upgrades_total",
            "counter",
            "WebSocket upgrade requests by resource and outcome.",
        );
        for ((domain, outcome), count) in self.upgrades.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let outcome = match outcome {
                UpgradeOutcome::Accepted => "accepted",
                UpgradeOutcome::Refused => "refused",
            };
            let _ = writeln!(
                out,
                "cdn_edge_websocket_upgrades_total{{resource=\"{}\",outcome=\"{outcome}\"}} {count}",
                escape(domain)
            );
        }

        metric(&mut out, "cdn_edge_open_tunnels", "gauge", "WebSocket tunnels open now.");
        let _ = writeln!(out, "cdn_edge_open_tunnels {}", self.open_tunnels());

        metric(
            &mut out,
            "cdn_edge_relayed_bytes_total",
            "counter",
            "Bytes relayed through WebSocket tunnels, by direction.",
        );
        let _ = writeln!(
            out,
            "cdn_edge_relayed_bytes_total{{direction=\"to_origin\"}} {}\ncdn_edge_relayed_bytes_total{{direction=\"to_visitor\"}} {}",
            self.bytes_to_origin.load(Ordering::Relaxed),
            self.bytes_to_visitor.load(Ordering::Relaxed),
        );

        metric(
            &mut out,
            "cdn_edge_origin_errors_total",
            "counter",
            "Failed attempts at origins (one request may try several), by kind.",
        );
        let errors = self.origin_errors.lock().unwrap_or_else(|p| p.into_inner());
        for (kind, name) in [
            (OriginError::Connect, "connect"),
            (OriginError::Tls, "tls"),
            (OriginError::Timeout, "timeout"),
            (OriginError::Protocol, "protocol"),
            (OriginError::Other, "other"),
        ] {
            let _ = writeln!(
                out,
                "cdn_edge_origin_errors_total{{kind=\"{name}\"}} {}",
                errors.get(&kind).copied().unwrap_or(0)
            );
        }

        metric(
            &mut out,
            "cdn_edge_origin_attempts_total",
            "counter",
            "Requests and handshakes sent or tried to each origin of the configuration, by host:port.",
        );
        let origins = self.origins.in_use();
        for origin in &origins {
            let _ = writeln!(
                out,
                "cdn_edge_origin_attempts_total{{origin=\"{}\"}} {}",
                escape(origin.address()),
                origin.attempts()
            );
        }
        metric(
            &mut out,
            "cdn_edge_origin_failures_total",
            "counter",
            "Attempts at each origin that failed or sent the request on to the next origin, by host:port.",
        );
        for origin in &origins {
            let _ = writeln!(
                out,
                "cdn_edge_origin_failures_total{{origin=\"{}\"}} {}",
                escape(origin.address()),
                origin.failures()
            );
        }

        metric(&mut out, "cdn_edge_tls_handshakes_total", "counter", "Visitors' TLS handshakes, by outcome.");
        let _ = writeln!(
            out,
            "cdn_edge_tls_handshakes_total{{outcome=\"done\"}} {}\ncdn_edge_tls_handshakes_total{{outcome=\"failed\"}} {}",
            self.tls_handshakes_done.load(Ordering::Relaxed),
            self.tls_handshakes_failed.load(Ordering::Relaxed),
        );
        metric(
            &mut out,
            "cdn_edge_tls_unserved_names_total",
            "counter",
            "Visitors' TLS handshakes refused with an alert for want of a certificate: no name (SNI), or a name no resource serves over HTTPS.",
        );
        for (why, label) in [(UnservedName::NoName, "no_name"), (UnservedName::UnknownName, "unknown_name")] {
            let count = self.tls_unserved[why as usize].load(Ordering::Relaxed);
            let _ = writeln!(out, "cdn_edge_tls_unserved_names_total{{reason=\"{label}\"}} {count}");
        }

        metric(&mut out, "cdn_edge_config_version", "gauge", "Version of the portal configuration in use.");
        let _ = writeln!(out, "cdn_edge_config_version {}", self.config_version.load(Ordering::Relaxed));
        out
    }
}

pub struct OpenTunnel<'a>(&'a Metrics);

impl Drop for OpenTunnel<'_> {
    fn drop(&mut self) {
        self.0.open_tunnels.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Label values are quoted; a backslash, quote or line break inside must be escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_its_labels() {
        let metrics = Metrics::default();
        metrics.request();
        metrics.refused(Refusal::DuplicateHost);
        metrics.upgrade("www.example.com", UpgradeOutcome::Accepted);
        metrics.upgrade("www.example.com", UpgradeOutcome::Accepted);
        metrics.upgrade("static.example.com", UpgradeOutcome::Refused);
        metrics.origin_error(OriginError::Timeout);
        metrics.relayed_to_origin(10);
        metrics.relayed_to_visitor(32);
        metrics.config_applied(7);
        metrics.tls_handshake(true);
        metrics.tls_handshake(false);
        metrics.unserved_name(UnservedName::UnknownName);
        let tunnel = metrics.tunnel_opened();
        let origin = metrics.origins.state("127.0.0.1:8090");
        origin.attempted();
        origin.attempted();
        origin.failed(0, true);

        let text = metrics.render();
        for line in [
            "cdn_edge_requests_total 1",
            "cdn_edge_refused_requests_total{reason=\"duplicate_host\"} 1",
            "cdn_edge_refused_requests_total{reason=\"missing_host\"} 0",
            "cdn_edge_origin_errors_total{kind=\"protocol\"} 0",
            "cdn_edge_websocket_upgrades_total{resource=\"www.example.com\",outcome=\"accepted\"} 2",
            "cdn_edge_websocket_upgrades_total{resource=\"static.example.com\",outcome=\"refused\"} 1",
            "cdn_edge_open_tunnels 1",
            "cdn_edge_relayed_bytes_total{direction=\"to_origin\"} 10",
            "cdn_edge_relayed_bytes_total{direction=\"to_visitor\"} 32",
            "cdn_edge_origin_errors_total{kind=\"timeout\"} 1",
            "cdn_edge_origin_errors_total{kind=\"connect\"} 0",
            "cdn_edge_config_version 7",
            "cdn_edge_tls_handshakes_total{outcome=\"done\"} 1",
            "cdn_edge_tls_handshakes_total{outcome=\"failed\"} 1",
            "cdn_edge_tls_unserved_names_total{reason=\"unknown_name\"} 1",
            "cdn_edge_tls_unserved_names_total{reason=\"no_name\"} 0",
            "# TYPE cdn_edge_open_tunnels gauge",
            "cdn_edge_origin_attempts_total{origin=\"127.0.0.1:8090\"} 2",
            "cdn_edge_origin_failures_total{origin=\"127.0.0.1:8090\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        drop(tunnel);
        drop(origin);
        let text = metrics.render();
        assert!(text.lines().any(|l| l == "cdn_edge_open_tunnels 0"));
        assert!(!text.contains("127.0.0.1:8090"), "an origin no route uses is not listed");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
