//! The figures of one resource in one period, as a row of `ws_traffic` stores them (migration
//! 0014): a JSON object, metric name ([`WsMetric::name`]) to value, of the metrics that moved.

use super::metric::WsMetric;
use super::period::Resolution;
use super::{ROWS_PER_STATEMENT, placeholders};
use crate::error::AppError;
use crate::server::db::{Db, on_db};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// Each metric's value in one period; a metric absent is zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Figures(BTreeMap<WsMetric, u64>);

impl Figures {
    /// Adds `value` of `metric` as another part of the same period would: the larger for the
    /// peak, else the sum ([`WsMetric::combine`]).
    pub fn add(&mut self, metric: WsMetric, value: u64) {
        let kept = self.0.entry(metric).or_default();
        *kept = metric.combine(*kept, value);
    }

    /// Adds every figure of `other` ([`Figures::add`]): the figures of both parts as one period's.
    pub fn merge(&mut self, other: &Figures) {
        for (metric, value) in other.iter() {
            self.add(metric, value);
        }
    }

    /// Each metric and its value, in [`WsMetric`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (WsMetric, u64)> + '_ {
        self.0.iter().map(|(metric, value)| (*metric, *value))
    }

    /// The figures a stored `figures` holds. Names the portal does not know (a newer portal's,
    /// after a rollback) are skipped; a row whose JSON is not an object of counts (which the
    /// portal never writes) holds nothing.
    pub fn from_json(json: &str) -> Figures {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// The JSON object to store: `{"open_peak": 3, "accepted": 12, …}`.
    pub fn to_json(&self) -> String {
        let named: BTreeMap<&str, u64> = self.iter().map(|(metric, value)| (metric.name(), value)).collect();
        serde_json::to_string(&named).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// Writes `rows` of `resolution`, each `((resource id, period start), figures)`, whole: each
/// replaces the row the period had. A row of a resource that no longer exists is skipped (one
/// deleted since its finer rows were read for a roll-up; they went with it, ON DELETE CASCADE).
pub(super) async fn write(
    mut db: Db<'_>,
    resolution: Resolution,
    rows: &[((i64, i64), Figures)],
) -> Result<(), AppError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO ws_traffic (resource_id, granularity, period_start, figures) \
             SELECT written.column1, written.column2, written.column3, written.column4 FROM (VALUES {}) AS written \
             WHERE written.column1 IN (SELECT id FROM cdn_resources) \
             ON CONFLICT (resource_id, granularity, period_start) DO UPDATE SET figures = excluded.figures",
            placeholders(chunk.len(), 4)
        );
        on_db!(db.reborrow(), |e| {
            let mut query = sqlx::query(&sql);
            for ((id, start), figures) in chunk {
                query = query.bind(*id).bind(resolution.seconds()).bind(*start).bind(figures.to_json());
            }
            query.execute(e).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Straight from the JSON to metrics, without a map of owned names in between: parsing into one
/// was 40 % of a day's Reports page (1,440 rows of 23 figures, measured with perf).
impl<'de> Deserialize<'de> for Figures {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Figures, D::Error> {
        deserializer.deserialize_map(FiguresVisitor)
    }
}

struct FiguresVisitor;

impl<'de> Visitor<'de> for FiguresVisitor {
    type Value = Figures;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of metric names to counts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Figures, A::Error> {
        let mut figures = Figures::default();
        while let Some(MetricName(metric)) = map.next_key()? {
            match metric {
                Some(metric) => figures.add(metric, map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(figures)
    }
}

/// A key of the object: the metric it names, if the portal knows it.
struct MetricName(Option<WsMetric>);

impl<'de> Deserialize<'de> for MetricName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MetricName, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = MetricName;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a metric name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<MetricName, E> {
                Ok(MetricName(WsMetric::from_name(name)))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::edge_feed::WsCounter;

    const ACCEPTED: WsMetric = WsMetric::Counter(WsCounter::Accepted);

    #[test]
    fn parts_of_a_period_add_up_and_peaks_stay_peaks() {
        let mut figures = Figures::from_json(r#"{"open_peak": 4, "accepted": 3, "from_a_newer_portal": 1}"#);
        figures.merge(&Figures::from_json(r#"{"open_peak":2,"accepted":5}"#));
        assert_eq!(figures.iter().collect::<Vec<_>>(), vec![(WsMetric::OpenPeak, 4), (ACCEPTED, 8)]);
        assert_eq!(figures.to_json(), r#"{"accepted":8,"open_peak":4}"#);
        assert_eq!(Figures::from_json(&figures.to_json()), figures);
        assert_eq!(Figures::from_json("not json"), Figures::default());
        assert_eq!(Figures::from_json(r#"{"accepted": -1}"#), Figures::default());
        assert_eq!(super::super::placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
