//! The traffic report: what each edge tells the portal of its WebSocket traffic, per resource,
//! every [`TRAFFIC_INTERVAL`].
//!
//! `POST` [`TRAFFIC_PATH`] (`/edge/v1/traffic`) with a [`TrafficReport`], authenticated as every
//! request of the feed: 204 once the portal has recorded it, 400 when it is malformed, 422 for an
//! invalid edge name, 503 when the portal cannot reach its database (the edge sends again).
//!
//! Counters are **cumulative since the edge started** (its `boot`), not deltas: the portal keeps
//! the last figures it recorded for each edge and resource and adds only the difference. A report
//! sent twice (its answer lost), or a portal restarted between two reports, so counts nothing
//! twice and loses nothing; an edge restarted (a new `boot`) starts again from zero.

use crate::ResourceId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use std::time::Duration;

/// `POST`: an edge's [`TrafficReport`].
pub const TRAFFIC_PATH: &str = "/edge/v1/traffic";

/// How often an edge reports its traffic. A connection opened at an edge shows in the portal
/// within about this long (plus one database write); the portal counts an edge's open
/// connections as current for [`TRAFFIC_FRESH_FOR`] after its last report.
pub const TRAFFIC_INTERVAL: Duration = Duration::from_secs(1);

/// After this long without a report, an edge's open connections no longer count as open now:
/// three reports missed, so that one lost report does not make the figure flicker.
pub const TRAFFIC_FRESH_FOR: Duration = Duration::from_secs(3);

/// The longest `boot` a [`TrafficReport`] may carry, in bytes.
pub const MAX_BOOT_LEN: usize = 64;

/// The most resources one [`TrafficReport`] may carry; an edge with more sends several reports.
/// A resource takes about 130 bytes of JSON with a busy minute's counters, and at most some 1,250
/// with all 23 counters at 20 digits, so a full report stays under [`MAX_REPORT_BYTES`].
pub const MAX_RESOURCES_PER_REPORT: usize = 1_000;

/// The largest [`TrafficReport`] body the portal reads, in bytes (2 MiB). The portal's other
/// bodies are capped far lower (16 KiB), under which the 130 KiB report of 1,000 busy resources
/// was refused with 413 (measured by `make bench`).
pub const MAX_REPORT_BYTES: usize = 2 * 1024 * 1024;

/// The body of a `POST` [`TRAFFIC_PATH`].
///
/// JSON: `{"edge": "edge-1", "boot": "5f0c…", "resources": [{"id": 3, "open": 2, "counters":
/// {"accepted": 5, "bytes_to_origin": 120}}]}`. Any other field makes it malformed; a counter
/// name the portal does not know is skipped, so that an edge upgraded before its portal still
/// reports what both know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficReport {
    /// The edge's name, as in its status reports (see [`crate::is_valid_edge_name`]).
    pub edge: String,
    /// Chosen at random each time the edge starts (1 to [`MAX_BOOT_LEN`] ASCII letters and
    /// digits): the counters of another `boot` started again from zero.
    pub boot: String,
    /// Each resource whose figures changed since the portal last acknowledged a report of this
    /// edge, or that has a connection open. A resource left out keeps its last figures.
    pub resources: Vec<ResourceTraffic>,
}

/// One resource's WebSocket traffic at one edge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceTraffic {
    /// The resource's id in the portal.
    pub id: ResourceId,
    /// WebSocket connections open now (tunnels being relayed).
    pub open: u64,
    /// Cumulative counts since the edge's `boot`, by [`WsCounter::name`]; a counter at zero may
    /// be left out.
    #[serde(default)]
    pub counters: BTreeMap<String, u64>,
}

/// The upper bounds, in seconds, of the buckets connection durations are counted in: a
/// connection that lasted `d` seconds is counted in the first bucket with `d <= bound`, or in
/// the last one ([`WsCounter::Duration`] with index `DURATION_BOUNDS_S.len()`, "longer"). The
/// median and 95th percentile shown are read from these counts, as Prometheus'
/// `histogram_quantile` reads them.
pub const DURATION_BOUNDS_S: [u64; 10] = [1, 5, 15, 60, 300, 900, 3_600, 14_400, 43_200, 86_400];

/// The names of the duration buckets with a bound, `duration_le_{bound}s`, made once from
/// [`DURATION_BOUNDS_S`] so that [`WsCounter::name`] can lend them.
static DURATION_NAMES: LazyLock<Vec<String>> =
    LazyLock::new(|| DURATION_BOUNDS_S.iter().map(|bound| format!("duration_le_{bound}s")).collect());

/// Why the edge refused a WebSocket handshake, so that none reached the origin or none opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HandshakeRefusal {
    /// The resource's Websockets option is off: 403, the origin was not contacted.
    OptionOff,
    /// An origin answered, but not with 101 (it refused the upgrade): its answer was relayed.
    OriginRefused,
    /// No origin could be reached or none answered in time: 502 or 504.
    OriginUnreachable,
}

impl HandshakeRefusal {
    /// Every reason, in the order reports list them.
    pub const ALL: [HandshakeRefusal; 3] =
        [HandshakeRefusal::OptionOff, HandshakeRefusal::OriginRefused, HandshakeRefusal::OriginUnreachable];

    /// Its words, for a person: "option off".
    pub fn label(self) -> &'static str {
        match self {
            HandshakeRefusal::OptionOff => "Websockets option off",
            HandshakeRefusal::OriginRefused => "origin refused",
            HandshakeRefusal::OriginUnreachable => "origin unreachable",
        }
    }
}

/// How a WebSocket connection the edge relayed ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CloseReason {
    /// The visitor closed: it sent the first Close frame (RFC 6455 §5.5.1), or, with none
    /// sent, its TCP connection ended first.
    VisitorClosed,
    /// The origin closed, as the visitor does above.
    OriginClosed,
    /// No byte went either way for the edge's idle limit.
    Idle,
    /// The edge stopped while the connection was open.
    EdgeShutdown,
    /// A side failed (reset, broken pipe) or the tunnel could not be opened.
    Error,
}

impl CloseReason {
    /// Every reason, in the order reports list them.
    pub const ALL: [CloseReason; 5] = [
        CloseReason::VisitorClosed,
        CloseReason::OriginClosed,
        CloseReason::Idle,
        CloseReason::EdgeShutdown,
        CloseReason::Error,
    ];

    /// Its words, for a person.
    pub fn label(self) -> &'static str {
        match self {
            CloseReason::VisitorClosed => "visitor closed",
            CloseReason::OriginClosed => "origin closed",
            CloseReason::Idle => "idle limit",
            CloseReason::EdgeShutdown => "edge shutdown",
            CloseReason::Error => "error",
        }
    }
}

/// One cumulative WebSocket counter of a resource at an edge: the one list of them, for the
/// edge that counts, the report that carries them, the portal that stores them by
/// [`WsCounter::name`], and its reports and API that show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WsCounter {
    /// Handshakes the origin answered with 101: tunnels opened.
    Accepted,
    /// Handshakes refused, by why.
    Refused(HandshakeRefusal),
    /// Bytes relayed from visitors to the origin (WebSocket frames as they are on the wire).
    BytesToOrigin,
    /// Bytes relayed from the origin to visitors.
    BytesToVisitor,
    /// Connections that ended, by how.
    Closed(CloseReason),
    /// Connections that ended, by how long they lasted: the index of their bucket in
    /// [`DURATION_BOUNDS_S`] (its length for longer ones).
    Duration(usize),
}

impl WsCounter {
    /// Every counter, in the order reports list them.
    pub fn all() -> impl Iterator<Item = WsCounter> {
        std::iter::once(WsCounter::Accepted)
            .chain(HandshakeRefusal::ALL.into_iter().map(WsCounter::Refused))
            .chain([WsCounter::BytesToOrigin, WsCounter::BytesToVisitor])
            .chain(CloseReason::ALL.into_iter().map(WsCounter::Closed))
            .chain((0..=DURATION_BOUNDS_S.len()).map(WsCounter::Duration))
    }

    /// Its name in reports and in the portal's database: `accepted`, `refused_option_off`,
    /// `refused_origin_refused`, `refused_origin_unreachable`, `bytes_to_origin`,
    /// `bytes_to_visitor`, `closed_visitor`, `closed_origin`, `closed_idle`, `closed_shutdown`,
    /// `closed_error`, `duration_le_1s` … `duration_le_86400s`, `duration_longer`.
    ///
    /// Borrowed, never built: the portal looks up each counter of every report by its name
    /// (10 edges with 1,000 busy resources send 230,000 a second), and building each candidate's
    /// name made that lookup an allocation per comparison.
    pub fn name(self) -> &'static str {
        match self {
            WsCounter::Accepted => "accepted",
            WsCounter::Refused(HandshakeRefusal::OptionOff) => "refused_option_off",
            WsCounter::Refused(HandshakeRefusal::OriginRefused) => "refused_origin_refused",
            WsCounter::Refused(HandshakeRefusal::OriginUnreachable) => "refused_origin_unreachable",
            WsCounter::BytesToOrigin => "bytes_to_origin",
            WsCounter::BytesToVisitor => "bytes_to_visitor",
            WsCounter::Closed(CloseReason::VisitorClosed) => "closed_visitor",
            WsCounter::Closed(CloseReason::OriginClosed) => "closed_origin",
            WsCounter::Closed(CloseReason::Idle) => "closed_idle",
            WsCounter::Closed(CloseReason::EdgeShutdown) => "closed_shutdown",
            WsCounter::Closed(CloseReason::Error) => "closed_error",
            WsCounter::Duration(bucket) => DURATION_NAMES.get(bucket).map_or("duration_longer", String::as_str),
        }
    }

    /// The counter named `name` ([`WsCounter::name`]), if there is one.
    pub fn from_name(name: &str) -> Option<WsCounter> {
        // A map, not a scan of `all()`: the portal looks up every figure of every period it
        // reads, and the scan was a tenth of a day's Reports page (perf).
        static BY_NAME: LazyLock<HashMap<&'static str, WsCounter>> =
            LazyLock::new(|| WsCounter::all().map(|counter| (counter.name(), counter)).collect());
        BY_NAME.get(name).copied()
    }

    /// The duration bucket a connection of `seconds` is counted in.
    pub fn duration(seconds: f64) -> WsCounter {
        WsCounter::Duration(
            DURATION_BOUNDS_S.iter().position(|&bound| seconds <= bound as f64).unwrap_or(DURATION_BOUNDS_S.len()),
        )
    }
}

/// The `q` quantile (0 to 1: 0.5 for the median) of the durations counted in `buckets` (the
/// counts of [`WsCounter::Duration`] 0 to 10, in order), in seconds: read within its bucket by
/// linear interpolation between the bucket's bounds, as Prometheus' `histogram_quantile` does; a
/// quantile in the last bucket ("longer") is given as its lower bound. `None` when nothing was
/// counted.
pub fn duration_quantile(buckets: &[u64], q: f64) -> Option<f64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total as f64;
    let mut below = 0_u64;
    for (index, &count) in buckets.iter().enumerate() {
        if count > 0 && (below + count) as f64 >= rank {
            let lower = if index == 0 { 0.0 } else { DURATION_BOUNDS_S[index - 1] as f64 };
            let Some(&upper) = DURATION_BOUNDS_S.get(index) else { return Some(lower) };
            let within = ((rank - below as f64) / count as f64).clamp(0.0, 1.0);
            return Some(lower + (upper as f64 - lower) * within);
        }
        below += count;
    }
    DURATION_BOUNDS_S.last().map(|&bound| bound as f64)
}

/// Whether `boot` may be a [`TrafficReport`]'s: 1 to [`MAX_BOOT_LEN`] ASCII letters and digits.
pub fn is_valid_boot(boot: &str) -> bool {
    (1..=MAX_BOOT_LEN).contains(&boot.len()) && boot.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traffic_report() {
        let json = r#"{"edge":"edge-1","boot":"a1","resources":[{"id":3,"open":2,"counters":{"accepted":5,"duration_le_1s":1}}]}"#;
        let report = TrafficReport {
            edge: "edge-1".into(),
            boot: "a1".into(),
            resources: vec![ResourceTraffic {
                id: 3,
                open: 2,
                counters: [("accepted".to_owned(), 5), ("duration_le_1s".to_owned(), 1)].into_iter().collect(),
            }],
        };
        assert_eq!(serde_json::from_str::<TrafficReport>(json).unwrap(), report);
        assert_eq!(serde_json::to_string(&report).unwrap(), json);
        let without_counters = r#"{"edge":"e","boot":"b","resources":[{"id":3,"open":0}]}"#;
        assert!(serde_json::from_str::<TrafficReport>(without_counters).unwrap().resources[0].counters.is_empty());
        for malformed in [
            r#"{"edge":"e","boot":"b","resources":[],"extra":1}"#,
            r#"{"edge":"e","boot":"b","resources":[{"id":3,"open":-1}]}"#,
            r#"{"edge":"e","resources":[]}"#,
        ] {
            assert!(serde_json::from_str::<TrafficReport>(malformed).is_err(), "{malformed}");
        }
    }

    #[test]
    fn every_counter_has_its_own_name_which_reads_back() {
        let names: Vec<&str> = WsCounter::all().map(WsCounter::name).collect();
        assert_eq!(names.len(), 1 + 3 + 2 + 5 + 11);
        let unique: std::collections::BTreeSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        for counter in WsCounter::all() {
            assert_eq!(WsCounter::from_name(counter.name()), Some(counter));
        }
        assert_eq!(WsCounter::from_name("duration_le_60s"), Some(WsCounter::Duration(3)));
        assert_eq!(WsCounter::from_name("duration_longer"), Some(WsCounter::Duration(10)));
        assert_eq!(WsCounter::from_name("nonsense"), None);
    }

    #[test]
    fn durations_fall_in_the_first_bucket_that_holds_them() {
        assert_eq!(WsCounter::duration(0.2), WsCounter::Duration(0));
        assert_eq!(WsCounter::duration(1.0), WsCounter::Duration(0));
        assert_eq!(WsCounter::duration(1.5), WsCounter::Duration(1));
        assert_eq!(WsCounter::duration(90_000.0), WsCounter::Duration(10));
    }

    #[test]
    fn quantiles_are_read_within_their_bucket() {
        assert_eq!(duration_quantile(&[0; 11], 0.5), None);
        // Four connections of up to 1 s: the median is half way into the first bucket.
        assert_eq!(duration_quantile(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5), Some(0.5));
        // Ten between 5 and 15 s: p95 is 95 % of the way from 5 to 15.
        assert_eq!(duration_quantile(&[0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0], 0.95), Some(14.5));
        // One short, one longer than a day: the p95 is in the last bucket, told as its lower bound.
        assert_eq!(duration_quantile(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0.95), Some(86_400.0));
    }

    #[test]
    fn boots_are_short_and_plain() {
        assert!(is_valid_boot("5f0c9a"));
        assert!(!is_valid_boot(""));
        assert!(!is_valid_boot("a-b"));
        assert!(!is_valid_boot(&"a".repeat(65)));
    }
}
