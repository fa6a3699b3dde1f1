//! The figures the portal keeps of a resource's WebSocket traffic per period: the edges'
//! counters ([`WsCounter`], the feed's one list) and the peak of connections open at once.

use ::edge_feed::WsCounter;

/// One figure per resource and period, named so in `ws_traffic.figures` and in the REST
/// API's `metrics` parameter ([`WsMetric::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WsMetric {
    /// The most connections seen open at once, across the edges, in the period: the highest
    /// sum of the open counts the edges were reporting when a report came. Periods combine by
    /// their maximum, not their sum.
    OpenPeak,
    /// How much a cumulative counter of the edges grew in the period. Periods combine by sum.
    Counter(WsCounter),
}

impl WsMetric {
    /// The name of the peak: `open_peak`.
    pub const OPEN_PEAK: &'static str = "open_peak";

    /// Every metric: the peak first, then the counters in the feed's order.
    pub fn all() -> impl Iterator<Item = WsMetric> {
        std::iter::once(WsMetric::OpenPeak).chain(WsCounter::all().map(WsMetric::Counter))
    }

    /// `open_peak`, or the counter's name in the feed ([`WsCounter::name`]).
    pub fn name(self) -> &'static str {
        match self {
            WsMetric::OpenPeak => Self::OPEN_PEAK,
            WsMetric::Counter(counter) => counter.name(),
        }
    }

    /// The metric named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<WsMetric> {
        if name == Self::OPEN_PEAK {
            Some(WsMetric::OpenPeak)
        } else {
            WsCounter::from_name(name).map(WsMetric::Counter)
        }
    }

    /// Two periods' values as one coarser period's: the larger for the peak, else the sum.
    pub fn combine(self, a: u64, b: u64) -> u64 {
        match self {
            WsMetric::OpenPeak => a.max(b),
            WsMetric::Counter(_) => a.saturating_add(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_peaks_combine_by_maximum() {
        for metric in WsMetric::all() {
            assert_eq!(WsMetric::from_name(metric.name()), Some(metric));
        }
        assert_eq!(WsMetric::from_name("open_peak"), Some(WsMetric::OpenPeak));
        assert_eq!(WsMetric::from_name("requests"), None);
        assert_eq!(WsMetric::OpenPeak.combine(3, 5), 5);
        assert_eq!(WsMetric::Counter(WsCounter::Accepted).combine(3, 5), 8);
    }
}
