//! Reading what was recorded: the connections open now, and series of the stored periods.

use super::figures::Figures;
use super::metric::WsMetric;
use super::period::{Granularity, Resolution};
use super::roll_up::rolled_up_before_sql;
use super::unix_ms;
use crate::error::AppError;
use crate::model::OpenNow;
use crate::server::db::{Pool, id_list, on_db};
use ::edge_feed::TRAFFIC_FRESH_FOR;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// [`OpenNow`] of each of `resource_ids` at `now`, in their order (ids the caller has checked
/// are the account's). One query for them all.
pub async fn open_now(pool: &Pool, resource_ids: &[i64], now: SystemTime) -> Result<Vec<OpenNow>, AppError> {
    if resource_ids.is_empty() {
        return Ok(Vec::new());
    }
    let listed = id_list(resource_ids.iter().copied());
    let fresh_since = unix_ms(now) - TRAFFIC_FRESH_FOR.as_millis() as i64;
    let rows: Vec<(i64, i64, i64)> = on_db!(pool.db(), |e| sqlx::query_as(&format!(
        "SELECT resource_id, CAST(SUM(open_now) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM ws_edge_traffic \
         WHERE resource_id IN ({listed}) AND reported_ms >= $1 AND open_now > 0 GROUP BY resource_id"
    ))
    .bind(fresh_since)
    .fetch_all(e)
    .await)?;
    let found: BTreeMap<i64, OpenNow> =
        rows.into_iter().map(|(id, open, edges)| (id, OpenNow { open: open as u64, edges: edges as u64 })).collect();
    Ok(resource_ids.iter().map(|id| found.get(id).copied().unwrap_or_default()).collect())
}

/// Points of one metric: `(period start in Unix seconds, value)`, every period of the range in
/// order, zero where nothing was recorded.
pub type Points = Vec<(i64, u64)>;

/// What [`series`] reads: the range `[from, to)` in Unix seconds, cut into points of
/// `granularity` (`from` is moved back to the start of its point).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub from: i64,
    pub to: i64,
    pub granularity: Granularity,
}

impl Range {
    /// The start of each point of the range.
    pub fn starts(self) -> impl Iterator<Item = i64> {
        let step = self.granularity.seconds();
        let first = self.from - self.from.rem_euclid(step);
        (0..).map(move |index| first + index * step).take_while(move |start| *start < self.to)
    }

    /// How many points the range has.
    pub fn len(self) -> usize {
        self.starts().count()
    }

    /// Whether the range has no point.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Each of `metrics` over `range`, for each of `resource_ids` (the caller has checked they are
/// the account's): keyed by resource id. Points longer than the stored rows (5 and 15 minutes)
/// combine them as each metric says ([`WsMetric::combine`]). Periods [`super::roll_up`] has
/// not rolled up yet (the current one, and the previous for a minute or so after it ends) are
/// read from the finer rows, which are kept until they are: a week by hour is the hours rolled
/// up and this hour's minutes; by day, the days, then this day's hours, then this hour's minutes.
pub async fn series(
    pool: &Pool,
    resource_ids: &[i64],
    metrics: &[WsMetric],
    range: Range,
) -> Result<BTreeMap<i64, BTreeMap<WsMetric, Points>>, AppError> {
    let mut out: BTreeMap<i64, BTreeMap<WsMetric, Points>> = resource_ids
        .iter()
        .map(|id| {
            (*id, metrics.iter().map(|metric| (*metric, range.starts().map(|start| (start, 0)).collect())).collect())
        })
        .collect();
    if resource_ids.is_empty() || metrics.is_empty() {
        return Ok(out);
    }
    let listed = id_list(resource_ids.iter().copied());
    let resolution = range.granularity.resolution();
    let first = range.starts().next().unwrap_or(range.from);
    // Each resolution up to the range's answers for the periods its rows are final in and the
    // coarser ones' are not yet: below its own mark (minutes have none), from the coarser one's
    // on. In one statement, so that a roll-up committing meanwhile is seen whole or not at all.
    let tiers = Resolution::ALL
        .into_iter()
        .filter(|tier| *tier <= resolution)
        .map(|tier| {
            let final_before = match tier {
                Resolution::Minute => String::new(),
                _ => format!("AND period_start < {}", rolled_up_before_sql(tier)),
            };
            let not_coarser = match tier.coarser().filter(|_| tier < resolution) {
                Some(coarser) => format!("AND period_start >= {}", rolled_up_before_sql(coarser)),
                None => String::new(),
            };
            format!(
                "SELECT resource_id, period_start, figures FROM ws_traffic \
                 WHERE resource_id IN ({listed}) AND granularity = {granularity} \
                 AND period_start >= $1 AND period_start < $2 {final_before} {not_coarser}",
                granularity = tier.seconds(),
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows: Vec<(i64, i64, String)> =
        on_db!(pool.db(), |e| sqlx::query_as(&tiers).bind(first).bind(range.to).fetch_all(e).await)?;
    let step = range.granularity.seconds();
    for (id, start, figures) in rows {
        let Some(by_metric) = out.get_mut(&id) else { continue };
        let index = ((start - first) / step) as usize;
        for (metric, value) in Figures::from_json(&figures).iter() {
            if let Some(point) = by_metric.get_mut(&metric).and_then(|points| points.get_mut(index)) {
                point.1 = metric.combine(point.1, value);
            }
        }
    }
    Ok(out)
}

/// The sum over resources of each metric's points (peaks add up too: connections open at once
/// on different resources are open at once).
pub fn total(by_resource: &BTreeMap<i64, BTreeMap<WsMetric, Points>>) -> BTreeMap<WsMetric, Points> {
    let mut total: BTreeMap<WsMetric, Points> = BTreeMap::new();
    for by_metric in by_resource.values() {
        for (metric, points) in by_metric {
            let sum = total.entry(*metric).or_insert_with(|| points.iter().map(|(start, _)| (*start, 0)).collect());
            for (into, (_, value)) in sum.iter_mut().zip(points) {
                into.1 = into.1.saturating_add(*value);
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_lists_each_point_from_the_start_of_the_first() {
        let range = Range { from: 130, to: 420, granularity: Granularity::OneMinute };
        assert_eq!(range.starts().collect::<Vec<_>>(), vec![120, 180, 240, 300, 360]);
        let five = Range { from: 0, to: 900, granularity: Granularity::FiveMinutes };
        assert_eq!(five.len(), 3);
        assert!(Range { from: 60, to: 60, granularity: Granularity::OneMinute }.is_empty());
    }
}
